package rollout

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/launchdeploy/launch/internal/policy"
	"github.com/launchdeploy/launch/loggroup"
	"github.com/launchdeploy/launch/roles"
	"github.com/launchdeploy/launch/secrets"
	"github.com/launchdeploy/launch/service"
	"github.com/launchdeploy/launch/taskdef"
)

// Reporter receives progress; cmd/launch hands in a term.Printer.
type Reporter interface {
	Printf(format string, args ...any)
	Warnf(format string, args ...any)
	Status(line string)
	Done()
}

// Options tune a deploy.
type Options struct {
	// NoWait returns once the services are created or updated.
	NoWait bool
	// WaitTimeout overrides every agent's waitTimeout when > 0.
	WaitTimeout time.Duration
	// PollMin and PollMax bound the wait's poll interval (0: the defaults,
	// service.DefaultMinInterval and DefaultMaxInterval).
	PollMin, PollMax time.Duration
	// IAMPropagation bounds the retries of calls that hand a just-changed
	// role to ECS (default 2 minutes).
	IAMPropagation time.Duration
	// IfInProgress says what deploy does when a service's PRIMARY
	// deployment is still IN_PROGRESS before this run writes anything
	// (another run started it): InProgressWait (the default, "") follows it
	// to its end, then plans again; InProgressFail stops before any write.
	IfInProgress string
	// RunID tells this run's idempotency tokens from other runs'; "" makes
	// Apply draw a random one.
	RunID string
}

// chainConcurrency bounds the agents whose writes are in flight at once. It
// is the burst of the strictest bucket an agent's chain meets
// (RegisterTaskDefinition: 20, then 1 a second; awsconf keeps to it): more
// chains would only wait for its tokens.
const chainConcurrency = 20

// Apply makes every change in p, then follows the deployments. The writes
// run as the dependency graph they form: both roles, the cluster and the
// log groups at once; each agent's task definition as soon as the roles
// (which it names) are done, and its service as soon as its own revision
// and the cluster exist. After a failure no new write starts; those in
// flight finish. It fills rep as it goes, so the report is complete up to a
// failure. A spec with rollout waves goes to applyWaves.
func Apply(ctx context.Context, c Clients, p *Plan, opts Options, out Reporter, rep *Report) error {
	if p.Spec.Rollout.Enabled() {
		return applyWaves(ctx, c, p, opts, out, rep)
	}
	r := startApply(ctx, c, p, opts, out, rep)
	all := make([]int, len(p.Agents))
	for i := range all {
		all[i] = i
	}
	started := r.chains(ctx, all)
	if err := r.finish(); err != nil {
		return err
	}

	if opts.NoWait {
		out.Printf("not waiting for the deployments (--no-wait)")
		if p.Narrow != nil {
			out.Warnf("grant %s of role %s still allows what the task definitions no longer read: it is narrowed after a deploy that waits for its deployments", p.Narrow.Policy, p.ExecRole.Name)
		}
		return nil
	}
	if err := follow(ctx, c, p, opts, started, out, rep); err != nil {
		return err
	}
	return narrowGrant(ctx, c, p, out, rep)
}

// applyRun is one Apply's writes in flight: the shared part (roles and
// cluster) started at once, and the agents' chains run for any subset.
type applyRun struct {
	c     Clients
	p     *Plan
	out   Reporter
	rep   *Report
	runID string

	wait                 iamWaiter // set once iamDone is closed
	iamDone, clusterDone chan struct{}

	mu     sync.Mutex
	errs   []error
	failed atomic.Bool
}

func (r *applyRun) fail(err error) {
	r.mu.Lock()
	r.errs = append(r.errs, err)
	r.mu.Unlock()
	r.failed.Store(true)
}

