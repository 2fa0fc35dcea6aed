package rollout

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/launchdeploy/launch/spec"
)

// surveyECS answers what the emulator cannot: DescribeServices without
// tags (ECS may omit them), a service still DRAINING after its delete, and
// a family listing that also holds a longer family with the same prefix
// (FamilyPrefix is a prefix on AWS, an exact name on moto). Every other
// call panics on the nil client.
type surveyECS struct {
	*ecs.Client
	calls []string // "Action name"
}

const apps = "arn:aws:ecs:eu-west-1:123456789012:cluster/apps"

func svcARN(name string) string { return "arn:aws:ecs:eu-west-1:123456789012:service/apps/" + name }
func tdARN(rev string) string   { return "arn:aws:ecs:eu-west-1:123456789012:task-definition/" + rev }

var mine = []ecstypes.Tag{{Key: aws.String("launch:managed-by"), Value: aws.String("launch")},
	{Key: aws.String("launch:instance"), Value: aws.String("123456789012/eu-west-1/apps")}}

func (f *surveyECS) ListClusters(context.Context, *ecs.ListClustersInput, ...func(*ecs.Options)) (*ecs.ListClustersOutput, error) {
	return &ecs.ListClustersOutput{ClusterArns: []string{apps}}, nil
}

func (f *surveyECS) ListServices(context.Context, *ecs.ListServicesInput, ...func(*ecs.Options)) (*ecs.ListServicesOutput, error) {
	return &ecs.ListServicesOutput{ServiceArns: []string{svcARN("agent-a"), svcARN("agent-b")}}, nil
}

func (f *surveyECS) DescribeServices(_ context.Context, in *ecs.DescribeServicesInput, _ ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	return &ecs.DescribeServicesOutput{Services: []ecstypes.Service{
		{ServiceName: aws.String("agent-a"), ServiceArn: aws.String(svcARN("agent-a")), Status: aws.String("ACTIVE"), DesiredCount: 1, TaskDefinition: aws.String(tdARN("agent-a:3"))},
		{ServiceName: aws.String("agent-b"), ServiceArn: aws.String(svcARN("agent-b")), Status: aws.String("DRAINING"), TaskDefinition: aws.String(tdARN("agent-b:1"))},
	}}, nil
}

func (f *surveyECS) ListTagsForResource(_ context.Context, in *ecs.ListTagsForResourceInput, _ ...func(*ecs.Options)) (*ecs.ListTagsForResourceOutput, error) {
	f.calls = append(f.calls, "ListTagsForResource "+shortARN(aws.ToString(in.ResourceArn)))
	return &ecs.ListTagsForResourceOutput{Tags: mine}, nil
}

func (f *surveyECS) UpdateService(_ context.Context, in *ecs.UpdateServiceInput, _ ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error) {
	f.calls = append(f.calls, "UpdateService "+aws.ToString(in.Service))
	if aws.ToInt32(in.DesiredCount) != 0 || in.TaskDefinition != nil {
		panic("destroy's UpdateService only scales to 0")
	}
	return &ecs.UpdateServiceOutput{}, nil
}

func (f *surveyECS) DeleteService(_ context.Context, in *ecs.DeleteServiceInput, _ ...func(*ecs.Options)) (*ecs.DeleteServiceOutput, error) {
	f.calls = append(f.calls, "DeleteService "+aws.ToString(in.Service))
	return &ecs.DeleteServiceOutput{}, nil
}

func (f *surveyECS) ListTaskDefinitions(_ context.Context, in *ecs.ListTaskDefinitionsInput, _ ...func(*ecs.Options)) (*ecs.ListTaskDefinitionsOutput, error) {
	if aws.ToString(in.FamilyPrefix) != "agent-a" {
		return &ecs.ListTaskDefinitionsOutput{}, nil
	}
	return &ecs.ListTaskDefinitionsOutput{TaskDefinitionArns: []string{tdARN("agent-a:3"), tdARN("agent-a-worker:1")}}, nil
}

func (f *surveyECS) DescribeTaskDefinition(_ context.Context, in *ecs.DescribeTaskDefinitionInput, _ ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error) {
	f.calls = append(f.calls, "DescribeTaskDefinition "+shortARN(aws.ToString(in.TaskDefinition)))
	return &ecs.DescribeTaskDefinitionOutput{TaskDefinition: &ecstypes.TaskDefinition{}, Tags: mine}, nil
}

func (f *surveyECS) DeregisterTaskDefinition(_ context.Context, in *ecs.DeregisterTaskDefinitionInput, _ ...func(*ecs.Options)) (*ecs.DeregisterTaskDefinitionOutput, error) {
	f.calls = append(f.calls, "DeregisterTaskDefinition "+shortARN(aws.ToString(in.TaskDefinition)))
	return &ecs.DeregisterTaskDefinitionOutput{}, nil
}

