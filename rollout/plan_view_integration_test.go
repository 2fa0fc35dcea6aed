package rollout_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-cmp/cmp"

	"github.com/launchdeploy/launch/internal/emulator"
	"github.com/launchdeploy/launch/rollout"
	"github.com/launchdeploy/launch/spec"
)

// viewYAML is a fleet of agent-a (reading secrets a and b) and agent-b;
// change is spliced in under agent-a, taskRole is the task role's section
// and tail goes at the end.
func viewYAML(taskRole, agentA, tail string) string {
	return `region: ${REGION}
cluster: {name: apps, create: true}
taskRole:
  name: app-task
` + taskRole + `executionRole:
  name: app-exec
secrets:
  a: agent/a
  b: agent/b
defaults:
  network: {subnets: ["${SUBNET_1}"], securityGroups: ["${SECURITY_GROUP}"]}
agents:
  - name: agent-a
    image: example.com/agent:1
` + agentA + `  - name: agent-b
    image: example.com/agent:1
` + tail
}

// What `launch plan` shows for changes to a deployed fleet: each changed
// resource with what changes and its diff, the grant narrowed after the
// deployments, the waves with the agent that has nothing to change left
// out of them, the preflight tree first; and for no change, that AWS
// matches the spec.
func TestPlanViewOfChangesToADeployedFleet(t *testing.T) {
	e := newEnv(t)
	emulator.CreateSecret(t, e.cfg, "agent/a", `{"k":"v"}`, "")
	emulator.CreateSecret(t, e.cfg, "agent/b", `{"k":"v"}`, "")
	both := "    secrets:\n      A: {secret: a}\n      B: {secret: b}\n"
	deployed := viewYAML("", both, "")
	if _, _, err := e.deploy(e.spec(deployed), rollout.Options{}); err != nil {
		t.Fatal(err)
	}
	c := rollout.NewClients(e.cfg)
	ctx := context.Background()
	grant := grantName(e.cfg.Region, "apps")

	sp := e.spec(viewYAML("  trustedServices: [ec2.amazonaws.com]\n",
		"    secrets:\n      A: {secret: a}\n    logs: {retentionDays: 7}\n    service: {desiredCount: 2}\n",
		"rollout:\n  waves: [1, 100%]\n  bakeTime: 1s\n"))
	p, err := rollout.MakePlan(ctx, c, sp)
	if err != nil {
		t.Fatal(err)
	}
	v := p.View()
	res := p.Preflight(ctx, c, nil)
	v.Preflight = &res
	if !v.Changes || v.Summary != "0 to create, 5 to update, 4 unchanged" {
		t.Errorf("changes %v, summary %q", v.Changes, v.Summary)
	}
	byName := map[string]rollout.PlannedChange{}
	for _, it := range v.Items {
		byName[it.Kind+" "+it.Name] = it
	}
	wantDetail := map[string][]string{
		"role app-task":          {"trust policy: add a trusted service, or this region's aws:SourceArn to the confused-deputy condition (existing statements and values are kept)"},
		"log group /ecs/agent-a": {"retention: 30 → 7 days"},
		"service agent-a":        {"taskDefinition: agent-a:1 → agent-a:(next revision)", "desiredCount: 1 → 2"},
	}
	for name, want := range wantDetail {
		it := byName[name]
		if it.Action != rollout.PlanUpdate || !cmp.Equal(it.Detail, want) || it.Diff == "" && name != "log group /ecs/agent-a" {
			t.Errorf("%s: %s %q, diff %q; want update %q", name, it.Action, it.Detail, it.Diff, want)
		}
	}
	exec := byName["role app-exec"]
	if exec.Action != rollout.PlanUpdate || len(exec.Detail) == 0 ||
		exec.Detail[0] != "narrow inline policy "+grant+" to what the task definitions read once every deployment completed (until then it keeps the removed ones for the old tasks and a rollback)" ||
		!strings.Contains(exec.Diff, "--- inline policy "+grant+" (current)\n+++ inline policy "+grant+" (after the deployments)\n") {
		t.Errorf("role app-exec: %s %q\n%s", exec.Action, exec.Detail, exec.Diff)
	}
	if got := byName["service agent-a"].Diff; !strings.Contains(got, "-taskDefinition: agent-a:1\n-desiredCount: 1\n+taskDefinition: agent-a:(next revision)\n+desiredCount: 2\n") {
		t.Errorf("service diff:\n%s", got)
	}
	wantWaves := "Rollout in 2 waves (bake time 1s, on failure stop):\n" +
		"  wave 1 [1]: agent-a (log group update, task definition update, service update)\n" +
		"  wave 2 [100%]: no agent with something to change\n" +
		"  in no wave, nothing to change: agent-b\n"
	if diff := cmp.Diff(wantWaves, v.Waves.Text()); diff != "" {
		t.Errorf("waves (-want +got):\n%s", diff)
	}
	text := v.Text()
	for _, want := range []string{
		res.Tree() + "\n",
		"\n~ role app-task: update\n    trust policy: add a trusted service",
		"\n    --- trust policy (current)\n    +++ trust policy (desired)\n",
		"\n~ log group /ecs/agent-a: update\n    retention: 30 → 7 days\n~ task definition agent-a: update\n",
		"\n= log group /ecs/agent-b: no change\n= task definition agent-b: no change\n    reuse agent-b:1\n= service agent-b: no change\n",
		"\n\n" + wantWaves + "\nPlan: 0 to create, 5 to update, 4 unchanged.\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("plan text lacks %q:\n%s", want, text)
		}
	}
	if !strings.HasPrefix(text, "preflight") || strings.Contains(text, "No changes") {
		t.Errorf("plan text:\n%s", text)
	}
	md := v.Markdown()
	for _, want := range []string{"| role | `app-exec` | update |\n", "| log group | `/ecs/agent-a` | update |\n", "\n**Rollout in 2 waves** (bake time 1s, on failure stop)\n",
		"| 1 | 1 | `agent-a` |\n| 2 | 100% |  |\n", "<details><summary>service agent-a</summary>"} {
		if !strings.Contains(md, want) {
			t.Errorf("plan summary lacks %q:\n%s", want, md)
		}
	}

	// Without any secret left the grant goes, after the deployments.
	p, err = rollout.MakePlan(ctx, c, e.spec(viewYAML("", "", "")))
	if err != nil {
		t.Fatal(err)
	}
	v = p.View()
	exec = v.Items[1]
	if exec.Name != "app-exec" || exec.Action != rollout.PlanUpdate || len(exec.Detail) == 0 ||
		exec.Detail[0] != "delete inline policy "+grant+" (nothing left to grant) once every deployment completed (until then it keeps the removed ones for the old tasks and a rollback)" ||
		!strings.Contains(exec.Diff, "+++ inline policy "+grant+" (after the deployments)\n") {
		t.Errorf("role app-exec without secrets: %s %q\n%s", exec.Action, exec.Detail, exec.Diff)
	}

	// The spec as deployed: nothing to do.
	p, err = rollout.MakePlan(ctx, c, e.spec(deployed))
	if err != nil {
		t.Fatal(err)
	}
	v = p.View()
	if v.Changes || !strings.HasSuffix(v.Text(), "\nPlan: 0 to create, 0 to update, 9 unchanged.\nNo changes: AWS already matches "+sp.Path+".\n") {
		t.Errorf("plan of the deployed spec:\n%s", v.Text())
	}
}

