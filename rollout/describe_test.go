package rollout

import (
	"slices"
	"strings"
	"testing"

	"github.com/launchdeploy/launch/spec"
	"github.com/launchdeploy/launch/taskdef"
)

// A new family built from a base: plan shows what the spec changes against
// the base file, not the whole document as if everything were new.
func TestPlanOfANewFamilyDiffsAgainstTheBase(t *testing.T) {
	base, err := taskdef.DecodeBase([]byte(`{"family": "web", "cpu": "256", "memory": "512",
		"requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc",
		"containerDefinitions": [{"name": "agent", "image": "repo/agent:1", "essential": true,
			"environment": [{"name": "MODE", "value": "base"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	desired, err := taskdef.Build(taskdef.Input{Family: "agent", ContainerName: "agent", Image: "repo/agent:2", Base: base})
	if err != nil {
		t.Fatal(err)
	}
	c := taskDefChange(AgentPlan{
		Agent:   spec.Agent{Name: "agent", BaseTaskDefinition: "base.json"},
		TaskDef: desired, Base: base,
	})
	if c.Action != PlanCreate {
		t.Fatalf("action %q, want create", c.Action)
	}
	var minus, plus []string
	for _, l := range strings.Split(c.Diff, "\n") {
		switch {
		case strings.HasPrefix(l, "---"), strings.HasPrefix(l, "+++"):
			if !strings.Contains(l, "base base.json") && strings.HasPrefix(l, "---") {
				t.Errorf("diff's old side is %q, want the base file", l)
			}
		case strings.HasPrefix(l, "-"):
			minus = append(minus, strings.TrimSpace(l[1:]))
		case strings.HasPrefix(l, "+"):
			plus = append(plus, strings.TrimSpace(l[1:]))
		}
	}
	want := map[string][]string{
		"-": {`"family": "web",`, `"image": "repo/agent:1",`},
		"+": {`"family": "agent",`, `"image": "repo/agent:2",`},
	}
	for _, w := range want["-"] {
		if !slices.Contains(minus, w) {
			t.Errorf("diff lacks removed line %s; removed: %q", w, minus)
		}
	}
	for _, w := range want["+"] {
		if !slices.Contains(plus, w) {
			t.Errorf("diff lacks added line %s; added: %q", w, plus)
		}
	}
	for _, l := range append(minus, plus...) {
		if strings.Contains(l, `"cpu"`) || strings.Contains(l, `"memory"`) || strings.Contains(l, "MODE") || strings.Contains(l, "base\"") {
			t.Errorf("diff shows a value the spec does not change: %s", l)
		}
	}
}
