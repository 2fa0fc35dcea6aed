package rollout

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/google/go-cmp/cmp"

	"github.com/launchdeploy/launch/service"
	"github.com/launchdeploy/launch/spec"
)

const (
	gateTD1 = "arn:aws:ecs:us-east-1:123456789012:task-definition/agent-a:1"
	gateTD2 = "arn:aws:ecs:us-east-1:123456789012:task-definition/agent-a:2"
)

// gateSvc is service agent-a whose PRIMARY deployment is d.
func gateSvc(d ecstypes.Deployment) *ecstypes.Service {
	d.Status = aws.String("PRIMARY")
	return &ecstypes.Service{ServiceName: aws.String("agent-a"), Status: aws.String("ACTIVE"), TaskDefinition: d.TaskDefinition,
		Deployments: []ecstypes.Deployment{d}}
}

func gateDeployment() ecstypes.Deployment {
	return ecstypes.Deployment{Id: aws.String("ecs-svc/2"), RolloutState: ecstypes.DeploymentRolloutStateCompleted,
		TaskDefinition: aws.String(gateTD2), RunningCount: 2, DesiredCount: 2}
}

// The wave gate's check of one service: each way a service can stop being
// the deployment the wave made fails the gate with a reason naming it, and
// the agent's outcome becomes "failed".
func TestWaveGateChecksTheDeploymentTheWaveMade(t *testing.T) {
	with := func(f func(*ecstypes.Deployment)) *ecstypes.Service {
		d := gateDeployment()
		f(&d)
		return gateSvc(d)
	}
	noPrimary := gateSvc(gateDeployment())
	noPrimary.Deployments[0].Status = aws.String("ACTIVE")
	tests := map[string]struct {
		svc       *ecstypes.Service
		reason    string
		state     string
		runningTD string
	}{
		"deleted":           {nil, "wave gate: the service no longer exists", "", ""},
		"no PRIMARY":        {noPrimary, "wave gate: the service has no PRIMARY deployment", "", gateTD2},
		"replaced":          {with(func(d *ecstypes.Deployment) { d.Id, d.TaskDefinition = aws.String("ecs-svc/3"), aws.String(gateTD1) }), "wave gate: deployment ecs-svc/3 on agent-a:1 replaced it (ECS's circuit breaker, or another run)", "COMPLETED", gateTD1},
		"not completed":     {with(func(d *ecstypes.Deployment) { d.RolloutState = ecstypes.DeploymentRolloutStateInProgress }), "wave gate: the deployment is IN_PROGRESS, not COMPLETED", "IN_PROGRESS", gateTD2},
		"other revision":    {with(func(d *ecstypes.Deployment) { d.TaskDefinition = aws.String(gateTD1) }), "wave gate: it runs agent-a:1, not agent-a:2", "COMPLETED", gateTD1},
		"a task missing":    {with(func(d *ecstypes.Deployment) { d.RunningCount = 1 }), "wave gate: 1/2 tasks running", "COMPLETED", gateTD2},
		"no task wanted":    {with(func(d *ecstypes.Deployment) { d.RunningCount, d.DesiredCount = 0, 0 }), "", "", ""},
		"all tasks running": {gateSvc(gateDeployment()), "", "", ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ar := &AgentReport{Name: "agent-a", TaskDefinition: TaskDefReport{ARN: gateTD2}, Service: ServiceReport{DeploymentID: "ecs-svc/2", Outcome: "completed"}}
			err := gateService(tc.svc, ar)
			if tc.reason == "" {
				if err != nil || ar.Service.Outcome != "completed" {
					t.Fatalf("gate: %v, outcome %q; want it passed", err, ar.Service.Outcome)
				}
				return
			}
			var re *service.RolloutError
			if !errors.As(err, &re) {
				t.Fatalf("gate: %v, want a RolloutError", err)
			}
			want := service.RolloutError{Service: "agent-a", DeploymentID: "ecs-svc/2", RolloutState: tc.state, Reason: tc.reason, RunningTaskDf: tc.runningTD}
			if diff := cmp.Diff(want, *re); diff != "" {
				t.Errorf("gate error (-want +got):\n%s", diff)
			}
			if ar.Service.Outcome != "failed" {
				t.Errorf("outcome %q, want failed", ar.Service.Outcome)
			}
		})
	}
}

// gateECS answers the bake's reads from rounds of state: round r is the
// r-th DescribeServices call (the last round repeats).
type gateECS struct {
	ECSAPI
	mu       sync.Mutex
	calls    int
	services [][]ecstypes.Service
	stopped  [][]ecstypes.Task // by round
	running  []ecstypes.Task
	listErr  error
	// runningErr fails the listing of the RUNNING tasks alone.
	runningErr error
}

func (f *gateECS) round() int {
	return min(f.calls, len(f.services)) - 1
}

func (f *gateECS) DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, _ ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	return &ecs.DescribeServicesOutput{Services: f.services[f.round()]}, nil
}

