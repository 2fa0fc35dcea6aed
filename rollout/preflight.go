package rollout

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/launchdeploy/launch/permissions"
	"github.com/launchdeploy/launch/preflight"
	"github.com/launchdeploy/launch/roles"
)

// PreflightError is a plan that failed its preflight checks: deploy stops
// before its first write.
type PreflightError struct{ Result preflight.Result }

func (e *PreflightError) Error() string {
	var fails []string
	var walk func(prefix string, cs []preflight.Check)
	walk = func(prefix string, cs []preflight.Check) {
		for _, c := range cs {
			name := strings.TrimPrefix(prefix+" / "+c.Name, " / ")
			if c.Status == preflight.Fail && len(c.Children) == 0 {
				fails = append(fails, name+": "+c.Reason)
			}
			walk(name, c.Children)
		}
	}
	walk("", e.Result.Checks)
	return "preflight failed, nothing was changed:\n  " + strings.Join(fails, "\n  ")
}

// Preflight checks, from reads only, that applying p can succeed. plan
// shows the result; deploy refuses to write when it failed.
func (p *Plan) Preflight(ctx context.Context, c Clients) preflight.Result {
	sp := p.Spec
	in := preflight.Input{
		Account: p.Identity.Account, Partition: p.Identity.Partition, Region: p.Identity.Region, CallerARN: p.Identity.CallerARN,
		Cluster:  preflight.Cluster{Name: sp.Cluster.Name, Exists: p.Cluster.Exists, WillCreate: p.CreateCluster},
		RoleARNs: []string{p.TaskRoleARN, p.ExecRoleARN},
	}
	for _, a := range sp.Agents {
		in.Agents = append(in.Agents, preflight.Agent{Name: a.Name, Image: a.Image, Subnets: a.Network.Subnets, SecurityGroups: a.Network.SecurityGroups})
	}
	for _, id := range slices.Sorted(maps.Keys(sp.Secrets)) {
		ref := sp.Secrets[id]
		s := preflight.Secret{ID: id, Ref: ref, ARN: p.Secrets[ref].ARN, Problem: p.SecretProblems[ref]}
		in.Secrets = append(in.Secrets, s)
	}
	for _, r := range p.Reads {
		in.References = append(in.References, preflight.Reference{Kind: string(r.Kind), Ref: r.Ref, ARN: r.ARN, Region: r.Region,
			Where: r.Where, Problem: r.Problem, Unchecked: r.Unchecked})
	}
	for _, m := range sp.TaskRole.ManagedPolicies {
		in.ManagedPolicies = append(in.ManagedPolicies, preflight.ManagedPolicy{Role: sp.TaskRole.Name, ARN: policyARN(p.Identity.Partition, m)})
	}
	for _, m := range sp.ExecutionRole.ManagedPolicies {
		in.ManagedPolicies = append(in.ManagedPolicies, preflight.ManagedPolicy{Role: sp.ExecutionRole.Name, ARN: policyARN(p.Identity.Partition, m)})
	}
	pol := permissions.For(permissions.Input{Spec: sp, Partition: p.Identity.Partition, Region: p.Identity.Region, Account: p.Identity.Account})
	for _, a := range pol.Actions() {
		if a.Action == "iam:PassRole" {
			continue // preflight checks PassRole on RoleARNs itself
		}
		in.Actions = append(in.Actions, preflight.ActionCheck{Action: a.Action, Resources: a.Resources})
	}
	for _, rp := range []roles.Plan{p.TaskRole, p.ExecRole} {
		in.Sizes = append(in.Sizes,
			preflight.Size{What: fmt.Sprintf("trust policy of role %s", rp.Name), Chars: rp.TrustChars, Limit: roles.MaxTrustPolicyChars},
			preflight.Size{What: fmt.Sprintf("inline policies of role %s", rp.Name), Chars: rp.InlineChars, Limit: roles.MaxInlinePolicyChars},
			preflight.Size{What: fmt.Sprintf("managed policies attached to role %s", rp.Name), Chars: rp.ManagedCount, Limit: roles.MaxManagedPolicies, Unit: "policies"},
		)
	}
	return preflight.Run(ctx, c.Preflight, in)
}
