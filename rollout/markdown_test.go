package rollout

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/launchdeploy/launch/roles"
)

// The job summary a workflow shows after deploy: the result first, the
// error as text, one table row per resource, the waves with their times
// in UTC and the AWS call counts.
func TestReportMarkdownIsTheJobSummary(t *testing.T) {
	started := time.Date(2026, 3, 1, 10, 4, 5, 0, time.FixedZone("CET", 3600))
	passed := started.Add(90 * time.Second)
	r := &Report{
		Spec:    "deploy.yaml",
		Result:  "failed",
		Error:   "service agent-b: deployment failed",
		Roles:   []roles.Result{{Name: "agents-exec", ARN: "arn:aws:iam::123456789012:role/agents-exec", Action: "created"}},
		Cluster: ClusterReport{Name: "agents", ARN: "arn:aws:ecs:us-east-1:123456789012:cluster/agents", Action: "unchanged"},
		Agents: []*AgentReport{
			{
				Name:           "agent-a",
				LogGroup:       LogGroupReport{Name: "/launch/agent-a", Action: "created", RetentionDays: 30},
				TaskDefinition: TaskDefReport{Family: "agent-a", ARN: "arn:aws:ecs:us-east-1:123456789012:task-definition/agent-a:3", Revision: 3, Action: "registered"},
				Service:        ServiceReport{Name: "agent-a", Action: "updated", DeploymentID: "ecs-svc/1", Outcome: "completed"},
			},
			{
				Name:    "agent-b",
				Service: ServiceReport{Name: "agent-b", Action: "updated", DeploymentID: "ecs-svc/2"},
			},
		},
		Waves: []*WaveReport{
			{Index: 1, Agents: []string{"agent-a"}, Outcome: "passed", StartedAt: &started, PassedAt: &passed},
			{Index: 2, Agents: []string{"agent-b", "agent-c"}, Outcome: "failed", StartedAt: &passed},
		},
		Seconds: 12.34,
		Calls:   CallsReport{TotalReads: 40, TotalWrites: 7},
	}
	want := "## ❌ launch `deploy.yaml`: failed\n\n" +
		"```text\nservice agent-b: deployment failed\n```\n\n" +
		"| resource | name | action | details |\n|---|---|---|---|\n" +
		"| role | `agents-exec` | created | arn:aws:iam::123456789012:role/agents-exec |\n" +
		"| cluster | `agents` | unchanged | arn:aws:ecs:us-east-1:123456789012:cluster/agents |\n" +
		"| log group | `/launch/agent-a` | created | retention 30 days |\n" +
		"| task definition | `agent-a:3` | registered | arn:aws:ecs:us-east-1:123456789012:task-definition/agent-a:3 |\n" +
		"| service | `agent-a` | updated | ecs-svc/1 completed |\n" +
		"| service | `agent-b` | updated | ecs-svc/2 |\n" +
		"\n| wave | agents | outcome | started | passed |\n|---|---|---|---|---|\n" +
		"| 1 | agent-a | passed | 09:04:05 | 09:05:35 |\n" +
		"| 2 | agent-b, agent-c | failed | 09:05:35 |  |\n" +
		"\n40 AWS reads, 7 writes in 12.3s.\n"
	if diff := cmp.Diff(want, r.Markdown()); diff != "" {
		t.Errorf("Markdown (-want +got):\n%s", diff)
	}

	ok := &Report{Spec: "deploy.yaml", Result: "succeeded"}
	want = "## ✅ launch `deploy.yaml`: succeeded\n\n" +
		"| resource | name | action | details |\n|---|---|---|---|\n" +
		"\n0 AWS reads, 0 writes in 0.0s.\n"
	if diff := cmp.Diff(want, ok.Markdown()); diff != "" {
		t.Errorf("Markdown of a run with nothing to report (-want +got):\n%s", diff)
	}
}

// The plan's job summary: a row per resource, the waves, then each diff
// folded under its resource.
func TestPlanMarkdownFoldsEachDiff(t *testing.T) {
	v := PlanView{
		Spec:    "deploy.yaml",
		Summary: "2 to change",
		Items: []PlannedChange{
			{Kind: "task definition", Name: "agent-a", Action: "register", Diff: "-  \"image\": \"a:1\"\n+  \"image\": \"a:2\"\n"},
			{Kind: "service", Name: "agent-a", Action: "update"},
		},
		Waves: &PlannedRollout{BakeTime: "1m0s", OnFailure: "rollback", Waves: []PlannedWave{
			{Index: 1, Wave: "1", Agents: []PlannedAgent{{Name: "agent-a"}}},
			{Index: 2, Wave: "100%", Agents: []PlannedAgent{{Name: "agent-b"}, {Name: "agent-c"}}},
		}},
	}
	want := "## launch plan `deploy.yaml`: 2 to change\n\n" +
		"| resource | name | action |\n|---|---|---|\n" +
		"| task definition | `agent-a` | register |\n" +
		"| service | `agent-a` | update |\n" +
		"\n**Rollout in 2 waves** (bake time 1m0s, on failure rollback)\n\n| wave | as written | agents |\n|---|---|---|\n" +
		"| 1 | 1 | `agent-a` |\n" +
		"| 2 | 100% | `agent-b`, `agent-c` |\n" +
		"\n<details><summary>task definition agent-a</summary>\n\n```diff\n-  \"image\": \"a:1\"\n+  \"image\": \"a:2\"\n```\n</details>\n"
	if diff := cmp.Diff(want, v.Markdown()); diff != "" {
		t.Errorf("Markdown (-want +got):\n%s", diff)
	}
}
