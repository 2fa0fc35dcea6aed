package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// A service whose deployment controller reports no rollout state completes
// when its one deployment runs every task: the outcome says COMPLETED, not
// an empty state.
func TestFollowWithoutRolloutStateReportsCompleted(t *testing.T) {
	out, err, _ := follow(t, []types.Service{svc(tdNew, dep("new", "PRIMARY", tdNew, "", 2, 2))}, time.Second)
	if want := (Outcome{DeploymentID: "new", RolloutState: "COMPLETED", Running: 2, Desired: 2}); err != nil || out != want {
		t.Errorf("Follow = %+v, %v; want %+v", out, err, want)
	}
}

// cancelledReads is an ECS whose DescribeServices fails once the caller's
// context is done, as the SDK does.
type cancelledReads struct{ API }

func (cancelledReads) DescribeServices(ctx context.Context, _ *ecs.DescribeServicesInput, _ ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	return nil, ctx.Err()
}

// Interrupted before the first poll answered, Follow says it had not seen
// the deployment yet.
func TestFollowInterruptedBeforeTheFirstPoll(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Follow(ctx, cancelledReads{}, FollowOptions{Cluster: "c", Service: "agent", DeploymentID: "new", TaskDefinitionARN: tdNew, Timeout: time.Minute})
	want := "service agent: stopped following deployment new (last seen: not yet polled); ECS carries on with it — rerun launch to follow it to the end"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}

// pagedTasks lists the service's tasks n at a time over several pages and
// describes any of them, recording each DescribeTasks call's ARNs.
type pagedTasks struct {
	API
	arns      []string
	page      int
	listErr   error
	descErr   error
	listed    []*ecs.ListTasksInput
	described [][]string
}

func (p *pagedTasks) ListTasks(_ context.Context, in *ecs.ListTasksInput, _ ...func(*ecs.Options)) (*ecs.ListTasksOutput, error) {
	cp := *in
	p.listed = append(p.listed, &cp)
	if p.listErr != nil {
		return nil, p.listErr
	}
	start := 0
	if in.NextToken != nil {
		fmt.Sscan(aws.ToString(in.NextToken), &start)
	}
	end := min(start+p.page, len(p.arns))
	out := &ecs.ListTasksOutput{TaskArns: p.arns[start:end]}
	if end < len(p.arns) {
		out.NextToken = aws.String(fmt.Sprint(end))
	}
	return out, nil
}

func (p *pagedTasks) DescribeTasks(_ context.Context, in *ecs.DescribeTasksInput, _ ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error) {
	p.described = append(p.described, slices.Clone(in.Tasks))
	if p.descErr != nil {
		return nil, p.descErr
	}
	out := &ecs.DescribeTasksOutput{}
	for _, a := range in.Tasks {
		out.Tasks = append(out.Tasks, types.Task{TaskArn: aws.String(a)})
	}
	return out, nil
}

// Tasks reads every page of ListTasks and describes the tasks at most 100
// per DescribeTasks call, ECS's limit, returning each task once.
func TestTasksReadsEveryPageAndDescribesAtMost100PerCall(t *testing.T) {
	api := &pagedTasks{page: 60}
	for i := range 230 {
		api.arns = append(api.arns, fmt.Sprintf("arn:aws:ecs:eu-west-1:1:task/c/%03d", i))
	}
	tasks, err := Tasks(context.Background(), api, "c", "agent", types.DesiredStatusStopped)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, task := range tasks {
		got = append(got, aws.ToString(task.TaskArn))
	}
	if !slices.Equal(got, api.arns) {
		t.Errorf("got %d tasks, want each of the %d listed once, in order", len(got), len(api.arns))
	}
	var sizes []int
	for _, d := range api.described {
		sizes = append(sizes, len(d))
	}
	if !slices.Equal(sizes, []int{100, 100, 30}) {
		t.Errorf("DescribeTasks call sizes %v, want [100 100 30]", sizes)
	}
	if len(api.listed) != 4 {
		t.Fatalf("%d ListTasks calls for 4 pages", len(api.listed))
	}
	for _, in := range api.listed {
		if aws.ToString(in.Cluster) != "c" || aws.ToString(in.ServiceName) != "agent" || in.DesiredStatus != types.DesiredStatusStopped {
			t.Errorf("ListTasks input %+v, want cluster c, service agent, STOPPED", in)
		}
	}
}

