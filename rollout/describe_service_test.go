package rollout

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/google/go-cmp/cmp"

	"github.com/launchdeploy/launch/spec"
)

// A service update shows, under its detail lines, a diff of the fields it
// changes: the service as it runs, then as the spec wants it.
func TestPlanViewDiffsAServiceUpdate(t *testing.T) {
	p := &Plan{
		Spec:     &spec.Spec{Path: "deploy.yaml", Cluster: spec.Cluster{Name: "apps"}},
		Identity: Identity{Account: "123456789012", Partition: "aws", Region: "us-east-1"},
		Instance: Instance{Account: "123456789012", Region: "us-east-1", Cluster: "apps"},
	}
	agent := spec.Agent{Name: "agent-a", Service: spec.Service{DesiredCount: 2, MinimumHealthyPercent: 100, MaximumPercent: 200},
		Network: spec.Network{Subnets: []string{"subnet-1"}}}
	running := &ecstypes.Service{ServiceName: aws.String("agent-a"), Status: aws.String("ACTIVE"), DesiredCount: 1,
		TaskDefinition: aws.String("arn:aws:ecs:us-east-1:123456789012:task-definition/agent-a:3"), LaunchType: ecstypes.LaunchTypeFargate,
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{Subnets: []string{"subnet-1"}, AssignPublicIp: ecstypes.AssignPublicIpDisabled}},
		DeploymentConfiguration: &ecstypes.DeploymentConfiguration{MinimumHealthyPercent: aws.Int32(100), MaximumPercent: aws.Int32(200),
			DeploymentCircuitBreaker: &ecstypes.DeploymentCircuitBreaker{}}}
	// The task definition changes too (a new revision is registered).
	got := serviceChange(p, AgentPlan{Agent: agent, Service: running})
	want := PlannedChange{Kind: "service", Name: "agent-a", Action: PlanUpdate,
		Detail: []string{"taskDefinition: agent-a:3 → agent-a:(next revision)", "desiredCount: 1 → 2"},
		Diff: "--- service agent-a (current)\n+++ service agent-a (desired)\n@@ -1,2 +1,2 @@\n" +
			"-taskDefinition: agent-a:3\n-desiredCount: 1\n+taskDefinition: agent-a:(next revision)\n+desiredCount: 2\n"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("service change (-want +got):\n%s", diff)
	}
}
