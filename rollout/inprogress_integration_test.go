package rollout_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/launchdeploy/launch/internal/emulator"
	"github.com/launchdeploy/launch/rollout"
	"github.com/launchdeploy/launch/spec"
)

// deployWith runs a deploy in-process with opts and returns its progress
// (SDK retries off, so an injected fault fails its call once).
func (e *env) deployWith(sp *spec.Spec, opts rollout.Options) (*rollout.Report, *recorder, error) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	opts.PollMin, opts.PollMax = 100*time.Millisecond, 300*time.Millisecond
	rec := &recorder{t: e.t}
	rep := rollout.NewReport(sp.Path)
	cfg := e.cfg.Copy()
	cfg.Retryer = faultsAtOnce
	err := rollout.Deploy(ctx, rollout.NewClients(cfg), sp, opts, rec, rep)
	return rep, rec, err
}

// noBreaker is imageSpec without a circuit breaker: a deployment whose
// tasks fail stays IN_PROGRESS.
func noBreaker(e *env, image string) *spec.Spec {
	return e.spec(strings.Replace(specYAML(nil, ""), "    image: example.com/agent:1\n",
		"    image: "+image+"\n    service: {circuitBreaker: {enable: false, rollback: false}}\n", 1))
}

// primaryID is the ID of the service's PRIMARY deployment, read with the SDK.
func primaryID(t *testing.T, e *env) string {
	t.Helper()
	for _, d := range activeService(t, e.cfg, "apps", "agent-a").Deployments {
		if aws.ToString(d.Status) == "PRIMARY" {
			return aws.ToString(d.Id)
		}
	}
	t.Fatal("no PRIMARY deployment")
	return ""
}

