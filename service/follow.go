package service

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// FollowOptions says which deployment to follow and for how long.
type FollowOptions struct {
	Cluster, Service string
	// DeploymentID is the deployment this run started (or found PRIMARY);
	// TaskDefinitionARN is the revision it must end up running.
	DeploymentID      string
	TaskDefinitionARN string
	Timeout           time.Duration
	// Since filters the service events printed to those at or after it.
	Since time.Time
	// MinInterval is the first polls' interval; it grows to MaxInterval.
	MinInterval, MaxInterval time.Duration
	// Progress receives human-readable lines: state changes and new events.
	Progress func(line string)
	// Status receives the current one-line status on every poll (a TTY shows
	// it in place); may be nil.
	Status func(line string)
	// StopOnFailedTasks ends the follow with a *RolloutError (its
	// RolloutState still IN_PROGRESS) as soon as a task of the deployment
	// failed: for a deployment launch waits out rather than owns, whose
	// failing tasks, without a circuit breaker, keep it IN_PROGRESS.
	StopOnFailedTasks bool
	// HealthChecks are the deployed task definition's container health
	// checks (HealthChecks): when set, the deployment is done only once its
	// running tasks are HEALTHY, and a task failing its check ends the wait.
	HealthChecks []HealthCheck

	waiting func(time.Duration) // tests: sees each wait between polls
}

// Outcome is a deployment that completed.
type Outcome struct {
	DeploymentID string `json:"deploymentId"`
	RolloutState string `json:"rolloutState"`
	Running      int    `json:"runningCount"`
	Desired      int    `json:"desiredCount"`
}

// Diagnostics is what a person needs to see when a rollout did not complete.
type Diagnostics struct {
	Events       []string `json:"events,omitempty"`
	StoppedTasks []string `json:"stoppedTasks,omitempty"`
}

