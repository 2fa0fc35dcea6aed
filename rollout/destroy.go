package rollout

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/launchdeploy/launch/roles"
	"github.com/launchdeploy/launch/secrets"
	"github.com/launchdeploy/launch/service"
	"github.com/launchdeploy/launch/spec"
)

// DestroyClients are the calls destroy makes beyond a deploy's; the SDK
// clients from NewDestroyClients satisfy them.
type DestroyClients struct {
	STS STSAPI
	ECS interface {
		service.API
		ListClusters(context.Context, *ecs.ListClustersInput, ...func(*ecs.Options)) (*ecs.ListClustersOutput, error)
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
		DeleteRole(context.Context, *iam.DeleteRoleInput, ...func(*iam.Options)) (*iam.DeleteRoleOutput, error)
		UntagRole(context.Context, *iam.UntagRoleInput, ...func(*iam.Options)) (*iam.UntagRoleOutput, error)
	}
	Logs interface {
		DescribeLogGroups(context.Context, *cloudwatchlogs.DescribeLogGroupsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogGroupsOutput, error)
		ListTagsForResource(context.Context, *cloudwatchlogs.ListTagsForResourceInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.ListTagsForResourceOutput, error)
		TagResource(context.Context, *cloudwatchlogs.TagResourceInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.TagResourceOutput, error)
		DeleteLogGroup(context.Context, *cloudwatchlogs.DeleteLogGroupInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DeleteLogGroupOutput, error)
	}
	Region string
}

// Actions of a DestroyItem.
const (
	DestroyDeleted = "deleted" // launch removed it (or its part named in Reason)
	DestroyKept    = "kept"    // this instance's, but another instance still uses it
	DestroySkipped = "skipped" // not this instance's: not created by launch, or by another instance
	DestroyAbsent  = "absent"
)

// DestroyItem is one resource destroy deleted or left alone.
type DestroyItem struct {
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Action string `json:"action"` // deleted, kept, skipped, absent
	Reason string `json:"reason,omitempty"`
}

// Destroy removes what launch created for one deployment instance of sp
// (the account of the caller, the region of c, the spec's cluster) and
// nothing another instance still uses:
//   - the spec's services in the cluster, created by this instance (or by a
//     launch older than instance tags: the cluster and region are the
//     instance's);
//   - the task definition revisions this instance registered that no other
//     service of the region runs (families are shared by every cluster of a
//     region); revisions of an older launch only when no other service of
//     the region runs their family;
//   - the cluster, when launch created it for this instance and it is empty;
//   - with withRoles: the log groups this instance created that no revision
//     another service runs names; this instance's record and secrets grant
//     on each role (the grant stays while another service runs a revision
//     this instance registered: its tasks fetch their secrets through it);
//     and the role itself once no other instance is recorded on it, no
//     service of the region runs it, and launch created it.
//
// Everything left alone is listed with the reason. No write happens before
// the instance is known.
func Destroy(ctx context.Context, c DestroyClients, sp *spec.Spec, withRoles bool, out Reporter) ([]DestroyItem, error) {
	var items []DestroyItem
	add := func(its ...DestroyItem) {
		for _, it := range its {
			items = append(items, it)
			line := fmt.Sprintf("%s %s: %s", it.Kind, it.Name, it.Action)
			if it.Reason != "" {
				line += " (" + it.Reason + ")"
			}
			out.Printf("%s", line)
		}
	}
	id, err := c.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, fmt.Errorf("identify the caller (sts:GetCallerIdentity): %w", err)
	}
	inst := Instance{Account: aws.ToString(id.Account), Region: c.Region, Cluster: sp.Cluster.Name}
	if err := inst.Validate(); err != nil {
		return nil, fmt.Errorf("cannot tell which deployment instance to destroy: %w", err)
	}
	out.Printf("destroying deployment instance %s", inst)

	reg, err := surveyRegion(ctx, c, inst, sp)
	if err != nil {
		return nil, err
	}
	for _, a := range sp.Agents {
		it, err := destroyService(ctx, c, inst, reg, a.Name)
		add(it)
		if err != nil {
			return items, err
		}
		tds, err := deregisterOwned(ctx, c, inst, reg, a.Name)
		add(tds...)
		if err != nil {
			return items, err
		}
	}
	it, err := destroyCluster(ctx, c, inst)
	add(it)
	if err != nil {
		return items, err
	}
	if !withRoles {
		out.Printf("roles and log groups kept: pass --roles to delete the ones launch created")
		return items, nil
	}
	if err := reg.describeRevisions(ctx, c); err != nil {
		return items, err
	}
	for _, a := range sp.Agents {
		if a.Logs.Group == "" { // the agent logs with another driver: no group of launch's
			continue
		}
		it, err := destroyLogGroup(ctx, c, inst, reg, a.Logs.Group)
		add(it)
		if err != nil {
			return items, err
		}
	}
	var names []string
	for _, n := range []string{sp.TaskRole.Name, sp.ExecutionRole.Name} {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	for _, name := range names {
		its, err := destroyRole(ctx, c, inst, reg, name)
		add(its...)
		if err != nil {
			return items, err
		}
	}
	return items, nil
}

