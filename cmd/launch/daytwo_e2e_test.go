package main_test

import (
	"strings"
	"testing"
)

// A deployment whose container crashes: exit 3, and the task's last log
// lines under its stopped reason, on stderr and in the JSON report.
func TestFailedDeployShowsTheAgentsLastLogLines(t *testing.T) {
	w := newWorld(t)
	if r := w.launch(rootSpec); r.code != 0 {
		t.Fatalf("first run exit %d", r.code)
	}
	bad := "public.ecr.aws/matillion/streaming-agent:bad-secret"
	w.h.MarkImageCrashing(t, bad, 1, "starting agent", "error: invalid client secret")
	w.env["AGENT_IMAGE"] = bad
	r := w.launch(rootSpec, "--output", "json")
	if r.code != 3 {
		t.Fatalf("exit %d, want 3", r.code)
	}
	stopped := strings.Index(r.stderr, "stopped: Essential container in task exited")
	started := strings.Index(r.stderr, "starting agent")
	reason := strings.Index(r.stderr, "error: invalid client secret")
	if stopped < 0 || started < stopped || reason < started {
		t.Errorf("stderr does not show the stopped reason, then the log lines")
	}
	tl := r.report.Agents[0].Service.FailedTaskLogs
	if tl == nil || len(tl.Lines) != 2 || tl.Lines[1].Message != "error: invalid client secret" || tl.StoppedReason != "Essential container in task exited" {
		t.Fatalf("report failedTaskLogs = %+v", tl)
	}
}
