package service

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// healthECS answers DescribeServices with one scripted service per poll and
// the deployment's tasks with one scripted list per poll.
type healthECS struct {
	API
	polls   []types.Service
	running [][]types.Task
	stopped []types.Task
	n       int
	lists   int
}

func (f *healthECS) DescribeServices(context.Context, *ecs.DescribeServicesInput, ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	svc := f.polls[min(f.n, len(f.polls)-1)]
	f.n++
	return &ecs.DescribeServicesOutput{Services: []types.Service{svc}}, nil
}

func (f *healthECS) tasks(st types.DesiredStatus) []types.Task {
	if st == types.DesiredStatusStopped {
		return f.stopped
	}
	return f.running[min(f.n-1, len(f.running)-1)]
}

func (f *healthECS) ListTasks(_ context.Context, in *ecs.ListTasksInput, _ ...func(*ecs.Options)) (*ecs.ListTasksOutput, error) {
	f.lists++
	var arns []string
	for _, t := range f.tasks(in.DesiredStatus) {
		arns = append(arns, aws.ToString(t.TaskArn))
	}
	return &ecs.ListTasksOutput{TaskArns: arns}, nil
}

func (f *healthECS) DescribeTasks(_ context.Context, in *ecs.DescribeTasksInput, _ ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error) {
	var out []types.Task
	for _, st := range []types.DesiredStatus{types.DesiredStatusRunning, types.DesiredStatusStopped} {
		for _, t := range f.tasks(st) {
			for _, a := range in.Tasks {
				if a == aws.ToString(t.TaskArn) {
					out = append(out, t)
				}
			}
		}
	}
	return &ecs.DescribeTasksOutput{Tasks: out}, nil
}

var agentCheck = HealthCheck{Container: "agent", Command: []string{"CMD-SHELL", "curl -f http://localhost:8080/health || exit 1"}}

func task(id, startedBy string, health types.HealthStatus) types.Task {
	return types.Task{TaskArn: aws.String("arn:aws:ecs:eu-west-1:1:task/c/" + id), StartedBy: aws.String(startedBy), TaskDefinitionArn: aws.String(tdNew),
		LastStatus: aws.String("RUNNING"), HealthStatus: health,
		Containers: []types.Container{{Name: aws.String("sidecar"), HealthStatus: types.HealthStatusHealthy}, {Name: aws.String("agent"), HealthStatus: health}}}
}

func followHealth(t *testing.T, f *healthECS, checks []HealthCheck) (Outcome, error, []string) {
	t.Helper()
	var lines []string
	out, err := Follow(context.Background(), f, FollowOptions{
		Cluster: "c", Service: "agent", DeploymentID: "new", TaskDefinitionARN: tdNew, HealthChecks: checks,
		Timeout: 200 * time.Millisecond, MinInterval: time.Millisecond, MaxInterval: 5 * time.Millisecond,
		Progress: func(l string) { lines = append(lines, l) },
	})
	return out, err, lines
}

func completedSvc() types.Service {
	return svc(tdNew, dep("new", "PRIMARY", tdNew, types.DeploymentRolloutStateCompleted, 1, 1))
}

func TestHealthChecksListsEssentialContainersWithACheck(t *testing.T) {
	td := &ecs.RegisterTaskDefinitionInput{ContainerDefinitions: []types.ContainerDefinition{
		{Name: aws.String("agent"), HealthCheck: &types.HealthCheck{Command: agentCheck.Command}},
		{Name: aws.String("plain")},
		{Name: aws.String("no-command"), HealthCheck: &types.HealthCheck{Command: []string{}}},
		{Name: aws.String("helper"), Essential: aws.Bool(false), HealthCheck: &types.HealthCheck{Command: []string{"CMD", "true"}}},
		{Name: aws.String("explicit"), Essential: aws.Bool(true), HealthCheck: &types.HealthCheck{Command: []string{"CMD", "true"}}},
	}}
	got := HealthChecks(td)
	if len(got) != 2 || got[0].Container != "agent" || got[1].Container != "explicit" {
		t.Fatalf("HealthChecks = %+v, want agent and explicit (essential by default or explicitly)", got)
	}
	if s := got[0].String(); s != "container agent (check: CMD-SHELL curl -f http://localhost:8080/health || exit 1)" {
		t.Errorf("String() = %q", s)
	}
	if HealthChecks(nil) != nil {
		t.Error("HealthChecks(nil) is not empty")
	}
}

