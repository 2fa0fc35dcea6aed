package rollout

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/launchdeploy/launch/roles"
	"github.com/launchdeploy/launch/secrets"
	"github.com/launchdeploy/launch/service"
	"github.com/launchdeploy/launch/spec"
)

// DestroyClients are the calls destroy makes beyond a deploy's; the SDK
// clients from NewDestroyClients satisfy them.
type DestroyClients struct {
	ECS interface {
		service.API
		ListTaskDefinitions(context.Context, *ecs.ListTaskDefinitionsInput, ...func(*ecs.Options)) (*ecs.ListTaskDefinitionsOutput, error)
		DescribeTaskDefinition(context.Context, *ecs.DescribeTaskDefinitionInput, ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
		DeregisterTaskDefinition(context.Context, *ecs.DeregisterTaskDefinitionInput, ...func(*ecs.Options)) (*ecs.DeregisterTaskDefinitionOutput, error)
		DeleteService(context.Context, *ecs.DeleteServiceInput, ...func(*ecs.Options)) (*ecs.DeleteServiceOutput, error)
		ListServices(context.Context, *ecs.ListServicesInput, ...func(*ecs.Options)) (*ecs.ListServicesOutput, error)
		DeleteCluster(context.Context, *ecs.DeleteClusterInput, ...func(*ecs.Options)) (*ecs.DeleteClusterOutput, error)
		ListTagsForResource(context.Context, *ecs.ListTagsForResourceInput, ...func(*ecs.Options)) (*ecs.ListTagsForResourceOutput, error)
	}
	IAM interface {
		roles.API
		DetachRolePolicy(context.Context, *iam.DetachRolePolicyInput, ...func(*iam.Options)) (*iam.DetachRolePolicyOutput, error)
		DeleteRolePolicy(context.Context, *iam.DeleteRolePolicyInput, ...func(*iam.Options)) (*iam.DeleteRolePolicyOutput, error)
		DeleteRole(context.Context, *iam.DeleteRoleInput, ...func(*iam.Options)) (*iam.DeleteRoleOutput, error)
	}
	Logs interface {
		DescribeLogGroups(context.Context, *cloudwatchlogs.DescribeLogGroupsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogGroupsOutput, error)
		ListTagsForResource(context.Context, *cloudwatchlogs.ListTagsForResourceInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.ListTagsForResourceOutput, error)
		DeleteLogGroup(context.Context, *cloudwatchlogs.DeleteLogGroupInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DeleteLogGroupOutput, error)
	}
}

// DestroyItem is one resource destroy deleted or left alone.
type DestroyItem struct {
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Action string `json:"action"` // deleted, skipped, absent
	Reason string `json:"reason,omitempty"`
}

// Destroy removes what launch created for sp, recognised by its ownership
// tag: each service (scaled to 0, then deleted), the task definition
// revisions it registered, the cluster when launch created it and it is
// empty; with withRoles also the roles and log groups it created. It never
// touches anything without the tag and says what it skipped and why.
func Destroy(ctx context.Context, c DestroyClients, sp *spec.Spec, withRoles bool, out Reporter) ([]DestroyItem, error) {
	var items []DestroyItem
	add := func(it DestroyItem) {
		items = append(items, it)
		line := fmt.Sprintf("%s %s: %s", it.Kind, it.Name, it.Action)
		if it.Reason != "" {
			line += " (" + it.Reason + ")"
		}
		out.Printf("%s", line)
	}
	cluster := sp.Cluster.Name
	for _, a := range sp.Agents {
		it, err := destroyService(ctx, c, cluster, a.Name)
		if err != nil {
			return items, err
		}
		add(it)
		tds, err := deregisterOwned(ctx, c, a.Name)
		for _, it := range tds {
			add(it)
		}
		if err != nil {
			return items, err
		}
	}
	it, err := destroyCluster(ctx, c, cluster)
	if err != nil {
		return items, err
	}
	add(it)
	if !withRoles {
		out.Printf("roles and log groups kept: pass --roles to delete the ones launch created")
		return items, nil
	}
	for _, a := range sp.Agents {
		if a.Logs.Group == "" { // the agent logs with another driver: no group of launch's
			continue
		}
		it, err := destroyLogGroup(ctx, c, a.Logs.Group)
		if err != nil {
			return items, err
		}
		add(it)
	}
	for _, name := range []string{sp.TaskRole.Name, sp.ExecutionRole.Name} {
		its, err := destroyRole(ctx, c, name)
		for _, it := range its {
			add(it)
		}
		if err != nil {
			return items, err
		}
	}
	return items, nil
}

func owned(tags map[string]string) bool { return tags[roles.OwnerTagKey] == roles.OwnerTagValue }

const notOwned = "not created by launch: no " + roles.OwnerTagKey + "=" + roles.OwnerTagValue + " tag"

func ecsTags(tags []ecstypes.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

func destroyService(ctx context.Context, c DestroyClients, cluster, name string) (DestroyItem, error) {
	it := DestroyItem{Kind: "service", Name: name}
	svc, err := service.Read(ctx, c.ECS, cluster, name)
	if errors.Is(err, service.ErrDraining) {
		it.Action, it.Reason = "absent", "already deleted; ECS is still draining it"
		return it, nil
	}
	if err != nil {
		return it, err
	}
	if svc == nil {
		it.Action = "absent"
		return it, nil
	}
	tags := ecsTags(svc.Tags)
	if len(svc.Tags) == 0 { // DescribeServices may omit tags; ask directly
		if out, err := c.ECS.ListTagsForResource(ctx, &ecs.ListTagsForResourceInput{ResourceArn: svc.ServiceArn}); err == nil {
			tags = ecsTags(out.Tags)
		}
	}
	if !owned(tags) {
		it.Action, it.Reason = "skipped", notOwned
		return it, nil
	}
	if svc.DesiredCount > 0 {
		if _, err := c.ECS.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(cluster), Service: aws.String(name), DesiredCount: aws.Int32(0)}); err != nil {
			return it, fmt.Errorf("scale service %s to 0: %w", name, err)
		}
	}
	if _, err := c.ECS.DeleteService(ctx, &ecs.DeleteServiceInput{Cluster: aws.String(cluster), Service: aws.String(name), Force: aws.Bool(true)}); err != nil {
		return it, fmt.Errorf("delete service %s: %w", name, err)
	}
	it.Action = "deleted"
	return it, nil
}

