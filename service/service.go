// Package service owns the ECS side of a rollout after the task definition:
// the cluster, the service (created, or updated in one call carrying every
// difference), and following the deployment until it truly completed.
package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"golang.org/x/sync/errgroup"
)

// API is the part of ECS this package calls; *ecs.Client satisfies it.
type API interface {
	DescribeClusters(context.Context, *ecs.DescribeClustersInput, ...func(*ecs.Options)) (*ecs.DescribeClustersOutput, error)
	CreateCluster(context.Context, *ecs.CreateClusterInput, ...func(*ecs.Options)) (*ecs.CreateClusterOutput, error)
	DescribeServices(context.Context, *ecs.DescribeServicesInput, ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
	CreateService(context.Context, *ecs.CreateServiceInput, ...func(*ecs.Options)) (*ecs.CreateServiceOutput, error)
	UpdateService(context.Context, *ecs.UpdateServiceInput, ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error)
	ListTasks(context.Context, *ecs.ListTasksInput, ...func(*ecs.Options)) (*ecs.ListTasksOutput, error)
	DescribeTasks(context.Context, *ecs.DescribeTasksInput, ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error)
	TagResource(context.Context, *ecs.TagResourceInput, ...func(*ecs.Options)) (*ecs.TagResourceOutput, error)
}

// RolledBackFromTag marks a service `launch rollback` moved off a
// revision: its value is that revision's ARN. A rerun that finds the
// service on an older revision than this one knows the rollback happened.
const RolledBackFromTag = "launch:rolled-back-from"

// MarkRollback tags the service with the revision it is rolled back from.
func MarkRollback(ctx context.Context, api API, serviceARN, fromARN string) error {
	_, err := api.TagResource(ctx, &ecs.TagResourceInput{ResourceArn: aws.String(serviceARN),
		Tags: []types.Tag{{Key: aws.String(RolledBackFromTag), Value: aws.String(fromARN)}}})
	if err != nil {
		return fmt.Errorf("mark service %s as rolled back: %w", shortTD(serviceARN), err)
	}
	return nil
}

// TagValue returns the value of one of the service's tags, or "".
func TagValue(s *types.Service, key string) string {
	for _, t := range s.Tags {
		if aws.ToString(t.Key) == key {
			return aws.ToString(t.Value)
		}
	}
	return ""
}

// ErrDraining is returned for a service that was deleted and is still
// stopping its tasks.
var ErrDraining = errors.New("is DRAINING after a delete")

// ClusterState is what ECS has for the cluster.
type ClusterState struct {
	Exists bool
	ARN    string
}

// ReadCluster looks the cluster up; an INACTIVE cluster counts as missing.
func ReadCluster(ctx context.Context, api API, name string) (ClusterState, error) {
	out, err := api.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{name}})
	if err != nil {
		return ClusterState{}, fmt.Errorf("describe cluster %s: %w", name, err)
	}
	for _, c := range out.Clusters {
		if aws.ToString(c.ClusterName) == name && aws.ToString(c.Status) == "ACTIVE" {
			return ClusterState{Exists: true, ARN: aws.ToString(c.ClusterArn)}, nil
		}
	}
	return ClusterState{}, nil
}

// CreateCluster creates the cluster with tags (CreateCluster is idempotent
// for an existing ACTIVE cluster of the same name).
func CreateCluster(ctx context.Context, api API, name string, tags map[string]string) (string, error) {
	out, err := api.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(name), Tags: Tags(tags)})
	if err != nil {
		return "", fmt.Errorf("create cluster %s: %w", name, err)
	}
	return aws.ToString(out.Cluster.ClusterArn), nil
}

// Desired is what the agent's service must look like.
type Desired struct {
	Cluster               string
	Name                  string
	TaskDefinitionARN     string
	DesiredCount          int
	Subnets               []string
	SecurityGroups        []string
	AssignPublicIP        bool
	MinimumHealthyPercent int
	MaximumPercent        int
	CircuitBreaker        bool
	Rollback              bool
	Tags                  map[string]string
	// ClientToken makes CreateService idempotent (ECS: up to 36 ASCII
	// characters, 33–126): the same token on a retried call returns the
	// service the first call created. See ClientToken.
	ClientToken string
}