func TestFollowWaitsForHealthyTasks(t *testing.T) {
	f := &healthECS{
		polls: []types.Service{completedSvc()},
		running: [][]types.Task{
			{task("t1", "new", types.HealthStatusUnknown)},
			{task("t1", "new", types.HealthStatusUnknown), task("old", "old-deployment", types.HealthStatusUnhealthy)},
			{task("t1", "new", types.HealthStatusHealthy)},
		},
	}
	out, err, lines := followHealth(t, f, []HealthCheck{agentCheck})
	if err != nil {
		t.Fatalf("Follow: %v (a task of another deployment does not count)", err)
	}
	if f.n != 3 {
		t.Errorf("completed after %d polls, want 3: COMPLETED is not done until the task is HEALTHY", f.n)
	}
	if out.RolloutState != "COMPLETED" {
		t.Errorf("outcome %+v", out)
	}
	text := strings.Join(lines, "\n")
	if !strings.Contains(text, "agent: 0/1 task(s) HEALTHY") || !strings.Contains(text, "agent: 1/1 task(s) HEALTHY") {
		t.Errorf("health progress not shown: %q", lines)
	}
}

func TestFollowWithoutHealthChecksReadsNoTasks(t *testing.T) {
	f := &healthECS{polls: []types.Service{completedSvc()}, running: [][]types.Task{{task("t1", "new", types.HealthStatusUnhealthy)}}}
	if _, err, _ := followHealth(t, f, nil); err != nil {
		t.Fatal(err)
	}
	if f.lists != 0 {
		t.Errorf("ListTasks called %d times without health checks", f.lists)
	}
}

func TestFollowTimesOutWhileUnknown(t *testing.T) {
	f := &healthECS{polls: []types.Service{completedSvc()}, running: [][]types.Task{{task("t1", "new", types.HealthStatusUnknown)}}}
	_, err, _ := followHealth(t, f, []HealthCheck{agentCheck})
	var te *TimeoutError
	if !errors.As(err, &te) {
		t.Fatalf("err = %v, want a timeout while the health check has not passed", err)
	}
}

func TestFollowFailsOnAnUnhealthyTask(t *testing.T) {
	inProgress := svc(tdNew, dep("new", "PRIMARY", tdNew, types.DeploymentRolloutStateInProgress, 1, 1))
	f := &healthECS{polls: []types.Service{inProgress}, running: [][]types.Task{{task("t1", "new", types.HealthStatusUnhealthy)}}}
	_, err, _ := followHealth(t, f, []HealthCheck{{Container: "sidecar", Command: []string{"CMD", "true"}}, agentCheck})
	var re *RolloutError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want a RolloutError (exit 3)", err)
	}
	want := "task t1 is UNHEALTHY: container agent (check: CMD-SHELL curl -f http://localhost:8080/health || exit 1) failed its health check"
	if re.Reason != want || re.RolledBack || re.RolloutState != "IN_PROGRESS" {
		t.Errorf("RolloutError %+v\nwant reason %q", re, want)
	}
}

func TestFollowFailsOnATaskStoppedForItsHealthCheck(t *testing.T) {
	d := dep("new", "PRIMARY", tdNew, types.DeploymentRolloutStateInProgress, 0, 1)
	d.FailedTasks = 1
	stopped := task("t0", "new", types.HealthStatusUnknown)
	stopped.StoppedReason = aws.String("Task failed container health checks")
	stopped.Containers = []types.Container{{Name: aws.String("agent")}}
	f := &healthECS{polls: []types.Service{svc(tdNew, d)}, running: [][]types.Task{nil}, stopped: []types.Task{stopped}}
	_, err, _ := followHealth(t, f, []HealthCheck{agentCheck})
	var re *RolloutError
	if !errors.As(err, &re) || !strings.Contains(re.Reason, "task t0 was stopped by ECS: Task failed container health checks: container agent (check: CMD-SHELL curl") {
		t.Fatalf("err = %v, want a RolloutError naming the stopped task, container and check", err)
	}
}
