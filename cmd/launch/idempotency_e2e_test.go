package main_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/launchdeploy/launch/internal/emulator"
)

// specInCluster writes the root spec with another cluster name (and its
// policy file) into a temporary directory.
func specInCluster(t *testing.T, cluster string) string {
	t.Helper()
	dir := t.TempDir()
	b, err := os.ReadFile(rootSpec)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), "  name: matillion-streaming\n", "  name: "+cluster+"\n", 1)
	if s == string(b) {
		t.Fatal("the root spec's cluster name was not found")
	}
	pol, err := os.ReadFile("../../policies/read-config-bucket.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "policies"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "policies", "read-config-bucket.json"), pol, 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "deploy.yaml")
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// The same agent in a prod and a staging cluster shares one family: reruns
// in either cluster compare with what that cluster's service runs, so they
// write nothing.
func TestSameAgentInTwoClustersRerunsWriteNothing(t *testing.T) {
	w := newWorld(t)
	prod, staging := specInCluster(t, "prod"), specInCluster(t, "staging")
	if r := w.launch(prod); r.code != 0 {
		t.Fatalf("first prod deploy: exit %d", r.code)
	}
	w.env["AGENT_IMAGE"] = "public.ecr.aws/matillion/streaming-agent:staging"
	if r := w.launch(staging); r.code != 0 {
		t.Fatalf("first staging deploy: exit %d", r.code)
	}
	for i, spec := range []string{prod, staging} {
		if spec == prod {
			w.env["AGENT_IMAGE"] = "public.ecr.aws/matillion/streaming-agent:1.0"
		} else {
			w.env["AGENT_IMAGE"] = "public.ecr.aws/matillion/streaming-agent:staging"
		}
		r := w.launch(spec, "--output", "json")
		if r.code != 0 || r.report.Calls.TotalWrites != 0 {
			t.Fatalf("rerun %d (%s): exit %d, writes %v; want 0 and none", i+1, filepath.Base(filepath.Dir(spec)), r.code, r.report.Calls.Writes)
		}
	}
	if got := w.activeRevisions("streaming-agent"); len(got) != 2 {
		t.Errorf("ACTIVE revisions %v, want one per cluster's image", got)
	}
}

// After `rollback --to 1`, deploying a spec equal to revision 1 reuses it:
// no registration, no UpdateService, no task restarted.
func TestRedeployAfterRollbackOfTheSameSpecWritesNothing(t *testing.T) {
	w := newWorld(t)
	w.env["AGENT_IMAGE"] = "public.ecr.aws/matillion/streaming-agent:A"
	if r := w.launch(rootSpec); r.code != 0 {
		t.Fatalf("deploy A: exit %d", r.code)
	}
	w.env["AGENT_IMAGE"] = "public.ecr.aws/matillion/streaming-agent:B"
	if r := w.launch(rootSpec); r.code != 0 {
		t.Fatalf("deploy B: exit %d", r.code)
	}
	if r := w.launch("rollback", rootSpec, "--to", "1"); r.code != 0 {
		t.Fatalf("rollback --to 1: exit %d", r.code)
	}
	before := primary(w.describeService("matillion-streaming", "streaming-agent"))
	w.env["AGENT_IMAGE"] = "public.ecr.aws/matillion/streaming-agent:A"
	r := w.launch(rootSpec, "--output", "json")
	if r.code != 0 || r.report.Calls.TotalWrites != 0 {
		t.Fatalf("redeploy of revision 1's spec: exit %d, writes %v; want 0 and none", r.code, r.report.Calls.Writes)
	}
	after := primary(w.describeService("matillion-streaming", "streaming-agent"))
	if aws.ToString(after.Id) != aws.ToString(before.Id) || !strings.HasSuffix(aws.ToString(after.TaskDefinition), ":1") {
		t.Errorf("PRIMARY deployment %s on %s, want the rollback's %s on :1 (no new deployment)", aws.ToString(after.Id), aws.ToString(after.TaskDefinition), aws.ToString(before.Id))
	}
}

// A reply lost after ECS created the service: the SDK retries CreateService
// with the same clientToken and gets the service back.
func TestLostCreateServiceReplyMakesOneService(t *testing.T) {
	w := newWorld(t)
	w.h.DropAfterResponse(t, "CreateService", 1)
	r := w.launch(rootSpec, "--output", "json")
	if r.code != 0 {
		t.Fatalf("deploy with a lost CreateService reply: exit %d", r.code)
	}
	if n := emulator.CountActions(w.h.Requests(t))["ecs:CreateService"]; n != 2 {
		t.Errorf("CreateService reached ECS %d times, want 2 (the call and the SDK's retry)", n)
	}
	if n := w.serviceCount("matillion-streaming"); n != 1 {
		t.Errorf("%d services, want 1", n)
	}
	if a := r.report.Agents[0]; a.Service.Action != "created" || a.Service.Outcome != "completed" {
		t.Errorf("agent report: %+v", a.Service)
	}
}

// A reply lost after ECS registered the task definition: the retry
// registers a twin, which launch finds, deregistering its duplicate.
func TestLostRegisterTaskDefinitionReplyLeavesOneRevision(t *testing.T) {
	w := newWorld(t)
	w.h.DropAfterResponse(t, "RegisterTaskDefinition", 1)
	r := w.launch(rootSpec, "--output", "json")
	if r.code != 0 {
		t.Fatalf("deploy with a lost RegisterTaskDefinition reply: exit %d", r.code)
	}
	reqs := emulator.CountActions(w.h.Requests(t))
	if reqs["ecs:RegisterTaskDefinition"] != 2 || reqs["ecs:DeregisterTaskDefinition"] != 1 {
		t.Errorf("requests %v, want 2 registrations and 1 deregistration", reqs)
	}
	got := w.activeRevisions("streaming-agent")
	if len(got) != 1 || !strings.HasSuffix(got[0], ":1") {
		t.Fatalf("ACTIVE revisions %v, want only :1", got)
	}
	if td := aws.ToString(primary(w.describeService("matillion-streaming", "streaming-agent")).TaskDefinition); td != got[0] {
		t.Errorf("the service runs %s, want %s", td, got[0])
	}
	if r := w.launch(rootSpec, "--output", "json"); r.code != 0 || r.report.Calls.TotalWrites != 0 {
		t.Errorf("rerun: exit %d, writes %v; want none", r.code, r.report.Calls.Writes)
	}
}

// The permission simulation is advisory: throttled, it SKIPs and the
// deploy goes on.
func TestThrottledPermissionSimulationSkips(t *testing.T) {
	w := newWorld(t)
	w.h.InjectFault(t, emulator.Fault{Action: "SimulatePrincipalPolicy", Count: 50, Status: 400, Code: "Throttling", Message: "Rate exceeded"})
	r := w.launch(rootSpec)
	if r.code != 0 {
		t.Fatalf("exit %d, want 0", r.code)
	}
	if w.h.Health(t).LocalStack != "" {
		// LocalStack's test credentials are the account root, which
		// preflight never simulates (root may do everything): the deploy
		// goes on past a SKIP there too; the moto lane covers the throttle.
		if !strings.Contains(r.stderr, "SKIP permissions: the caller is the account's root user") {
			t.Errorf("want the root SKIP on LocalStack:\n%s", r.stderr)
		}
		return
	}
	line := ""
	for _, l := range strings.Split(r.stderr, "\n") {
		if strings.Contains(l, "SimulatePrincipalPolicy") {
			line = l
		}
	}
	if !strings.Contains(line, "SKIP") || !strings.Contains(line, "Throttling, HTTP 400") || len(line) > 200 {
		t.Errorf("the permissions line is %q; want one short SKIP line naming Throttling, HTTP 400", line)
	}
}

// Two deploys of the same spec at once: one service on one revision, and
// each run says what happened.
func TestTwoDeploysAtOnceConverge(t *testing.T) {
	w := newWorld(t)
	w.h.SetDeploymentDuration(t, 2*time.Second)
	type result struct {
		code   int
		stderr string
	}
	results := make([]result, 2)
	var wg sync.WaitGroup
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := w.command(rootSpec)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			results[i].stderr = stderr.String()
			if ee, ok := err.(*exec.ExitError); ok {
				results[i].code = ee.ExitCode()
			} else if err != nil {
				t.Errorf("run %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	for i, r := range results {
		t.Logf("run %d → exit %d\n%s", i, r.code, r.stderr)
		if r.code != 0 {
			t.Errorf("run %d: exit %d, want 0", i, r.code)
		}
	}
	if n := w.serviceCount("matillion-streaming"); n != 1 {
		t.Errorf("%d services, want 1", n)
	}
	revs := w.activeRevisions("streaming-agent")
	if len(revs) != 1 {
		t.Fatalf("ACTIVE revisions %v, want 1", revs)
	}
	p := primary(w.describeService("matillion-streaming", "streaming-agent"))
	if aws.ToString(p.TaskDefinition) != revs[0] || p.RolloutState != ecstypes.DeploymentRolloutStateCompleted {
		t.Errorf("PRIMARY %s %s, want %s COMPLETED", aws.ToString(p.TaskDefinition), p.RolloutState, revs[0])
	}
	// A third run finds nothing to do.
	if r := w.launch(rootSpec, "--output", "json"); r.code != 0 || r.report.Calls.TotalWrites != 0 {
		t.Errorf("rerun: exit %d, writes %v", r.code, r.report.Calls.Writes)
	}
}

// --if-in-progress fail stops before any write, with exit 5; wait (the
// default) follows the other deployment and then converges.
func TestAnotherRunsDeploymentInProgress(t *testing.T) {
	w := newWorld(t)
	w.h.SetDeploymentDuration(t, 4*time.Second)
	if r := w.launch(rootSpec, "--no-wait"); r.code != 0 {
		t.Fatalf("first deploy: exit %d", r.code)
	}
	w.h.ClearRequests(t)
	r := w.launch(rootSpec, "--if-in-progress", "fail", "--output", "json")
	if r.code != 5 || !strings.Contains(r.stderr, "another deployment is in progress: streaming-agent (deployment ecs-svc/") || r.report.Calls.TotalWrites != 0 {
		t.Fatalf("--if-in-progress fail: exit %d, writes %v; want 5, none, and a message naming the deployment", r.code, r.report.Calls.Writes)
	}
	r = w.launch(rootSpec, "--output", "json")
	if r.code != 0 || r.report.Calls.TotalWrites != 0 || !strings.Contains(r.stderr, "another run's deployment is in progress; waiting") {
		t.Fatalf("--if-in-progress wait: exit %d, writes %v; want 0 after waiting, none written", r.code, r.report.Calls.Writes)
	}
}

func (w *world) serviceCount(cluster string) int {
	w.t.Helper()
	out, err := ecs.NewFromConfig(w.cfg).ListServices(context.Background(), &ecs.ListServicesInput{Cluster: aws.String(cluster)})
	if err != nil {
		w.t.Fatal(err)
	}
	return len(out.ServiceArns)
}
