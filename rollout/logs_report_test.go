package rollout

import (
	"testing"
	"time"
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