func owned(tags map[string]string) bool { return tags[roles.OwnerTagKey] == roles.OwnerTagValue }

const notOwned = "not created by launch: no " + roles.OwnerTagKey + "=" + roles.OwnerTagValue + " tag"

// ownerInstance says whose a launch-created resource is: mine when its
// instance tag names inst, legacy when it has none (made by a launch older
// than instance tags), else other names the instance that created it.
func ownerInstance(tags map[string]string, inst Instance) (mine, legacy bool, other string) {
	v, ok := tags[InstanceTagKey]
	switch {
	case !ok:
		return false, true, ""
	case v == inst.String():
		return true, false, ""
	default:
		return false, false, v
	}
}

func ecsTags(tags []ecstypes.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

// user is a service of the region that destroy leaves running.
type user struct {
	cluster, name string
	instance      string // its launch:instance tag, if any
}

func (u user) String() string { return fmt.Sprintf("service %s in cluster %s", u.name, u.cluster) }

// region is what every ACTIVE service of the region runs, apart from the
// services this destroy deletes: revisions are shared by all clusters of a
// region, so a revision, family, log group or role any of them runs stays.
type region struct {
	inCluster map[string]*ecstypes.Service // the spec's ACTIVE services in the instance's cluster
	draining  map[string]bool              // the spec's services already deleted
	revisions map[string][]user            // "family:revision" → services running it
	families  map[string][]user
	// Filled by describeRevisions, from the revisions the users run.
	logGroups map[string][]user // awslogs-group → users
	roleUsers map[string][]user // role name → users
	// Filled by deregisterOwned: execution role name → the revisions this
	// instance registered that stay because other services run them. Their
	// tasks fetch secrets through this instance's grant on that role.
	grantReaders map[string][]string
}

func uses(m map[string][]user, k string) string {
	var s []string
	for _, u := range m[k] {
		s = append(s, u.String())
	}
	return strings.Join(s, ", ")
}

// surveyRegion lists every cluster of the region and every ACTIVE service
// in it, with the revisions their deployments run.
func surveyRegion(ctx context.Context, c DestroyClients, inst Instance, sp *spec.Spec) (*region, error) {
	reg := &region{inCluster: map[string]*ecstypes.Service{}, draining: map[string]bool{}, revisions: map[string][]user{}, families: map[string][]user{},
		grantReaders: map[string][]string{}}
	var clusters []string
	cp := ecs.NewListClustersPaginator(c.ECS, &ecs.ListClustersInput{})
	for cp.HasMorePages() {
		page, err := cp.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list the clusters of %s: %w", inst.Region, err)
		}
		clusters = append(clusters, page.ClusterArns...)
	}
	agents := map[string]bool{}
	for _, a := range sp.Agents {
		agents[a.Name] = true
	}
	for _, clusterARN := range clusters {
		cluster := clusterARN[strings.LastIndex(clusterARN, "/")+1:]
		var arns []string
		pages := ecs.NewListServicesPaginator(c.ECS, &ecs.ListServicesInput{Cluster: aws.String(clusterARN)})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("list the services of cluster %s: %w", cluster, err)
			}
			arns = append(arns, page.ServiceArns...)
		}
		for len(arns) > 0 {
			batch := arns[:min(10, len(arns))] // DescribeServices takes at most 10
			arns = arns[len(batch):]
			out, err := c.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(clusterARN), Services: batch, Include: []ecstypes.ServiceField{ecstypes.ServiceFieldTags}})
			if err != nil {
				return nil, fmt.Errorf("describe the services of cluster %s: %w", cluster, err)
			}
			for i := range out.Services {
				s := &out.Services[i]
				name, status := aws.ToString(s.ServiceName), aws.ToString(s.Status)
				ours := cluster == inst.Cluster && agents[name]
				if ours && status == "DRAINING" {
					reg.draining[name] = true
				}
				if status != "ACTIVE" {
					continue
				}
				if ours && len(s.Tags) == 0 { // DescribeServices may omit tags; ask directly
					if out, err := c.ECS.ListTagsForResource(ctx, &ecs.ListTagsForResourceInput{ResourceArn: s.ServiceArn}); err == nil {
						s.Tags = out.Tags
					}
				}
				tags := ecsTags(s.Tags)
				if ours {
					reg.inCluster[name] = s
					if mine, legacy, _ := ownerInstance(tags, inst); owned(tags) && (mine || legacy) {
						continue // destroyService deletes it: not a user
					}
				}
				u := user{cluster: cluster, name: name, instance: tags[InstanceTagKey]}
				runs := []string{aws.ToString(s.TaskDefinition)}
				for _, d := range s.Deployments {
					runs = append(runs, aws.ToString(d.TaskDefinition))
				}
				seen := map[string]bool{}
				for _, td := range runs {
					rev := shortARN(td)
					if td == "" || seen[rev] {
						continue
					}
					seen[rev] = true
					reg.revisions[rev] = append(reg.revisions[rev], u)
					fam, _, _ := strings.Cut(rev, ":")
					if !slices.Contains(reg.families[fam], u) {
						reg.families[fam] = append(reg.families[fam], u)
					}
				}
			}
		}
	}
	return reg, nil
}