// A failed ListTasks or DescribeTasks is an error naming the service, not a
// service without tasks.
func TestTasksSurfacesReadErrors(t *testing.T) {
	denied := errors.New("AccessDeniedException")
	arns := []string{"arn:aws:ecs:eu-west-1:1:task/c/a"}
	for want, api := range map[string]*pagedTasks{
		"list the tasks of service agent: AccessDeniedException":     {arns: arns, page: 10, listErr: denied},
		"describe the tasks of service agent: AccessDeniedException": {arns: arns, page: 10, descErr: denied},
	} {
		tasks, err := Tasks(context.Background(), api, "c", "agent", types.DesiredStatusRunning)
		if tasks != nil || !errors.Is(err, denied) || err.Error() != want {
			t.Errorf("Tasks = %v, %v; want %q", tasks, err, want)
		}
	}
}

// listFails is healthECS whose ListTasks fails for one desired status.
type listFails struct {
	*healthECS
	status types.DesiredStatus
	err    error
}

func (f listFails) ListTasks(ctx context.Context, in *ecs.ListTasksInput, o ...func(*ecs.Options)) (*ecs.ListTasksOutput, error) {
	if in.DesiredStatus == f.status {
		return nil, f.err
	}
	return f.healthECS.ListTasks(ctx, in, o...)
}

// With health checks, a task read that fails ends the follow with that
// error at once: it is not a deployment that is merely not healthy yet.
func TestFollowSurfacesAFailedHealthRead(t *testing.T) {
	throttled := errors.New("ThrottlingException")
	failing := dep("new", "PRIMARY", tdNew, types.DeploymentRolloutStateInProgress, 1, 1)
	failing.FailedTasks = 1
	for _, st := range []types.DesiredStatus{types.DesiredStatusRunning, types.DesiredStatusStopped} {
		f := &healthECS{polls: []types.Service{svc(tdNew, failing)}, running: [][]types.Task{{task("t1", "new", types.HealthStatusHealthy)}}}
		_, err := Follow(context.Background(), listFails{f, st, throttled}, FollowOptions{
			Cluster: "c", Service: "agent", DeploymentID: "new", TaskDefinitionARN: tdNew, HealthChecks: []HealthCheck{agentCheck},
			Timeout: time.Second, MinInterval: time.Millisecond, MaxInterval: 5 * time.Millisecond})
		if !errors.Is(err, throttled) || err.Error() != "list the tasks of service agent: ThrottlingException" || f.n != 1 {
			t.Errorf("%s tasks unreadable: err %v after %d polls, want the read error after the first", st, err, f.n)
		}
	}
}

// Status gets the one-line status on every poll, not only on changes.
func TestFollowReportsTheStatusOnEveryPoll(t *testing.T) {
	inProgress := svc(tdNew, dep("new", "PRIMARY", tdNew, types.DeploymentRolloutStateInProgress, 0, 1))
	var status []string
	_, err := Follow(context.Background(), &scripted{polls: []types.Service{inProgress, inProgress,
		svc(tdNew, dep("new", "PRIMARY", tdNew, types.DeploymentRolloutStateCompleted, 1, 1))}},
		FollowOptions{Cluster: "c", Service: "agent", DeploymentID: "new", TaskDefinitionARN: tdNew,
			Timeout: time.Second, MinInterval: time.Millisecond, MaxInterval: time.Millisecond,
			Status: func(l string) { status = append(status, l) }})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"agent: deployment new IN_PROGRESS, running 0/1, pending 1 (0s elapsed)",
		"agent: deployment new IN_PROGRESS, running 0/1, pending 1 (0s elapsed)",
		"agent: deployment new COMPLETED, running 1/1, pending 0 (0s elapsed)",
	}
	if !slices.Equal(status, want) {
		t.Errorf("status lines %q, want %q", status, want)
	}
}

// Any positive poll interval is used as given; only zero or less means
// the default (250ms): five polls 1ns apart finish well within 200ms.
func TestFollowUsesAnyPositiveInterval(t *testing.T) {
	inProgress := svc(tdNew, dep("new", "PRIMARY", tdNew, types.DeploymentRolloutStateInProgress, 0, 1))
	api := &scripted{polls: []types.Service{inProgress, inProgress, inProgress, inProgress,
		svc(tdNew, dep("new", "PRIMARY", tdNew, types.DeploymentRolloutStateCompleted, 1, 1))}}
	_, err := Follow(context.Background(), api, FollowOptions{Cluster: "c", Service: "agent", DeploymentID: "new", TaskDefinitionARN: tdNew,
		Timeout: 200 * time.Millisecond, MinInterval: 1, MaxInterval: 1})
	if err != nil || api.n != 5 {
		t.Errorf("Follow after %d polls: %v; want completed on the fifth", api.n, err)
	}
}

