// Package rollout runs a whole deploy of a spec: it reads what AWS has,
// plans every change, applies them in order (IAM, log groups, task
// definitions, cluster, services), follows the deployments and reports. The
// domain packages never see each other: rollout hands values across.
package rollout

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"golang.org/x/sync/errgroup"

	"github.com/launchdeploy/launch/loggroup"
	"github.com/launchdeploy/launch/preflight"
	"github.com/launchdeploy/launch/roles"
	"github.com/launchdeploy/launch/secrets"
	"github.com/launchdeploy/launch/service"
	"github.com/launchdeploy/launch/spec"
	"github.com/launchdeploy/launch/taskdef"
)

// STSAPI is the one STS call launch makes.
type STSAPI interface {
	GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// ECSAPI is every ECS call launch makes.
type ECSAPI interface {
	taskdef.API
	service.API
}

// Clients are the AWS seams a rollout uses; cmd/launch fills them with SDK
// clients, tests may fill them with fakes.
type Clients struct {
	STS     STSAPI
	IAM     roles.API
	Secrets secrets.API
	KMS     secrets.KeyAPI
	ECS     ECSAPI
	Logs    LogsAPI
	// Preflight are the read-only clients of the preflight checks (EC2,
	// ECR, IAM's policy simulator); nil members make their checks SKIP.
	Preflight preflight.Clients
	Region    string
}

// Identity is who is deploying, and where.
type Identity struct {
	Account   string `json:"account"`
	Partition string `json:"partition"`
	Region    string `json:"region"`
	CallerARN string `json:"caller"`
}

// AgentPlan is everything one agent needs.
type AgentPlan struct {
	Agent    spec.Agent
	LogGroup loggroup.Plan
	// TaskDef is the desired RegisterTaskDefinition input; TaskDefPlan says
	// whether the family's latest ACTIVE revision already is it.
	TaskDef     *ecs.RegisterTaskDefinitionInput
	TaskDefPlan taskdef.Plan
	// Base is the agent's base task definition as its file states it (nil
	// without one), so plan can show what the spec changes against it.
	Base *ecs.RegisterTaskDefinitionInput
	// Service is the current service (nil when it must be created).
	Service *ecstypes.Service
}

// Plan is the whole set of changes for a spec, computed from reads only.
type Plan struct {
	Spec     *spec.Spec
	Identity Identity
	TaskRole roles.Plan
	ExecRole roles.Plan
	Secrets  map[string]secrets.Secret // by reference as written
	// SecretProblems maps each reference that did not resolve to why; a
	// plan with problems fails preflight, so deploy never applies it.
	SecretProblems map[string]string
	// TaskRoleARN and ExecRoleARN are the roles' ARNs, known before they
	// exist (IAM's ARN format), so the task definitions can name them.
	TaskRoleARN, ExecRoleARN string
	Cluster                  service.ClusterState
	// CreateCluster is set when the cluster is missing and the spec allows
	// launch to create it.
	CreateCluster bool
	// Instance is the account, region and cluster this run deploys; its
	// grant is the execution role's inline policy Instance.GrantPolicyName().
	Instance Instance
	// Reads is everything the final task definitions make ECS read with the
	// execution role (secrets, SSM parameters, S3 environment files), once
	// each, resolved: the grant is exactly these.
	Reads []secrets.Reference
	// Narrow is this instance's grant to put (or delete) once every
	// deployment completed, when the task definitions stop reading
	// something: until then ExecRole keeps it too, for the old tasks and a
	// circuit-breaker rollback.
	Narrow *GrantChange
	// LegacyGrant is the single grant of launch versions before per-instance
	// grants (secrets.PolicyName), when the role still has it: launch leaves
	// it alone, since it may serve instances that have not run since.
	LegacyGrant string
	Agents      []AgentPlan
}

// Identify asks STS who the caller is; the partition comes from its ARN.
func Identify(ctx context.Context, c Clients) (Identity, error) {
	out, err := c.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return Identity{}, fmt.Errorf("identify the caller (sts:GetCallerIdentity): %w", err)
	}
	// The partition (aws, aws-cn, aws-us-gov) goes into every ARN launch
	// writes: guessing it would write grants that match nothing.
	a, err := arn.Parse(aws.ToString(out.Arn))
	if err != nil {
		return Identity{}, fmt.Errorf("identify the caller: sts:GetCallerIdentity answered with the ARN %q, which does not parse: %w", aws.ToString(out.Arn), err)
	}
	return Identity{Account: aws.ToString(out.Account), CallerARN: aws.ToString(out.Arn), Region: c.Region, Partition: a.Partition}, nil
}

