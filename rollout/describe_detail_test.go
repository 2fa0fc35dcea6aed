package rollout

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/launchdeploy/launch/preflight"
	"github.com/launchdeploy/launch/roles"
	"github.com/launchdeploy/launch/secrets"
	"github.com/launchdeploy/launch/spec"
)

// What plan says about the shared roles and the grant: the instance tag a
// shared role gains, a role's warnings, each read of the task definitions
// (one that cannot be granted says why), the legacy grant left in place;
// and an agent logging with another driver has no log group line.
func TestPlanViewSaysWhatTheGrantCovers(t *testing.T) {
	p := &Plan{
		Spec:     &spec.Spec{Path: "deploy.yaml", Cluster: spec.Cluster{Name: "apps"}},
		Identity: Identity{Account: "123456789012", Partition: "aws", Region: "us-east-1"},
		Instance: Instance{Account: "123456789012", Region: "us-east-1", Cluster: "apps"},
		TaskRole: roles.Plan{Name: "app-task", ARN: "arn:aws:iam::123456789012:role/app-task",
			AddTags: map[string]string{"launch:instance:b": "2", "launch:instance:a": "1"}, Warnings: []string{"the role trusts ec2.amazonaws.com too"}},
		ExecRole: roles.Plan{Name: "app-exec", ARN: "arn:aws:iam::123456789012:role/app-exec"},
		Reads: []secrets.Reference{
			{Kind: secrets.KindSecret, Ref: "agent/a", ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:agent/a-AbCdEf", Where: []string{"agent agent-a container agent secrets[A]"}},
			{Kind: secrets.KindSecret, Ref: "agent/gone", Problem: `secret "agent/gone" not found`, Where: []string{"agent agent-a container agent secrets[G]", "agent agent-b container agent secrets[G]"}},
			{Kind: secrets.KindParameter, Ref: "/team/param", Where: []string{"agent agent-a container agent secrets[P]"}},
		},
		LegacyGrant: `{"Version":"2012-10-17","Statement":[]}`,
		Agents:      []AgentPlan{{Agent: spec.Agent{Name: "agent-a", Service: spec.Service{DesiredCount: 1}}}},
	}
	v := p.View()
	want := []PlannedChange{
		{Kind: "role", Name: "app-task", Action: PlanUpdate, Detail: []string{
			"tag launch:instance:a=1 (records this deployment instance on the shared role)",
			"tag launch:instance:b=2 (records this deployment instance on the shared role)",
			"warning: the role trusts ec2.amazonaws.com too",
		}},
		{Kind: "role", Name: "app-exec", Action: PlanNoChange, Detail: []string{
			"grant launch-secrets-us-east-1-apps (instance 123456789012/us-east-1/apps) covers what the task definitions read:",
			"  secret arn:aws:secretsmanager:us-east-1:123456789012:secret:agent/a-AbCdEf ← agent agent-a container agent secrets[A]",
			`  secret NOT GRANTED: secret "agent/gone" not found ← agent agent-a container agent secrets[G], agent agent-b container agent secrets[G]`,
			"  parameter /team/param ← agent agent-a container agent secrets[P]",
			"warning: launch-secrets-access (the grant of launch versions before per-instance grants) is left as it is: other instances may still rely on it; delete it by hand once every instance has deployed with this version",
		}},
		{Kind: "cluster", Name: "apps", Action: PlanNoChange},
		{Kind: "task definition", Name: "agent-a", Action: PlanCreate, Detail: []string{"register agent-a:1 (the family has no active revision)"}},
		{Kind: "service", Name: "agent-a", Action: PlanCreate, Detail: []string{"create in cluster apps on agent-a:(next revision), 1 task(s)"}},
	}
	if diff := cmp.Diff(want, v.Items); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
	if v.Summary != "2 to create, 1 to update, 2 unchanged" {
		t.Errorf("summary %q", v.Summary)
	}

	// Without the old grant on the role, no warning about it.
	p.LegacyGrant = ""
	if got := p.View().Items[1].Detail; len(got) != 4 || strings.Contains(strings.Join(got, "\n"), "warning") {
		t.Errorf("execution role without the legacy grant: %q", got)
	}

	// The preflight tree comes first, on lines of its own.
	v.Preflight = &preflight.Result{Checks: []preflight.Check{{Name: "cluster apps", Status: preflight.OK, Reason: "exists"}}}
	text := v.Text()
	if want := "preflight\n└─ OK   cluster apps: exists\n\n~ role app-task: update\n"; !strings.HasPrefix(text, want) {
		t.Errorf("plan text does not start with the preflight tree and a blank line:\n%s", text)
	}
}