// When this run's deployment is gone and the PRIMARY one runs the same
// revision (a concurrent run, or forceNewDeployment, replaced it), Follow
// follows that one to its end; a deployment of ours that is still listed
// is followed even if the PRIMARY runs our revision too.
func TestFollowTakesOverAReplacementOnTheSameRevision(t *testing.T) {
	out, err, _ := follow(t, []types.Service{svc(tdNew, dep("other", "PRIMARY", tdNew, types.DeploymentRolloutStateCompleted, 1, 1))}, time.Second)
	if want := (Outcome{DeploymentID: "other", RolloutState: "COMPLETED", Running: 1, Desired: 1}); err != nil || out != want {
		t.Errorf("ours replaced: Follow = %+v, %v; want %+v", out, err, want)
	}
	out, err, _ = follow(t, []types.Service{svc(tdNew,
		dep("other", "PRIMARY", tdNew, types.DeploymentRolloutStateCompleted, 1, 1),
		dep("new", "ACTIVE", tdNew, types.DeploymentRolloutStateFailed, 0, 1))}, time.Second)
	var re *RolloutError
	if !errors.As(err, &re) || re.DeploymentID != "new" || re.RolloutState != "FAILED" {
		t.Errorf("ours still listed, FAILED: Follow = %+v, %v; want its failure", out, err)
	}
}

// runningLists is healthECS counting the ListTasks calls for RUNNING tasks
// (the health check's; a timeout's diagnostics list the STOPPED ones).
type runningLists struct {
	*healthECS
	n *int
}

func (f runningLists) ListTasks(ctx context.Context, in *ecs.ListTasksInput, o ...func(*ecs.Options)) (*ecs.ListTasksOutput, error) {
	if in.DesiredStatus == types.DesiredStatusRunning {
		*f.n++
	}
	return f.healthECS.ListTasks(ctx, in, o...)
}

// With health checks, a deployment with no task started yet reads no tasks
// and is not done; one scaled to zero is done without reading any.
func TestFollowHealthWithNoTaskStarted(t *testing.T) {
	opts := FollowOptions{Cluster: "c", Service: "agent", DeploymentID: "new", TaskDefinitionARN: tdNew, HealthChecks: []HealthCheck{agentCheck},
		Timeout: 100 * time.Millisecond, MinInterval: time.Millisecond, MaxInterval: 5 * time.Millisecond}
	var lists int
	starting := &healthECS{polls: []types.Service{svc(tdNew, dep("new", "PRIMARY", tdNew, types.DeploymentRolloutStateInProgress, 0, 1))},
		running: [][]types.Task{{task("t1", "new", types.HealthStatusHealthy)}}}
	_, err := Follow(context.Background(), runningLists{starting, &lists}, opts)
	var te *TimeoutError
	if !errors.As(err, &te) || lists != 0 {
		t.Errorf("nothing started: err %v after %d ListTasks calls for running tasks, want a timeout and no call", err, lists)
	}
	zero := &healthECS{polls: []types.Service{svc(tdNew, dep("new", "PRIMARY", tdNew, types.DeploymentRolloutStateCompleted, 0, 0))},
		running: [][]types.Task{nil}}
	out, err := Follow(context.Background(), runningLists{zero, &lists}, opts)
	if want := (Outcome{DeploymentID: "new", RolloutState: "COMPLETED"}); err != nil || out != want || lists != 0 {
		t.Errorf("scaled to zero: Follow = %+v, %v after %d ListTasks calls; want %+v and no call", out, err, lists, want)
	}
}

