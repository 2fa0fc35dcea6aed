package rollout

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/launchdeploy/launch/internal/policy"
	"github.com/launchdeploy/launch/roles"
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

// How plan shows a role's changes: each change on a line, and one diff per
// document whose headers say what is compared ("(none)" for what does not
// exist yet, "(deleted)" for what goes).
func TestPlanOfARoleNamesEachDocument(t *testing.T) {
	trust, err := policy.Parse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	grant := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:us-east-1:123456789012:secret:a-AbCdEf"}]}`
	older := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:CreateLogStream","Resource":"*"}]}`
	headers := func(diff string) []string {
		var out []string
		for _, l := range strings.Split(diff, "\n") {
			if strings.HasPrefix(l, "--- ") || strings.HasPrefix(l, "+++ ") {
				out = append(out, l)
			}
		}
		return out
	}

	c := roleChange(roles.Plan{Name: "exec", Create: true, Trust: trust, Put: map[string]string{"launch-secrets": grant}})
	if c.Action != PlanCreate || !cmp.Equal(c.Detail, []string{"put inline policy launch-secrets"}) {
		t.Errorf("new role: action %q, detail %q", c.Action, c.Detail)
	}
	want := []string{"--- (none)", "+++ trust policy", "--- (none)", "+++ inline policy launch-secrets (desired)"}
	if diff := cmp.Diff(want, headers(c.Diff)); diff != "" {
		t.Errorf("new role: diff headers (-want +got):\n%s\n%s", diff, c.Diff)
	}

	c = roleChange(roles.Plan{Name: "exec", ARN: "arn:aws:iam::123456789012:role/exec",
		Put: map[string]string{"logs": grant}, PutBefore: map[string]string{"logs": older, "launch-secrets-old": grant},
		Delete: []string{"launch-secrets-old"}})
	wantDetail := []string{"rewrite inline policy logs", "delete inline policy launch-secrets-old (launch's own; nothing left to grant)"}
	if c.Action != PlanUpdate || !cmp.Equal(c.Detail, wantDetail) {
		t.Errorf("existing role: action %q, detail %q; want %q, %q", c.Action, c.Detail, PlanUpdate, wantDetail)
	}
	want = []string{"--- inline policy logs (current)", "+++ inline policy logs (desired)", "--- inline policy launch-secrets-old (current)", "+++ (deleted)"}
	if diff := cmp.Diff(want, headers(c.Diff)); diff != "" {
		t.Errorf("existing role: diff headers (-want +got):\n%s\n%s", diff, c.Diff)
	}
}
