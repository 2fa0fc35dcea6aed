package rollout

import (
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/launchdeploy/launch/spec"
)

func TestBusyAgentsSkipsAFailingDeployment(t *testing.T) {
	svc := func(state ecstypes.DeploymentRolloutState, failed int32) *ecstypes.Service {
		return &ecstypes.Service{Deployments: []ecstypes.Deployment{{Id: aws.String("ecs-svc/1"), Status: aws.String("PRIMARY"), RolloutState: state, FailedTasks: failed}}}
	}
	p := &Plan{Agents: []AgentPlan{
		{Agent: spec.Agent{Name: "quiet"}, Service: svc(ecstypes.DeploymentRolloutStateCompleted, 0)},
		{Agent: spec.Agent{Name: "busy"}, Service: svc(ecstypes.DeploymentRolloutStateInProgress, 0)},
		{Agent: spec.Agent{Name: "stuck"}, Service: svc(ecstypes.DeploymentRolloutStateInProgress, 2)},
		{Agent: spec.Agent{Name: "new"}},
	}}
	var got []string
	for _, ap := range busyAgents(p) {
		got = append(got, ap.Agent.Name)
	}
	if !slices.Equal(got, []string{"busy"}) {
		t.Errorf("busy agents = %v, want [busy]: a deployment whose tasks fail is replaced, not waited for", got)
	}
}
