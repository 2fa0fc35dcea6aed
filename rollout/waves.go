package rollout

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"golang.org/x/sync/errgroup"

	"github.com/launchdeploy/launch/service"
	"github.com/launchdeploy/launch/spec"
)

// wavePlan is one wave of a rollout: its agents, as indices into
// Plan.Agents, each with something to change.
type wavePlan struct {
	Wave   spec.Wave
	Agents []int
}

// agentChanges lists what applying ap writes ("service update"); none for
// an agent with nothing to change.
func agentChanges(p *Plan, ap AgentPlan) []string {
	var out []string
	if ap.LogGroup.Name != "" && (ap.LogGroup.Create || ap.LogGroup.SetRetention) {
		out = append(out, "log group "+map[bool]string{true: PlanCreate, false: PlanUpdate}[ap.LogGroup.Create])
	}
	for _, c := range []PlannedChange{taskDefChange(ap), serviceChange(p, ap)} {
		if c.Action != PlanNoChange {
			out = append(out, c.Kind+" "+c.Action)
		}
	}
	return out
}

// RolloutTag marks a service deployed by a rollout in waves: its value is
// the rollout's digest (rolloutDigest). A rerun of the same rollout counts
// the agents marked with it in their waves, though they have nothing left
// to change, so the waves stay as the first run drew them.
const RolloutTag = "launch:rollout"