// describeRevisions reads the revisions the remaining services run, for
// the log groups and roles they name.
func (reg *region) describeRevisions(ctx context.Context, c DestroyClients) error {
	reg.logGroups, reg.roleUsers = map[string][]user{}, map[string][]user{}
	for _, rev := range slices.Sorted(maps.Keys(reg.revisions)) {
		out, err := c.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(rev)})
		if err != nil {
			return fmt.Errorf("describe task definition %s (run by %s): %w", rev, uses(reg.revisions, rev), err)
		}
		td := out.TaskDefinition
		for _, r := range []string{aws.ToString(td.TaskRoleArn), aws.ToString(td.ExecutionRoleArn)} {
			if r != "" {
				name := r[strings.LastIndex(r, "/")+1:] // an ARN, or the bare name ECS also accepts
				reg.roleUsers[name] = append(reg.roleUsers[name], reg.revisions[rev]...)
			}
		}
		for _, cd := range td.ContainerDefinitions {
			if lc := cd.LogConfiguration; lc != nil && lc.LogDriver == ecstypes.LogDriverAwslogs {
				if g := lc.Options["awslogs-group"]; g != "" {
					reg.logGroups[g] = append(reg.logGroups[g], reg.revisions[rev]...)
				}
			}
		}
	}
	return nil
}