// startApply starts the shared writes: both roles and the cluster.
func startApply(ctx context.Context, c Clients, p *Plan, opts Options, out Reporter, rep *Report) *applyRun {
	sp := p.Spec
	if sp.ExecutionRole.GrantAllSecrets {
		out.Warnf("executionRole.grantAllSecrets is on: role %s may read EVERY secret in the account (secretsmanager:GetSecretValue on \"*\")", sp.ExecutionRole.Name)
	}
	for _, ap := range p.Agents { // the report lists agents in the spec's order
		rep.agent(ap.Agent.Name)
	}
	r := &applyRun{c: c, p: p, out: out, rep: rep, runID: opts.RunID, iamDone: make(chan struct{}), clusterDone: make(chan struct{})}
	if r.runID == "" {
		r.runID = newRunID()
	}

	// The roles: the task definitions name them.
	go func() {
		defer close(r.iamDone)
		plans := []roles.Plan{p.TaskRole, p.ExecRole}
		results := make([]roles.Result, len(plans))
		roleErrs := make([]error, len(plans))
		var wg sync.WaitGroup
		for i, rp := range plans {
			for _, w := range rp.Warnings {
				out.Warnf("%s", w)
			}
			wg.Go(func() { results[i], roleErrs[i] = roles.Apply(ctx, c.IAM, rp) })
		}
		wg.Wait()
		iamChanged := false
		for i, rp := range plans {
			rep.addRole(results[i])
			switch {
			case roleErrs[i] != nil:
				r.fail(roleErrs[i])
			case results[i].Changed:
				iamChanged = true
				out.Printf("role %s %s%s", rp.Name, results[i].Action, roleDetail(results[i]))
			default:
				out.Printf("role %s unchanged", rp.Name)
			}
		}
		if p.LegacyGrant != "" {
			out.Warnf("role %s still has %s, the grant of launch versions before per-instance grants: launch leaves it, since instances that have not run since may rely on it; "+
				"once every instance (region and cluster) of every spec using this role has deployed with this version, delete it: aws iam delete-role-policy --role-name %s --policy-name %s",
				p.ExecRole.Name, secrets.PolicyName, p.ExecRole.Name, secrets.PolicyName)
		}
		r.wait = iamWaiter{enabled: iamChanged, limit: opts.IAMPropagation, out: out}
	}()

	// The cluster, alongside.
	rep.setCluster(ClusterReport{Name: sp.Cluster.Name, ARN: p.Cluster.ARN, Action: "unchanged"})
	go func() {
		defer close(r.clusterDone)
		if !p.CreateCluster {
			return
		}
		arn, err := service.CreateCluster(ctx, c.ECS, sp.Cluster.Name, instanceTags(sp, InstanceOf(p.Identity, sp)))
		if err != nil {
			r.fail(err)
			return
		}
		rep.setCluster(ClusterReport{Name: sp.Cluster.Name, ARN: arn, Action: "created"})
		out.Printf("cluster %s created", sp.Cluster.Name)
	}()
	return r
}

// chains runs the agents idx's chains (log group, task definition,
// service), at most chainConcurrency at once. started is indexed like
// p.Agents; only idx's entries are filled.
func (r *applyRun) chains(ctx context.Context, idx []int) []service.Started {
	started := make([]service.Started, len(r.p.Agents))
	var g errgroup.Group
	g.SetLimit(chainConcurrency)
	for _, i := range idx {
		g.Go(func() error {
			if r.failed.Load() {
				return nil
			}
			if err := applyAgent(ctx, r.c, r.p, i, r.runID, &r.wait, r.iamDone, r.clusterDone, &r.failed, r.out, r.rep, &started[i]); err != nil {
				r.fail(err)
			}
			return nil
		})
	}
	_ = g.Wait()
	return started
}

// finish waits for the shared writes and returns every write error so far.
func (r *applyRun) finish() error {
	<-r.iamDone
	<-r.clusterDone
	r.mu.Lock()
	defer r.mu.Unlock()
	return errors.Join(r.errs...)
}