func (f *surveyECS) DescribeClusters(context.Context, *ecs.DescribeClustersInput, ...func(*ecs.Options)) (*ecs.DescribeClustersOutput, error) {
	return &ecs.DescribeClustersOutput{}, nil // gone
}

func TestDestroyAsksForTagsDescribeServicesOmitsAndKnowsADrainingService(t *testing.T) {
	sp := &spec.Spec{Agents: []spec.Agent{{Name: "agent-a"}, {Name: "agent-b"}}}
	sp.Cluster.Name = "apps"
	f := &surveyECS{}
	items, err := Destroy(context.Background(), DestroyClients{STS: whoami{"123456789012"}, ECS: f, Region: "eu-west-1"}, sp, false, nopReporter{})
	if err != nil {
		t.Fatal(err)
	}
	want := []DestroyItem{
		{Kind: "service", Name: "agent-a", Action: DestroyDeleted},
		{Kind: "task definition", Name: "agent-a:3", Action: DestroyDeleted, Reason: "deregistered"},
		{Kind: "service", Name: "agent-b", Action: DestroyAbsent, Reason: "already deleted; ECS is still draining it"},
		{Kind: "cluster", Name: "apps", Action: DestroyAbsent},
	}
	if !slices.Equal(items, want) {
		t.Errorf("items\n %+v\nwant %+v", items, want)
	}
	// Tags asked for the ACTIVE service only; agent-a-worker is another family.
	wantCalls := []string{"ListTagsForResource agent-a", "UpdateService agent-a", "DeleteService agent-a",
		"DescribeTaskDefinition agent-a:3", "DeregisterTaskDefinition agent-a:3"}
	if !slices.Equal(f.calls, wantCalls) {
		t.Errorf("calls\n %q\nwant %q", f.calls, wantCalls)
	}
}

func TestDestroyWithoutARegionSaysWhichInstanceItCannotTell(t *testing.T) {
	sp := &spec.Spec{}
	sp.Cluster.Name = "apps"
	_, err := Destroy(context.Background(), DestroyClients{STS: whoami{"123456789012"}}, sp, true, nopReporter{})
	want := "cannot tell which deployment instance to destroy: no AWS region: set region: in the spec, --region, or AWS_REGION"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}

// manyECS is a cluster of 11 services; DescribeServices refuses more than
// 10 names, as ECS does.
type manyECS struct{ *ecs.Client }

func (manyECS) ListClusters(context.Context, *ecs.ListClustersInput, ...func(*ecs.Options)) (*ecs.ListClustersOutput, error) {
	return &ecs.ListClustersOutput{ClusterArns: []string{apps}}, nil
}

func (manyECS) ListServices(context.Context, *ecs.ListServicesInput, ...func(*ecs.Options)) (*ecs.ListServicesOutput, error) {
	var arns []string
	for i := range 11 {
		arns = append(arns, svcARN(fmt.Sprintf("s%02d", i)))
	}
	return &ecs.ListServicesOutput{ServiceArns: arns}, nil
}

func (manyECS) DescribeServices(_ context.Context, in *ecs.DescribeServicesInput, _ ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	if len(in.Services) > 10 {
		return nil, errors.New("InvalidParameterException: at most 10 services")
	}
	out := &ecs.DescribeServicesOutput{}
	for _, arn := range in.Services {
		name := shortARN(arn)
		out.Services = append(out.Services, ecstypes.Service{ServiceName: aws.String(name), ServiceArn: aws.String(arn), Status: aws.String("ACTIVE"), TaskDefinition: aws.String(tdARN(name + ":1"))})
	}
	return out, nil
}

func TestDestroyDescribesServicesTenAtATime(t *testing.T) {
	sp := &spec.Spec{}
	sp.Cluster.Name = "apps"
	c := DestroyClients{ECS: manyECS{}, Region: "eu-west-1"}
	reg, err := surveyRegion(context.Background(), c, Instance{Account: "123456789012", Region: "eu-west-1", Cluster: "apps"}, sp)
	if err != nil {
		t.Fatal(err)
	}
	if len(reg.revisions) != 11 || len(reg.revisions["s10:1"]) != 1 {
		t.Errorf("the survey found the revisions of %d services, want 11: %v", len(reg.revisions), reg.revisions)
	}
	arns, _ := manyECS{}.ListServices(context.Background(), nil)
	if n, err := activeServices(context.Background(), c, "apps", arns.ServiceArns); n != 11 || err != nil {
		t.Errorf("active services: %d, %v; want 11", n, err)
	}
}
