package main_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/launchdeploy/launch/internal/emulator"
)

// wavesSpec is a fleet of ten agents running image, in waves [1, 3, 100%]
// baked 1s when waves is set.
func wavesSpec(t *testing.T, image string, waves bool) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(`region: ${AWS_REGION}
cluster:
  name: fleet
  create: true
taskRole:
  name: fleet-task
executionRole:
  name: fleet-exec
defaults:
  image: ` + image + `
  network:
    subnets: ["${SUBNET_1}"]
    securityGroups: ["${SECURITY_GROUP}"]
agents:
`)
	for i := 1; i <= 10; i++ {
		fmt.Fprintf(&b, "  - name: agent-%02d\n", i)
	}
	if waves {
		b.WriteString("rollout:\n  waves: [1, 3, 100%]\n  bakeTime: 1s\n")
	}
	path := filepath.Join(t.TempDir(), "deploy.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func countAction(rs []emulator.TimedRequest, action string) int {
	n := 0
	for _, r := range rs {
		if r.Action == action {
			n++
		}
	}
	return n
}

func TestWavesInterruptedInWaveTwoResumeOnRerun(t *testing.T) {
	w := newWorld(t)
	if r := w.launch(wavesSpec(t, "example.com/agent:1", false)); r.code != 0 {
		t.Fatalf("first deploy: exit %d", r.code)
	}
	spec := wavesSpec(t, "example.com/agent:2", true)
	w.h.SetDeploymentDuration(t, 2*time.Second)
	w.h.ClearRequests(t)

	// Ctrl-C once the request log shows wave 2's UpdateService calls (the
	// canary's is the first), while its deployments run.
	cmd := w.command(spec, "--poll-interval", "200ms")
	stderr := startUntil(t, cmd, 60*time.Second, "reached wave 2", func(string) bool { return countAction(w.h.TimedRequests(t), "UpdateService") >= 4 })
	if code, _ := interrupt(t, cmd, 1); code != 130 {
		t.Fatalf("exit %d, want 130\n%s", code, stderr.String())
	}

	r := w.launch(spec, "--output", "json", "--poll-interval", "200ms")
	if r.code != 0 {
		t.Fatalf("rerun: exit %d", r.code)
	}
	if len(r.report.Waves) != 3 || strings.Join(r.report.Waves[0].Agents, ",") != "agent-01" || len(r.report.Waves[1].Agents) != 3 || len(r.report.Waves[2].Agents) != 6 {
		t.Fatalf("rerun waves %+v", r.report.Waves)
	}
	for _, wv := range r.report.Waves {
		if wv.Outcome != "passed" {
			t.Errorf("wave %d %s", wv.Index, wv.Outcome)
		}
	}
	// Only wave 3 writes: its six services (marked, then updated).
	if got := r.report.Calls.Writes; got["ecs:UpdateService"] != 6 || got["ecs:RegisterTaskDefinition"] != 6 || got["ecs:TagResource"] != 6 {
		t.Errorf("rerun writes %v, want wave 3's six agents only", got)
	}
	for _, a := range r.report.Agents[:4] {
		if a.Service.Action != "unchanged" || a.TaskDefinition.Revision != 2 {
			t.Errorf("%s: service %s on revision %d", a.Name, a.Service.Action, a.TaskDefinition.Revision)
		}
	}
	if !strings.Contains(r.stderr, "another run's deployment is in progress") {
		t.Errorf("the rerun did not follow wave 2's deployments:\n%s", r.stderr)
	}
}

func TestWavesFailingCanaryExits3AndTouchesNoOtherAgent(t *testing.T) {
	w := newWorld(t)
	if r := w.launch(wavesSpec(t, "example.com/agent:1", false)); r.code != 0 {
		t.Fatalf("first deploy: exit %d", r.code)
	}
	w.h.MarkImageFailing(t, "example.com/agent:2", "")
	w.h.ClearRequests(t)
	r := w.launch(wavesSpec(t, "example.com/agent:2", true), "--output", "json", "--poll-interval", "200ms")
	if r.code != 3 {
		t.Fatalf("exit %d, want 3", r.code)
	}
	if n := countAction(w.h.TimedRequests(t), "UpdateService"); n != 1 {
		t.Errorf("%d UpdateService calls, want the canary's only", n)
	}
	if r.report.Waves[0].Outcome != "failed" || r.report.Waves[1].Outcome != "not started" {
		t.Errorf("waves %+v %+v", r.report.Waves[0], r.report.Waves[1])
	}
	for _, a := range r.report.Agents {
		if !strings.HasSuffix(a.EndedOn, ":1") || a.Why == "" {
			t.Errorf("%s ended on %q (%s), want revision 1", a.Name, a.EndedOn, a.Why)
		}
	}
	if !strings.Contains(r.stderr, "wave 1/3 failed its gate") {
		t.Errorf("stderr does not say the canary wave failed")
	}
}