// rolloutDigest identifies a rollout: the waves and every agent's desired
// task definition. The same spec against the same roles gives the same
// digest; a new image gives another.
func rolloutDigest(p *Plan) string {
	h := sha256.New()
	for _, w := range p.Spec.Rollout.Waves {
		fmt.Fprintf(h, "wave %s\n", w)
	}
	for _, ap := range p.Agents {
		td, _ := json.Marshal(ap.TaskDef)
		fmt.Fprintf(h, "agent %s %d %s\n", ap.Agent.Name, len(td), td)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// planWaves splits the agents of this rollout into the spec's waves. An
// agent is in the rollout when it has something to change, or when an
// earlier run of the same rollout (interrupted, say) deployed it already:
// its service has RolloutTag set to the digest. A selector wave takes the
// agents it names; count and percentage waves take, in the spec's order,
// from the agents no selector names, a percentage being cumulative over
// them. Other agents are in no wave: they make no write, and cannot be a
// wave's canary.
func planWaves(p *Plan) (waves []wavePlan, unchanged []int) {
	ro := p.Spec.Rollout
	digest := rolloutDigest(p)
	changing := make([]bool, len(p.Agents))
	var pool []int
	for i := range p.Agents {
		a := &p.Agents[i].Agent
		changing[i] = len(agentChanges(p, p.Agents[i])) > 0 ||
			p.Agents[i].Service != nil && service.TagValue(p.Agents[i].Service, RolloutTag) == digest
		if !changing[i] {
			unchanged = append(unchanged, i)
			continue
		}
		if !slices.ContainsFunc(ro.Waves, func(w spec.Wave) bool { return w.IsSelector() && w.Selects(a) }) {
			pool = append(pool, i)
		}
	}
	taken := 0
	for _, w := range ro.Waves {
		wp := wavePlan{Wave: w}
		switch {
		case w.Count > 0:
			n := min(w.Count, len(pool)-taken)
			wp.Agents = slices.Clone(pool[taken : taken+n])
			taken += n
		case w.Percent > 0:
			if target := (w.Percent*len(pool) + 99) / 100; target > taken {
				wp.Agents = slices.Clone(pool[taken:target])
				taken = target
			}
		default:
			for i := range p.Agents {
				if changing[i] && w.Selects(&p.Agents[i].Agent) {
					wp.Agents = append(wp.Agents, i)
				}
			}
		}
		waves = append(waves, wp)
	}
	return waves, unchanged
}

func agentNames(p *Plan, idx []int) []string {
	out := make([]string, len(idx))
	for j, i := range idx {
		out[j] = p.Agents[i].Agent.Name
	}
	return out
}

// applyWaves is Apply for a spec with rollout waves. The shared writes
// (roles, cluster) and the agents with nothing to change come first; then
// each wave's agents deploy concurrently, are followed, and must pass the
// gate (bake) before the next wave starts. A failed wave is rolled back,
// and with onFailure: rollback the waves done before it too.
func applyWaves(ctx context.Context, c Clients, p *Plan, opts Options, out Reporter, rep *Report) error {
	ro := p.Spec.Rollout
	if opts.NoWait {
		return fmt.Errorf("%s deploys in waves, each after the previous one passed its gate: --no-wait cannot be used with rollout.waves; run without it", p.Spec.Path)
	}
	waves, unchanged := planWaves(p)
	digest := rolloutDigest(p)
	for k, w := range waves {
		rep.addWave(k+1, agentNames(p, w.Agents))
	}
	// A wave still pending when the deploy ends (it stopped before the
	// wave's turn) never started.
	defer func() {
		for _, wr := range rep.Waves {
			if wr.Outcome == "pending" {
				wr.Outcome = "not started"
			}
		}
	}()
	out.Printf("rollout in %d waves (bake time %s, on failure %s)", len(waves), ro.BakeTime, ro.OnFailure)

	r := startApply(ctx, c, p, opts, out, rep)
	started := r.chains(ctx, unchanged) // they write nothing
	if err := r.finish(); err != nil {
		return err
	}
	for _, i := range unchanged {
		rep.ended(p.Agents[i].Agent.Name, 0, aws.ToString(serviceTaskDef(p.Agents[i].Service)), "nothing to change")
	}
	if len(unchanged) > 0 {
		if err := followAgents(ctx, c, p, unchanged, opts, started, out, rep); err != nil {
			return err
		}
	}

	var done []int // the agents of the waves that passed
	for k, w := range waves {
		wr := rep.Waves[k]
		if len(w.Agents) == 0 {
			wr.Outcome = "skipped"
			out.Printf("wave %d/%d (%s): no agent with something to change", k+1, len(waves), w.Wave)
			continue
		}
		now := time.Now()
		wr.StartedAt = &now
		out.Printf("wave %d/%d (%s): %s", k+1, len(waves), w.Wave, strings.Join(wr.Agents, ", "))
		// Existing services are marked before they are updated, so an
		// interruption cannot leave one updated but unmarked.
		err := markRollout(ctx, c, p, w.Agents, nil, digest)
		var started []service.Started
		if err == nil {
			started = r.chains(ctx, w.Agents)
			err = r.finish()
		}
		if err == nil {
			err = markRollout(ctx, c, p, w.Agents, started, digest)
		}
		if err == nil {
			err = followAgents(ctx, c, p, w.Agents, opts, started, out, rep)
		}
		d := ro.BakeTime.Duration
		if err == nil && !slices.ContainsFunc(w.Agents, func(i int) bool { return started[i].Action != "unchanged" }) {
			d, err = bakeLeft(ctx, c, p, w.Agents, d)
			if err == nil && d == 0 {
				out.Printf("wave %d/%d: deployed by an earlier run of this rollout; checking it without a bake time", k+1, len(waves))
			} else if err == nil {
				out.Printf("wave %d/%d: deployed by an earlier run of this rollout; baking the rest of its bake time", k+1, len(waves))
			}
		}
		if err == nil {
			err = bake(ctx, c, p, w.Agents, d, opts, out, rep)
		}
		if err != nil {
			return waveFailed(ctx, c, p, opts, out, rep, waves, k, done, err)
		}
		passed := time.Now()
		wr.PassedAt, wr.Outcome = &passed, "passed"
		out.Printf("wave %d/%d passed its gate", k+1, len(waves))
		for _, i := range w.Agents {
			ar := rep.agent(p.Agents[i].Agent.Name)
			rep.ended(ar.Name, k+1, ar.TaskDefinition.ARN, fmt.Sprintf("deployed in wave %d", k+1))
		}
		done = append(done, w.Agents...)
	}
	return narrowGrant(ctx, c, p, out, rep)
}

// markRollout tags the wave's services with the rollout's digest, so a
// rerun keeps them in their wave: with started nil, the services that
// exist already; else the ones the wave created.
func markRollout(ctx context.Context, c Clients, p *Plan, idx []int, started []service.Started, digest string) error {
	for _, i := range idx {
		ap := p.Agents[i]
		var arn string
		switch {
		case started == nil && ap.Service != nil && service.TagValue(ap.Service, RolloutTag) != digest:
			arn = aws.ToString(ap.Service.ServiceArn)
		case started != nil && started[i].Action == "created":
			arn = started[i].ServiceARN
		default:
			continue
		}
		_, err := c.ECS.TagResource(ctx, &ecs.TagResourceInput{ResourceArn: aws.String(arn),
			Tags: []ecstypes.Tag{{Key: aws.String(RolloutTag), Value: aws.String(digest)}}})
		if err != nil {
			return fmt.Errorf("mark service %s as part of this rollout: %w", ap.Agent.Name, err)
		}
	}
	return nil
}

// waveFailed records wave k's failure and the later waves as not started,
// then rolls back wave k (what ECS's circuit breaker did not) and, with
// onFailure: rollback, the agents done. An interrupted wave is left as it
// is: a rerun follows it.
func waveFailed(ctx context.Context, c Clients, p *Plan, opts Options, out Reporter, rep *Report, waves []wavePlan, k int, done []int, err error) error {
	var ie *service.InterruptedError
	interrupted := errors.As(err, &ie) || ctx.Err() != nil
	rep.Waves[k].Outcome = "failed"
	if interrupted {
		rep.Waves[k].Outcome = "interrupted"
	}
	for j := k + 1; j < len(waves); j++ {
		rep.Waves[j].Outcome = "not started"
		for _, i := range waves[j].Agents {
			ap := p.Agents[i]
			rep.ended(ap.Agent.Name, j+1, aws.ToString(serviceTaskDef(ap.Service)), fmt.Sprintf("not deployed: wave %d %s", k+1, rep.Waves[k].Outcome))
		}
	}
	if interrupted {
		for _, i := range waves[k].Agents {
			ar := rep.agent(p.Agents[i].Agent.Name)
			rep.ended(ar.Name, k+1, ar.TaskDefinition.ARN, fmt.Sprintf("wave %d interrupted: rerun launch to follow it and go on", k+1))
		}
		return err
	}
	out.Printf("wave %d/%d failed its gate: later waves are not started", k+1, len(waves))
	targets := map[int]string{}
	for _, i := range waves[k].Agents {
		targets[i] = fmt.Sprintf("wave %d failed", k+1)
	}
	if p.Spec.Rollout.OnFailure == spec.OnFailureRollback {
		for _, i := range done {
			targets[i] = fmt.Sprintf("deployed in an earlier wave, rolled back since wave %d failed (onFailure: rollback)", k+1)
		}
	}
	waveOf := map[int]int{}
	for j, w := range waves {
		for _, i := range w.Agents {
			waveOf[i] = j + 1
		}
	}
	for i := range p.Agents {
		if _, ok := targets[i]; !ok && waveOf[i] <= k && waveOf[i] > 0 {
			ar := rep.agent(p.Agents[i].Agent.Name)
			rep.ended(ar.Name, waveOf[i], ar.TaskDefinition.ARN, fmt.Sprintf("deployed in wave %d; kept (onFailure: stop)", waveOf[i]))
		}
	}
	return errors.Join(err, rollBackWaves(ctx, c, p, targets, waveOf, opts, out, rep))
}

func serviceTaskDef(s *ecstypes.Service) *string {
	if s == nil {
		return nil
	}
	return s.TaskDefinition
}

// rollBackWaves points each target agent's service back at the revision it
// ran before this run, and follows those deployments. A service this run
// created has no such revision and stays as it is; one ECS's circuit
// breaker already moved back needs nothing.
func rollBackWaves(ctx context.Context, c Clients, p *Plan, targets map[int]string, waveOf map[int]int, opts Options, out Reporter, rep *Report) error {
	idx := slices.Sorted(maps.Keys(targets))
	cluster := p.Spec.Cluster.Name
	now, err := service.ReadAll(ctx, c.ECS, cluster, agentNames(p, idx))
	if err != nil {
		return fmt.Errorf("roll back: %w", err)
	}
	var (
		mu   sync.Mutex
		errs []error
		g    errgroup.Group
	)
	for j, i := range idx {
		ap := p.Agents[i]
		name, why := ap.Agent.Name, targets[i]
		ar := rep.agent(name)
		before := aws.ToString(serviceTaskDef(ap.Service))
		svc := now[j]
		current := aws.ToString(serviceTaskDef(svc))
		switch {
		case svc == nil:
			rep.ended(name, waveOf[i], "", why+"; the service no longer exists")
			continue
		case before == "":
			rep.ended(name, waveOf[i], current, why+"; this run created the service, so it has no earlier revision to roll back to")
			out.Warnf("service %s: created by this run, so it has no earlier revision to roll back to: left on %s", name, shortARN(current))
			continue
		case current == before && ar.Service.Action == "updated":
			rep.ended(name, waveOf[i], before, why+"; back on its earlier revision: ECS's circuit breaker rolled it back")
			ar.Service.Outcome = "rolled back"
			continue
		case current == before:
			rep.ended(name, waveOf[i], before, why+"; still on its earlier revision: this run did not update it")
			continue
		}
		out.Printf("service %s: rolling back from %s to %s (%s)", name, shortARN(current), shortARN(before), why)
		s, err := startRollback(ctx, c, cluster, name, svc, current, before)
		if err != nil {
			errs = append(errs, err)
			rep.ended(name, waveOf[i], current, why+"; the rollback failed: "+err.Error())
			continue
		}
		timeout := ap.Agent.WaitTimeout.Duration
		if opts.WaitTimeout > 0 {
			timeout = opts.WaitTimeout
		}
		g.Go(func() error {
			_, err := service.Follow(ctx, c.ECS, service.FollowOptions{
				Cluster: cluster, Service: name, DeploymentID: s.DeploymentID, TaskDefinitionARN: before,
				Timeout: timeout, Since: time.Now(), MinInterval: opts.PollMin, MaxInterval: opts.PollMax,
				Progress: func(line string) { out.Printf("%s", line) }, Status: out.Status,
			})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("roll back service %s to %s: %w", name, shortARN(before), err))
				rep.ended(name, waveOf[i], current, why+"; the rollback to "+shortARN(before)+" did not complete")
				return nil
			}
			ar.Service.Outcome = "rolled back"
			rep.ended(name, waveOf[i], before, why+"; rolled back by launch")
			out.Printf("service %s: rolled back to %s", name, shortARN(before))
			return nil
		})
	}
	_ = g.Wait()
	out.Done()
	return errors.Join(errs...)
}