func destroyService(ctx context.Context, c DestroyClients, inst Instance, reg *region, name string) (DestroyItem, error) {
	it := DestroyItem{Kind: "service", Name: name}
	svc, cluster := reg.inCluster[name], inst.Cluster
	switch {
	case svc == nil && reg.draining[name]:
		it.Action, it.Reason = DestroyAbsent, "already deleted; ECS is still draining it"
		return it, nil
	case svc == nil:
		it.Action = DestroyAbsent
		return it, nil
	}
	tags := ecsTags(svc.Tags) // completed by surveyRegion when DescribeServices omitted them
	if !owned(tags) {
		it.Action, it.Reason = DestroySkipped, notOwned
		return it, nil
	}
	if _, _, other := ownerInstance(tags, inst); other != "" {
		it.Action, it.Reason = DestroySkipped, "created by deployment instance "+other
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
	it.Action = DestroyDeleted
	return it, nil
}

func deregisterOwned(ctx context.Context, c DestroyClients, inst Instance, reg *region, family string) ([]DestroyItem, error) {
	var items []DestroyItem
	p := ecs.NewListTaskDefinitionsPaginator(c.ECS, &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(family), Status: ecstypes.TaskDefinitionStatusActive})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return items, fmt.Errorf("list task definitions %s: %w", family, err)
		}
		for _, arn := range page.TaskDefinitionArns {
			rev := shortARN(arn)
			if fam, _, _ := strings.Cut(rev, ":"); fam != family {
				continue // a longer family sharing the prefix
			}
			it := DestroyItem{Kind: "task definition", Name: rev}
			d, err := c.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn), Include: []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags}})
			if err != nil {
				return items, fmt.Errorf("describe task definition %s: %w", arn, err)
			}
			tags := ecsTags(d.Tags)
			mine, legacy, other := ownerInstance(tags, inst)
			switch {
			case !owned(tags):
				it.Action, it.Reason = DestroySkipped, notOwned
			case len(reg.revisions[rev]) > 0:
				it.Action, it.Reason = DestroyKept, "run by "+uses(reg.revisions, rev)
				if r := aws.ToString(d.TaskDefinition.ExecutionRoleArn); mine && r != "" {
					name := r[strings.LastIndex(r, "/")+1:]
					reg.grantReaders[name] = append(reg.grantReaders[name], rev)
				}
			case other != "":
				it.Action, it.Reason = DestroySkipped, "registered by deployment instance "+other
			case legacy && len(reg.families[family]) > 0:
				it.Action, it.Reason = DestroyKept, "registered by a launch without instance tags, and family "+family+" also runs in "+uses(reg.families, family)+": it may be that instance's rollback target"
			case mine || legacy:
				if _, err := c.ECS.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(arn)}); err != nil {
					return items, fmt.Errorf("deregister task definition %s: %w", arn, err)
				}
				it.Action, it.Reason = DestroyDeleted, "deregistered"
			}
			items = append(items, it)
		}
	}
	return items, nil
}

func destroyCluster(ctx context.Context, c DestroyClients, inst Instance) (DestroyItem, error) {
	name := inst.Cluster
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
	if cl == nil {
		it.Action = DestroyAbsent
		return it, nil
	}
	tags := ecsTags(cl.Tags)
	if !owned(tags) {
		it.Action, it.Reason = DestroySkipped, notOwned
		return it, nil
	}
	if _, _, other := ownerInstance(tags, inst); other != "" {
		it.Action, it.Reason = DestroySkipped, "created by deployment instance "+other
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
		it.Action, it.Reason = DestroyKept, fmt.Sprintf("still runs %d other service(s)", n)
		return it, err
	}
	if _, err := c.ECS.DeleteCluster(ctx, &ecs.DeleteClusterInput{Cluster: aws.String(name)}); err != nil {
		return it, fmt.Errorf("delete cluster %s: %w", name, err)
	}
	it.Action = DestroyDeleted
	return it, nil
}

// destroyLogGroup deletes the agent's log group when this instance (or a
// launch older than instance tags) created it and no revision another
// service runs names it. A group of this instance still named by another
// instance's service is handed over to that instance (its instance tag is
// rewritten), so that the group goes with the last instance using it.
func destroyLogGroup(ctx context.Context, c DestroyClients, inst Instance, reg *region, name string) (DestroyItem, error) {
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
		it.Action = DestroyAbsent
		return it, nil
	}
	arn := strings.TrimSuffix(aws.ToString(g.Arn), ":*")
	tags, err := c.Logs.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil {
		return it, fmt.Errorf("list tags of log group %s: %w", name, err)
	}
	mine, _, other := ownerInstance(tags.Tags, inst)
	switch {
	case !owned(tags.Tags):
		it.Action, it.Reason = DestroySkipped, notOwned
		return it, nil
	case other != "":
		it.Action, it.Reason = DestroySkipped, "created by deployment instance "+other
		return it, nil
	case len(reg.logGroups[name]) > 0:
		it.Action, it.Reason = DestroyKept, "named by the task definition that "+uses(reg.logGroups, name)+" runs"
		if heir := reg.logGroups[name][0].instance; mine && heir != "" {
			if _, err := c.Logs.TagResource(ctx, &cloudwatchlogs.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{InstanceTagKey: heir}}); err != nil {
				return it, fmt.Errorf("hand log group %s over to deployment instance %s: %w", name, heir, err)
			}
			it.Reason += "; handed over to deployment instance " + heir
		}
		return it, nil
	}
	if _, err := c.Logs.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(name)}); err != nil {
		return it, fmt.Errorf("delete log group %s: %w", name, err)
	}
	it.Action = DestroyDeleted
	return it, nil
}

