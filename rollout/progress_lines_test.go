package rollout_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// A deploy says, as it goes, what it reads and what it waits for: the
// lines a pipeline's log shows while launch is silent for minutes.
func TestDeploySaysWhatItReadsAndWhatItWaitsFor(t *testing.T) {
	e := newEnv(t)
	rep, rec, err := e.deployTo(imageSpec(e, "example.com/agent:1"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(rec.text(), "\n")
	if want := fmt.Sprintf("reading the current state (1 agent(s), cluster apps, region %s)", e.cfg.Region); lines[0] != want {
		t.Errorf("first line %q, want %q", lines[0], want)
	}
	wait := fmt.Sprintf("waiting for service %s (deployment %s, up to 15m0s)", rep.Agents[0].Name, rep.Agents[0].Service.DeploymentID)
	if rep.Agents[0].Service.DeploymentID == "" || !slices.Contains(lines, wait) {
		t.Errorf("progress lacks %q:\n%s", wait, rec.text())
	}
}
