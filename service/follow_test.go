package service

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// scripted is a fake ECS that answers DescribeServices with one scripted
// service per poll (the last one repeats) and lists one stopped task.
type scripted struct {
	API
	polls []types.Service
	n     int
}

func (s *scripted) DescribeServices(context.Context, *ecs.DescribeServicesInput, ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	svc := s.polls[min(s.n, len(s.polls)-1)]
	s.n++
	return &ecs.DescribeServicesOutput{Services: []types.Service{svc}}, nil
}

func (s *scripted) ListTasks(context.Context, *ecs.ListTasksInput, ...func(*ecs.Options)) (*ecs.ListTasksOutput, error) {
	return &ecs.ListTasksOutput{TaskArns: []string{"arn:aws:ecs:eu-west-1:1:task/c/abc"}}, nil
}

func (s *scripted) DescribeTasks(context.Context, *ecs.DescribeTasksInput, ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error) {
	return &ecs.DescribeTasksOutput{Tasks: []types.Task{{
		TaskArn: aws.String("arn:aws:ecs:eu-west-1:1:task/c/abc"), TaskDefinitionArn: aws.String(tdNew),
		StoppedReason: aws.String("ResourceInitializationError: unable to pull secrets: AccessDeniedException"),
		StoppedAt:     aws.Time(time.Now()),
		Containers:    []types.Container{{Name: aws.String("agent"), ExitCode: aws.Int32(1)}},
	}}}, nil
}

const (
	tdOld = "arn:aws:ecs:eu-west-1:123456789012:task-definition/agent:1"
	tdNew = "arn:aws:ecs:eu-west-1:123456789012:task-definition/agent:2"
)

func dep(id, status, td string, state types.DeploymentRolloutState, running, desired int32) types.Deployment {
	return types.Deployment{Id: aws.String(id), Status: aws.String(status), TaskDefinition: aws.String(td),
		RolloutState: state, RunningCount: running, DesiredCount: desired, PendingCount: desired - running}
}

func svc(td string, deps ...types.Deployment) types.Service {
	return types.Service{ServiceName: aws.String("agent"), Status: aws.String("ACTIVE"), TaskDefinition: aws.String(td), Deployments: deps,
		Events: []types.ServiceEvent{{Id: aws.String("e1"), CreatedAt: aws.Time(time.Now()), Message: aws.String("(service agent) has started 1 tasks")}}}
}

func follow(t *testing.T, polls []types.Service, timeout time.Duration) (Outcome, error, []string) {
	t.Helper()
	var lines []string
	out, err := Follow(context.Background(), &scripted{polls: polls}, FollowOptions{
		Cluster: "c", Service: "agent", DeploymentID: "new", TaskDefinitionARN: tdNew,
		Timeout: timeout, MinInterval: time.Millisecond, MaxInterval: 5 * time.Millisecond,
		Progress: func(l string) { lines = append(lines, l) },
	})
	return out, err, lines
}