func (f *gateECS) ListTasks(_ context.Context, in *ecs.ListTasksInput, _ ...func(*ecs.Options)) (*ecs.ListTasksOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.listErr != nil {
		return nil, f.listErr
	}
	if f.runningErr != nil && in.DesiredStatus == ecstypes.DesiredStatusRunning {
		return nil, f.runningErr
	}
	tasks := f.running
	if in.DesiredStatus == ecstypes.DesiredStatusStopped {
		tasks = f.stopped[min(f.round(), len(f.stopped)-1)]
	}
	out := &ecs.ListTasksOutput{}
	for _, t := range tasks {
		out.TaskArns = append(out.TaskArns, aws.ToString(t.TaskArn))
	}
	return out, nil
}

func (f *gateECS) DescribeTasks(_ context.Context, in *ecs.DescribeTasksInput, _ ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := &ecs.DescribeTasksOutput{}
	for _, ts := range append(f.stopped, f.running) {
		for _, t := range ts {
			if strings.Contains(strings.Join(in.Tasks, " "), aws.ToString(t.TaskArn)) {
				out.Tasks = append(out.Tasks, t)
			}
		}
	}
	return out, nil
}

func gateTask(id, reason string, health ecstypes.HealthStatus) ecstypes.Task {
	return ecstypes.Task{TaskArn: aws.String("arn:aws:ecs:us-east-1:123456789012:task/agents/" + id), StoppedReason: aws.String(reason), HealthStatus: health}
}

// bakePlan is a plan of agent-a, with a container health check when health.
func bakePlan(health bool) *Plan {
	td := &ecs.RegisterTaskDefinitionInput{ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("agent")}}}
	if health {
		td.ContainerDefinitions[0].HealthCheck = &ecstypes.HealthCheck{Command: []string{"CMD", "true"}}
	}
	return &Plan{Spec: &spec.Spec{Cluster: spec.Cluster{Name: "agents"}}, Agents: []AgentPlan{{Agent: spec.Agent{Name: "agent-a"}, TaskDef: td}}}
}

func bakeReport() *Report {
	rep := NewReport("deploy.yaml")
	ar := rep.agent("agent-a")
	ar.TaskDefinition.ARN, ar.Service.DeploymentID = gateTD2, "ecs-svc/2"
	return rep
}