// ClientToken derives CreateService's token from the run and the service: a
// retry within the run sends the same one, and another run (another runID)
// never repeats a token used for a different request. 32 hex characters.
func ClientToken(runID, cluster, name string) string {
	sum := sha256.Sum256([]byte(runID + "\x00" + cluster + "\x00" + name))
	return hex.EncodeToString(sum[:16])
}

// RunningTaskDefinition is the task definition the service's PRIMARY
// deployment runs (what the service converges on), else the service's
// taskDefinition; "" for no service.
func RunningTaskDefinition(s *types.Service) string {
	if d := Primary(s); d != nil && aws.ToString(d.TaskDefinition) != "" {
		return aws.ToString(d.TaskDefinition)
	}
	if s == nil {
		return ""
	}
	return aws.ToString(s.TaskDefinition)
}

// InProgress returns the service's PRIMARY deployment when it is still
// IN_PROGRESS, else nil. Before a run writes anything such a deployment was
// started by someone else: another run, or an earlier one that did not wait.
func InProgress(s *types.Service) *types.Deployment {
	if d := Primary(s); d != nil && d.RolloutState == types.DeploymentRolloutStateInProgress {
		return d
	}
	return nil
}

// Plan is the one call that brings the service to Desired, if any.
type Plan struct {
	Desired Desired
	Current *types.Service // nil when the service does not exist (or is INACTIVE)
	Create  bool
	// Update is the single UpdateService call carrying every difference, or
	// nil when nothing differs.
	Update *ecs.UpdateServiceInput
	// Changes names each field that differs, "field: old → new", for output.
	Changes []string
}

// Changed reports whether applying the plan writes anything.
func (p Plan) Changed() bool { return p.Create || p.Update != nil }

// Read returns the service, or nil when it (or its cluster) does not exist
// or is INACTIVE. A DRAINING service is an error wrapping ErrDraining.
func Read(ctx context.Context, api API, cluster, name string) (*types.Service, error) {
	got, err := ReadAll(ctx, api, cluster, []string{name})
	if err != nil {
		return nil, err
	}
	return got[0], nil
}

// DescribeBatch is the most services one DescribeServices call takes.
const DescribeBatch = 10

