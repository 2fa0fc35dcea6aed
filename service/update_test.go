package service

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// recorder is an ECS that records the writes Apply sends.
type recorder struct {
	API
	creates []*ecs.CreateServiceInput
	updates []*ecs.UpdateServiceInput
	err     error
}

const svcARN = "arn:aws:ecs:eu-west-1:123456789012:service/c/agent"

func (r *recorder) CreateService(_ context.Context, in *ecs.CreateServiceInput, _ ...func(*ecs.Options)) (*ecs.CreateServiceOutput, error) {
	r.creates = append(r.creates, in)
	if r.err != nil {
		return nil, r.err
	}
	return &ecs.CreateServiceOutput{Service: &types.Service{ServiceArn: aws.String(svcARN),
		Deployments: []types.Deployment{{Id: aws.String("ecs-svc/1"), Status: aws.String("PRIMARY")}}}}, nil
}

func (r *recorder) UpdateService(_ context.Context, in *ecs.UpdateServiceInput, _ ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error) {
	r.updates = append(r.updates, in)
	if r.err != nil {
		return nil, r.err
	}
	return &ecs.UpdateServiceOutput{Service: &types.Service{ServiceArn: aws.String(svcARN),
		Deployments: []types.Deployment{
			{Id: aws.String("ecs-svc/old"), Status: aws.String("ACTIVE")},
			{Id: aws.String("ecs-svc/2"), Status: aws.String("PRIMARY")},
		}}}, nil
}

// The one UpdateService call carries exactly the differences, in the form
// ECS takes: the full task definition ARN, sorted subnets and groups, the
// public IP setting spelled out, the whole deployment configuration.
func TestUpdateServiceCallShape(t *testing.T) {
	d := desired()
	d.DesiredCount = 3
	d.AssignPublicIP = true
	d.MinimumHealthyPercent, d.MaximumPercent = 50, 200
	d.Rollback = false
	cur := current()
	cur.TaskDefinition = aws.String(tdOld)

	p := PlanFor(d, cur)
	want := &ecs.UpdateServiceInput{
		Cluster:        aws.String("c"),
		Service:        aws.String("agent"),
		TaskDefinition: aws.String(tdNew),
		DesiredCount:   aws.Int32(3),
		NetworkConfiguration: &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{
			Subnets: []string{"subnet-a", "subnet-b"}, SecurityGroups: []string{"sg-1"}, AssignPublicIp: types.AssignPublicIpEnabled}},
		DeploymentConfiguration: &types.DeploymentConfiguration{
			MinimumHealthyPercent: aws.Int32(50), MaximumPercent: aws.Int32(200),
			DeploymentCircuitBreaker: &types.DeploymentCircuitBreaker{Enable: true, Rollback: false}},
	}
	if !reflect.DeepEqual(p.Update, want) {
		t.Errorf("UpdateService input:\n got %s\nwant %s", dump(p.Update), dump(want))
	}
	wantChanges := []string{
		"taskDefinition: agent:1 → agent:2",
		"desiredCount: 1 → 3",
		"network: subnets=subnet-a,subnet-b securityGroups=sg-1 assignPublicIp=DISABLED → subnets=subnet-a,subnet-b securityGroups=sg-1 assignPublicIp=ENABLED",
		"deploymentConfiguration: minimumHealthyPercent=0 maximumPercent=100 circuitBreaker=true rollback=true → minimumHealthyPercent=50 maximumPercent=200 circuitBreaker=true rollback=false",
	}
	if !slices.Equal(p.Changes, wantChanges) {
		t.Errorf("changes:\n got %q\nwant %q", p.Changes, wantChanges)
	}

	api := &recorder{}
	st, err := Apply(context.Background(), api, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(api.creates) != 0 || len(api.updates) != 1 || api.updates[0] != p.Update {
		t.Errorf("Apply sent %d CreateService and %v UpdateService; want exactly the planned UpdateService", len(api.creates), api.updates)
	}
	if want := (Started{ServiceARN: svcARN, Action: "updated", DeploymentID: "ecs-svc/2"}); st != want {
		t.Errorf("Apply = %+v, want %+v (following the new PRIMARY deployment)", st, want)
	}
}

