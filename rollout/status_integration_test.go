package rollout_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/launchdeploy/launch/rollout"
	"github.com/launchdeploy/launch/spec"
)

func status(t *testing.T, e *env, sp *spec.Spec) rollout.StatusReport {
	t.Helper()
	e.h.ClearRequests(t)
	rep, err := rollout.Status(context.Background(), rollout.NewClients(e.cfg), sp)
	if err != nil {
		t.Fatalf("status: %v", err)
	}
	for _, r := range e.h.Requests(t) {
		if w := r.Action; strings.HasPrefix(w, "Create") || strings.HasPrefix(w, "Update") || strings.HasPrefix(w, "Put") || strings.HasPrefix(w, "Register") {
			t.Errorf("status wrote: %s:%s", r.Service, w)
		}
	}
	t.Logf("status:\n%s", rep.Text())
	return rep
}

func TestStatusBeforeAndAfterADeployAndDrift(t *testing.T) {
	e := newEnv(t)
	yaml := withBase(t, e, specYAML(nil, ""), healthBase)
	sp := e.spec(yaml)

	rep := status(t, e, sp)
	a := rep.Agents[0]
	if !rep.Drift || a.Service != "MISSING" || !a.NewRevision || !a.Drift || len(a.Problems) == 0 {
		t.Errorf("before any deploy: %+v", a)
	}

	if _, _, err := e.deployTo(sp); err != nil {
		t.Fatal(err)
	}
	rep = status(t, e, sp)
	a = rep.Agents[0]
	if rep.Drift || a.Drift || len(a.Changes) != 0 || len(rep.SharedChanges) != 0 || len(a.Problems) != 0 {
		t.Errorf("right after the deploy: drift %v, changes %+v, shared %+v, problems %q", rep.Drift, a.Changes, rep.SharedChanges, a.Problems)
	}
	if a.RunningRevision != 1 || a.SpecRevision != 1 || a.RunningTaskDefinition != a.SpecTaskDefinition || a.NewRevision {
		t.Errorf("revisions: running %s, spec %s", a.RunningTaskDefinition, a.SpecTaskDefinition)
	}
	if a.RolloutState != "COMPLETED" || a.RunningCount != 1 || a.DesiredCount != 1 || a.Deployments != 1 {
		t.Errorf("rollout %s %d/%d (%d deployments)", a.RolloutState, a.RunningCount, a.DesiredCount, a.Deployments)
	}
	if len(a.Tasks) != 1 || a.Tasks[0].HealthStatus != "HEALTHY" || a.Tasks[0].Containers[0].HealthStatus != "HEALTHY" || len(a.HealthChecks) != 1 {
		t.Errorf("tasks %+v, health checks %+v", a.Tasks, a.HealthChecks)
	}
	if len(a.Events) == 0 || len(a.Events) > rollout.StatusEvents || a.Events[0].Message != "(service agent-a) has reached a steady state." {
		t.Errorf("events %+v", a.Events)
	}
	text := rep.Text()
	for _, want := range []string{"agent agent-a: OK", "running agent-a:1; the spec gives agent-a:1", "COMPLETED", "running 1/1", "health HEALTHY (agent-a HEALTHY)",
		"container agent-a (check: CMD-SHELL curl -f http://localhost:8080/health || exit 1)", "No drift"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q", want)
		}
	}
	data, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"drift":false`, `"runningTaskDefinition":"arn:`, `"healthStatus":"HEALTHY"`, `"rolloutState":"COMPLETED"`, `"events":[{"time":`} {
		if !strings.Contains(string(data), key) {
			t.Errorf("JSON lacks %s: %s", key, data)
		}
	}

	// Someone scales the service by hand: drift on the service.
	if _, err := ecs.NewFromConfig(e.cfg).UpdateService(context.Background(), &ecs.UpdateServiceInput{Cluster: aws.String("apps"), Service: aws.String("agent-a"), DesiredCount: aws.Int32(3)}); err != nil {
		t.Fatal(err)
	}
	rep = status(t, e, sp)
	a = rep.Agents[0]
	if !rep.Drift || len(a.Changes) != 1 || a.Changes[0].Kind != "service" || !strings.Contains(strings.Join(a.Changes[0].Detail, " "), "desiredCount: 3 → 1") {
		t.Errorf("service scaled by hand: drift %v changes %+v", rep.Drift, a.Changes)
	}
	if !strings.Contains(rep.Text(), "drift: a deploy would change the service") || !strings.Contains(rep.Text(), "Drift: a deploy would change") {
		t.Errorf("text does not show the drift")
	}

	// The spec moves on (a new image): drift on the task definition.
	rep = status(t, e, e.spec(strings.Replace(yaml, "example.com/agent:1", "example.com/agent:2", 1)))
	a = rep.Agents[0]
	kinds := []string{}
	for _, ch := range a.Changes {
		kinds = append(kinds, ch.Kind)
	}
	if !a.NewRevision || a.SpecTaskDefinition != "" || strings.Join(kinds, ",") != "task definition,service" {
		t.Errorf("new image: new revision %v, changes %q", a.NewRevision, kinds)
	}
	if !strings.Contains(rep.Text(), "running agent-a:1; the spec gives a new revision") {
		t.Errorf("text does not say the spec gives a new revision")
	}

	// Someone detaches a managed policy from the shared task role: drift on
	// the role, which every agent shares, beside the agents.
	if _, err := iam.NewFromConfig(e.cfg).DetachRolePolicy(context.Background(), &iam.DetachRolePolicyInput{
		RoleName: aws.String("app-task"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}); err != nil {
		t.Fatal(err)
	}
	rep = status(t, e, sp)
	if !rep.Drift || len(rep.SharedChanges) != 1 || rep.SharedChanges[0].Kind != "role" || rep.SharedChanges[0].Name != "app-task" || rep.SharedChanges[0].Action != rollout.PlanUpdate {
		t.Errorf("a policy detached from the task role: drift %v, shared changes %+v", rep.Drift, rep.SharedChanges)
	}
}
