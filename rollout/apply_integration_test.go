package rollout_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/launchdeploy/launch/internal/emulator"
	"github.com/launchdeploy/launch/rollout"
)

// applyYAML is agent-<n> in cluster apps-<n>, reading secret a (and b
// with both), with extra lines under executionRole:.
func applyYAML(n int, both bool, exec string) string {
	y := `region: ${REGION}
cluster: {name: apps-` + strconv.Itoa(n) + `, create: true}
taskRole: {name: app-task}
executionRole:
  name: app-exec
` + exec + `secrets: {a: agent/a, b: agent/b}
defaults:
  network: {subnets: ["${SUBNET_1}"], securityGroups: ["${SECURITY_GROUP}"]}
agents:
  - name: agent-` + strconv.Itoa(n) + `
    image: example.com/agent:1
    secrets:
      A: {secret: a}
`
	if both {
		y += "      B: {secret: b}\n"
	}
	return y
}

// A write AWS refuses stops the deploy: no later step of the agent's chain
// (task definition after the roles, service after the cluster and its
// task definition) is started, and the error names what was refused.
func TestApplyStopsAtTheFirstRefusedWrite(t *testing.T) {
	e := newEnv(t)
	emulator.CreateSecret(t, e.cfg, "agent/a", `{"k":"v"}`, "")
	emulator.CreateSecret(t, e.cfg, "agent/b", `{"k":"v"}`, "")
	steps := []struct {
		fault emulator.Fault
		// never are the writes that must not follow the refused one.
		never []string
	}{
		{emulator.Fault{Action: "CreateRole", Service: "iam", Code: "AccessDenied", Status: 403}, []string{"RegisterTaskDefinition", "CreateService"}},
		{emulator.Fault{Action: "CreateCluster", Service: "ecs", Code: "AccessDeniedException"}, []string{"CreateService"}},
		{emulator.Fault{Action: "CreateLogGroup", Service: "logs", Code: "AccessDeniedException"}, []string{"RegisterTaskDefinition", "CreateService"}},
		{emulator.Fault{Action: "RegisterTaskDefinition", Service: "ecs", Code: "AccessDeniedException"}, []string{"CreateService"}},
		{emulator.Fault{Action: "CreateService", Service: "ecs", Code: "AccessDeniedException"}, nil},
	}
	// Each step deploys a new agent in a new cluster, so the refused write
	// is one the deploy must make.
	for n, st := range steps {
		sp := e.spec(applyYAML(n, true, ""))
		msg := "refused " + st.fault.Action
		st.fault.Message = msg
		e.h.ClearRequests(t)
		e.h.InjectFault(t, st.fault)
		rep, _, err := e.deploy(sp, rollout.Options{})
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s refused: deploy %v, want the refusal", st.fault.Action, err)
			continue
		}
		for _, r := range e.h.Requests(t) {
			if slices.Contains(st.never, r.Action) {
				t.Errorf("%s refused: deploy went on with %s", st.fault.Action, r.Action)
			}
		}
		if a := rep.Agents[0]; a.Service.Action != "" || a.Service.Outcome != "" {
			t.Errorf("%s refused: the report says service %+v", st.fault.Action, a.Service)
		}
	}
	sp := e.spec(applyYAML(0, true, ""))
	if _, _, err := e.deploy(sp, rollout.Options{}); err != nil {
		t.Fatalf("deploy after the refusals: %v", err)
	}

	// Dropping secret b: with --no-wait the grant keeps b, and launch says so.
	out := &hooked{t: t}
	rep := rollout.NewReport(sp.Path)
	less := e.spec(applyYAML(0, false, ""))
	if err := rollout.Deploy(context.Background(), rollout.NewClients(e.cfg), less, rollout.Options{NoWait: true}, out, rep); err != nil {
		t.Fatal(err)
	}
	grant := grantName(e.cfg.Region, "apps-0")
	for _, want := range []string{"not waiting for the deployments (--no-wait)",
		"WARNING: grant " + grant + " of role app-exec still allows what the task definitions no longer read: it is narrowed after a deploy that waits for its deployments"} {
		if !out.printed(want) {
			t.Errorf("--no-wait progress lacks %q", want)
		}
	}
	if doc := e.inlinePolicy("app-exec", grant); !strings.Contains(doc, "agent/b") {
		t.Errorf("grant after --no-wait: %s, want b still in it", doc)
	}

	// grantAllSecrets is said aloud on every deploy.
	out = &hooked{t: t}
	if err := rollout.Deploy(context.Background(), rollout.NewClients(e.cfg), e.spec(applyYAML(0, false, "  grantAllSecrets: true\n")), rollout.Options{}, out, rollout.NewReport(sp.Path)); err != nil {
		t.Fatal(err)
	}
	if want := `WARNING: executionRole.grantAllSecrets is on: role app-exec may read EVERY secret in the account (secretsmanager:GetSecretValue on "*")`; !out.printed(want) {
		t.Errorf("progress lacks %q", want)
	}
}