// A deploy that finds another run's deployment in progress fails before
// any write with --if-in-progress fail, or when the wait for it times out;
// with wait it follows that deployment to its end, then plans and deploys.
// A deployment whose tasks fail while this run waits is deployed over.
func TestDeployWaitsForAnotherRunsDeploymentOrSaysWhyNot(t *testing.T) {
	e := newEnv(t)
	if _, _, err := e.deployTo(imageSpec(e, "example.com/agent:1")); err != nil {
		t.Fatal(err)
	}
	v3 := imageSpec(e, "example.com/agent:3")
	// A failed read while planning stops the deploy.
	e.deny("sts", "GetCallerIdentity")
	_, _, err := e.deployWith(v3, rollout.Options{})
	wantDenied(t, err, "identify the caller (sts:GetCallerIdentity): ")
	// How many DescribeServices calls a plan makes: the next one is the wait's.
	e.h.ClearRequests(t)
	if _, err := rollout.MakePlan(context.Background(), rollout.NewClients(e.cfg), v3); err != nil {
		t.Fatal(err)
	}
	planReads := emulator.CountActions(e.h.Requests(t))["ecs:DescribeServices"]

	e.h.SetDeploymentDuration(t, 3*time.Second)
	if _, _, err := e.deployWith(imageSpec(e, "example.com/agent:2"), rollout.Options{NoWait: true}); err != nil {
		t.Fatal(err)
	}
	other := primaryID(t, e)

	// The wait's read of the other deployment fails: the deploy stops with
	// that error, not as a deployment in progress.
	e.h.ClearRequests(t)
	e.h.SetThrottle(t, "DescribeServices", planReads, 0.001)
	_, _, err = e.deployWith(v3, rollout.Options{})
	e.unthrottle("DescribeServices")
	var ip *rollout.InProgressError
	wantThrottled(t, err, "describe service agent-a: ")
	if errors.As(err, &ip) {
		t.Errorf("a failed read reported as a deployment in progress: %v", err)
	}
	// The plan's reads, then the wait's one failed read: no plan after it.
	if n := emulator.CountActions(e.h.Requests(t))["ecs:DescribeServices"]; n != planReads+1 {
		t.Errorf("%d DescribeServices calls, want the plan's %d and the wait's one", n, planReads)
	}

	_, _, err = e.deployWith(v3, rollout.Options{IfInProgress: rollout.InProgressFail})
	want := "another deployment is in progress: agent-a (deployment " + other + " on agent-a:2); --if-in-progress fail; rerun when it has ended, or use --if-in-progress wait; nothing was changed"
	if !errors.As(err, &ip) || err.Error() != want {
		t.Errorf("--if-in-progress fail: %v\nwant %s", err, want)
	}
	_, _, err = e.deployWith(v3, rollout.Options{IfInProgress: rollout.InProgressWait, WaitTimeout: 300 * time.Millisecond})
	want = "another deployment is in progress: agent-a (deployment " + other + "); it did not end within the wait timeout; nothing was changed"
	if !errors.As(err, &ip) || err.Error() != want {
		t.Errorf("a wait that times out: %v\nwant %s", err, want)
	}
	if w := e.writes(); len(w) != 0 {
		t.Errorf("wrote %v while another run's deployment was in progress", w)
	}

	_, rec, err := e.deployWith(v3, rollout.Options{IfInProgress: rollout.InProgressWait})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{
		"service agent-a (deployment " + other + " on agent-a:2): another run's deployment is in progress; waiting for it to end before planning again (--if-in-progress wait)",
		"service agent-a: the other run's deployment " + other + " COMPLETED",
	} {
		if !strings.Contains(rec.text(), w) {
			t.Errorf("progress lacks %q:\n%s", w, rec.text())
		}
	}
	if got := runs(t, e, "agent-a"); got != "agent-a:3" {
		t.Errorf("after the wait, the service runs %s, want agent-a:3", got)
	}

	// Another run deploys an image whose tasks crash: the circuit breaker
	// fails it and rolls back. This run waits for both, then deploys.
	// (Each round of failures takes a deployment's duration; the next plan
	// must come before the first.)
	e.h.SetDeploymentDuration(t, 1500*time.Millisecond)
	e.h.MarkImageCrashing(t, "example.com/agent:4", 1, "boom")
	if _, _, err := e.deployWith(imageSpec(e, "example.com/agent:4"), rollout.Options{NoWait: true}); err != nil {
		t.Fatal(err)
	}
	failed := primaryID(t, e)
	_, rec, err = e.deployWith(imageSpec(e, "example.com/agent:5"), rollout.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if w := "service agent-a: the other run's deployment " + failed + " ended FAILED"; !strings.Contains(rec.text(), w) {
		t.Errorf("progress lacks %q:\n%s", w, rec.text())
	}
	if w := "on agent-a:3): another run's deployment is in progress"; !strings.Contains(rec.text(), w) {
		t.Errorf("progress does not wait for the rollback to agent-a:3:\n%s", rec.text())
	}
	if got := runs(t, e, "agent-a"); got != "agent-a:5" {
		t.Errorf("the service runs %s, want agent-a:5", got)
	}

	// Without a circuit breaker the crashing deployment stays IN_PROGRESS:
	// once its tasks fail, this run deploys over it.
	e.h.MarkImageCrashing(t, "example.com/agent:6", 1, "boom")
	if _, _, err := e.deployWith(noBreaker(e, "example.com/agent:6"), rollout.Options{NoWait: true}); err != nil {
		t.Fatal(err)
	}
	failing := primaryID(t, e)
	_, rec, err = e.deployWith(noBreaker(e, "example.com/agent:7"), rollout.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if w := "service agent-a: the other run's deployment " + failing + " is failing ("; !strings.Contains(rec.text(), w) || !strings.Contains(rec.text(), "); this run deploys over it") {
		t.Errorf("progress lacks %q…; this run deploys over it:\n%s", w, rec.text())
	}
	if got := runs(t, e, "agent-a"); got != "agent-a:7" {
		t.Errorf("the service runs %s, want agent-a:7", got)
	}
}