// A service that already matches gets no call at all, and the run follows
// its current PRIMARY deployment.
func TestApplyUnchangedSendsNothing(t *testing.T) {
	cur := current()
	cur.ServiceArn = aws.String(svcARN)
	cur.Deployments = []types.Deployment{{Id: aws.String("ecs-svc/9"), Status: aws.String("PRIMARY"), TaskDefinition: aws.String(tdNew)}}
	api := &recorder{}
	st, err := Apply(context.Background(), api, PlanFor(desired(), cur))
	if err != nil || len(api.creates)+len(api.updates) != 0 {
		t.Fatalf("Apply = %v with %d creates, %d updates; want no call", err, len(api.creates), len(api.updates))
	}
	if want := (Started{ServiceARN: svcARN, Action: "unchanged", DeploymentID: "ecs-svc/9"}); st != want {
		t.Errorf("Apply = %+v, want %+v", st, want)
	}
	// A service without a PRIMARY deployment has none to follow.
	cur.Deployments = []types.Deployment{{Id: aws.String("ecs-svc/8"), Status: aws.String("ACTIVE"), TaskDefinition: aws.String(tdNew)}}
	if st, err := Apply(context.Background(), api, PlanFor(desired(), cur)); err != nil || st.DeploymentID != "" {
		t.Errorf("no PRIMARY: Apply = %+v, %v; want no deployment ID", st, err)
	}
}

// Each difference alone is a change: scaling the agent (say from 1 to 0
// tasks to pause it) sends one UpdateService with the count and nothing else.
func TestDesiredCountAloneIsAnUpdate(t *testing.T) {
	d := desired()
	d.DesiredCount = 0
	p := PlanFor(d, current())
	want := &ecs.UpdateServiceInput{Cluster: aws.String(d.Cluster), Service: aws.String(d.Name), DesiredCount: aws.Int32(0)}
	if !reflect.DeepEqual(p.Update, want) {
		t.Errorf("update = %s, want %s", dump(p.Update), dump(want))
	}
	if want := []string{"desiredCount: 1 → 0"}; !slices.Equal(p.Changes, want) {
		t.Errorf("changes = %q, want %q", p.Changes, want)
	}
}

// CreateService carries everything the service needs on Fargate, the
// tags (sorted, propagated to tasks) and the run's idempotency token.
func TestCreateServiceCallShape(t *testing.T) {
	d := desired()
	d.Tags = map[string]string{"team": "data", "launch:managed-by": "launch"}
	d.ClientToken = "tok"
	api := &recorder{}
	st, err := Apply(context.Background(), api, PlanFor(d, nil))
	if err != nil {
		t.Fatal(err)
	}
	want := &ecs.CreateServiceInput{
		Cluster: aws.String("c"), ServiceName: aws.String("agent"), TaskDefinition: aws.String(tdNew),
		DesiredCount: aws.Int32(1), LaunchType: types.LaunchTypeFargate,
		NetworkConfiguration: &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{
			Subnets: []string{"subnet-a", "subnet-b"}, SecurityGroups: []string{"sg-1"}, AssignPublicIp: types.AssignPublicIpDisabled}},
		DeploymentConfiguration: &types.DeploymentConfiguration{
			MinimumHealthyPercent: aws.Int32(0), MaximumPercent: aws.Int32(100),
			DeploymentCircuitBreaker: &types.DeploymentCircuitBreaker{Enable: true, Rollback: true}},
		PropagateTags:        types.PropagateTagsService,
		EnableECSManagedTags: true,
		Tags: []types.Tag{{Key: aws.String("launch:managed-by"), Value: aws.String("launch")},
			{Key: aws.String("team"), Value: aws.String("data")}},
		ClientToken: aws.String("tok"),
	}
	if len(api.creates) != 1 || len(api.updates) != 0 || !reflect.DeepEqual(api.creates[0], want) {
		t.Fatalf("CreateService calls %d, UpdateService calls %d; got\n%s\nwant\n%s", len(api.creates), len(api.updates), dumpAll(api.creates), dump(want))
	}
	if want := (Started{ServiceARN: svcARN, Action: "created", DeploymentID: "ecs-svc/1"}); st != want {
		t.Errorf("Apply = %+v, want %+v", st, want)
	}
	d.ClientToken = ""
	api = &recorder{}
	if _, err := Apply(context.Background(), api, PlanFor(d, nil)); err != nil || api.creates[0].ClientToken != nil {
		t.Errorf("without a token CreateService must send none: %v, %v", err, api.creates)
	}
}

