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

// Each deployment state is printed once, however many polls see it, and
// each service event once.
func TestFollowPrintsEachStateAndEventOnce(t *testing.T) {
	inProgress := svc(tdNew, dep("new", "PRIMARY", tdNew, types.DeploymentRolloutStateInProgress, 0, 1))
	_, err, lines := follow(t, []types.Service{inProgress, inProgress, inProgress,
		svc(tdNew, dep("new", "PRIMARY", tdNew, types.DeploymentRolloutStateCompleted, 1, 1))}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"event: (service agent) has started 1 tasks",
		"agent: deployment new IN_PROGRESS, running 0/1, pending 1",
		"agent: deployment new COMPLETED, running 1/1, pending 0",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("progress:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

// The deployment followed is the one with the run's ID, wherever ECS lists
// it among the service's deployments.
func TestFollowFindsItsDeploymentAmongOthers(t *testing.T) {
	out, err, _ := follow(t, []types.Service{
		svc(tdNew, dep("new", "PRIMARY", tdNew, types.DeploymentRolloutStateCompleted, 1, 1),
			dep("draining", "ACTIVE", tdOld, types.DeploymentRolloutStateCompleted, 0, 0)),
	}, time.Second)
	if err != nil || out.DeploymentID != "new" || out.RolloutState != "COMPLETED" {
		t.Errorf("Follow = %+v, %v; want deployment new COMPLETED", out, err)
	}
}

func TestAlreadyCompleted(t *testing.T) {
	if _, ok := AlreadyCompleted(nil, tdNew); ok {
		t.Error("no service cannot be completed")
	}
	done := svc(tdNew, dep("d1", "PRIMARY", tdNew, "", 2, 2))
	out, ok := AlreadyCompleted(&done, tdNew)
	if want := (Outcome{DeploymentID: "d1", RolloutState: "COMPLETED", Running: 2, Desired: 2}); !ok || out != want {
		t.Errorf("AlreadyCompleted = %+v, %v; want %+v", out, ok, want)
	}
	if _, ok := AlreadyCompleted(&done, tdOld); ok {
		t.Error("completed on another revision counts as completed")
	}
	starting := svc(tdNew, dep("d1", "PRIMARY", tdNew, types.DeploymentRolloutStateInProgress, 1, 2))
	if _, ok := AlreadyCompleted(&starting, tdNew); ok {
		t.Error("a deployment with 1/2 tasks running counts as completed")
	}
	// Completed means on our revision, the deployment's and the service's,
	// with every desired task running and none pending.
	lagging := svc(tdOld, dep("d1", "PRIMARY", tdNew, types.DeploymentRolloutStateCompleted, 1, 1))
	if _, ok := AlreadyCompleted(&lagging, tdNew); ok {
		t.Error("a service whose taskDefinition is another revision counts as completed")
	}
	other := svc(tdNew, dep("d1", "PRIMARY", tdOld, types.DeploymentRolloutStateCompleted, 1, 1))
	if _, ok := AlreadyCompleted(&other, tdNew); ok {
		t.Error("a PRIMARY deployment of another revision counts as completed")
	}
	pending := dep("d1", "PRIMARY", tdNew, types.DeploymentRolloutStateCompleted, 1, 1)
	pending.PendingCount = 1
	replacing := svc(tdNew, pending)
	if _, ok := AlreadyCompleted(&replacing, tdNew); ok {
		t.Error("a deployment with a task pending counts as completed")
	}
}

func TestDescribeDeployment(t *testing.T) {
	d := dep("ecs-svc/1", "PRIMARY", tdNew, "", 0, 2)
	d.FailedTasks = 3
	if got, want := describeDep(&d), "deployment ecs-svc/1 PRIMARY, running 0/2, pending 2, failed 3"; got != want {
		t.Errorf("describeDep = %q, want %q", got, want)
	}
	d.FailedTasks = 1
	if got, want := describeDep(&d), "deployment ecs-svc/1 PRIMARY, running 0/2, pending 2, failed 1"; got != want {
		t.Errorf("describeDep = %q, want %q", got, want)
	}
	d.RolloutState, d.FailedTasks = types.DeploymentRolloutStateInProgress, 0
	if got, want := describeDep(&d), "deployment ecs-svc/1 IN_PROGRESS, running 0/2, pending 2"; got != want {
		t.Errorf("describeDep = %q, want %q", got, want)
	}
}

func TestDiagnosticsString(t *testing.T) {
	d := Diagnostics{Events: []string{"e1", "e2"}, StoppedTasks: []string{"task abc: exit code 1"}}
	want := "  last service events:\n    e1\n    e2\n  newest stopped tasks:\n    task abc: exit code 1"
	if got := d.String(); got != want {
		t.Errorf("String:\n%q\nwant:\n%q", got, want)
	}
	if got := (Diagnostics{}).String(); got != "" {
		t.Errorf("empty diagnostics = %q", got)
	}
}

// racedUpdateFails is a raced ECS whose UpdateService then fails.
type racedUpdateFails struct {
	raced
	err error
}

func (r *racedUpdateFails) UpdateService(context.Context, *ecs.UpdateServiceInput, ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error) {
	return nil, r.err
}

// When CreateService found the service made meanwhile and the update that
// converges on it fails, Apply fails with that error.
func TestCreateRaceWhoseUpdateFails(t *testing.T) {
	cur := current()
	cur.TaskDefinition = aws.String(tdOld)
	cur.Status = aws.String("ACTIVE")
	boom := errors.New("AccessDeniedException")
	_, err := Apply(context.Background(), &racedUpdateFails{raced: raced{existing: cur}, err: boom}, PlanFor(desired(), nil))
	if !errors.Is(err, boom) || err.Error() != "update service agent in cluster c: AccessDeniedException" {
		t.Errorf("Apply err = %v, want the UpdateService error", err)
	}
}

// Events from before FollowOptions.Since are history, not this
// deployment's progress: they are not printed. An event without a time is.
func TestFollowSkipsEventsFromBeforeSince(t *testing.T) {
	s := svc(tdNew, dep("new", "PRIMARY", tdNew, types.DeploymentRolloutStateCompleted, 1, 1))
	s.Events = []types.ServiceEvent{
		{Id: aws.String("e3"), Message: aws.String("(service agent) without a time")},
		{Id: aws.String("e2"), CreatedAt: aws.Time(time.Now()), Message: aws.String("(service agent) has reached a steady state.")},
		{Id: aws.String("e1"), CreatedAt: aws.Time(time.Now().Add(-time.Hour)), Message: aws.String("(service agent) an hour ago")},
	}
	var lines []string
	_, err := Follow(context.Background(), &scripted{polls: []types.Service{s}}, FollowOptions{
		Cluster: "c", Service: "agent", DeploymentID: "new", TaskDefinitionARN: tdNew, Since: time.Now().Add(-time.Minute),
		Timeout: time.Second, MinInterval: time.Millisecond, MaxInterval: 5 * time.Millisecond,
		Progress: func(l string) { lines = append(lines, l) },
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"event: (service agent) has reached a steady state.", "event: (service agent) without a time",
		"agent: deployment new COMPLETED, running 1/1, pending 0"}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("progress:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}
