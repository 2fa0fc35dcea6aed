package rollout

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/launchdeploy/launch/preflight"
	"github.com/launchdeploy/launch/spec"
)

// Deploy plans and applies sp, then follows the deployments (unless
// opts.NoWait). rep is filled as the run goes.
func Deploy(ctx context.Context, c Clients, sp *spec.Spec, opts Options, out Reporter, rep *Report) error {
	out.Printf("reading the current state (%d agent(s), cluster %s, region %s)", len(sp.Agents), sp.Cluster.Name, c.Region)
	start := time.Now()
	// The network checks need only the spec: they run with the planning reads.
	networks := preflight.BeginNetworks(ctx, c.Preflight, c.Region, preflightAgents(sp))
	p, err := planQuietly(ctx, c, sp, opts, out)
	if err != nil {
		return err
	}
	rep.Identity = p.Identity
	for _, ref := range slices.Sorted(maps.Keys(p.Secrets)) {
		rep.Secrets = append(rep.Secrets, p.Secrets[ref])
	}
	out.Printf("read and planned in %.1fs as %s", time.Since(start).Seconds(), p.Identity.CallerARN)
	pf := p.Preflight(ctx, c, networks)
	rep.Preflight = &pf
	out.Printf("preflight checks:\n%s", pf.Tree())
	if pf.Err != nil {
		return pf.Err
	}
	if pf.Failed() {
		return &PreflightError{Result: pf}
	}
	return Apply(ctx, c, p, opts, out, rep)
}