func TestApplyErrorsNameTheServiceAndCluster(t *testing.T) {
	boom := errors.New("AccessDeniedException")
	cur := current()
	cur.TaskDefinition = aws.String(tdOld)
	for name, p := range map[string]Plan{"update": PlanFor(desired(), cur), "create": PlanFor(desired(), nil)} {
		_, err := Apply(context.Background(), &recorder{err: boom}, p)
		if !errors.Is(err, boom) || err.Error() != name+" service agent in cluster c: AccessDeniedException" {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

// Which network differences are a change: the order of subnets or groups
// and an absent assignPublicIp (ECS's default, DISABLED) are not; a subnet,
// a group or the public IP setting is.
func TestNetworkDifferencesThatCountAsAChange(t *testing.T) {
	awsvpc := func(subnets, groups []string, ip types.AssignPublicIp) *types.NetworkConfiguration {
		return &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{Subnets: subnets, SecurityGroups: groups, AssignPublicIp: ip}}
	}
	ab, ba, sg1 := []string{"subnet-a", "subnet-b"}, []string{"subnet-b", "subnet-a"}, []string{"sg-1"}
	tests := map[string]struct {
		have      *types.NetworkConfiguration
		publicIP  bool
		change    bool
		haveShown string
	}{
		"same, subnets in another order": {awsvpc(ba, sg1, ""), false, false, ""},
		"DISABLED spelled out":           {awsvpc(ab, sg1, types.AssignPublicIpDisabled), false, false, ""},
		"ENABLED on both":                {awsvpc(ab, sg1, types.AssignPublicIpEnabled), true, false, ""},
		"a subnet fewer":                 {awsvpc([]string{"subnet-a"}, sg1, ""), false, true, "subnets=subnet-a securityGroups=sg-1 assignPublicIp=DISABLED"},
		"another security group":         {awsvpc(ab, []string{"sg-2"}, ""), false, true, "subnets=subnet-a,subnet-b securityGroups=sg-2 assignPublicIp=DISABLED"},
		"an extra security group":        {awsvpc(ab, []string{"sg-1", "sg-2"}, ""), false, true, "subnets=subnet-a,subnet-b securityGroups=sg-1,sg-2 assignPublicIp=DISABLED"},
		"public IP turned on":            {awsvpc(ab, sg1, ""), true, true, "subnets=subnet-a,subnet-b securityGroups=sg-1 assignPublicIp=DISABLED"},
		"public IP turned off":           {awsvpc(ab, sg1, types.AssignPublicIpEnabled), false, true, "subnets=subnet-a,subnet-b securityGroups=sg-1 assignPublicIp=ENABLED"},
		"no network configuration":       {nil, false, true, "none"},
		"no awsvpc configuration":        {&types.NetworkConfiguration{}, false, true, "none"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			d := desired()
			d.AssignPublicIP = tc.publicIP
			cur := current()
			cur.NetworkConfiguration = tc.have
			p := PlanFor(d, cur)
			if !tc.change {
				if p.Changed() {
					t.Errorf("not a change, but the plan has %q", p.Changes)
				}
				return
			}
			if p.Update == nil || !reflect.DeepEqual(p.Update.NetworkConfiguration, networkConfig(d)) {
				t.Fatalf("want an update carrying the desired network, got %+v", p.Update)
			}
			wantIP := "DISABLED"
			if tc.publicIP {
				wantIP = "ENABLED"
			}
			want := "network: " + tc.haveShown + " → subnets=subnet-a,subnet-b securityGroups=sg-1 assignPublicIp=" + wantIP
			if !slices.Equal(p.Changes, []string{want}) {
				t.Errorf("changes = %q, want [%q]", p.Changes, want)
			}
		})
	}
}

func dump(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

func dumpAll[T any](vs []T) string {
	out := ""
	for _, v := range vs {
		out += dump(v) + "\n"
	}
	return out
}
