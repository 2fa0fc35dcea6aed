package rollout

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/launchdeploy/launch/internal/awsconf"
	"github.com/launchdeploy/launch/roles"
)

const (
	outTD1 = "arn:aws:ecs:us-east-1:123456789012:task-definition/agent-a:1"
	outTD2 = "arn:aws:ecs:us-east-1:123456789012:task-definition/agent-a:2"
	outSvc = "arn:aws:ecs:us-east-1:123456789012:service/agents/agent-a"
)

// waveReport is the report of a rollout in two waves whose second did not
// start, filled through the calls applyWaves makes.
func waveReport() *Report {
	r := NewReport("deploy.yaml")
	r.addRole(roles.Result{Name: "agents-task", ARN: "arn:aws:iam::123456789012:role/agents-task", Action: "unchanged"})
	r.addRole(roles.Result{}) // a role whose write failed before it had a name
	r.setCluster(ClusterReport{Name: "agents", Action: "unchanged"})
	r.addWave(1, []string{"agent-a"})
	r.addWave(2, nil)
	a := r.agent("agent-a")
	a.TaskDefinition = TaskDefReport{Family: "agent-a", ARN: outTD2, Revision: 2, Action: "registered"}
	a.Service = ServiceReport{Name: "agent-a", ARN: outSvc, Action: "updated", DeploymentID: "ecs-svc/2", Outcome: "failed"}
	r.ended("agent-a", 1, outTD1, "wave 1 failed; rolled back by launch")
	r.ended("agent-b", 2, "", "not deployed: wave 1 failed")
	r.Waves[0].Outcome, r.Waves[1].Outcome = "failed", "not started"
	return r
}

// Finish records the result, the error and the calls; --output json and
// the summary on stderr show them as they are.
func TestReportOfAFailedWaveRollout(t *testing.T) {
	r := waveReport()
	r.Finish("failed", errors.New("service agent-a: deployment ecs-svc/2 failed"), awsconf.Calls{
		Reads:  map[string]int{"ecs:DescribeServices": 4, "iam:GetRole": 2},
		Writes: map[string]int{"ecs:UpdateService": 2, "ecs:RegisterTaskDefinition": 1},
		Levels: 5,
	})
	if r.Seconds < 0 || r.Seconds > 60 {
		t.Errorf("durationSeconds %v", r.Seconds)
	}
	r.Seconds = 1.25

	var sum strings.Builder
	r.Summary(&sum)
	want := "\nlaunch deploy deploy.yaml: failed in 1.2s\n" +
		"  role agents-task                              unchanged\n" +
		"  cluster agents                                unchanged\n" +
		"  wave 1 agent-a                                failed\n" +
		"  wave 2                                        not started\n" +
		"  agent agent-a                                 task definition agent-a:2 registered, service updated, deployment failed; ends on agent-a:1: wave 1 failed; rolled back by launch\n" +
		"  agent agent-b                                 untouched; not deployed: wave 1 failed\n" +
		"  AWS calls: 6 reads, 3 writes (ecs:RegisterTaskDefinition×1 ecs:UpdateService×2)\n"
	if diff := cmp.Diff(want, sum.String()); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}

	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	wantJSON := `{
  "spec": "deploy.yaml",
  "identity": {
    "account": "",
    "partition": "",
    "region": "",
    "caller": ""
  },
  "command": "",
  "result": "failed",
  "error": "service agent-a: deployment ecs-svc/2 failed",
  "roles": [
    {
      "name": "agents-task",
      "arn": "arn:aws:iam::123456789012:role/agents-task",
      "action": "unchanged"
    }
  ],
  "secrets": [],
  "cluster": {
    "name": "agents",
    "action": "unchanged"
  },
  "agents": [
    {
      "name": "agent-a",
      "logGroup": {
        "name": "",
        "action": "",
        "retentionDays": 0
      },
      "taskDefinition": {
        "family": "agent-a",
        "arn": "` + outTD2 + `",
        "revision": 2,
        "action": "registered",
        "reused": false
      },
      "service": {
        "name": "agent-a",
        "arn": "` + outSvc + `",
        "action": "updated",
        "deploymentId": "ecs-svc/2",
        "runningCount": 0,
        "desiredCount": 0,
        "outcome": "failed",
        "waitSeconds": 0
      },
      "wave": 1,
      "endedOn": "` + outTD1 + `",
      "why": "wave 1 failed; rolled back by launch"
    },
    {
      "name": "agent-b",
      "logGroup": {
        "name": "",
        "action": "",
        "retentionDays": 0
      },
      "taskDefinition": {
        "family": "",
        "arn": "",
        "revision": 0,
        "action": "",
        "reused": false
      },
      "service": {
        "name": "",
        "action": "",
        "runningCount": 0,
        "desiredCount": 0,
        "waitSeconds": 0
      },
      "wave": 2,
      "why": "not deployed: wave 1 failed"
    }
  ],
  "waves": [
    {
      "index": 1,
      "agents": [
        "agent-a"
      ],
      "outcome": "failed"
    },
    {
      "index": 2,
      "agents": [],
      "outcome": "not started"
    }
  ],
  "durationSeconds": 1.25,
  "awsCalls": {
    "reads": {
      "ecs:DescribeServices": 4,
      "iam:GetRole": 2
    },
    "writes": {
      "ecs:RegisterTaskDefinition": 1,
      "ecs:UpdateService": 2
    },
    "totalReads": 6,
    "totalWrites": 3,
    "levels": 5
  }
}`
	if diff := cmp.Diff(wantJSON, string(b)); diff != "" {
		t.Errorf("JSON (-want +got):\n%s", diff)
	}

	ok := NewReport("deploy.yaml")
	ok.Finish("succeeded", nil, awsconf.Calls{})
	if ok.Error != "" || ok.Result != "succeeded" || ok.Calls.TotalWrites != 0 {
		t.Errorf("finished without an error: %+v", ok)
	}
	sum.Reset()
	ok.Summary(&sum)
	if !strings.HasSuffix(sum.String(), "  AWS calls: 0 reads, 0 writes (none)\n") || strings.Contains(sum.String(), "cluster") {
		t.Errorf("summary of a run that wrote nothing:\n%s", sum.String())
	}
}

// The step outputs a workflow reads: every agent's task definition and
// service by name, and the unprefixed pair when the spec has one agent.
func TestReportOutputs(t *testing.T) {
	r := waveReport()
	r.Result = "failed"
	want := map[string]string{"result": "failed", "agent-a-task-definition-arn": outTD2, "agent-a-service-arn": outSvc}
	if diff := cmp.Diff(want, r.Outputs()); diff != "" {
		t.Errorf("two agents (-want +got):\n%s", diff)
	}

	one := NewReport("deploy.yaml")
	one.Result = "succeeded"
	a := one.agent("agent-a")
	a.TaskDefinition.ARN, a.Service.ARN = outTD2, outSvc
	want = map[string]string{"result": "succeeded", "agent-a-task-definition-arn": outTD2, "agent-a-service-arn": outSvc,
		"task-definition-arn": outTD2, "service-arn": outSvc}
	if diff := cmp.Diff(want, one.Outputs()); diff != "" {
		t.Errorf("one agent (-want +got):\n%s", diff)
	}

	// One agent whose run stopped before it registered anything.
	none := NewReport("deploy.yaml")
	none.Result = "failed"
	none.agent("agent-a")
	if diff := cmp.Diff(map[string]string{"result": "failed"}, none.Outputs()); diff != "" {
		t.Errorf("nothing registered (-want +got):\n%s", diff)
	}
}
