package rollout

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/launchdeploy/launch/service"
)

// What `launch status` says needs a person: drift with what would change,
// a service that is not ACTIVE, a rollout not COMPLETED, missing tasks and
// unhealthy ones; nothing for an agent as it should be.
func TestStatusProblems(t *testing.T) {
	bad := AgentStatus{
		Drift:        true,
		Changes:      []PlannedChange{{Kind: "task definition"}, {Kind: "service"}},
		Service:      "DRAINING",
		DeploymentID: "ecs-svc/9", RolloutState: "IN_PROGRESS",
		DesiredCount: 2, RunningCount: 1,
		Tasks: []TaskStatus{{ID: "0123456789abcdef", HealthStatus: "UNHEALTHY"}, {ID: "fedcba9876543210", HealthStatus: "HEALTHY"}},
	}
	want := []string{
		"drift: a deploy would change the task definition, service",
		"service is DRAINING",
		"deployment ecs-svc/9 is IN_PROGRESS",
		"1 of 2 desired task(s) running",
		"task 01234567 is UNHEALTHY",
	}
	if diff := cmp.Diff(want, problems(bad)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	good := AgentStatus{Service: "ACTIVE", RolloutState: "COMPLETED", DesiredCount: 1, RunningCount: 1, Tasks: []TaskStatus{{ID: "t", HealthStatus: "HEALTHY"}}}
	if got := problems(good); len(got) != 0 {
		t.Errorf("problems of a healthy agent = %q, want none", got)
	}
}

// The text of `launch status`: per agent the revisions, the deployment,
// the tasks with their containers' health, the last events and what a
// deploy would change; then whether anything drifts.
func TestStatusText(t *testing.T) {
	started := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	r := StatusReport{
		Spec:     "deploy.yaml",
		Identity: Identity{Account: "123456789012", Region: "us-east-1"},
		Cluster:  "agents",
		Drift:    true,
		Agents: []AgentStatus{
			{
				Name:                  "a",
				Service:               "ACTIVE",
				RunningTaskDefinition: "arn:aws:ecs:us-east-1:123456789012:task-definition/a:3",
				SpecTaskDefinition:    "arn:aws:ecs:us-east-1:123456789012:task-definition/a:4",
				DeploymentID:          "ecs-svc/1", RolloutState: "IN_PROGRESS", RolloutStateReason: "ECS deployment in progress", Deployments: 2,
				DesiredCount: 2, RunningCount: 1, PendingCount: 1,
				HealthChecks: []service.HealthCheck{{Container: "agent", Command: []string{"CMD-SHELL", "true"}}},
				Tasks: []TaskStatus{{
					ID: "0123456789abcdef", TaskDefinition: "arn:aws:ecs:us-east-1:123456789012:task-definition/a:3",
					LastStatus: "RUNNING", HealthStatus: "HEALTHY", StartedAt: &started,
					Containers: []ContainerStatus{{Name: "agent", HealthStatus: "HEALTHY"}, {Name: "sidecar", HealthStatus: "UNKNOWN"}},
				}},
				Events:   []ServiceEvent{{Time: started, Message: "(service a) has started 1 tasks"}},
				Changes:  []PlannedChange{{Kind: "service", Name: "a", Action: "update", Detail: []string{"desiredCount: 1 → 2"}}},
				Problems: []string{"deployment ecs-svc/1 is IN_PROGRESS"},
			},
			{
				Name:        "b",
				Service:     "MISSING",
				NewRevision: true,
				Changes:     []PlannedChange{{Kind: "service", Name: "b", Action: "create"}},
				Problems:    []string{"service b does not exist: deploy creates it"},
			},
		},
		SharedChanges: []PlannedChange{{Kind: "role", Name: "exec", Action: "update"}},
	}
	want := `cluster agents, region us-east-1, account 123456789012

agent a: deployment ecs-svc/1 is IN_PROGRESS
  revision:   running a:3; the spec gives a:4
  deployment: ecs-svc/1 IN_PROGRESS (ECS deployment in progress); 2 deployment(s)
  tasks:      running 1/2, pending 1
  health:     container agent (check: CMD-SHELL true)
    01234567 a:3 RUNNING, health HEALTHY (agent HEALTHY), started 2026-03-01T10:00:00Z
  last events (newest first):
    2026-03-01T10:00:00Z (service a) has started 1 tasks
  changes a deploy would make:
    service a: update
        desiredCount: 1 → 2

agent b: service b does not exist: deploy creates it
  revision:   running nothing (no service); the spec gives a new revision (no registered one matches the spec)
  changes a deploy would make:
    service b: create

changes a deploy would make to the shared resources:
  role exec: update

Drift: a deploy would change what AWS has; ` + "`launch plan deploy.yaml`" + ` shows the diffs.
`
	if diff := cmp.Diff(want, r.Text()); diff != "" {
		t.Errorf("Text (-want +got):\n%s", diff)
	}
	r = StatusReport{Spec: "deploy.yaml", Cluster: "agents", Identity: Identity{Account: "123456789012", Region: "us-east-1"},
		Agents: []AgentStatus{{Name: "a", Service: "ACTIVE", RunningTaskDefinition: "arn:aws:ecs:us-east-1:123456789012:task-definition/a:4", SpecTaskDefinition: "arn:aws:ecs:us-east-1:123456789012:task-definition/a:4", DeploymentID: "ecs-svc/2", RolloutState: "COMPLETED", Deployments: 1, DesiredCount: 1, RunningCount: 1}}}
	want = `cluster agents, region us-east-1, account 123456789012

agent a: OK
  revision:   running a:4; the spec gives a:4
  deployment: ecs-svc/2 COMPLETED; 1 deployment(s)
  tasks:      running 1/1, pending 0

No drift: AWS matches deploy.yaml.
`
	if diff := cmp.Diff(want, r.Text()); diff != "" {
		t.Errorf("Text without drift (-want +got):\n%s", diff)
	}
}