func (d Diagnostics) String() string {
	var b strings.Builder
	if len(d.Events) > 0 {
		b.WriteString("  last service events:\n")
		for _, e := range d.Events {
			b.WriteString("    " + e + "\n")
		}
	}
	if len(d.StoppedTasks) > 0 {
		b.WriteString("  newest stopped tasks:\n")
		for _, t := range d.StoppedTasks {
			b.WriteString("    " + t + "\n")
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// RolloutError is a deployment that failed or was rolled back.
type RolloutError struct {
	Service      string
	DeploymentID string
	RolloutState string
	Reason       string
	// RolledBack is set when the service's PRIMARY deployment runs another
	// task definition than the one this run deployed.
	RolledBack    bool
	RunningTaskDf string
	Diagnostics   Diagnostics
}

func (e *RolloutError) Error() string {
	what := "failed"
	if e.RolledBack {
		what = fmt.Sprintf("was rolled back (the service now runs %s)", shortTD(e.RunningTaskDf))
	}
	msg := fmt.Sprintf("service %s: deployment %s %s", e.Service, e.DeploymentID, what)
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	if d := e.Diagnostics.String(); d != "" {
		msg += "\n" + d
	}
	return msg
}

// TimeoutError is a deployment that had not completed by the deadline.
type TimeoutError struct {
	Service, DeploymentID string
	After                 time.Duration
	Last                  string
	Diagnostics           Diagnostics
}

func (e *TimeoutError) Error() string {
	msg := fmt.Sprintf("service %s: deployment %s did not complete within %s (last seen: %s); it is still running on ECS — rerun launch to follow it, or raise waitTimeout",
		e.Service, e.DeploymentID, e.After, e.Last)
	if d := e.Diagnostics.String(); d != "" {
		msg += "\n" + d
	}
	return msg
}

// InterruptedError is returned when the context ends during the wait; it
// says what was left in flight.
type InterruptedError struct {
	Service, DeploymentID, Last string
	Err                         error
}

func (e *InterruptedError) Error() string {
	return fmt.Sprintf("service %s: stopped following deployment %s (last seen: %s); ECS carries on with it — rerun launch to follow it to the end", e.Service, e.DeploymentID, e.Last)
}

func (e *InterruptedError) Unwrap() error { return e.Err }

// The default poll intervals: the first polls come fast (a deployment that
// completes in a second is seen within a quarter of one), then the interval
// grows to at most 2 s, so a deployment of minutes is seen completed within
// 2 s of the fact. Polls of many services share DescribeServices calls
// (Batched), which keeps a fleet of 50 at 25 calls per second at most.
const (
	DefaultMinInterval = 250 * time.Millisecond
	DefaultMaxInterval = 2 * time.Second
)

// Follow polls the service until the deployment completes with every task
// running on opts.TaskDefinitionARN, fails, is rolled back, or times out.
// "Stable" is not enough: after a rollback ECS is stable on the old
// revision, which Follow reports as the failure it is.
func Follow(ctx context.Context, api API, opts FollowOptions) (Outcome, error) {
	start := time.Now()
	deadline := start.Add(opts.Timeout)
	if opts.MinInterval <= 0 {
		opts.MinInterval = DefaultMinInterval
	}
	if opts.MaxInterval <= 0 {
		opts.MaxInterval = DefaultMaxInterval
	}
	if opts.MaxInterval < opts.MinInterval {
		opts.MaxInterval = opts.MinInterval
	}
	progress := opts.Progress
	if progress == nil {
		progress = func(string) {}
	}
	seen := map[string]bool{}
	depID := opts.DeploymentID
	last := "not yet polled"
	lastState := ""
	interval := opts.MinInterval
	health := healthWatch{opts: opts, progress: progress}

	for poll := 0; ; poll++ {
		svc, err := Read(ctx, api, opts.Cluster, opts.Service)
		if err != nil {
			if ctx.Err() != nil {
				return Outcome{}, &InterruptedError{Service: opts.Service, DeploymentID: depID, Last: last, Err: ctx.Err()}
			}
			return Outcome{}, err
		}
		if svc == nil {
			return Outcome{}, fmt.Errorf("service %s disappeared from cluster %s while launch was following its deployment", opts.Service, opts.Cluster)
		}
		printEvents(svc, seen, opts.Since, progress)

		dep, primary := find(svc, depID)
		if dep == nil && primary != nil && aws.ToString(primary.TaskDefinition) == opts.TaskDefinitionARN {
			// Our deployment was replaced by one on the same revision (a
			// concurrent run, or forceNewDeployment): follow that one.
			dep, depID = primary, aws.ToString(primary.Id)
		}
		if dep == nil {
			return Outcome{}, &RolloutError{Service: opts.Service, DeploymentID: depID, RolledBack: true,
				RunningTaskDf: aws.ToString(svc.TaskDefinition), Reason: "the deployment is gone and the service runs another revision",
				Diagnostics: diagnose(ctx, api, opts, svc)}
		}
		last = describeDep(dep)
		if last != lastState {
			progress(fmt.Sprintf("%s: %s", opts.Service, last))
			lastState = last
		}
		if opts.Status != nil {
			opts.Status(fmt.Sprintf("%s: %s (%s elapsed)", opts.Service, last, time.Since(start).Round(time.Second)))
		}

		rolledBack := primary != nil && aws.ToString(primary.Id) != depID && aws.ToString(primary.TaskDefinition) != opts.TaskDefinitionARN
		healthy, herr := health.check(ctx, api, dep, svc)
		if herr != nil && ctx.Err() != nil {
			return Outcome{}, &InterruptedError{Service: opts.Service, DeploymentID: depID, Last: last, Err: ctx.Err()}
		}
		switch {
		case dep.RolloutState == types.DeploymentRolloutStateFailed || rolledBack:
			return Outcome{}, &RolloutError{Service: opts.Service, DeploymentID: depID, RolloutState: string(dep.RolloutState),
				Reason: aws.ToString(dep.RolloutStateReason), RolledBack: rolledBack || aws.ToString(svc.TaskDefinition) != opts.TaskDefinitionARN,
				RunningTaskDf: aws.ToString(svc.TaskDefinition), Diagnostics: diagnose(ctx, api, opts, svc)}
		case herr != nil:
			return Outcome{}, herr
		case healthy && completed(svc, dep, opts.TaskDefinitionARN):
			state := string(dep.RolloutState)
			if state == "" {
				state = string(types.DeploymentRolloutStateCompleted)
			}
			return Outcome{DeploymentID: depID, RolloutState: state, Running: int(dep.RunningCount), Desired: int(dep.DesiredCount)}, nil
		}

		if opts.StopOnFailedTasks && dep.FailedTasks > 0 {
			return Outcome{}, &RolloutError{Service: opts.Service, DeploymentID: depID, RolloutState: string(dep.RolloutState),
				Reason: fmt.Sprintf("%d task(s) failed", dep.FailedTasks), RunningTaskDf: aws.ToString(svc.TaskDefinition)}
		}
		remaining := time.Until(deadline)
		if remaining <= 0 {
			return Outcome{}, &TimeoutError{Service: opts.Service, DeploymentID: depID, After: opts.Timeout, Last: last, Diagnostics: diagnose(context.WithoutCancel(ctx), api, opts, svc)}
		}
		wait := min(interval, remaining)
		if opts.waiting != nil {
			opts.waiting(wait)
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return Outcome{}, &InterruptedError{Service: opts.Service, DeploymentID: depID, Last: last, Err: ctx.Err()}
		case <-timer.C:
		}
		if poll >= 4 { // poll fast at first, then back off
			interval = min(time.Duration(float64(interval)*1.5), opts.MaxInterval)
		}
	}
}

// AlreadyCompleted reports whether svc, as read, shows its PRIMARY
// deployment completed on taskDef with every task running: then there is
// nothing to wait for, and no call is needed to tell.
func AlreadyCompleted(svc *types.Service, taskDef string) (Outcome, bool) {
	if svc == nil {
		return Outcome{}, false
	}
	_, primary := find(svc, "")
	if primary == nil || !completed(svc, primary, taskDef) {
		return Outcome{}, false
	}
	state := string(primary.RolloutState)
	if state == "" {
		state = string(types.DeploymentRolloutStateCompleted)
	}
	return Outcome{DeploymentID: aws.ToString(primary.Id), RolloutState: state, Running: int(primary.RunningCount), Desired: int(primary.DesiredCount)}, true
}

func find(svc *types.Service, id string) (dep, primary *types.Deployment) {
	for i := range svc.Deployments {
		d := &svc.Deployments[i]
		if aws.ToString(d.Id) == id {
			dep = d
		}
		if aws.ToString(d.Status) == "PRIMARY" {
			primary = d
		}
	}
	return dep, primary
}

// completed: the deployment says COMPLETED (or, for services whose
// controller reports no rollout state, it is the only deployment left),
// every desired task runs, and the service runs our revision.
func completed(svc *types.Service, dep *types.Deployment, taskDef string) bool {
	if aws.ToString(dep.TaskDefinition) != taskDef || aws.ToString(svc.TaskDefinition) != taskDef {
		return false
	}
	if dep.RunningCount != dep.DesiredCount || dep.PendingCount != 0 {
		return false
	}
	switch dep.RolloutState {
	case types.DeploymentRolloutStateCompleted:
		return true
	case "":
		return len(svc.Deployments) == 1
	}
	return false
}

func describeDep(d *types.Deployment) string {
	state := string(d.RolloutState)
	if state == "" {
		state = aws.ToString(d.Status)
	}
	s := fmt.Sprintf("deployment %s %s, running %d/%d, pending %d", aws.ToString(d.Id), state, d.RunningCount, d.DesiredCount, d.PendingCount)
	if d.FailedTasks > 0 {
		s += fmt.Sprintf(", failed %d", d.FailedTasks)
	}
	return s
}

func printEvents(svc *types.Service, seen map[string]bool, since time.Time, progress func(string)) {
	var fresh []types.ServiceEvent
	for _, e := range svc.Events {
		id := aws.ToString(e.Id)
		if seen[id] {
			continue
		}
		seen[id] = true
		if e.CreatedAt != nil && e.CreatedAt.Before(since) {
			continue
		}
		fresh = append(fresh, e)
	}
	// ECS lists events newest first; print them in the order they happened.
	for i := len(fresh) - 1; i >= 0; i-- {
		progress("event: " + aws.ToString(fresh[i].Message))
	}
}

// diagnose gathers the last service events and the newest stopped tasks'
// reasons and exit codes. It is best effort: a failure to read them must
// not hide the rollout's own failure.
func diagnose(ctx context.Context, api API, opts FollowOptions, svc *types.Service) Diagnostics {
	var d Diagnostics
	for i, e := range svc.Events {
		if i == 5 {
			break
		}
		d.Events = append(d.Events, fmt.Sprintf("%s %s", aws.ToTime(e.CreatedAt).UTC().Format(time.RFC3339), aws.ToString(e.Message)))
	}
	list, err := api.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(opts.Cluster), ServiceName: aws.String(opts.Service), DesiredStatus: types.DesiredStatusStopped})
	if err != nil || len(list.TaskArns) == 0 {
		return d
	}
	arns := list.TaskArns
	if len(arns) > 100 {
		arns = arns[:100]
	}
	desc, err := api.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(opts.Cluster), Tasks: arns})
	if err != nil {
		return d
	}
	tasks := desc.Tasks
	sort.Slice(tasks, func(i, j int) bool { return aws.ToTime(tasks[i].StoppedAt).After(aws.ToTime(tasks[j].StoppedAt)) })
	for i, t := range tasks {
		if i == 3 {
			break
		}
		line := fmt.Sprintf("task %s (%s) stopped: %s", shortTD(aws.ToString(t.TaskArn)), shortTD(aws.ToString(t.TaskDefinitionArn)), aws.ToString(t.StoppedReason))
		for _, c := range t.Containers {
			if c.ExitCode != nil {
				line += fmt.Sprintf("; container %s exit code %d", aws.ToString(c.Name), *c.ExitCode)
			}
			if r := aws.ToString(c.Reason); r != "" {
				line += fmt.Sprintf("; container %s: %s", aws.ToString(c.Name), r)
			}
		}
		d.StoppedTasks = append(d.StoppedTasks, line)
	}
	return d
}