func deregisterOwned(ctx context.Context, c DestroyClients, family string) ([]DestroyItem, error) {
	var items []DestroyItem
	p := ecs.NewListTaskDefinitionsPaginator(c.ECS, &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(family), Status: ecstypes.TaskDefinitionStatusActive})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return items, fmt.Errorf("list task definitions %s: %w", family, err)
		}
		for _, arn := range page.TaskDefinitionArns {
			if fam, _, _ := strings.Cut(shortARN(arn), ":"); fam != family {
				continue // a longer family sharing the prefix
			}
			it := DestroyItem{Kind: "task definition", Name: shortARN(arn)}
			d, err := c.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn), Include: []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags}})
			if err != nil {
				return items, fmt.Errorf("describe task definition %s: %w", arn, err)
			}
			if !owned(ecsTags(d.Tags)) {
				it.Action, it.Reason = "skipped", notOwned
			} else {
				if _, err := c.ECS.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(arn)}); err != nil {
					return items, fmt.Errorf("deregister task definition %s: %w", arn, err)
				}
				it.Action = "deleted"
				it.Reason = "deregistered"
			}
			items = append(items, it)
		}
	}
	return items, nil
}

func destroyCluster(ctx context.Context, c DestroyClients, name string) (DestroyItem, error) {
	it := DestroyItem{Kind: "cluster", Name: name}
	out, err := c.ECS.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{name}, Include: []ecstypes.ClusterField{ecstypes.ClusterFieldTags}})
	if err != nil {
		return it, fmt.Errorf("describe cluster %s: %w", name, err)
	}
	var cl *ecstypes.Cluster
	for i := range out.Clusters {
		if aws.ToString(out.Clusters[i].Status) == "ACTIVE" {
			cl = &out.Clusters[i]
		}
	}
	switch {
	case cl == nil:
		it.Action = "absent"
		return it, nil
	case !owned(ecsTags(cl.Tags)):
		it.Action, it.Reason = "skipped", notOwned
		return it, nil
	}
	var arns []string
	pages := ecs.NewListServicesPaginator(c.ECS, &ecs.ListServicesInput{Cluster: aws.String(name)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return it, fmt.Errorf("list services of cluster %s: %w", name, err)
		}
		arns = append(arns, page.ServiceArns...)
	}
	if n, err := activeServices(ctx, c, name, arns); err != nil || n > 0 {
		it.Action, it.Reason = "skipped", fmt.Sprintf("still runs %d other service(s)", n)
		return it, err
	}
	if _, err := c.ECS.DeleteCluster(ctx, &ecs.DeleteClusterInput{Cluster: aws.String(name)}); err != nil {
		return it, fmt.Errorf("delete cluster %s: %w", name, err)
	}
	it.Action = "deleted"
	return it, nil
}

