package main_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/launchdeploy/launch/internal/awsconf"
	"github.com/launchdeploy/launch/rollout"
)

// plan runs `launch plan --output json --detailed-exitcode` and checks, from
// the emulator's own request log, that it sent no write request.
func (w *world) plan() (int, rollout.PlanView) {
	w.t.Helper()
	w.h.ClearRequests(w.t)
	r := w.launch("plan", rootSpec, "--output", "json", "--detailed-exitcode")
	var v rollout.PlanView
	if r.code == 0 || r.code == 2 {
		if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
			w.t.Fatalf("plan JSON: %v\n%s", err, r.stdout)
		}
	}
	for _, req := range w.h.Requests(w.t) {
		if !awsconf.IsRead(req.Action) {
			w.t.Errorf("plan sent a write request: %s:%s", req.Service, req.Action)
		}
	}
	return r.code, v
}

func actions(v rollout.PlanView) map[string]string {
	m := map[string]string{}
	for _, it := range v.Items {
		m[it.Kind+" "+it.Name] = it.Action
	}
	return m
}

func TestPlanShowsCreatesThenNothingThenTheImageChange(t *testing.T) {
	w := newWorld(t)

	code, v := w.plan()
	if code != 2 || !v.Changes {
		t.Fatalf("plan on an empty account: exit %d changes %v", code, v.Changes)
	}
	creates := actions(v)
	for _, k := range []string{"task definition streaming-agent", "service streaming-agent"} {
		if creates[k] != rollout.PlanCreate {
			t.Errorf("%s: %q, want create; plan: %v", k, creates[k], creates)
		}
	}
	for k, a := range creates {
		if a != rollout.PlanCreate {
			t.Errorf("%s: %s, want create", k, a)
		}
	}

	if r := w.launch(rootSpec); r.code != 0 {
		t.Fatalf("deploy exit %d", r.code)
	}
	code, v = w.plan()
	if code != 0 || v.Changes {
		t.Errorf("plan after deploy: exit %d, %s", code, v.Summary)
	}

	w.env["AGENT_IMAGE"] = "public.ecr.aws/matillion/streaming-agent:2.0"
	code, v = w.plan()
	if code != 2 {
		t.Fatalf("plan after an image change: exit %d", code)
	}
	changed := map[string]string{}
	for k, a := range actions(v) {
		if a != rollout.PlanNoChange {
			changed[k] = a
		}
	}
	want := map[string]string{"task definition streaming-agent": "update", "service streaming-agent": "update"}
	if len(changed) != 2 || changed["task definition streaming-agent"] != "update" || changed["service streaming-agent"] != "update" {
		t.Errorf("changed resources %v, want %v", changed, want)
	}
	// The task definition's diff changes exactly the image line.
	wantLines := []string{
		`-"image": "public.ecr.aws/matillion/streaming-agent:1.0"`,
		`+"image": "public.ecr.aws/matillion/streaming-agent:2.0"`,
	}
	diffs := 0
	for _, it := range v.Items {
		if it.Kind != "task definition" {
			continue
		}
		diffs++
		if got := changedLines(it.Diff); !slices.Equal(got, wantLines) {
			t.Errorf("task definition diff changes %q, want %q:\n%s", got, wantLines, it.Diff)
		}
	}
	if diffs != 1 {
		t.Errorf("%d task definition items, want 1", diffs)
	}
}

// changedLines returns the added and removed lines of a unified diff, each
// as its sign followed by the trimmed line without a trailing comma.
func changedLines(diff string) []string {
	var out []string
	for _, l := range strings.Split(diff, "\n") {
		if strings.HasPrefix(l, "--- ") || strings.HasPrefix(l, "+++ ") || (!strings.HasPrefix(l, "+") && !strings.HasPrefix(l, "-")) {
			continue
		}
		out = append(out, l[:1]+strings.TrimSuffix(strings.TrimSpace(l[1:]), ","))
	}
	return out
}

func TestPlanTextOutput(t *testing.T) {
	w := newWorld(t)
	r := w.launch("plan", rootSpec)
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	for _, want := range []string{"+ role matillion-streaming-agent-task: create", "+ service streaming-agent: create", "Plan: ", `"sts:AssumeRole"`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("plan output lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestMissingSubnetFailsPreflightInPlanAndDeploy(t *testing.T) {
	w := newWorld(t)
	w.env["SUBNET_2"] = "subnet-0123456789abcdef0" // does not exist
	w.h.ClearRequests(t)
	for _, args := range [][]string{{"plan", rootSpec}, {rootSpec}} {
		r := w.launch(args...)
		if r.code != 1 {
			t.Errorf("launch %v: exit %d, want 1", args, r.code)
		}
		// plan prints the plan with its preflight tree on stdout; deploy
		// prints the tree with its progress on stderr.
		for _, want := range []string{"FAIL", "subnet-0123456789abcdef0", "preflight failed"} {
			if !strings.Contains(r.stdout+r.stderr, want) {
				t.Errorf("launch %v: output lacks %q", args, want)
			}
		}
		if !strings.Contains(r.stderr, "preflight failed, nothing was changed") {
			t.Errorf("launch %v: the error does not say nothing was changed", args)
		}
	}
	for _, req := range w.h.Requests(t) {
		if !awsconf.IsRead(req.Action) {
			t.Errorf("a write request although preflight failed: %s:%s", req.Service, req.Action)
		}
	}
}

func TestMissingSecretFailsPreflightBeforeAnyWrite(t *testing.T) {
	w := newWorld(t)
	w.env["AGENT_SECRET_NAME"] = "matillion/streaming-agent/nope"
	w.h.ClearRequests(t)
	r := w.launch(rootSpec, "--output", "json")
	if r.code != 1 || !strings.Contains(r.stderr, `secret "matillion/streaming-agent/nope" not found`) {
		t.Errorf("exit %d; stderr does not name the missing secret", r.code)
	}
	if r.report.Calls.TotalWrites != 0 || r.report.Preflight == nil || !r.report.Preflight.Failed() {
		t.Errorf("writes %v, preflight %+v", r.report.Calls.Writes, r.report.Preflight)
	}
	for _, req := range w.h.Requests(t) {
		if !awsconf.IsRead(req.Action) {
			t.Errorf("a write request although preflight failed: %s:%s", req.Service, req.Action)
		}
	}
}