// destroyRole takes this instance off a role: its record tag and its
// secrets grant. It deletes the role (detaching its managed policies and
// deleting its inline policies first, as IAM requires) only when launch
// created it, no other instance is recorded on it and no service of the
// region runs it. On a role launch did not create it removes only what is
// launch's own.
func destroyRole(ctx context.Context, c DestroyClients, inst Instance, reg *region, name string) ([]DestroyItem, error) {
	st, err := roles.Read(ctx, c.IAM, name)
	if err != nil {
		return nil, err
	}
	if !st.Exists {
		return []DestroyItem{{Kind: "role", Name: name, Action: DestroyAbsent}}, nil
	}
	key, _ := roles.InstanceTag(inst.Account, inst.Region, inst.Cluster)
	myRecord := strings.TrimPrefix(key, roles.InstanceTagPrefix)
	others := slices.DeleteFunc(roles.RecordedInstances(st.Tags), func(s string) bool { return s == myRecord })
	role := DestroyItem{Kind: "role", Name: name}
	sameInstance := slices.ContainsFunc(reg.roleUsers[name], func(u user) bool { return u.cluster == inst.Cluster })
	_, legacy := st.Inline[secrets.PolicyName]
	switch {
	case sameInstance:
		// Another spec deploys into this instance's cluster with this role:
		// the instance's record and grant are its too.
		role.Action, role.Reason = DestroyKept, "run by "+uses(reg.roleUsers, name)+", in this instance's cluster: its record and grant stay too"
		return []DestroyItem{role}, nil
	case len(others) > 0:
		role.Action, role.Reason = DestroyKept, "still used by deployment instance(s) "+strings.Join(others, ", ")
	case legacy:
		role.Action, role.Reason = DestroyKept, "it holds "+secrets.PolicyName+", the grant of launch versions before deployment instances, which deployments not rerun since (in any region) may still use; delete the role by hand once none does"
	case len(reg.roleUsers[name]) > 0:
		role.Action, role.Reason = DestroyKept, "run by "+uses(reg.roleUsers, name)+" (deployed by a launch without instance records, or by hand)"
	case !owned(st.Tags):
		role.Action, role.Reason = DestroySkipped, notOwned+"; its trust and policies are left as they are"
	default:
		return deleteRole(ctx, c, st, name)
	}

	items := []DestroyItem{role}
	if _, ok := st.Tags[key]; ok {
		if _, err := c.IAM.UntagRole(ctx, &iam.UntagRoleInput{RoleName: aws.String(name), TagKeys: []string{key}}); err != nil {
			return items, fmt.Errorf("remove tag %s of role %s: %w", key, name, err)
		}
		items = append(items, DestroyItem{Kind: "role tag", Name: name + "/" + key, Action: DestroyDeleted, Reason: "this instance no longer uses the role"})
	}
	// Only this instance's grant: launch-secrets-access (before per-instance
	// grants) may serve deployments no record tells of, so it stays.
	for _, pn := range []string{inst.GrantPolicyName()} {
		if _, ok := st.Inline[pn]; !ok {
			continue
		}
		if revs := reg.grantReaders[name]; len(revs) > 0 {
			var runners []string
			for _, rev := range revs {
				runners = append(runners, "task definition "+rev+", run by "+uses(reg.revisions, rev))
			}
			items = append(items, DestroyItem{Kind: "inline policy", Name: name + "/" + pn, Action: DestroyKept,
				Reason: "the tasks of " + strings.Join(runners, "; of ") + ", fetch their secrets through it"})
			continue
		}
		if _, err := c.IAM.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(pn)}); err != nil {
			return items, fmt.Errorf("delete inline policy %s of role %s: %w", pn, name, err)
		}
		items = append(items, DestroyItem{Kind: "inline policy", Name: name + "/" + pn, Action: DestroyDeleted, Reason: "launch's own secrets grant"})
	}
	return items, nil
}

func deleteRole(ctx context.Context, c DestroyClients, st *roles.State, name string) ([]DestroyItem, error) {
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
	return []DestroyItem{{Kind: "role", Name: name, Action: DestroyDeleted, Reason: fmt.Sprintf("no other instance uses it; with %d managed policy attachment(s) and %d inline policy(ies)", len(st.Attached), len(st.Inline))}}, nil
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
