package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// stoppedTasks lists n stopped tasks and describes the ones asked for, the
// task numbered i stopped i minutes after t0; listErr or descErr make
// those calls fail.
type stoppedTasks struct {
	API
	n                int
	t0               time.Time
	listed           []*ecs.ListTasksInput
	asked            [][]string
	listErr, descErr error
}

func (s *stoppedTasks) ListTasks(_ context.Context, in *ecs.ListTasksInput, _ ...func(*ecs.Options)) (*ecs.ListTasksOutput, error) {
	s.listed = append(s.listed, in)
	if s.listErr != nil {
		return nil, s.listErr
	}
	out := &ecs.ListTasksOutput{}
	for i := range s.n {
		out.TaskArns = append(out.TaskArns, fmt.Sprintf("arn:aws:ecs:eu-west-1:1:task/c/t%03d", i))
	}
	return out, nil
}

func (s *stoppedTasks) DescribeTasks(_ context.Context, in *ecs.DescribeTasksInput, _ ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error) {
	s.asked = append(s.asked, slices.Clone(in.Tasks))
	if s.descErr != nil {
		return nil, s.descErr
	}
	out := &ecs.DescribeTasksOutput{}
	for _, a := range in.Tasks {
		var i int
		fmt.Sscanf(a, "arn:aws:ecs:eu-west-1:1:task/c/t%03d", &i)
		out.Tasks = append(out.Tasks, types.Task{TaskArn: aws.String(a), TaskDefinitionArn: aws.String(tdNew),
			StoppedAt: aws.Time(s.t0.Add(time.Duration(i) * time.Minute)), StoppedReason: aws.String("Essential container in task exited"),
			Containers: []types.Container{
				{Name: aws.String("agent"), ExitCode: aws.Int32(int32(i))},
				{Name: aws.String("sidecar"), Reason: aws.String("CannotPullContainerError")},
				{Name: aws.String("init")},
			}})
	}
	return out, nil
}

// The diagnostics of a failed rollout are the 5 newest service events and
// the 3 most recently stopped tasks, newest first, each with its revision,
// reason, and every container's exit code or reason. At most 100 stopped
// tasks are described (DescribeTasks' limit).
func TestDiagnoseShowsTheNewestEventsAndStoppedTasks(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	s := svc(tdNew)
	s.Events = nil
	for i := range 7 { // ECS lists events newest first
		s.Events = append(s.Events, types.ServiceEvent{CreatedAt: aws.Time(t0.Add(-time.Duration(i) * time.Minute)), Message: aws.String(fmt.Sprintf("event %d", i))})
	}
	api := &stoppedTasks{n: 101, t0: t0}
	d := diagnose(context.Background(), api, FollowOptions{Cluster: "c", Service: "agent"}, &s)

	wantEvents := []string{
		"2026-11-29T10:00:00Z event 0", "2026-11-29T09:59:00Z event 1", "2026-11-29T09:58:00Z event 2",
		"2026-11-29T09:57:00Z event 3", "2026-11-29T09:56:00Z event 4",
	}
	if !slices.Equal(d.Events, wantEvents) {
		t.Errorf("events %q, want %q", d.Events, wantEvents)
	}
	if len(api.listed) != 1 || aws.ToString(api.listed[0].Cluster) != "c" || aws.ToString(api.listed[0].ServiceName) != "agent" || api.listed[0].DesiredStatus != types.DesiredStatusStopped {
		t.Errorf("ListTasks %+v, want the service's STOPPED tasks", api.listed)
	}
	if len(api.asked) != 1 || len(api.asked[0]) != 100 || api.asked[0][0] != "arn:aws:ecs:eu-west-1:1:task/c/t000" {
		t.Fatalf("DescribeTasks asked for %d calls, want one of the first 100 tasks", len(api.asked))
	}
	line := func(i int) string {
		return fmt.Sprintf("task t%03d (agent:2) stopped: Essential container in task exited; container agent exit code %d; container sidecar: CannotPullContainerError", i, i)
	}
	if want := []string{line(99), line(98), line(97)}; !slices.Equal(d.StoppedTasks, want) {
		t.Errorf("stopped tasks:\n%q\nwant:\n%q", d.StoppedTasks, want)
	}
}

// Diagnostics are best effort: tasks that cannot be read leave the events.
func TestDiagnoseWithoutTasks(t *testing.T) {
	s := svc(tdNew)
	denied := errors.New("AccessDeniedException")
	for name, api := range map[string]*stoppedTasks{
		"no stopped task":     {n: 0},
		"ListTasks fails":     {n: 2, listErr: denied},
		"DescribeTasks fails": {n: 2, descErr: denied},
	} {
		d := diagnose(context.Background(), api, FollowOptions{Cluster: "c", Service: "agent"}, &s)
		if len(d.Events) != 1 || d.StoppedTasks != nil {
			t.Errorf("%s: diagnostics %+v, want the one event and no task", name, d)
		}
		if name == "no stopped task" && len(api.asked) != 0 {
			t.Errorf("no stopped task: DescribeTasks called with %v", api.asked)
		}
	}
}