// noAccount is an STS whose caller identity has no account.
type noAccount struct{}

func (noAccount) GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	return &sts.GetCallerIdentityOutput{Arn: aws.String("arn:aws:iam::123456789012:user/ci")}, nil
}

// An identity without an account leaves the deployment instance unknown,
// and a read AWS refuses leaves the state unknown: plan stops after its
// reads with what went wrong, planning nothing.
func TestPlanStopsWhenItCannotTell(t *testing.T) {
	cfg := emulator.Config(t)
	path := filepath.Join(t.TempDir(), "deploy.yaml")
	if err := os.WriteFile(path, []byte(`region: us-east-1
cluster: {name: apps}
taskRole: {name: app-task}
executionRole: {name: app-exec}
agents:
  - name: agent-a
    image: example.com/agent:1
    network: {subnets: [subnet-0123456789abcdef0]}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	sp, err := spec.Load(path, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	c := rollout.NewClients(cfg)
	c.STS = noAccount{}
	p, err := rollout.MakePlan(context.Background(), c, sp)
	if want := "cannot tell which deployment instance this is: no AWS account: sts:GetCallerIdentity returned none"; p != nil || err == nil || err.Error() != want {
		t.Errorf("plan: %v, %v; want no plan and %q", p, err, want)
	}

	// A read AWS refuses: no plan, and the error says which read.
	h := emulator.NewHarness(t)
	c = rollout.NewClients(cfg)
	for _, tc := range []struct {
		fault emulator.Fault
		want  string
	}{
		{emulator.Fault{Action: "GetCallerIdentity", Service: "sts", Code: "AccessDenied", Status: 403, Message: "who?"}, "identify the caller (sts:GetCallerIdentity): "},
		{emulator.Fault{Action: "DescribeServices", Service: "ecs", Code: "AccessDeniedException", Message: "what?"}, "describe service agent-a: "},
	} {
		h.InjectFault(t, tc.fault)
		p, err := rollout.MakePlan(context.Background(), c, sp)
		if p != nil || err == nil || !strings.HasPrefix(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.fault.Message) {
			t.Errorf("%s refused: plan %v, %v; want no plan and %q…", tc.fault.Action, p, err, tc.want)
		}
	}
	h.ClearFaults(t)
}