// applyAgent makes agent i's writes in order: its log group, then (once
// the roles are done) its task definition, then (once the cluster exists)
// its service. It stops before a step when the run has failed meanwhile.
func applyAgent(ctx context.Context, c Clients, p *Plan, i int, runID string, wait *iamWaiter, iamDone, clusterDone <-chan struct{},
	failed *atomic.Bool, out Reporter, rep *Report, started *service.Started) error {
	ap := &p.Agents[i]
	ar := rep.agent(ap.Agent.Name)
	action, err := loggroup.Apply(ctx, c.Logs, ap.LogGroup)
	ar.LogGroup = LogGroupReport{Name: ap.LogGroup.Name, Action: action, RetentionDays: ap.LogGroup.RetentionDays}
	if err != nil {
		return err
	}
	if action != "unchanged" {
		out.Printf("log group %s %s (retention %d days)", ap.LogGroup.Name, action, ap.LogGroup.RetentionDays)
	}

	<-iamDone
	if failed.Load() {
		return nil
	}
	switch ap.TaskDefPlan.Action {
	case taskdef.ActionReuse:
		ar.TaskDefinition = TaskDefReport{ARN: ap.TaskDefPlan.ARN(), Action: "reused", Reused: true}
		out.Printf("task definition %s unchanged: reusing %s", ap.Agent.Name, shortARN(ap.TaskDefPlan.ARN()))
	default:
		var reg taskdef.Registered
		err := wait.do(ctx, "register task definition "+ap.Agent.Name, func() (err error) {
			reg, err = taskdef.RegisterOnce(ctx, c.ECS, ap.TaskDef, ap.TaskDefPlan.Newest)
			return err
		})
		if err != nil {
			return err
		}
		if reg.Warning != nil {
			out.Warnf("task definition %s: %v", ap.Agent.Name, reg.Warning)
		}
		if reg.Duplicate != "" {
			// A retried call (a lost reply) or a concurrent run
			// registered the same definition first: run that one.
			ar.TaskDefinition = TaskDefReport{ARN: reg.ARN, Action: "reused", Reused: true}
			out.Printf("task definition %s: an identical %s was registered meanwhile (a retried call or another run); using it, duplicate %s deregistered", ap.Agent.Name, shortARN(reg.ARN), shortARN(reg.Duplicate))
		} else {
			ar.TaskDefinition = TaskDefReport{ARN: reg.ARN, Action: "registered"}
			out.Printf("task definition %s registered", shortARN(reg.ARN))
		}
	}
	ar.TaskDefinition.Family = ap.Agent.Name
	ar.TaskDefinition.Revision = revision(ar.TaskDefinition.ARN)

	<-clusterDone
	if failed.Load() {
		return nil
	}
	desired := serviceDesired(p, *ap, ar.TaskDefinition.ARN)
	desired.ClientToken = service.ClientToken(runID, p.Spec.Cluster.Name, ap.Agent.Name)
	sPlan := service.PlanFor(desired, ap.Service)
	err = wait.do(ctx, "deploy service "+ap.Agent.Name, func() (err error) {
		*started, err = service.Apply(ctx, c.ECS, sPlan)
		return err
	})
	if err != nil {
		return err
	}
	ar.Service = ServiceReport{Name: ap.Agent.Name, ARN: started.ServiceARN, Action: started.Action, Changes: sPlan.Changes, DeploymentID: started.DeploymentID}
	if started.Raced {
		out.Printf("service %s was created by another run meanwhile: converged on it", ap.Agent.Name)
	}
	switch started.Action {
	case "unchanged":
		out.Printf("service %s unchanged", ap.Agent.Name)
	case "updated":
		out.Printf("service %s updated (%s)", ap.Agent.Name, strings.Join(sPlan.Changes, "; "))
	default:
		out.Printf("service %s created", ap.Agent.Name)
	}
	return nil
}