// ReadAll is Read for many services of one cluster, DescribeBatch names per
// DescribeServices call, the calls made concurrently. got[i] is names[i]'s.
func ReadAll(ctx context.Context, api API, cluster string, names []string) (got []*types.Service, err error) {
	got = make([]*types.Service, len(names))
	g, gctx := errgroup.WithContext(ctx)
	for start := 0; start < len(names); start += DescribeBatch {
		batch := names[start:min(start+DescribeBatch, len(names))]
		g.Go(func() error {
			out, err := api.DescribeServices(gctx, &ecs.DescribeServicesInput{
				Cluster: aws.String(cluster), Services: batch, Include: []types.ServiceField{types.ServiceFieldTags},
			})
			var nf *types.ClusterNotFoundException
			if errors.As(err, &nf) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("describe service %s: %w", strings.Join(batch, ", "), err)
			}
			for i, name := range batch {
				if got[start+i], err = live(out.Services, cluster, name); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return got, g.Wait()
}

// live picks name from a DescribeServices answer: nil when it is missing or
// INACTIVE, an error when it is DRAINING.
func live(services []types.Service, cluster, name string) (*types.Service, error) {
	for i := range services {
		s := &services[i]
		if aws.ToString(s.ServiceName) != name {
			continue
		}
		switch aws.ToString(s.Status) {
		case "INACTIVE":
		case "DRAINING":
			// Deleted, and ECS is stopping its tasks: it can be neither
			// updated nor created again until it turns INACTIVE.
			return nil, fmt.Errorf("service %s in cluster %s: %w; wait until ECS marks it INACTIVE (usually a few minutes) and rerun", name, cluster, ErrDraining)
		default:
			return s, nil
		}
	}
	return nil, nil
}

// PlanFor compares d with the current service (nil: missing).
func PlanFor(d Desired, cur *types.Service) Plan {
	p := Plan{Desired: d, Current: cur}
	if cur == nil {
		p.Create = true
		return p
	}
	up := &ecs.UpdateServiceInput{Cluster: aws.String(d.Cluster), Service: aws.String(d.Name)}
	changed := false
	if aws.ToString(cur.TaskDefinition) != d.TaskDefinitionARN {
		up.TaskDefinition = aws.String(d.TaskDefinitionARN)
		p.Changes = append(p.Changes, fmt.Sprintf("taskDefinition: %s → %s", shortTD(aws.ToString(cur.TaskDefinition)), shortTD(d.TaskDefinitionARN)))
		changed = true
	}
	if up.TaskDefinition == nil && primaryFailed(cur) {
		// The service runs our revision, but its deployment FAILED (a first
		// deployment has nothing to roll back to; or rollback is off). The
		// cause (a secret grant, an image) may be fixed now: start over.
		up.ForceNewDeployment = true
		p.Changes = append(p.Changes, fmt.Sprintf("deployment: FAILED on %s → a new deployment", shortTD(d.TaskDefinitionARN)))
		changed = true
	}
	if int(cur.DesiredCount) != d.DesiredCount {
		up.DesiredCount = aws.Int32(int32(d.DesiredCount))
		p.Changes = append(p.Changes, fmt.Sprintf("desiredCount: %d → %d", cur.DesiredCount, d.DesiredCount))
		changed = true
	}
	if want, have := networkConfig(d), cur.NetworkConfiguration; !sameNetwork(want, have) {
		up.NetworkConfiguration = want
		p.Changes = append(p.Changes, fmt.Sprintf("network: %s → %s", describeNetwork(have), describeNetwork(want)))
		changed = true
	}
	if want, have := deploymentConfig(d), cur.DeploymentConfiguration; !sameDeployment(want, have) {
		up.DeploymentConfiguration = want
		p.Changes = append(p.Changes, fmt.Sprintf("deploymentConfiguration: %s → %s", describeDeployment(have), describeDeployment(want)))
		changed = true
	}
	if changed {
		p.Update = up
	}
	return p
}

// Started is what Apply did.
type Started struct {
	ServiceARN string
	Action     string // created, updated or unchanged
	// DeploymentID is the deployment to follow: the one this run started,
	// or the current PRIMARY when nothing was changed.
	DeploymentID string
	// Raced is set when CreateService found the service created meanwhile
	// (by another run) and Apply converged on it instead.
	Raced bool
}

// Apply makes the one call the plan needs.
func Apply(ctx context.Context, api API, p Plan) (Started, error) {
	d := p.Desired
	switch {
	case p.Create:
		out, err := api.CreateService(ctx, &ecs.CreateServiceInput{
			Cluster:                 aws.String(d.Cluster),
			ServiceName:             aws.String(d.Name),
			TaskDefinition:          aws.String(d.TaskDefinitionARN),
			DesiredCount:            aws.Int32(int32(d.DesiredCount)),
			LaunchType:              types.LaunchTypeFargate,
			NetworkConfiguration:    networkConfig(d),
			DeploymentConfiguration: deploymentConfig(d),
			PropagateTags:           types.PropagateTagsService,
			EnableECSManagedTags:    true,
			Tags:                    Tags(d.Tags),
			ClientToken:             optional(d.ClientToken),
		})
		if notIdempotent(err) {
			// The service exists: another run created it after this one
			// read. Read it and converge on it like any existing service.
			return converge(ctx, api, d, err)
		}
		if err != nil {
			return Started{}, fmt.Errorf("create service %s in cluster %s: %w", d.Name, d.Cluster, err)
		}
		return Started{ServiceARN: aws.ToString(out.Service.ServiceArn), Action: "created", DeploymentID: primaryID(out.Service)}, nil
	case p.Update != nil:
		out, err := api.UpdateService(ctx, p.Update)
		if err != nil {
			return Started{}, fmt.Errorf("update service %s in cluster %s: %w", d.Name, d.Cluster, err)
		}
		return Started{ServiceARN: aws.ToString(out.Service.ServiceArn), Action: "updated", DeploymentID: primaryID(out.Service)}, nil
	default:
		return Started{ServiceARN: aws.ToString(p.Current.ServiceArn), Action: "unchanged", DeploymentID: primaryID(p.Current)}, nil
	}
}

// converge re-reads a service CreateService found existing and applies the
// plan against it (an UpdateService, or nothing when it already matches).
func converge(ctx context.Context, api API, d Desired, createErr error) (Started, error) {
	cur, err := Read(ctx, api, d.Cluster, d.Name)
	if err != nil {
		return Started{}, fmt.Errorf("create service %s in cluster %s: it exists already (%v); read it: %w", d.Name, d.Cluster, createErr, err)
	}
	if cur == nil {
		return Started{}, fmt.Errorf("create service %s in cluster %s: %w", d.Name, d.Cluster, createErr)
	}
	p := PlanFor(d, cur)
	st, err := Apply(ctx, api, p)
	st.Raced = true
	return st, err
}

// notIdempotent reports whether CreateService refused because the service
// exists ("Creation of service was not idempotent.", an
// InvalidParameterException).
func notIdempotent(err error) bool {
	var ip *types.InvalidParameterException
	return errors.As(err, &ip) && strings.Contains(strings.ToLower(ip.ErrorMessage()), "not idempotent")
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

// Primary is the service's PRIMARY deployment, or nil.
func Primary(s *types.Service) *types.Deployment {
	if s == nil {
		return nil
	}
	for i := range s.Deployments {
		if aws.ToString(s.Deployments[i].Status) == "PRIMARY" {
			return &s.Deployments[i]
		}
	}
	return nil
}

func primaryFailed(s *types.Service) bool {
	d := Primary(s)
	return d != nil && d.RolloutState == types.DeploymentRolloutStateFailed
}

func primaryID(s *types.Service) string {
	if d := Primary(s); d != nil {
		return aws.ToString(d.Id)
	}
	return ""
}

func networkConfig(d Desired) *types.NetworkConfiguration {
	ip := types.AssignPublicIpDisabled
	if d.AssignPublicIP {
		ip = types.AssignPublicIpEnabled
	}
	return &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{
		Subnets: slices.Sorted(slices.Values(d.Subnets)), SecurityGroups: slices.Sorted(slices.Values(d.SecurityGroups)), AssignPublicIp: ip,
	}}
}

func sameNetwork(a, b *types.NetworkConfiguration) bool {
	return describeNetwork(a) == describeNetwork(b)
}

func describeNetwork(n *types.NetworkConfiguration) string {
	if n == nil || n.AwsvpcConfiguration == nil {
		return "none"
	}
	c := n.AwsvpcConfiguration
	ip := c.AssignPublicIp
	if ip == "" {
		ip = types.AssignPublicIpDisabled // ECS's default
	}
	return fmt.Sprintf("subnets=%s securityGroups=%s assignPublicIp=%s",
		strings.Join(slices.Sorted(slices.Values(c.Subnets)), ","), strings.Join(slices.Sorted(slices.Values(c.SecurityGroups)), ","), ip)
}

func deploymentConfig(d Desired) *types.DeploymentConfiguration {
	return &types.DeploymentConfiguration{
		MinimumHealthyPercent:    aws.Int32(int32(d.MinimumHealthyPercent)),
		MaximumPercent:           aws.Int32(int32(d.MaximumPercent)),
		DeploymentCircuitBreaker: &types.DeploymentCircuitBreaker{Enable: d.CircuitBreaker, Rollback: d.Rollback},
	}
}

func sameDeployment(a, b *types.DeploymentConfiguration) bool {
	return describeDeployment(a) == describeDeployment(b)
}

func describeDeployment(c *types.DeploymentConfiguration) string {
	if c == nil {
		return "default"
	}
	cb := c.DeploymentCircuitBreaker
	if cb == nil {
		cb = &types.DeploymentCircuitBreaker{}
	}
	return fmt.Sprintf("minimumHealthyPercent=%d maximumPercent=%d circuitBreaker=%t rollback=%t",
		aws.ToInt32(c.MinimumHealthyPercent), aws.ToInt32(c.MaximumPercent), cb.Enable, cb.Rollback)
}

// Tags converts a tag map to ECS tags, sorted by key.
func Tags(m map[string]string) []types.Tag {
	var out []types.Tag
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, types.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}

// shortTD turns a task definition ARN into "family:revision".
func shortTD(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}
