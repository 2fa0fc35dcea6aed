package service

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

func desired() Desired {
	return Desired{Cluster: "c", Name: "agent", TaskDefinitionARN: tdNew, DesiredCount: 1,
		Subnets: []string{"subnet-b", "subnet-a"}, SecurityGroups: []string{"sg-1"},
		MinimumHealthyPercent: 0, MaximumPercent: 100, CircuitBreaker: true, Rollback: true}
}

func current() *types.Service {
	d := desired()
	return &types.Service{ServiceName: aws.String("agent"), TaskDefinition: aws.String(tdNew), DesiredCount: 1,
		NetworkConfiguration: &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{
			Subnets: []string{"subnet-a", "subnet-b"}, SecurityGroups: []string{"sg-1"}}}, // assignPublicIp absent = DISABLED
		DeploymentConfiguration: deploymentConfig(d)}
}

func TestPlanForNothingDiffers(t *testing.T) {
	if p := PlanFor(desired(), current()); p.Changed() {
		t.Errorf("plan changes an identical service: %v", p.Changes)
	}
}

func TestPlanForOneUpdateCarriesEveryDifference(t *testing.T) {
	cur := current()
	cur.TaskDefinition = aws.String(tdOld)
	cur.DesiredCount = 2
	cur.DeploymentConfiguration.DeploymentCircuitBreaker.Rollback = false
	cur.NetworkConfiguration.AwsvpcConfiguration.Subnets = []string{"subnet-a"}
	p := PlanFor(desired(), cur)
	if p.Update == nil || p.Create {
		t.Fatalf("want one update, got %+v", p)
	}
	u := p.Update
	if aws.ToString(u.TaskDefinition) != tdNew || aws.ToInt32(u.DesiredCount) != 1 || u.NetworkConfiguration == nil || u.DeploymentConfiguration == nil {
		t.Errorf("update misses a difference: %+v", u)
	}
	if len(p.Changes) != 4 {
		t.Errorf("changes = %q, want 4", p.Changes)
	}
}

func TestPlanForOnlyTaskDefinition(t *testing.T) {
	cur := current()
	cur.TaskDefinition = aws.String(tdOld)
	p := PlanFor(desired(), cur)
	if p.Update == nil || p.Update.DesiredCount != nil || p.Update.NetworkConfiguration != nil || p.Update.DeploymentConfiguration != nil {
		t.Errorf("update carries more than the task definition: %+v", p.Update)
	}
}

func TestPlanForMissingService(t *testing.T) {
	if p := PlanFor(desired(), nil); !p.Create {
		t.Error("a missing service must be created")
	}
}

// draining answers DescribeServices with a DRAINING service.
type draining struct{ API }

func (draining) DescribeServices(context.Context, *ecs.DescribeServicesInput, ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	return &ecs.DescribeServicesOutput{Services: []types.Service{{ServiceName: aws.String("agent"), Status: aws.String("DRAINING")}}}, nil
}

func TestReadDrainingServiceSaysToWait(t *testing.T) {
	_, err := Read(context.Background(), draining{}, "c", "agent")
	want := "service agent in cluster c: is DRAINING after a delete; wait until ECS marks it INACTIVE (usually a few minutes) and rerun"
	if !errors.Is(err, ErrDraining) || err.Error() != want {
		t.Errorf("err = %v", err)
	}
}

func TestPlanForRedeploysAFailedPrimaryOnTheSameRevision(t *testing.T) {
	cur := current()
	cur.Deployments = []types.Deployment{{Id: aws.String("ecs-svc/1"), Status: aws.String("PRIMARY"),
		TaskDefinition: aws.String(tdNew), RolloutState: types.DeploymentRolloutStateFailed, DesiredCount: 1}}
	p := PlanFor(desired(), cur)
	if p.Update == nil || !p.Update.ForceNewDeployment || p.Update.TaskDefinition != nil {
		t.Fatalf("a FAILED deployment of our revision must be retried with forceNewDeployment: %+v", p.Update)
	}
	if want := []string{"deployment: FAILED on agent:2 → a new deployment"}; !slices.Equal(p.Changes, want) {
		t.Errorf("changes %q, want %q", p.Changes, want)
	}
	cur.Deployments[0].RolloutState = types.DeploymentRolloutStateCompleted
	if PlanFor(desired(), cur).Changed() {
		t.Error("a COMPLETED deployment of our revision must be left alone")
	}
}

// Which deployment-configuration differences are a change: each percent and
// each circuit-breaker setting; a service without a configuration, or
// without a circuit breaker (ECS's defaults), differs from launch's.
func TestDeploymentDifferencesThatCountAsAChange(t *testing.T) {
	cfg := func(minimum, maximum int32, cb *types.DeploymentCircuitBreaker) *types.DeploymentConfiguration {
		return &types.DeploymentConfiguration{MinimumHealthyPercent: aws.Int32(minimum), MaximumPercent: aws.Int32(maximum), DeploymentCircuitBreaker: cb}
	}
	tests := map[string]struct {
		have  *types.DeploymentConfiguration
		shown string // "": no change
	}{
		"the same":                    {cfg(0, 100, &types.DeploymentCircuitBreaker{Enable: true, Rollback: true}), ""},
		"another minimum":             {cfg(50, 100, &types.DeploymentCircuitBreaker{Enable: true, Rollback: true}), "minimumHealthyPercent=50 maximumPercent=100 circuitBreaker=true rollback=true"},
		"another maximum":             {cfg(0, 200, &types.DeploymentCircuitBreaker{Enable: true, Rollback: true}), "minimumHealthyPercent=0 maximumPercent=200 circuitBreaker=true rollback=true"},
		"circuit breaker off":         {cfg(0, 100, &types.DeploymentCircuitBreaker{Enable: false, Rollback: true}), "minimumHealthyPercent=0 maximumPercent=100 circuitBreaker=false rollback=true"},
		"rollback off":                {cfg(0, 100, &types.DeploymentCircuitBreaker{Enable: true, Rollback: false}), "minimumHealthyPercent=0 maximumPercent=100 circuitBreaker=true rollback=false"},
		"no circuit breaker":          {cfg(0, 100, nil), "minimumHealthyPercent=0 maximumPercent=100 circuitBreaker=false rollback=false"},
		"no deployment configuration": {nil, "default"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cur := current()
			cur.DeploymentConfiguration = tc.have
			p := PlanFor(desired(), cur)
			if tc.shown == "" {
				if p.Changed() {
					t.Errorf("not a change, but the plan has %q", p.Changes)
				}
				return
			}
			if p.Update == nil || !reflect.DeepEqual(p.Update.DeploymentConfiguration, deploymentConfig(desired())) {
				t.Fatalf("want an update carrying the desired configuration, got %+v", p.Update)
			}
			want := "deploymentConfiguration: " + tc.shown + " → minimumHealthyPercent=0 maximumPercent=100 circuitBreaker=true rollback=true"
			if !slices.Equal(p.Changes, []string{want}) {
				t.Errorf("changes = %q, want [%q]", p.Changes, want)
			}
		})
	}
}