// bake is a wave's gate after its deployments completed: for d, every
// service's deployment must stay the PRIMARY one, COMPLETED on the
// revision deployed, with every desired task running (HEALTHY when the
// task definition has a health check) and no task stopping. The services
// are read at the start, every few seconds, and at the end.
func bake(ctx context.Context, c Clients, p *Plan, idx []int, d time.Duration, opts Options, out Reporter, rep *Report) error {
	cluster := p.Spec.Cluster.Name
	names := agentNames(p, idx)
	if d > 0 {
		out.Printf("baking %s: %s must stay healthy for %s", plural(len(names), "agent"), strings.Join(names, ", "), d)
	}
	interval := min(max(d/5, 200*time.Millisecond), 10*time.Second)
	end := time.Now().Add(d)
	stoppedBefore := map[string]bool{}
	for round := 0; ; round++ {
		svcs, err := service.ReadAll(ctx, c.ECS, cluster, names)
		if err != nil {
			return bakeErr(ctx, err, names)
		}
		for j, i := range idx {
			ar := rep.agent(names[j])
			if err := gateService(svcs[j], ar); err != nil {
				return err
			}
			stopped, err := service.Tasks(ctx, c.ECS, cluster, names[j], ecstypes.DesiredStatusStopped)
			if err != nil {
				return bakeErr(ctx, err, names)
			}
			for _, t := range stopped {
				arn := aws.ToString(t.TaskArn)
				if round == 0 {
					stoppedBefore[arn] = true
				} else if !stoppedBefore[arn] {
					return gateFailure(ar, svcs[j], fmt.Sprintf("task %s stopped during the bake time: %s", shortARN(arn), aws.ToString(t.StoppedReason)))
				}
			}
			if len(service.HealthChecks(p.Agents[i].TaskDef)) == 0 {
				continue
			}
			running, err := service.Tasks(ctx, c.ECS, cluster, names[j], ecstypes.DesiredStatusRunning)
			if err != nil {
				return bakeErr(ctx, err, names)
			}
			for _, t := range running {
				if t.HealthStatus != ecstypes.HealthStatusHealthy {
					return gateFailure(ar, svcs[j], fmt.Sprintf("task %s is %s, not HEALTHY", shortARN(aws.ToString(t.TaskArn)), t.HealthStatus))
				}
			}
		}
		left := time.Until(end)
		if left <= 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return &service.InterruptedError{Service: strings.Join(names, ", "), DeploymentID: "(bake time)", Last: "healthy", Err: ctx.Err()}
		case <-time.After(min(interval, left)):
		}
	}
}