// Healthy means every desired task runs HEALTHY and no other task of the
// deployment runs: 2 of 2 HEALTHY with a third still UNKNOWN is not done.
func TestFollowHealthCountsEveryRunningTask(t *testing.T) {
	d := dep("new", "PRIMARY", tdNew, types.DeploymentRolloutStateCompleted, 2, 2)
	f := &healthECS{polls: []types.Service{svc(tdNew, d)}, running: [][]types.Task{
		{task("t1", "new", types.HealthStatusHealthy), task("t2", "new", types.HealthStatusHealthy), task("t3", "new", types.HealthStatusUnknown)},
		{task("t1", "new", types.HealthStatusHealthy)},
		{task("t1", "new", types.HealthStatusHealthy), task("t2", "new", types.HealthStatusHealthy)},
	}}
	out, err, lines := followHealth(t, f, []HealthCheck{agentCheck})
	if err != nil || f.n != 3 || out.Running != 2 {
		t.Fatalf("Follow = %+v, %v after %d polls; want done on the third poll, when exactly the 2 desired tasks run HEALTHY", out, err, f.n)
	}
	want := []string{"agent: 2/2 task(s) HEALTHY", "agent: 1/2 task(s) HEALTHY", "agent: 2/2 task(s) HEALTHY"}
	var health []string
	for _, l := range lines {
		if strings.Contains(l, "HEALTHY") {
			health = append(health, l)
		}
	}
	if !slices.Equal(health, want) {
		t.Errorf("health lines %q, want %q", health, want)
	}
}

// The messages a person reads when a rollout did not complete: what
// happened, ECS's reason, the revision the service runs after a rollback,
// and the diagnostics below.
func TestRolloutAndTimeoutMessages(t *testing.T) {
	diag := Diagnostics{Events: []string{"e1"}, StoppedTasks: []string{"task t1 (agent:2) stopped: exit 1"}}
	tests := map[string]struct {
		err  error
		want string
	}{
		"rolled back": {&RolloutError{Service: "agent", DeploymentID: "ecs-svc/2", RolledBack: true, RunningTaskDf: tdOld,
			Reason: "ECS deployment circuit breaker: tasks failed to start.", Diagnostics: diag},
			"service agent: deployment ecs-svc/2 was rolled back (the service now runs agent:1): ECS deployment circuit breaker: tasks failed to start.\n" +
				"  last service events:\n    e1\n  newest stopped tasks:\n    task t1 (agent:2) stopped: exit 1"},
		"failed, no reason, no diagnostics": {&RolloutError{Service: "agent", DeploymentID: "ecs-svc/2"},
			"service agent: deployment ecs-svc/2 failed"},
		"timed out": {&TimeoutError{Service: "agent", DeploymentID: "ecs-svc/2", After: 90 * time.Second, Last: "deployment ecs-svc/2 IN_PROGRESS, running 0/1, pending 1", Diagnostics: diag},
			"service agent: deployment ecs-svc/2 did not complete within 1m30s (last seen: deployment ecs-svc/2 IN_PROGRESS, running 0/1, pending 1); " +
				"it is still running on ECS — rerun launch to follow it, or raise waitTimeout\n" +
				"  last service events:\n    e1\n  newest stopped tasks:\n    task t1 (agent:2) stopped: exit 1"},
		"timed out, no diagnostics": {&TimeoutError{Service: "agent", DeploymentID: "ecs-svc/2", After: time.Minute, Last: "not yet polled"},
			"service agent: deployment ecs-svc/2 did not complete within 1m0s (last seen: not yet polled); it is still running on ECS — rerun launch to follow it, or raise waitTimeout"},
	}
	for name, tc := range tests {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", name, got, tc.want)
		}
	}
}

// A rollback seen while this run's deployment is still listed and not yet
// FAILED (the PRIMARY is another deployment, on another revision) ends the
// follow at once as a rollback, with the revision the service runs.
func TestFollowSeesARollbackBeforeItsDeploymentFails(t *testing.T) {
	_, err, _ := follow(t, []types.Service{svc(tdOld,
		dep("rb", "PRIMARY", tdOld, types.DeploymentRolloutStateInProgress, 0, 1),
		dep("new", "ACTIVE", tdNew, types.DeploymentRolloutStateInProgress, 0, 1))}, time.Second)
	var re *RolloutError
	if !errors.As(err, &re) || !re.RolledBack || re.RunningTaskDf != tdOld ||
		!strings.HasPrefix(err.Error(), "service agent: deployment new was rolled back (the service now runs agent:1)\n") {
		t.Errorf("err = %v, want a rollback to agent:1", err)
	}
}