// current is everything read from AWS before planning.
type current struct {
	taskRole, execRole *roles.State
	secrets            map[string]secrets.Secret
	secretProblems     map[string]string
	cluster            service.ClusterState
	logGroups          []loggroup.State
	// taskDefs is each agent's family's newest ACTIVE revision; running is
	// the revision its service's PRIMARY deployment runs (nil when there is
	// no service, or it runs another family).
	taskDefs []*taskdef.Current
	running  []*taskdef.Current
	services []*ecstypes.Service
}

// readConcurrency bounds the reads in flight: enough for every read of a
// one-agent deploy and most of a ten-agent one at once, within the burst of
// ECS's read buckets (50 for cluster reads, "Request throttling for the
// Amazon ECS API") and the SDK's connection pool; the SDK retries what is
// throttled beyond it.
const readConcurrency = 32

// read fetches the current state. Every read that depends on no other
// starts at once: the roles (with launch's own inline policies by name),
// the secrets, the cluster, the services (ten per call), the log groups (by
// their common prefix) and each family's latest ACTIVE revision. Only the
// revision a service runs, when it is not the latest, is read after. It
// writes nothing.
func read(ctx context.Context, c Clients, sp *spec.Spec) (*current, error) {
	n := len(sp.Agents)
	cur := &current{
		logGroups: make([]loggroup.State, n),
		taskDefs:  make([]*taskdef.Current, n),
		running:   make([]*taskdef.Current, n),
	}
	names := make([]string, n)
	var groups []string
	for i, a := range sp.Agents {
		names[i] = a.Name
		if a.Logs.Group != "" { // "": the agent logs with another driver (a base's FireLens, …)
			groups = append(groups, a.Logs.Group)
		}
	}
	var logGroups map[string]loggroup.State
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(readConcurrency)
	g.Go(func() (err error) {
		cur.taskRole, err = roles.Read(gctx, c.IAM, sp.TaskRole.Name, taskRoleOwnPolicies(sp)...)
		return err
	})
	g.Go(func() (err error) {
		cur.execRole, err = roles.Read(gctx, c.IAM, sp.ExecutionRole.Name, secrets.InstancePolicyName(c.Region, sp.Cluster.Name), secrets.PolicyName)
		return err
	})
	g.Go(func() error {
		var err error
		cur.secrets, err = secrets.Resolve(gctx, c.Secrets, c.KMS, secretRefs(sp))
		var re *secrets.ResolveError
		if errors.As(err, &re) { // a finding for preflight, not a fault
			cur.secretProblems, err = re.ByRef, nil
		}
		return err
	})
	g.Go(func() (err error) { cur.cluster, err = service.ReadCluster(gctx, c.ECS, sp.Cluster.Name); return })
	g.Go(func() (err error) { cur.services, err = service.ReadAll(gctx, c.ECS, sp.Cluster.Name, names); return })
	g.Go(func() (err error) { logGroups, err = loggroup.ReadAll(gctx, c.Logs, groups); return })
	for i, a := range sp.Agents {
		g.Go(func() (err error) { cur.taskDefs[i], err = taskdef.Latest(gctx, c.ECS, a.Name); return })
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(readConcurrency)
	for i, a := range sp.Agents {
		cur.logGroups[i] = logGroups[a.Logs.Group]
		arn := service.RunningTaskDefinition(cur.services[i])
		switch {
		case taskdef.Family(arn) != a.Name: // no service, or it runs another family
		case cur.taskDefs[i] != nil && aws.ToString(cur.taskDefs[i].Definition.TaskDefinitionArn) == arn:
			cur.running[i] = cur.taskDefs[i]
		default:
			g.Go(func() (err error) { cur.running[i], err = taskdef.Describe(gctx, c.ECS, arn); return })
		}
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return cur, nil
}

// taskRoleOwnPolicies are the task role's inline policies the spec writes.
func taskRoleOwnPolicies(sp *spec.Spec) []string {
	var names []string
	for _, ip := range sp.TaskRole.InlinePolicies {
		names = append(names, ip.Name)
	}
	return names
}

// secretRefs lists the declared secrets' references, sorted.
func secretRefs(sp *spec.Spec) []string {
	var refs []string
	for _, ref := range sp.Secrets {
		if !slices.Contains(refs, ref) {
			refs = append(refs, ref)
		}
	}
	slices.Sort(refs)
	return refs
}

// MakePlan reads AWS and computes every change the spec needs. It makes no
// write call, so `plan` and `deploy` share it and cannot disagree.
func MakePlan(ctx context.Context, c Clients, sp *spec.Spec) (*Plan, error) {
	// The region and cluster are known before any call; the account comes
	// from STS, read with everything else: nothing read needs it.
	if err := (Instance{Account: "-", Region: c.Region, Cluster: sp.Cluster.Name}).Validate(); err != nil {
		return nil, fmt.Errorf("cannot tell which deployment instance this is: %w", err)
	}
	// When both fail, the caller's identity is the error to show (no or
	// wrong credentials fail every read).
	var (
		id            Identity
		cur           *current
		idErr, curErr error
		wg            sync.WaitGroup
	)
	wg.Add(1)
	go func() { defer wg.Done(); id, idErr = Identify(ctx, c) }()
	cur, curErr = read(ctx, c, sp)
	wg.Wait()
	if err := cmp.Or(idErr, curErr); err != nil {
		return nil, err
	}
	inst := InstanceOf(id, sp)
	if err := inst.Validate(); err != nil {
		return nil, fmt.Errorf("cannot tell which deployment instance this is: %w", err)
	}
	var err error
	p := &Plan{Spec: sp, Identity: id, Secrets: cur.secrets, SecretProblems: cur.secretProblems,
		Cluster: cur.cluster, CreateCluster: !cur.cluster.Exists && sp.Cluster.Create}

	if p.TaskRole, err = roles.PlanFor(taskRoleDesired(sp, id), cur.taskRole); err != nil {
		return nil, err
	}
	// The task definitions come first: the execution role's grant is what
	// they read. They name the roles by ARN, known before the roles exist.
	p.TaskRoleARN = roleARN(id, sp.TaskRole.Name, cur.taskRole)
	p.ExecRoleARN = roleARN(id, sp.ExecutionRole.Name, cur.execRole)
	unresolved := map[string]bool{} // the spec's secrets preflight already fails
	for i, a := range sp.Agents {
		in, err := taskDefInput(sp, a, id.Region, p.TaskRoleARN, p.ExecRoleARN, func(ref spec.SecretRef) string {
			written := sp.Secrets[ref.Secret]
			if s, ok := cur.secrets[written]; ok {
				return secrets.ValueFrom(s.ARN, ref.Key)
			}
			v := secrets.ValueFrom(written, ref.Key) // unresolved: preflight fails the plan
			unresolved[v] = true
			return v
		})
		if err != nil {
			return nil, err
		}
		in.Tags[InstanceTagKey] = inst.String()
		desired, err := taskdef.Build(in)
		if err != nil {
			return nil, fmt.Errorf("agent %s: %w", a.Name, err)
		}
		// What runs first: after a rollback, or in a second cluster, it
		// is what matches, and reusing it changes nothing.
		tdPlan := taskdef.PlanFor(desired, cur.running[i], cur.taskDefs[i])
		if cur.taskDefs[i] != nil {
			tdPlan.Newest = cur.taskDefs[i].Definition.Revision
		}
		p.Agents = append(p.Agents, AgentPlan{
			Agent:       a,
			LogGroup:    logGroupPlan(sp, inst, a, desired, cur.logGroups[i]),
			TaskDef:     desired,
			TaskDefPlan: tdPlan,
			Base:        in.Base,
			Service:     cur.services[i],
		})
	}

	p.Instance = inst
	if p.Reads, err = readsOf(ctx, c, p, cur.secrets, unresolved); err != nil {
		return nil, err
	}
	execDesired := execRoleDesired(sp, id, p.Instance, p.Reads)
	execDesired.Record = roleRecord(inst)
	p.Narrow = widenForRollout(&execDesired, cur.execRole, p.Instance.GrantPolicyName())
	if p.ExecRole, err = roles.PlanFor(execDesired, cur.execRole); err != nil {
		return nil, err
	}
	p.LegacyGrant = cur.execRole.Inline[secrets.PolicyName]
	return p, nil
}

// ownedTags are the spec's tags plus launch's ownership tag.
func ownedTags(sp *spec.Spec) map[string]string {
	tags := maps.Clone(sp.Tags)
	if tags == nil {
		tags = map[string]string{}
	}
	tags[roles.OwnerTagKey] = roles.OwnerTagValue
	return tags
}

// instanceTags are ownedTags plus the deployment instance's tag: what goes
// on every regional resource launch creates (task definitions, services,
// log groups, the cluster). Roles are global and shared: they record their
// instances with roleRecord instead.
func instanceTags(sp *spec.Spec, inst Instance) map[string]string {
	tags := ownedTags(sp)
	tags[InstanceTagKey] = inst.String()
	return tags
}

// roleRecord is the tag that records inst on a role it uses.
func roleRecord(inst Instance) map[string]string {
	k, v := roles.InstanceTag(inst.Account, inst.Region, inst.Cluster)
	return map[string]string{k: v}
}

// roleARN is the role's ARN: the real one when it exists (it may have a
// path), else the one IAM will give it.
func roleARN(id Identity, name string, st *roles.State) string {
	if st != nil && st.Exists {
		return st.ARN
	}
	return fmt.Sprintf("arn:%s:iam::%s:role/%s", id.Partition, id.Account, name)
}

// policyARN expands an AWS-managed policy path ("service-role/X") to its ARN
// in the caller's partition; full ARNs pass through.
func policyARN(partition, p string) string {
	if strings.HasPrefix(p, "arn:") {
		return p
	}
	return fmt.Sprintf("arn:%s:iam::aws:policy/%s", partition, strings.TrimPrefix(p, "/"))
}

func taskRoleDesired(sp *spec.Spec, id Identity) roles.Desired {
	ecsTrust := roles.TrustedService{Service: roles.ECSTasksService}
	if sp.TaskRole.ConfusedDeputyProtection {
		ecsTrust.Condition = roles.SourceCondition(id.Partition, id.Region, id.Account)
	}
	d := roles.Desired{Name: sp.TaskRole.Name, Trusted: []roles.TrustedService{ecsTrust}, InlinePolicies: map[string]string{}, Tags: sp.Tags,
		Record: roleRecord(InstanceOf(id, sp))}
	for _, s := range sp.TaskRole.TrustedServices {
		if s != roles.ECSTasksService {
			d.Trusted = append(d.Trusted, roles.TrustedService{Service: s})
		}
	}
	for _, m := range sp.TaskRole.ManagedPolicies {
		d.ManagedPolicies = append(d.ManagedPolicies, policyARN(id.Partition, m))
	}
	for _, ip := range sp.TaskRole.InlinePolicies {
		d.InlinePolicies[ip.Name] = ip.Document
	}
	return d
}

// readsOf collects what every agent's final task definition reads through
// the execution role and resolves the secrets among them (the spec's own
// are already resolved and cost no call). Each place is named with its agent.
func readsOf(ctx context.Context, c Clients, p *Plan, resolved map[string]secrets.Secret, unresolved map[string]bool) ([]secrets.Reference, error) {
	loc := secrets.Location{Partition: p.Identity.Partition, Region: p.Identity.Region, Account: p.Identity.Account}
	var all []secrets.Reference
	for _, ap := range p.Agents {
		for _, r := range secrets.References(ap.TaskDef, loc, unresolved) {
			for i := range r.Where {
				r.Where[i] = "agent " + ap.Agent.Name + " " + r.Where[i]
			}
			k := slices.IndexFunc(all, func(o secrets.Reference) bool { return o.Kind == r.Kind && o.Ref == r.Ref && o.Problem == r.Problem })
			if k < 0 {
				all = append(all, r)
				continue
			}
			all[k].Where = append(all[k].Where, r.Where...)
		}
	}
	known := make([]secrets.Secret, 0, len(resolved))
	for _, ref := range slices.Sorted(maps.Keys(resolved)) {
		known = append(known, resolved[ref])
	}
	return secrets.ResolveReferences(ctx, c.Secrets, c.KMS, all, known)
}

// execRoleDesired is the execution role with this instance's grant: exactly
// what the task definitions read (reads), in the instance's own inline
// policy. Other instances' grants on the role are left as they are.
func execRoleDesired(sp *spec.Spec, id Identity, inst Instance, reads []secrets.Reference) roles.Desired {
	d := roles.Desired{
		Name:           sp.ExecutionRole.Name,
		Trusted:        []roles.TrustedService{{Service: roles.ECSTasksService}},
		InlinePolicies: map[string]string{},
		Tags:           sp.Tags,
	}
	for _, m := range sp.ExecutionRole.ManagedPolicies {
		d.ManagedPolicies = append(d.ManagedPolicies, policyARN(id.Partition, m))
	}
	name := inst.GrantPolicyName()
	if g := secrets.GrantFor(reads, sp.ExecutionRole.GrantAllSecrets); !g.Empty() {
		d.InlinePolicies[name] = g.Policy()
	} else {
		// Nothing to grant: a grant left from an earlier spec must go
		// (IAM rejects a policy without statements, so delete it).
		d.RemoveInline = []string{name}
	}
	return d
}

// GrantChange is a change to this instance's grant made after the wait.
type GrantChange struct {
	Policy string // the inline policy: the instance's grant
	Doc    string // the grant to put; "" with Delete
	Delete bool
	Before string // the grant in IAM before this run
}

// widenForRollout keeps what the task definitions stop reading in d's grant
// (the inline policy name) for now and returns the change that narrows it
// after the deployments completed, or nil when nothing is removed.
func widenForRollout(d *roles.Desired, st *roles.State, name string) *GrantChange {
	current, has := st.Inline[name]
	if !has {
		return nil
	}
	want, granting := d.InlinePolicies[name]
	if !granting { // nothing left to read: delete later
		d.RemoveInline = nil
		return &GrantChange{Policy: name, Delete: true, Before: current}
	}
	wide, differs, err := secrets.WidenGrant(current, want)
	if err != nil || !differs {
		return nil // a grant edited by hand into something else: write the exact one now
	}
	d.InlinePolicies[name] = wide
	return &GrantChange{Policy: name, Doc: want, Before: current}
}

// taskDefInput maps one agent of the spec onto taskdef's input. valueFrom
// turns a secret reference into what the task definition points at.
//
// A field the spec writes (in the agent or under defaults:) goes in as the
// spec's explicit value, which wins over the base task definition; a field
// it leaves to launch's default goes in as taskdef's Defaults, which apply
// only where the base has no value either.
func taskDefInput(sp *spec.Spec, a spec.Agent, region, taskRoleARN, execRoleARN string, valueFrom func(spec.SecretRef) string) (taskdef.Input, error) {
	in := taskdef.Input{
		Family:           a.Name,
		ContainerName:    a.Container,
		Image:            a.Image,
		Environment:      maps.Clone(a.Environment),
		Secrets:          map[string]string{},
		TaskRoleARN:      taskRoleARN,
		ExecutionRoleARN: execRoleARN,
		Defaults: taskdef.Defaults{
			CPU: a.CPU, Memory: a.Memory, OS: a.Platform.OS, Architecture: a.Platform.Architecture,
			Logs: taskdef.Logs{Group: a.Logs.Group, Region: region, StreamPrefix: a.Logs.StreamPrefix},
		},
		Tags: ownedTags(sp),
	}
	if a.IsSet("cpu") {
		in.CPU = a.CPU
	}
	if a.IsSet("memory") {
		in.Memory = a.Memory
	}
	if a.IsSet("platform.os") {
		in.OS = a.Platform.OS
	}
	if a.IsSet("platform.architecture") {
		in.Architecture = a.Platform.Architecture
	}
	if a.IsSet("logs.group") {
		in.Logs.Group = a.Logs.Group
	}
	if a.IsSet("logs.streamPrefix") {
		in.Logs.StreamPrefix = a.Logs.StreamPrefix
	}
	for env, ref := range a.Secrets {
		in.Secrets[env] = valueFrom(ref)
	}
	if len(a.BaseTaskDefinitionJSON) > 0 {
		base, err := taskdef.DecodeBase(a.BaseTaskDefinitionJSON)
		if err != nil {
			return taskdef.Input{}, fmt.Errorf("agent %s: base task definition %s: %w", a.Name, a.BaseTaskDefinition, err)
		}
		in.Base = base
	}
	return in, nil
}

// logGroupPlan plans the log group the agent's final task definition logs
// to: none when its container uses another driver than awslogs. The spec
// loader resolves the same group into a.Logs.Group (read before planning);
// should they ever differ, the group is planned as unknown, which Apply
// converges (an existing group is kept and its retention set).
//
// A group that already exists and comes from the base task definition keeps
// its retention unless the spec writes logs.retentionDays: launch's default
// of 30 days applies only to a group launch creates.
func logGroupPlan(sp *spec.Spec, inst Instance, a spec.Agent, desired *ecs.RegisterTaskDefinitionInput, st loggroup.State) loggroup.Plan {
	name := taskdef.LogGroup(desired, a.Container)
	if name == "" {
		return loggroup.Plan{}
	}
	if name != a.Logs.Group {
		st = loggroup.State{}
	}
	retention := a.Logs.RetentionDays
	if st.Exists && a.BaseTaskDefinition != "" && !a.IsSet("logs.group") && !a.IsSet("logs.retentionDays") {
		retention = st.RetentionDays
	}
	return loggroup.PlanFor(name, retention, instanceTags(sp, inst), st)
}