func TestFollowCompletes(t *testing.T) {
	out, err, lines := follow(t, []types.Service{
		svc(tdNew, dep("new", "PRIMARY", tdNew, types.DeploymentRolloutStateInProgress, 0, 1), dep("old", "ACTIVE", tdOld, types.DeploymentRolloutStateCompleted, 1, 1)),
		svc(tdNew, dep("new", "PRIMARY", tdNew, types.DeploymentRolloutStateCompleted, 1, 1)),
	}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if out.RolloutState != "COMPLETED" || out.Running != 1 {
		t.Errorf("outcome %+v", out)
	}
	if !strings.Contains(strings.Join(lines, "\n"), "event: (service agent) has started 1 tasks") {
		t.Errorf("events not printed: %q", lines)
	}
}

func TestFollowStableOnOldRevisionIsARollback(t *testing.T) {
	// What the ServicesStable waiter calls success: one deployment, all
	// running — on the previous revision.
	_, err, _ := follow(t, []types.Service{
		svc(tdOld, dep("rb", "PRIMARY", tdOld, types.DeploymentRolloutStateCompleted, 1, 1)),
	}, time.Second)
	var re *RolloutError
	if !errors.As(err, &re) || !re.RolledBack {
		t.Fatalf("want a rollback error, got %v", err)
	}
	if !strings.Contains(err.Error(), "AccessDeniedException") || !strings.Contains(err.Error(), "exit code 1") {
		t.Errorf("diagnostics missing from %q", err)
	}
}

func TestFollowFailedDeployment(t *testing.T) {
	failed := dep("new", "ACTIVE", tdNew, types.DeploymentRolloutStateFailed, 0, 1)
	failed.RolloutStateReason = aws.String("ECS deployment circuit breaker: tasks failed to start.")
	_, err, _ := follow(t, []types.Service{
		svc(tdOld, dep("rb", "PRIMARY", tdOld, types.DeploymentRolloutStateInProgress, 0, 1), failed),
	}, time.Second)
	var re *RolloutError
	if !errors.As(err, &re) || !re.RolledBack || !strings.Contains(err.Error(), "circuit breaker") {
		t.Fatalf("want a rolled-back failure naming the circuit breaker, got %v", err)
	}
}

func TestFollowFailedWithoutRollback(t *testing.T) {
	_, err, _ := follow(t, []types.Service{
		svc(tdNew, dep("new", "PRIMARY", tdNew, types.DeploymentRolloutStateFailed, 0, 1)),
	}, time.Second)
	var re *RolloutError
	if !errors.As(err, &re) || re.RolledBack {
		t.Fatalf("want a plain failure, got %v", err)
	}
}

func TestFollowTimesOut(t *testing.T) {
	start := time.Now()
	_, err, _ := follow(t, []types.Service{
		svc(tdNew, dep("new", "PRIMARY", tdNew, types.DeploymentRolloutStateInProgress, 0, 1)),
	}, 50*time.Millisecond)
	var te *TimeoutError
	if !errors.As(err, &te) {
		t.Fatalf("want a timeout, got %v", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("timeout of 50ms took %s", time.Since(start))
	}
}

func TestFollowRunningButNotDoneIsNotSuccess(t *testing.T) {
	// COMPLETED is required: all tasks running while IN_PROGRESS (old tasks
	// still draining) must keep waiting.
	_, err, _ := follow(t, []types.Service{
		svc(tdNew, dep("new", "PRIMARY", tdNew, types.DeploymentRolloutStateInProgress, 1, 1)),
	}, 30*time.Millisecond)
	var te *TimeoutError
	if !errors.As(err, &te) {
		t.Fatalf("want a timeout, got %v", err)
	}
}

func TestFollowInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Follow(ctx, &scripted{polls: []types.Service{svc(tdNew, dep("new", "PRIMARY", tdNew, types.DeploymentRolloutStateInProgress, 0, 1))}},
		FollowOptions{Cluster: "c", Service: "agent", DeploymentID: "new", TaskDefinitionARN: tdNew, Timeout: time.Minute, MinInterval: time.Second})
	var ie *InterruptedError
	if !errors.As(err, &ie) || !errors.Is(err, context.Canceled) {
		t.Fatalf("want an interruption wrapping context.Canceled, got %v", err)
	}
}

// Waiting out another run's deployment: once one of its tasks failed, the
// wait ends at once (it may stay IN_PROGRESS until a fix is deployed); a
// follow of launch's own deployment goes on to the circuit breaker's verdict.
func TestFollowStopsOnFailedTasksWhenAsked(t *testing.T) {
	failing := dep("new", "PRIMARY", tdNew, types.DeploymentRolloutStateInProgress, 0, 1)
	failing.FailedTasks = 1
	polls := []types.Service{svc(tdNew, failing)}
	opts := FollowOptions{Cluster: "c", Service: "agent", DeploymentID: "new", TaskDefinitionARN: tdNew,
		Timeout: 200 * time.Millisecond, MinInterval: time.Millisecond, MaxInterval: 5 * time.Millisecond, StopOnFailedTasks: true}

	_, err := Follow(context.Background(), &scripted{polls: polls}, opts)
	var re *RolloutError
	if !errors.As(err, &re) || re.RolloutState != string(types.DeploymentRolloutStateInProgress) || !strings.Contains(re.Reason, "1 task(s) failed") {
		t.Fatalf("with StopOnFailedTasks: %v, want a RolloutError still IN_PROGRESS naming the failed task", err)
	}

	opts.StopOnFailedTasks = false
	_, err = Follow(context.Background(), &scripted{polls: polls}, opts)
	var te *TimeoutError
	if !errors.As(err, &te) {
		t.Fatalf("without StopOnFailedTasks: %v, want the timeout", err)
	}
}

// The first polls come MinInterval apart (five waits: a small deployment
// often ends within them); then each wait is half as long again as the
// last, up to MaxInterval.
func TestFollowPollsFastThenBacksOff(t *testing.T) {
	inProgress := svc(tdNew, dep("new", "PRIMARY", tdNew, types.DeploymentRolloutStateInProgress, 0, 1))
	polls := slices.Repeat([]types.Service{inProgress}, 9)
	polls = append(polls, svc(tdNew, dep("new", "PRIMARY", tdNew, types.DeploymentRolloutStateCompleted, 1, 1)))
	var waits []time.Duration
	_, err := Follow(context.Background(), &scripted{polls: polls}, FollowOptions{
		Cluster: "c", Service: "agent", DeploymentID: "new", TaskDefinitionARN: tdNew, Timeout: time.Minute,
		MinInterval: time.Millisecond, MaxInterval: 4 * time.Millisecond,
		waiting: func(d time.Duration) { waits = append(waits, d) },
	})
	ms := func(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }
	want := []time.Duration{ms(1), ms(1), ms(1), ms(1), ms(1), ms(1.5), ms(2.25), ms(3.375), ms(4)}
	if err != nil || !slices.Equal(waits, want) {
		t.Errorf("err %v, waits %v; want %v", err, waits, want)
	}
}