// bakeLeft is what is left of bake time d for a wave an earlier run of this
// rollout deployed: d from when the last of its deployments last changed
// (completed, as a rule), 0 once that is d ago. A rerun right after an
// interrupted wave bakes it (almost) whole; a rerun after its bake time
// checks it once.
func bakeLeft(ctx context.Context, c Clients, p *Plan, idx []int, d time.Duration) (time.Duration, error) {
	names := agentNames(p, idx)
	svcs, err := service.ReadAll(ctx, c.ECS, p.Spec.Cluster.Name, names)
	if err != nil {
		return 0, bakeErr(ctx, err, names)
	}
	var last time.Time
	for _, svc := range svcs {
		if dep := service.Primary(svc); dep != nil && aws.ToTime(dep.UpdatedAt).After(last) {
			last = aws.ToTime(dep.UpdatedAt)
		}
	}
	left := d - time.Since(last)
	switch {
	case left <= 0:
		return 0, nil
	case left >= time.Minute:
		return left.Round(time.Second), nil
	default:
		return left.Round(10 * time.Millisecond), nil
	}
}

func bakeErr(ctx context.Context, err error, names []string) error {
	if ctx.Err() != nil {
		return &service.InterruptedError{Service: strings.Join(names, ", "), DeploymentID: "(bake time)", Last: "healthy", Err: ctx.Err()}
	}
	return fmt.Errorf("wave gate: %w", err)
}

