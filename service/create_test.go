package service

import (
	"context"
	"errors"
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

// racedUnreadable is a raced ECS whose service then cannot be read: an
// error, or (Status INACTIVE) no service after all.
type racedUnreadable struct {
	raced
	err error
}

func (r *racedUnreadable) DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, o ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	if r.err != nil {
		return nil, r.err
	}
	return r.raced.DescribeServices(ctx, in, o...)
}

// When CreateService says the service exists but it cannot be read, or is
// gone again, Apply fails saying so, with ECS's refusal, and writes nothing.
func TestCreateRaceWhoseServiceCannotBeRead(t *testing.T) {
	throttled := errors.New("ThrottlingException")
	api := &racedUnreadable{raced: raced{existing: current()}, err: throttled}
	_, err := Apply(context.Background(), api, PlanFor(desired(), nil))
	want := "create service agent in cluster c: it exists already (InvalidParameterException: Creation of service was not idempotent.); read it: describe service agent: ThrottlingException"
	if !errors.Is(err, throttled) || err.Error() != want || len(api.updates) != 0 {
		t.Errorf("unreadable: err = %v, %d updates; want %q", err, len(api.updates), want)
	}

	gone := current()
	gone.Status = aws.String("INACTIVE")
	api = &racedUnreadable{raced: raced{existing: gone}}
	_, err = Apply(context.Background(), api, PlanFor(desired(), nil))
	var ip *types.InvalidParameterException
	want = "create service agent in cluster c: InvalidParameterException: Creation of service was not idempotent."
	if !errors.As(err, &ip) || err.Error() != want || len(api.updates) != 0 {
		t.Errorf("gone again: err = %v, %d updates; want %q", err, len(api.updates), want)
	}
}

// invalidCreate refuses CreateService with another InvalidParameterException.
type invalidCreate struct{ raced }

func (r *invalidCreate) CreateService(context.Context, *ecs.CreateServiceInput, ...func(*ecs.Options)) (*ecs.CreateServiceOutput, error) {
	return nil, &types.InvalidParameterException{Message: aws.String("subnet-0abc does not exist")}
}

// Another InvalidParameterException is the create's failure, not a race:
// no read, no update.
func TestCreateRefusedForAnotherReason(t *testing.T) {
	api := &invalidCreate{raced{existing: current()}}
	st, err := Apply(context.Background(), api, PlanFor(desired(), nil))
	if err == nil || err.Error() != "create service agent in cluster c: InvalidParameterException: subnet-0abc does not exist" || st.Raced || len(api.updates) != 0 {
		t.Errorf("Apply = %+v, %v with %d updates", st, err, len(api.updates))
	}
}
