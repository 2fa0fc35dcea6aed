package main_test

import (
	"strings"
	"testing"

	"github.com/launchdeploy/launch/internal/awsconf"
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

// After a deploy, status shows no drift; a new image in the spec is drift
// (exit 2 with --detailed-exitcode), and writes nothing. logs reads the
// agent's lines, and names the agents when given an unknown one.
func TestStatusAndLogsCommands(t *testing.T) {
	w := newWorld(t)
	if r := w.launch(rootSpec); r.code != 0 {
		t.Fatalf("deploy: exit %d", r.code)
	}
	r := w.launch("status", rootSpec, "--detailed-exitcode")
	if r.code != 0 || !strings.Contains(r.stdout, "No drift") || !strings.Contains(r.stdout, "streaming-agent") {
		t.Fatalf("status after a deploy: exit %d\n%s", r.code, r.stdout)
	}
	w.env["AGENT_IMAGE"] = "public.ecr.aws/matillion/streaming-agent:2.0"
	w.h.ClearRequests(t)
	r = w.launch("status", rootSpec, "--detailed-exitcode")
	if r.code != 2 || !strings.Contains(r.stdout, "Drift") {
		t.Fatalf("status with a new image in the spec: exit %d, want 2 and drift\n%s", r.code, r.stdout)
	}
	for _, req := range w.h.Requests(t) {
		if !awsconf.IsRead(req.Action) {
			t.Errorf("status wrote: %s:%s", req.Service, req.Action)
		}
	}
	if r := w.launch("logs", rootSpec, "streaming-agent", "--since", "10m"); r.code != 0 {
		t.Fatalf("logs: exit %d\n%s", r.code, r.stderr)
	}
	r = w.launch("logs", rootSpec, "streaming-agnet")
	if r.code != 2 || !strings.Contains(r.stderr, `did you mean "streaming-agent"`) {
		t.Fatalf("logs of an unknown agent: exit %d, want 2 with a suggestion\n%s", r.code, r.stderr)
	}
}