// gateService checks that svc still runs, completed, the deployment the
// wave made.
func gateService(svc *ecstypes.Service, ar *AgentReport) error {
	if svc == nil {
		return gateFailure(ar, nil, "the service no longer exists")
	}
	d := service.Primary(svc)
	switch {
	case d == nil:
		return gateFailure(ar, svc, "the service has no PRIMARY deployment")
	case aws.ToString(d.Id) != ar.Service.DeploymentID:
		return gateFailure(ar, svc, fmt.Sprintf("deployment %s on %s replaced it (ECS's circuit breaker, or another run)", aws.ToString(d.Id), shortARN(aws.ToString(d.TaskDefinition))))
	case d.RolloutState != ecstypes.DeploymentRolloutStateCompleted:
		return gateFailure(ar, svc, fmt.Sprintf("the deployment is %s, not COMPLETED", d.RolloutState))
	case aws.ToString(d.TaskDefinition) != ar.TaskDefinition.ARN:
		return gateFailure(ar, svc, fmt.Sprintf("it runs %s, not %s", shortARN(aws.ToString(d.TaskDefinition)), shortARN(ar.TaskDefinition.ARN)))
	case d.RunningCount < d.DesiredCount:
		return gateFailure(ar, svc, fmt.Sprintf("%d/%d tasks running", d.RunningCount, d.DesiredCount))
	}
	return nil
}

func gateFailure(ar *AgentReport, svc *ecstypes.Service, why string) error {
	ar.Service.Outcome = "failed"
	state := ""
	if d := service.Primary(svc); svc != nil && d != nil {
		state = string(d.RolloutState)
	}
	return &service.RolloutError{Service: ar.Name, DeploymentID: ar.Service.DeploymentID, RolloutState: state,
		Reason: "wave gate: " + why, RunningTaskDf: aws.ToString(serviceTaskDef(svc))}
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