func destroyLogGroup(ctx context.Context, c DestroyClients, name string) (DestroyItem, error) {
	it := DestroyItem{Kind: "log group", Name: name}
	out, err := c.Logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(name)})
	if err != nil {
		return it, fmt.Errorf("describe log group %s: %w", name, err)
	}
	var g *logtypes.LogGroup
	for i := range out.LogGroups {
		if aws.ToString(out.LogGroups[i].LogGroupName) == name {
			g = &out.LogGroups[i]
		}
	}
	if g == nil {
		it.Action = "absent"
		return it, nil
	}
	tags, err := c.Logs.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: aws.String(strings.TrimSuffix(aws.ToString(g.Arn), ":*"))})
	if err != nil {
		return it, fmt.Errorf("list tags of log group %s: %w", name, err)
	}
	if !owned(tags.Tags) {
		it.Action, it.Reason = "skipped", notOwned
		return it, nil
	}
	if _, err := c.Logs.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(name)}); err != nil {
		return it, fmt.Errorf("delete log group %s: %w", name, err)
	}
	it.Action = "deleted"
	return it, nil
}

// destroyRole deletes a role launch created (detaching its managed
// policies and deleting its inline policies first, as IAM requires). On a
// role launch did not create it removes only launch's own secrets policy.
func destroyRole(ctx context.Context, c DestroyClients, name string) ([]DestroyItem, error) {
	st, err := roles.Read(ctx, c.IAM, name)
	if err != nil {
		return nil, err
	}
	if !st.Exists {
		return []DestroyItem{{Kind: "role", Name: name, Action: "absent"}}, nil
	}
	if !owned(st.Tags) {
		items := []DestroyItem{{Kind: "role", Name: name, Action: "skipped", Reason: notOwned + "; its trust and policies are left as they are"}}
		if _, ok := st.Inline[secrets.PolicyName]; ok {
			if _, err := c.IAM.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(secrets.PolicyName)}); err != nil {
				return items, fmt.Errorf("delete inline policy %s of role %s: %w", secrets.PolicyName, name, err)
			}
			items = append(items, DestroyItem{Kind: "inline policy", Name: name + "/" + secrets.PolicyName, Action: "deleted", Reason: "launch's own secrets grant"})
		}
		return items, nil
	}
	for _, arn := range st.Attached {
		if _, err := c.IAM.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(name), PolicyArn: aws.String(arn)}); err != nil {
			return nil, fmt.Errorf("detach %s from role %s: %w", arn, name, err)
		}
	}
	for pn := range st.Inline {
		if _, err := c.IAM.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(pn)}); err != nil {
			return nil, fmt.Errorf("delete inline policy %s of role %s: %w", pn, name, err)
		}
	}
	if _, err := c.IAM.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(name)}); err != nil {
		var nse *iamtypes.NoSuchEntityException
		if !errors.As(err, &nse) {
			return nil, fmt.Errorf("delete role %s: %w", name, err)
		}
	}
	return []DestroyItem{{Kind: "role", Name: name, Action: "deleted", Reason: fmt.Sprintf("with %d managed policy attachment(s) and %d inline policy(ies)", len(st.Attached), len(st.Inline))}}, nil
}

// activeServices counts the ACTIVE services among arns: ListServices also
// lists services that are DRAINING after a delete.
func activeServices(ctx context.Context, c DestroyClients, cluster string, arns []string) (int, error) {
	n := 0
	for len(arns) > 0 {
		batch := arns[:min(10, len(arns))] // DescribeServices takes at most 10
		arns = arns[len(batch):]
		out, err := c.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: batch})
		if err != nil {
			return 0, fmt.Errorf("describe services of cluster %s: %w", cluster, err)
		}
		for _, s := range out.Services {
			if aws.ToString(s.Status) == "ACTIVE" {
				n++
			}
		}
	}
	return n, nil
}