// A failed deployment while the service already names the previous
// revision (its rollback deployment not listed yet) is reported as rolled
// back, naming the revision the service runs now.
func TestFollowFailedWhileTheServiceAlreadyRunsThePreviousRevision(t *testing.T) {
	failed := dep("new", "PRIMARY", tdNew, types.DeploymentRolloutStateFailed, 0, 1)
	failed.RolloutStateReason = aws.String("ECS deployment circuit breaker: tasks failed to start.")
	_, err, _ := follow(t, []types.Service{svc(tdOld, failed)}, time.Second)
	var re *RolloutError
	if !errors.As(err, &re) || !re.RolledBack || re.RunningTaskDf != tdOld ||
		!strings.HasPrefix(err.Error(), "service agent: deployment new was rolled back (the service now runs agent:1): ECS deployment circuit breaker: tasks failed to start.\n") {
		t.Errorf("err = %v, want a rollback to agent:1 with the circuit breaker's reason", err)
	}
}

// cancelOnList is healthECS that is interrupted (Ctrl-C) while it lists
// the deployment's tasks.
type cancelOnList struct {
	*healthECS
	cancel context.CancelFunc
}

func (f cancelOnList) ListTasks(ctx context.Context, _ *ecs.ListTasksInput, _ ...func(*ecs.Options)) (*ecs.ListTasksOutput, error) {
	f.cancel()
	return nil, ctx.Err()
}

// Interrupted while reading the tasks' health, Follow says it stopped
// following and what it last saw, not that a read failed.
func TestFollowInterruptedDuringTheHealthRead(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := &healthECS{polls: []types.Service{completedSvc()}, running: [][]types.Task{{task("t1", "new", types.HealthStatusHealthy)}}}
	_, err := Follow(ctx, cancelOnList{f, cancel}, FollowOptions{Cluster: "c", Service: "agent", DeploymentID: "new", TaskDefinitionARN: tdNew,
		HealthChecks: []HealthCheck{agentCheck}, Timeout: time.Minute})
	var ie *InterruptedError
	want := "service agent: stopped following deployment new (last seen: deployment new COMPLETED, running 1/1, pending 0); ECS carries on with it — rerun launch to follow it to the end"
	if !errors.As(err, &ie) || !errors.Is(err, context.Canceled) || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}

// A service deleted while launch follows it, and a deployment gone while
// the service runs another revision, end the follow saying so.
func TestFollowServiceOrDeploymentGone(t *testing.T) {
	deleted := svc(tdNew, dep("new", "PRIMARY", tdNew, types.DeploymentRolloutStateInProgress, 0, 1))
	deleted.Status = aws.String("INACTIVE")
	_, err, _ := follow(t, []types.Service{deleted}, time.Second)
	if want := "service agent disappeared from cluster c while launch was following its deployment"; err == nil || err.Error() != want {
		t.Errorf("deleted: err = %v, want %q", err, want)
	}

	_, err, _ = follow(t, []types.Service{svc(tdOld, dep("other", "PRIMARY", tdOld, types.DeploymentRolloutStateCompleted, 1, 1))}, time.Second)
	var re *RolloutError
	if !errors.As(err, &re) || !re.RolledBack || re.RunningTaskDf != tdOld || re.DeploymentID != "new" ||
		!strings.HasPrefix(err.Error(), "service agent: deployment new was rolled back (the service now runs agent:1): the deployment is gone and the service runs another revision\n") {
		t.Errorf("gone: err = %v", err)
	}
}

// Follow backs off from MinInterval to MaxInterval, which keeps a fleet's
// polls within ECS's rate: 300ms of a deployment that does not complete
// take about 25 polls at 1ms growing to 20ms, not the ~300 of 1ms polls.
func TestFollowBacksOffToMaxInterval(t *testing.T) {
	api := &scripted{polls: []types.Service{svc(tdNew, dep("new", "PRIMARY", tdNew, types.DeploymentRolloutStateInProgress, 0, 1))}}
	_, err := Follow(context.Background(), api, FollowOptions{Cluster: "c", Service: "agent", DeploymentID: "new", TaskDefinitionARN: tdNew,
		Timeout: 300 * time.Millisecond, MinInterval: time.Millisecond, MaxInterval: 20 * time.Millisecond})
	var te *TimeoutError
	if !errors.As(err, &te) || api.n < 5 || api.n > 60 {
		t.Errorf("%d polls in 300ms, then %v; want about 25 and a timeout", api.n, err)
	}
}