// The bake: a task that stopped before it began is history; one that stops
// during it, or runs without passing its health check, fails the gate; a
// read that fails is the gate's error, unless the run was interrupted.
func TestBakeFailsOnWhatHappensDuringIt(t *testing.T) {
	good := *gateSvc(gateDeployment())
	old := gateTask("old", "Scaling activity initiated by deployment ecs-svc/1", "")
	tests := map[string]struct {
		ecs    *gateECS
		health bool
		cancel bool
		want   string // "" passes
	}{
		"a task stopped before the bake": {
			ecs:  &gateECS{services: [][]ecstypes.Service{{good}}, stopped: [][]ecstypes.Task{{old}}},
			want: "",
		},
		"a task stops during the bake": {
			ecs:  &gateECS{services: [][]ecstypes.Service{{good}, {good}}, stopped: [][]ecstypes.Task{{old}, {old, gateTask("new", "Essential container in task exited", "")}}},
			want: "service agent-a: deployment ecs-svc/2 failed: wave gate: task new stopped during the bake time: Essential container in task exited",
		},
		"every task HEALTHY": {
			ecs:    &gateECS{services: [][]ecstypes.Service{{good}}, stopped: [][]ecstypes.Task{nil}, running: []ecstypes.Task{gateTask("t1", "", ecstypes.HealthStatusHealthy)}},
			health: true,
			want:   "",
		},
		"a task UNHEALTHY": {
			ecs:    &gateECS{services: [][]ecstypes.Service{{good}}, stopped: [][]ecstypes.Task{nil}, running: []ecstypes.Task{gateTask("t1", "", ecstypes.HealthStatusHealthy), gateTask("t2", "", ecstypes.HealthStatusUnhealthy)}},
			health: true,
			want:   "service agent-a: deployment ecs-svc/2 failed: wave gate: task t2 is UNHEALTHY, not HEALTHY",
		},
		"a task without a health status yet": {
			ecs:    &gateECS{services: [][]ecstypes.Service{{good}}, stopped: [][]ecstypes.Task{nil}, running: []ecstypes.Task{gateTask("t1", "", ecstypes.HealthStatusUnknown)}},
			health: true,
			want:   "service agent-a: deployment ecs-svc/2 failed: wave gate: task t1 is UNKNOWN, not HEALTHY",
		},
		"the service deleted": {
			ecs:  &gateECS{services: [][]ecstypes.Service{{good}, {}}, stopped: [][]ecstypes.Task{nil}},
			want: "service agent-a: deployment ecs-svc/2 failed: wave gate: the service no longer exists",
		},
		"the running tasks cannot be listed": {
			ecs:    &gateECS{services: [][]ecstypes.Service{{good}}, stopped: [][]ecstypes.Task{nil}, runningErr: errors.New("ThrottlingException: slow down")},
			health: true,
			want:   "wave gate: list the tasks of service agent-a: ThrottlingException: slow down",
		},
		"the tasks cannot be listed": {
			ecs:  &gateECS{services: [][]ecstypes.Service{{good}}, listErr: errors.New("AccessDeniedException: no")},
			want: "wave gate: list the tasks of service agent-a: AccessDeniedException: no",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			rep := bakeReport()
			out := &lines{}
			err := bake(context.Background(), Clients{ECS: tc.ecs}, bakePlan(tc.health), []int{0}, 300*time.Millisecond, Options{}, out, rep)
			if got := errString(err); got != tc.want {
				t.Errorf("bake: %q, want %q", got, tc.want)
			}
			if tc.want == "" && tc.ecs.calls < 2 {
				t.Errorf("%d reads of the services in a bake of 300ms, want one at its start and one at its end at least", tc.ecs.calls)
			}
			if (*out)[0] != "baking 1 agent: agent-a must stay healthy for 300ms" {
				t.Errorf("progress %q", *out)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// Ctrl-C during a bake is an interruption (exit 130, "rerun to follow"),
// not a failed gate: whether it comes between two reads or cuts a read.
func TestBakeInterruptedIsAnInterruption(t *testing.T) {
	good := *gateSvc(gateDeployment())
	for _, when := range []string{"between reads", "during a read"} {
		t.Run(when, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			f := &gateECS{services: [][]ecstypes.Service{{good}}, stopped: [][]ecstypes.Task{nil}}
			if when == "during a read" {
				cancel()
			} else {
				time.AfterFunc(100*time.Millisecond, cancel)
			}
			start := time.Now()
			err := bake(ctx, Clients{ECS: f}, bakePlan(false), []int{0}, time.Minute, Options{}, &lines{}, bakeReport())
			var ie *service.InterruptedError
			if !errors.As(err, &ie) || !errors.Is(err, context.Canceled) {
				t.Fatalf("bake: %v, want an InterruptedError wrapping the cancellation", err)
			}
			want := service.InterruptedError{Service: "agent-a", DeploymentID: "(bake time)", Last: "healthy", Err: context.Canceled}
			if diff := cmp.Diff(want, *ie, cmp.Comparer(func(a, b error) bool { return errors.Is(a, b) })); diff != "" {
				t.Errorf("interruption (-want +got):\n%s", diff)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("bake returned %s after the interruption", d)
			}
		})
	}
}

// --no-wait cannot skip the gates: a spec with waves refuses it before any
// AWS call, naming the spec and what to do.
func TestWavesRefuseNoWait(t *testing.T) {
	p := &Plan{Spec: &spec.Spec{Path: "/work/deploy.yaml", Rollout: spec.Rollout{Waves: []spec.Wave{{Count: 1}, {Percent: 100}}}}}
	err := Apply(context.Background(), Clients{}, p, Options{NoWait: true}, &lines{}, NewReport("deploy.yaml"))
	want := "/work/deploy.yaml deploys in waves, each after the previous one passed its gate: --no-wait cannot be used with rollout.waves; run without it"
	if errString(err) != want {
		t.Errorf("deploy --no-wait: %v, want %q", err, want)
	}
}

// Rolling back a failed wave leaves alone what needs no rollback, saying
// why: a service deleted meanwhile, and one this run did not update.
func TestRollBackWavesLeavesWhatNeedsNone(t *testing.T) {
	p := &Plan{Spec: &spec.Spec{Cluster: spec.Cluster{Name: "agents"}}, Agents: []AgentPlan{
		{Agent: spec.Agent{Name: "agent-a"}, Service: gateSvc(gateDeployment())},
		{Agent: spec.Agent{Name: "agent-b"}, Service: &ecstypes.Service{ServiceName: aws.String("agent-b"), TaskDefinition: aws.String(gateTD1)}},
	}}
	stillB := ecstypes.Service{ServiceName: aws.String("agent-b"), Status: aws.String("ACTIVE"), TaskDefinition: aws.String(gateTD1)}
	f := &gateECS{services: [][]ecstypes.Service{{stillB}}} // agent-a is gone
	rep := NewReport("deploy.yaml")
	rep.agent("agent-a")
	rep.agent("agent-b").Service.Action = "unchanged"
	err := rollBackWaves(context.Background(), Clients{ECS: f}, p, map[int]string{0: "wave 1 failed", 1: "wave 2 failed"}, map[int]int{0: 1, 1: 2}, Options{}, &lines{}, rep)
	if err != nil {
		t.Fatal(err)
	}
	want := []AgentReport{
		{Name: "agent-a", Wave: 1, Why: "wave 1 failed; the service no longer exists"},
		{Name: "agent-b", Wave: 2, EndedOn: gateTD1, Why: "wave 2 failed; still on its earlier revision: this run did not update it", Service: ServiceReport{Action: "unchanged"}},
	}
	for i, a := range rep.Agents {
		if diff := cmp.Diff(want[i], *a); diff != "" {
			t.Errorf("agent %s (-want +got):\n%s", a.Name, diff)
		}
	}
	if f.calls != 1 {
		t.Errorf("%d DescribeServices calls, want 1 (and no write)", f.calls)
	}
}
