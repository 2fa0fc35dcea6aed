package service

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// clusters is an ECS with a fixed DescribeClusters answer that records
// CreateCluster calls.
type clusters struct {
	API
	described []types.Cluster
	err       error
	created   []*ecs.CreateClusterInput
}

func (c *clusters) DescribeClusters(_ context.Context, in *ecs.DescribeClustersInput, _ ...func(*ecs.Options)) (*ecs.DescribeClustersOutput, error) {
	if c.err != nil {
		return nil, c.err
	}
	return &ecs.DescribeClustersOutput{Clusters: c.described}, nil
}

func (c *clusters) CreateCluster(_ context.Context, in *ecs.CreateClusterInput, _ ...func(*ecs.Options)) (*ecs.CreateClusterOutput, error) {
	c.created = append(c.created, in)
	if c.err != nil {
		return nil, c.err
	}
	return &ecs.CreateClusterOutput{Cluster: &types.Cluster{ClusterArn: aws.String("arn:aws:ecs:eu-west-1:123456789012:cluster/" + aws.ToString(in.ClusterName))}}, nil
}

func TestReadCluster(t *testing.T) {
	cl := func(name, status string) types.Cluster {
		return types.Cluster{ClusterName: aws.String(name), Status: aws.String(status), ClusterArn: aws.String("arn:" + name + ":" + status)}
	}
	tests := map[string]struct {
		described []types.Cluster
		want      ClusterState
	}{
		"ACTIVE":                  {[]types.Cluster{cl("apps", "ACTIVE")}, ClusterState{Exists: true, ARN: "arn:apps:ACTIVE"}},
		"INACTIVE counts as gone": {[]types.Cluster{cl("apps", "INACTIVE")}, ClusterState{}},
		"another cluster":         {[]types.Cluster{cl("other", "ACTIVE")}, ClusterState{}},
		"none":                    {nil, ClusterState{}},
		"INACTIVE then ACTIVE":    {[]types.Cluster{cl("apps", "INACTIVE"), cl("apps", "ACTIVE")}, ClusterState{Exists: true, ARN: "arn:apps:ACTIVE"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := ReadCluster(context.Background(), &clusters{described: tc.described}, "apps")
			if err != nil || got != tc.want {
				t.Errorf("ReadCluster = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
	boom := errors.New("ThrottlingException")
	if _, err := ReadCluster(context.Background(), &clusters{err: boom}, "apps"); !errors.Is(err, boom) || err.Error() != "describe cluster apps: ThrottlingException" {
		t.Errorf("err = %v", err)
	}
}

func TestCreateClusterSendsTheTags(t *testing.T) {
	api := &clusters{}
	got, err := CreateCluster(context.Background(), api, "apps", map[string]string{"b": "2", "a": "1"})
	if err != nil || got != "arn:aws:ecs:eu-west-1:123456789012:cluster/apps" {
		t.Fatalf("CreateCluster = %q, %v", got, err)
	}
	want := &ecs.CreateClusterInput{ClusterName: aws.String("apps"),
		Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("b"), Value: aws.String("2")}}}
	if len(api.created) != 1 || !reflect.DeepEqual(api.created[0], want) {
		t.Errorf("CreateCluster calls %s, want %s", dumpAll(api.created), dump(want))
	}
	boom := errors.New("AccessDeniedException")
	if _, err := CreateCluster(context.Background(), &clusters{err: boom}, "apps", nil); !errors.Is(err, boom) || err.Error() != "create cluster apps: AccessDeniedException" {
		t.Errorf("err = %v", err)
	}
}

func TestTagValue(t *testing.T) {
	s := &types.Service{Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String(RolledBackFromTag), Value: aws.String(tdOld)}}}
	if got := TagValue(s, RolledBackFromTag); got != tdOld {
		t.Errorf("TagValue = %q, want %q", got, tdOld)
	}
	if got := TagValue(s, "missing"); got != "" {
		t.Errorf("TagValue of a missing tag = %q, want empty", got)
	}
}

// tagger records TagResource calls.
type tagger struct {
	API
	in  []*ecs.TagResourceInput
	err error
}

func (g *tagger) TagResource(_ context.Context, in *ecs.TagResourceInput, _ ...func(*ecs.Options)) (*ecs.TagResourceOutput, error) {
	g.in = append(g.in, in)
	return &ecs.TagResourceOutput{}, g.err
}

func TestMarkRollbackTagsTheServiceWithTheRevisionLeft(t *testing.T) {
	api := &tagger{}
	if err := MarkRollback(context.Background(), api, svcARN, tdNew); err != nil {
		t.Fatal(err)
	}
	want := &ecs.TagResourceInput{ResourceArn: aws.String(svcARN), Tags: []types.Tag{{Key: aws.String("launch:rolled-back-from"), Value: aws.String(tdNew)}}}
	if len(api.in) != 1 || !reflect.DeepEqual(api.in[0], want) {
		t.Errorf("TagResource calls %s, want %s", dumpAll(api.in), dump(want))
	}
	boom := errors.New("AccessDeniedException")
	if err := MarkRollback(context.Background(), &tagger{err: boom}, svcARN, tdNew); !errors.Is(err, boom) || err.Error() != "mark service agent as rolled back: AccessDeniedException" {
		t.Errorf("err = %v", err)
	}
}

// services answers DescribeServices from a map by name and records the
// batches asked for.
type services struct {
	API
	mu      sync.Mutex
	byName  map[string]types.Service
	err     error
	batches [][]string
	include [][]types.ServiceField
}

func (s *services) DescribeServices(_ context.Context, in *ecs.DescribeServicesInput, _ ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.batches = append(s.batches, slices.Clone(in.Services))
	s.include = append(s.include, in.Include)
	if s.err != nil {
		return nil, s.err
	}
	out := &ecs.DescribeServicesOutput{}
	for _, n := range in.Services {
		if svc, ok := s.byName[n]; ok {
			out.Services = append(out.Services, svc)
		} else {
			out.Failures = append(out.Failures, types.Failure{Arn: aws.String(n), Reason: aws.String("MISSING")})
		}
	}
	return out, nil
}

// ReadAll asks for at most DescribeBatch services per call, with their
// tags, and returns each name's service in the order asked: nil for a
// missing or INACTIVE one.
func TestReadAllBatchesAndKeepsTheOrder(t *testing.T) {
	api := &services{byName: map[string]types.Service{}}
	var names []string
	for i := range 23 {
		n := fmt.Sprintf("agent-%02d", i)
		names = append(names, n)
		status := "ACTIVE"
		if i%5 == 0 {
			status = "INACTIVE"
		}
		if i%7 != 0 {
			api.byName[n] = types.Service{ServiceName: aws.String(n), Status: aws.String(status)}
		}
	}
	got, err := ReadAll(context.Background(), api, "c", names)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(names) {
		t.Fatalf("%d results for %d names", len(got), len(names))
	}
	for i, n := range names {
		wantNil := i%5 == 0 || i%7 == 0
		if (got[i] == nil) != wantNil || (got[i] != nil && aws.ToString(got[i].ServiceName) != n) {
			t.Errorf("%s: got %+v, want nil=%v", n, got[i], wantNil)
		}
	}
	sizes := []int{}
	for i, b := range api.batches {
		sizes = append(sizes, len(b))
		if !reflect.DeepEqual(api.include[i], []types.ServiceField{types.ServiceFieldTags}) {
			t.Errorf("batch %d does not ask for tags: %v", i, api.include[i])
		}
	}
	slices.Sort(sizes)
	if !slices.Equal(sizes, []int{3, 10, 10}) {
		t.Errorf("batch sizes %v, want 10, 10 and 3", sizes)
	}
}

func TestReadMissingClusterAndErrors(t *testing.T) {
	noCluster := &services{err: &types.ClusterNotFoundException{Message: aws.String("Cluster not found.")}}
	if got, err := Read(context.Background(), noCluster, "c", "agent"); got != nil || err != nil {
		t.Errorf("missing cluster: %+v, %v; want no service and no error", got, err)
	}
	boom := errors.New("ThrottlingException")
	if got, err := Read(context.Background(), &services{err: boom}, "c", "agent"); got != nil || !errors.Is(err, boom) || err.Error() != "describe service agent: ThrottlingException" {
		t.Errorf("other error: %+v, %v", got, err)
	}
	active := &services{byName: map[string]types.Service{"agent": {ServiceName: aws.String("agent"), Status: aws.String("ACTIVE")}}}
	if got, err := Read(context.Background(), active, "c", "agent"); err != nil || got == nil || aws.ToString(got.ServiceName) != "agent" {
		t.Errorf("ACTIVE service: %+v, %v", got, err)
	}
}

func TestRunningTaskDefinitionAndInProgress(t *testing.T) {
	svc := &types.Service{TaskDefinition: aws.String(tdOld), Deployments: []types.Deployment{
		{Status: aws.String("ACTIVE"), TaskDefinition: aws.String(tdOld)},
		{Status: aws.String("PRIMARY"), TaskDefinition: aws.String(tdNew), RolloutState: types.DeploymentRolloutStateInProgress, Id: aws.String("ecs-svc/2")},
	}}
	if got := RunningTaskDefinition(svc); got != tdNew {
		t.Errorf("RunningTaskDefinition = %s, want the PRIMARY deployment's %s", got, tdNew)
	}
	if d := InProgress(svc); d == nil || aws.ToString(d.Id) != "ecs-svc/2" {
		t.Errorf("InProgress = %+v, want the PRIMARY deployment", d)
	}
	svc.Deployments[1].RolloutState = types.DeploymentRolloutStateCompleted
	if d := InProgress(svc); d != nil {
		t.Errorf("InProgress of a COMPLETED deployment = %+v, want nil", d)
	}
	svc.Deployments[1].TaskDefinition = nil
	if got := RunningTaskDefinition(svc); got != tdOld {
		t.Errorf("a PRIMARY deployment without a task definition: RunningTaskDefinition = %s, want the service's %s", got, tdOld)
	}
	svc.Deployments = nil
	if got := RunningTaskDefinition(svc); got != tdOld {
		t.Errorf("without deployments RunningTaskDefinition = %s, want the service's %s", got, tdOld)
	}
	if got := RunningTaskDefinition(nil); got != "" {
		t.Errorf("RunningTaskDefinition(nil) = %q", got)
	}
}
