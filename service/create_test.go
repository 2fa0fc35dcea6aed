package service

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// raced is an ECS where another run created the service just before this
// run's CreateService: ECS refuses it as not idempotent.
type raced struct {
	API
	existing *types.Service
	tokens   []string
	updates  []*ecs.UpdateServiceInput
}

func (r *raced) CreateService(_ context.Context, in *ecs.CreateServiceInput, _ ...func(*ecs.Options)) (*ecs.CreateServiceOutput, error) {
	r.tokens = append(r.tokens, aws.ToString(in.ClientToken))
	return nil, &types.InvalidParameterException{Message: aws.String("Creation of service was not idempotent.")}
}

func (r *raced) DescribeServices(context.Context, *ecs.DescribeServicesInput, ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	return &ecs.DescribeServicesOutput{Services: []types.Service{*r.existing}}, nil
}

func (r *raced) UpdateService(_ context.Context, in *ecs.UpdateServiceInput, _ ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error) {
	r.updates = append(r.updates, in)
	return &ecs.UpdateServiceOutput{Service: r.existing}, nil
}

func TestCreateServiceRaceConvergesOnTheExistingService(t *testing.T) {
	d := desired()
	d.ClientToken = "token-of-this-run"
	cur := current()
	cur.ServiceArn = aws.String("arn:aws:ecs:eu-west-1:123456789012:service/c/agent")
	cur.Status = aws.String("ACTIVE")
	cur.Deployments = []types.Deployment{{Id: aws.String("ecs-svc/7"), Status: aws.String("PRIMARY"), TaskDefinition: aws.String(tdNew),
		RolloutState: types.DeploymentRolloutStateInProgress, DesiredCount: 1}}

	// The other run created it as this run wants it: nothing to write, follow its deployment.
	api := &raced{existing: cur}
	st, err := Apply(context.Background(), api, PlanFor(d, nil))
	if err != nil {
		t.Fatal(err)
	}
	if !st.Raced || st.Action != "unchanged" || st.DeploymentID != "ecs-svc/7" || len(api.updates) != 0 {
		t.Errorf("Apply = %+v with %d updates; want unchanged, raced, following ecs-svc/7", st, len(api.updates))
	}
	if len(api.tokens) != 1 || api.tokens[0] != "token-of-this-run" {
		t.Errorf("CreateService tokens %q", api.tokens)
	}

	// It differs (another revision): one UpdateService brings it to this run's.
	cur.TaskDefinition = aws.String(tdOld)
	api = &raced{existing: cur}
	st, err = Apply(context.Background(), api, PlanFor(d, nil))
	if err != nil || !st.Raced || st.Action != "updated" || len(api.updates) != 1 || aws.ToString(api.updates[0].TaskDefinition) != tdNew {
		t.Errorf("Apply = %+v, %v with updates %v; want one UpdateService to %s", st, err, api.updates, tdNew)
	}
}