// narrowGrant removes the secrets the spec no longer lists from the
// execution role's grant, now that no task of an old revision runs.
func narrowGrant(ctx context.Context, c Clients, p *Plan, out Reporter, rep *Report) error {
	if p.Narrow == nil {
		return nil
	}
	// Narrow only the grant this run left: another run of the instance may
	// have widened it meanwhile (its tasks read more), and a later waiting
	// deploy narrows what is left.
	left, wrote := p.ExecRole.Put[p.Narrow.Policy]
	if !wrote {
		left = p.Narrow.Before
	}
	st, err := roles.Read(ctx, c.IAM, p.ExecRole.Name)
	if err != nil {
		return fmt.Errorf("narrow the secrets grant after the deployments completed: %w", err)
	}
	if now, ok := st.Inline[p.Narrow.Policy]; !ok || !samePolicy(now, left) {
		out.Printf("role %s: grant %s changed while this run waited (another run of this instance?); left as it is, a later deploy narrows it", p.ExecRole.Name, p.Narrow.Policy)
		return nil
	}
	rp := roles.Plan{Name: p.ExecRole.Name, ARN: p.ExecRole.ARN, Put: map[string]string{}}
	if p.Narrow.Delete {
		rp.Delete = []string{p.Narrow.Policy}
	} else {
		rp.Put[p.Narrow.Policy] = p.Narrow.Doc
	}
	res, err := roles.Apply(ctx, c.IAM, rp)
	if err != nil {
		return fmt.Errorf("narrow the secrets grant after the deployments completed: %w", err)
	}
	out.Printf("role %s: grant %s narrowed to what the task definitions read now that every deployment completed%s", rp.Name, p.Narrow.Policy, roleDetail(res))
	rep.mergeRole(res)
	return nil
}

// samePolicy reports whether two policy documents mean the same; a
// document that does not parse is compared as text.
func samePolicy(a, b string) bool {
	eq, err := policy.Equal(a, b)
	return eq || (err != nil && a == b)
}

// follow waits for every agent's deployment at once and returns the worst
// outcome: an interruption, then a failed rollout, then a timeout.
func follow(ctx context.Context, c Clients, p *Plan, opts Options, started []service.Started, out Reporter, rep *Report) error {
	all := make([]int, len(p.Agents))
	for i := range all {
		all[i] = i
	}
	return followAgents(ctx, c, p, all, opts, started, out, rep)
}

// followAgents is follow for the agents idx (indices into p.Agents and
// started).
func followAgents(ctx context.Context, c Clients, p *Plan, idx []int, opts Options, started []service.Started, out Reporter, rep *Report) error {
	var (
		mu   sync.Mutex
		errs []error
	)
	g := errgroup.Group{}
	since := rep.startedAt
	ecs := service.Batched(c.ECS) // the agents' polls share DescribeServices calls
	for _, i := range idx {
		ap := p.Agents[i]
		ar := rep.agent(ap.Agent.Name)
		timeout := ap.Agent.WaitTimeout.Duration
		if opts.WaitTimeout > 0 {
			timeout = opts.WaitTimeout
		}
		if res, done := service.AlreadyCompleted(ap.Service, ar.TaskDefinition.ARN); done && started[i].Action == "unchanged" {
			// Nothing was written and the read shows the deployment done.
			ar.Service.DeploymentID, ar.Service.RolloutState = res.DeploymentID, res.RolloutState
			ar.Service.RunningCount, ar.Service.DesiredCount, ar.Service.Outcome = res.Running, res.Desired, "completed"
			out.Printf("service %s: deployment %s already COMPLETED, %d/%d running: nothing to wait for", ap.Agent.Name, res.DeploymentID, res.Running, res.Desired)
			continue
		}
		g.Go(func() error {
			out.Printf("waiting for service %s (deployment %s, up to %s)", ap.Agent.Name, started[i].DeploymentID, timeout)
			waitStart := time.Now()
			res, err := service.Follow(ctx, ecs, service.FollowOptions{
				Cluster: p.Spec.Cluster.Name, Service: ap.Agent.Name,
				DeploymentID: started[i].DeploymentID, TaskDefinitionARN: ar.TaskDefinition.ARN,
				Timeout: timeout, Since: since, MinInterval: opts.PollMin, MaxInterval: opts.PollMax,
				Progress:     func(line string) { out.Printf("%s", line) },
				Status:       out.Status,
				HealthChecks: service.HealthChecks(ap.TaskDef),
			})
			logs := failedTaskLogs(ctx, c, p.Spec.Cluster.Name, ap, err, out)
			mu.Lock()
			defer mu.Unlock()
			ar.Service.WaitSeconds = time.Since(waitStart).Seconds()
			if err != nil {
				errs = append(errs, err)
				ar.Service.Outcome = outcomeOf(err)
				ar.Service.FailedTaskLogs = logs
				var re *service.RolloutError
				if errors.As(err, &re) {
					ar.Service.RolloutState = re.RolloutState
				}
				return nil
			}
			ar.Service.DeploymentID = res.DeploymentID
			ar.Service.RolloutState = res.RolloutState
			ar.Service.RunningCount = res.Running
			ar.Service.DesiredCount = res.Desired
			ar.Service.Outcome = "completed"
			out.Printf("service %s: deployment %s COMPLETED, %d/%d running", ap.Agent.Name, res.DeploymentID, res.Running, res.Desired)
			return nil
		})
	}
	_ = g.Wait()
	out.Done()
	return worst(errs)
}

