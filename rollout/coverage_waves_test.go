package rollout_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/launchdeploy/launch/rollout"
	"github.com/launchdeploy/launch/service"
)

// An agent with nothing to change is followed before the first wave: when
// its deployment (left failing, without a circuit breaker, by an earlier
// run) does not complete, the deploy stops there with that outcome, and no
// wave starts: the agent with a new image is not deployed.
func TestWavesStopWhenAnUnchangedAgentsDeploymentFails(t *testing.T) {
	e := newEnv(t)
	e.h.MarkImageFailing(t, "example.com/bad:1", "")
	fleet := func(image string) string {
		y := fleetYAML(2, func(i int) string { return map[int]string{1: "example.com/bad:1", 2: image}[i] }, "")
		return strings.Replace(y, "    image: example.com/bad:1\n", "    image: example.com/bad:1\n    service: {circuitBreaker: {enable: false, rollback: false}}\n", 1)
	}
	if _, _, err := e.deployWith(e.spec(fleet("example.com/agent:1")), rollout.Options{NoWait: true}); err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		failed := int32(0)
		for _, d := range activeService(t, e.cfg, "apps", "agent-01").Deployments {
			if aws.ToString(d.Status) == "PRIMARY" {
				failed = d.FailedTasks
			}
		}
		if failed > 0 {
			break
		}
		if time.Now().After(end) {
			t.Fatal("the deployment of the failing image has no failed task")
		}
	}

	e.h.ClearRequests(t)
	rep, _, err := e.deployWith(e.spec(fleet("example.com/agent:2")+"rollout:\n"+wavesRollout), rollout.Options{WaitTimeout: time.Second})
	var te *service.TimeoutError
	if !errors.As(err, &te) || !strings.HasPrefix(err.Error(), "service agent-01: deployment ") {
		t.Errorf("deploy: %v, want agent-01's wait timed out", err)
	}
	if got := rep.Agents[0].Service.Outcome; got != "timed out" {
		t.Errorf("agent-01's outcome %q, want timed out", got)
	}
	for _, w := range rep.Waves {
		if w.Outcome != "not started" {
			t.Errorf("wave %d: outcome %q, want not started", w.Index, w.Outcome)
		}
	}
	if w := e.writes(); len(w) != 0 {
		t.Errorf("wrote %v; no wave may start after the unchanged agent failed", w)
	}
	if got := runningTaskDefs(t, e, 2)["agent-02"]; !strings.HasSuffix(got, "agent-02:1") {
		t.Errorf("agent-02 runs %s, want its first revision still", got)
	}
}
