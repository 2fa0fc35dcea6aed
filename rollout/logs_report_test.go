package rollout

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

func TestLogsSummarySaysWhereTheLinesComeFrom(t *testing.T) {
	r := LogsReport{Agent: "orders", Group: "/ecs/orders", StreamPrefix: "ecs/orders/",
		TaskDefinition: "arn:aws:ecs:eu-west-1:123456789012:task-definition/orders:7", Lines: make([]LogLine, 3)}
	tests := map[string]struct {
		truncated bool
		since     time.Time
		want      string
	}{
		"all kept": {want: "agent orders: 3 line(s) from log group /ecs/orders, streams ecs/orders/* (orders:7), everything kept"},
		"truncated, since": {truncated: true, since: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
			want: "agent orders: the newest 3 line(s) from log group /ecs/orders, streams ecs/orders/* (orders:7), since 2026-01-02T03:04:05Z"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r.Truncated, r.Since = tc.truncated, tc.since
			if got := r.Summary(); got != tc.want {
				t.Errorf("summary\n %s\nwant %s", got, tc.want)
			}
		})
	}
}

// A stopped task whose stream is empty, with no exit code (the container
// never reported one), and a task ID shorter than the 8 characters shown.
func TestTaskLogsTextOfAnEmptyStream(t *testing.T) {
	tl := TaskLogs{Task: "abc123", StoppedReason: "Task stopped by user", Container: "agent", Group: "/ecs/agent", Stream: "ecs/agent/abc123"}
	want := "service orders: task abc123 stopped: Task stopped by user (container agent)\n  its log stream ecs/agent/abc123 in /ecs/agent has no lines"
	if got := tl.Text("orders"); got != want {
		t.Errorf("text:\n%s\nwant:\n%s", got, want)
	}
}

// stoppedTasks is a service's stopped tasks; DescribeTasks fails when err is set.
type stoppedTasks struct {
	*ecs.Client
	tasks []ecstypes.Task
	err   error
}

func (s stoppedTasks) ListTasks(context.Context, *ecs.ListTasksInput, ...func(*ecs.Options)) (*ecs.ListTasksOutput, error) {
	out := &ecs.ListTasksOutput{}
	for _, t := range s.tasks {
		out.TaskArns = append(out.TaskArns, aws.ToString(t.TaskArn))
	}
	return out, nil
}

func (s stoppedTasks) DescribeTasks(context.Context, *ecs.DescribeTasksInput, ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error) {
	if s.err != nil {
		return nil, s.err
	}
	return &ecs.DescribeTasksOutput{Tasks: s.tasks}, nil
}

// The task whose lines a failed deployment shows: its newest stopped one
// whose container started; none when the tasks cannot be read.
func TestNewestRanTaskOfTheDeployment(t *testing.T) {
	at := func(s int) *time.Time { v := time.Date(2026, 1, 1, 0, 0, s, 0, time.UTC); return &v }
	task := func(id, dep string, started, stopped *time.Time) ecstypes.Task {
		return ecstypes.Task{TaskArn: aws.String("arn:aws:ecs:eu-west-1:123456789012:task/apps/" + id), StartedBy: aws.String(dep), StartedAt: started, StoppedAt: stopped}
	}
	tasks := []ecstypes.Task{
		task("ran-early", "ecs-svc/1", at(1), at(5)),
		task("never-ran", "ecs-svc/1", nil, at(9)),
		task("ran-late", "ecs-svc/1", at(2), at(8)),
		task("other-deployment", "ecs-svc/0", at(3), at(10)),
		task("ran-between", "ecs-svc/1", at(3), at(6)),
	}
	got, ok := newestRanTask(context.Background(), stoppedTasks{tasks: tasks}, "apps", "orders", "ecs-svc/1")
	if !ok || taskID(got) != "ran-late" {
		t.Errorf("task %s (found %v), want ran-late", taskID(got), ok)
	}
	if _, ok := newestRanTask(context.Background(), stoppedTasks{tasks: tasks[1:2]}, "apps", "orders", "ecs-svc/1"); ok {
		t.Error("found a task whose container never started")
	}
	if _, ok := newestRanTask(context.Background(), stoppedTasks{tasks: tasks, err: errors.New("AccessDeniedException")}, "apps", "orders", "ecs-svc/1"); ok {
		t.Error("found a task although DescribeTasks failed")
	}
}