// worst joins the agents' wait errors. The exit code then comes from the
// worst of them, since cli's mapping checks interruption, then a failed
// rollout, then a timeout, wherever they sit in the joined tree.
func worst(errs []error) error {
	return errors.Join(errs...)
}

func outcomeOf(err error) string {
	var (
		ie *service.InterruptedError
		re *service.RolloutError
		te *service.TimeoutError
	)
	switch {
	case errors.As(err, &ie):
		return "interrupted"
	case errors.As(err, &re) && re.RolledBack:
		return "rolled back"
	case errors.As(err, &re):
		return "failed"
	case errors.As(err, &te):
		return "timed out"
	}
	return "error"
}

func serviceDesired(p *Plan, ap AgentPlan, taskDefARN string) service.Desired {
	a := ap.Agent
	return service.Desired{
		Cluster: p.Spec.Cluster.Name, Name: a.Name, TaskDefinitionARN: taskDefARN,
		DesiredCount: a.Service.DesiredCount, Subnets: a.Network.Subnets, SecurityGroups: a.Network.SecurityGroups,
		AssignPublicIP: a.Network.AssignPublicIP, MinimumHealthyPercent: a.Service.MinimumHealthyPercent,
		MaximumPercent: a.Service.MaximumPercent, CircuitBreaker: a.Service.CircuitBreaker.Enable,
		Rollback: a.Service.CircuitBreaker.Rollback, Tags: instanceTags(p.Spec, InstanceOf(p.Identity, p.Spec)),
	}
}

// newRunID is a random identifier of one run, for its idempotency tokens.
func newRunID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

func roleDetail(r roles.Result) string {
	var parts []string
	if r.Trust {
		parts = append(parts, "trust policy updated")
	}
	if len(r.Tagged) > 0 {
		parts = append(parts, "instance recorded: "+strings.Join(r.Tagged, ", "))
	}
	if len(r.Attach) > 0 {
		parts = append(parts, "attached "+strings.Join(r.Attach, ", "))
	}
	if len(r.Put) > 0 {
		parts = append(parts, "inline policies put: "+strings.Join(r.Put, ", "))
	}
	if len(r.Deleted) > 0 {
		parts = append(parts, "inline policies deleted: "+strings.Join(r.Deleted, ", "))
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, "; ") + ")"
}

// shortARN turns a task definition ARN into "family:revision".
func shortARN(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

func revision(arn string) int {
	s := shortARN(arn)
	i := strings.LastIndex(s, ":")
	if i < 0 {
		return 0
	}
	n := 0
	fmt.Sscanf(s[i+1:], "%d", &n)
	return n
}
