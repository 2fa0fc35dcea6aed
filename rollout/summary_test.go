package rollout

import (
	"strings"
	"testing"
)

// A rollback's summary says rollback, and what each agent went back to; a
// deploy's says what was registered and updated.
func TestSummarySaysWhatTheCommandDid(t *testing.T) {
	report := func(command string) string {
		r := NewReport("fleet.yaml")
		r.Command = command
		r.Result = "succeeded"
		a := r.agent("agent-a")
		a.TaskDefinition = TaskDefReport{Family: "agent-a", Revision: 3, Action: "reused"}
		a.Service = ServiceReport{Action: "updated", Outcome: "completed"}
		b := r.agent("agent-b")
		b.TaskDefinition = TaskDefReport{Family: "agent-b", Revision: 7, Action: "reused"}
		b.Service = ServiceReport{Action: "unchanged"}
		var w strings.Builder
		r.Summary(&w)
		return w.String()
	}
	rb := report("rollback")
	for _, want := range []string{"launch rollback fleet.yaml: succeeded", "agent-a", "rolled back to agent-a:3", "already on agent-b:7"} {
		if !strings.Contains(rb, want) {
			t.Errorf("rollback summary lacks %q:\n%s", want, rb)
		}
	}
	if strings.Contains(rb, "service updated") {
		t.Errorf("rollback summary reads like a deploy:\n%s", rb)
	}
	if dp := report("deploy"); !strings.Contains(dp, "launch deploy fleet.yaml: succeeded") || !strings.Contains(dp, "task definition agent-a:3 reused, service updated, deployment completed") {
		t.Errorf("deploy summary:\n%s", dp)
	}
}
