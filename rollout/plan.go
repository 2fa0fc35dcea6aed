// Package rollout runs a whole deploy of a spec: it reads what AWS has,
// plans every change, applies them in order (IAM, log groups, task
// definitions, cluster, services), follows the deployments and reports. The
// domain packages never see each other: rollout hands values across.
package rollout

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

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
	Logs    loggroup.API
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
	// Narrow is the secrets grant to put (or delete) once every deployment
	// completed, when the spec removes secrets: until then ExecRole keeps
	// the old ones too, for the old tasks and a circuit-breaker rollback.
	Narrow *GrantChange
	Agents []AgentPlan
}

// Identify asks STS who the caller is; the partition comes from its ARN.
func Identify(ctx context.Context, c Clients) (Identity, error) {
	out, err := c.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return Identity{}, fmt.Errorf("identify the caller (sts:GetCallerIdentity): %w", err)
	}
	id := Identity{Account: aws.ToString(out.Account), CallerARN: aws.ToString(out.Arn), Region: c.Region, Partition: "aws"}
	if a, err := arn.Parse(id.CallerARN); err == nil {
		id.Partition = a.Partition
	}
	return id, nil
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

// read fetches the current state with independent reads running
// concurrently. It writes nothing.
func read(ctx context.Context, c Clients, sp *spec.Spec) (*current, error) {
	cur := &current{
		logGroups: make([]loggroup.State, len(sp.Agents)),
		taskDefs:  make([]*taskdef.Current, len(sp.Agents)),
		running:   make([]*taskdef.Current, len(sp.Agents)),
		services:  make([]*ecstypes.Service, len(sp.Agents)),
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	g.Go(func() (err error) { cur.taskRole, err = roles.Read(gctx, c.IAM, sp.TaskRole.Name); return })
	g.Go(func() (err error) { cur.execRole, err = roles.Read(gctx, c.IAM, sp.ExecutionRole.Name); return })
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
	for i, a := range sp.Agents {
		g.Go(func() (err error) { cur.logGroups[i], err = loggroup.Read(gctx, c.Logs, a.Logs.Group); return })
		g.Go(func() (err error) { cur.taskDefs[i], err = taskdef.Latest(gctx, c.ECS, a.Name); return })
		g.Go(func() (err error) {
			if cur.services[i], err = service.Read(gctx, c.ECS, sp.Cluster.Name, a.Name); err != nil {
				return err
			}
			if arn := service.RunningTaskDefinition(cur.services[i]); taskdef.Family(arn) == a.Name {
				cur.running[i], err = taskdef.Describe(gctx, c.ECS, arn)
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return cur, nil
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
	id, err := Identify(ctx, c)
	if err != nil {
		return nil, err
	}
	cur, err := read(ctx, c, sp)
	if err != nil {
		return nil, err
	}
	p := &Plan{Spec: sp, Identity: id, Secrets: cur.secrets, SecretProblems: cur.secretProblems,
		Cluster: cur.cluster, CreateCluster: !cur.cluster.Exists && sp.Cluster.Create}

	if p.TaskRole, err = roles.PlanFor(taskRoleDesired(sp, id), cur.taskRole); err != nil {
		return nil, err
	}
	execDesired := execRoleDesired(sp, id, cur.secrets)
	p.Narrow = widenForRollout(&execDesired, cur.execRole)
	if p.ExecRole, err = roles.PlanFor(execDesired, cur.execRole); err != nil {
		return nil, err
	}
	p.TaskRoleARN = roleARN(id, sp.TaskRole.Name, cur.taskRole)
	p.ExecRoleARN = roleARN(id, sp.ExecutionRole.Name, cur.execRole)

	for i, a := range sp.Agents {
		in, err := taskDefInput(sp, a, id.Region, p.TaskRoleARN, p.ExecRoleARN, func(ref spec.SecretRef) string {
			written := sp.Secrets[ref.Secret]
			if s, ok := cur.secrets[written]; ok {
				return secrets.ValueFrom(s.ARN, ref.Key)
			}
			return secrets.ValueFrom(written, ref.Key) // unresolved: preflight fails the plan
		})
		if err != nil {
			return nil, err
		}
		desired, err := taskdef.Build(in)
		if err != nil {
			return nil, fmt.Errorf("agent %s: %w", a.Name, err)
		}
		// What runs first: after a rollback, or in a second cluster, it
		// is what matches, and reusing it changes nothing.
		tdPlan, err := taskdef.PlanFor(desired, cur.running[i], cur.taskDefs[i])
		if err != nil {
			return nil, fmt.Errorf("agent %s: %w", a.Name, err)
		}
		if cur.taskDefs[i] != nil {
			tdPlan.Newest = cur.taskDefs[i].Definition.Revision
		}
		p.Agents = append(p.Agents, AgentPlan{
			Agent:       a,
			LogGroup:    loggroup.PlanFor(a.Logs.Group, a.Logs.RetentionDays, ownedTags(sp), cur.logGroups[i]),
			TaskDef:     desired,
			TaskDefPlan: tdPlan,
			Service:     cur.services[i],
		})
	}
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
	d := roles.Desired{Name: sp.TaskRole.Name, Trusted: []roles.TrustedService{ecsTrust}, InlinePolicies: map[string]string{}, Tags: sp.Tags}
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

func execRoleDesired(sp *spec.Spec, id Identity, resolved map[string]secrets.Secret) roles.Desired {
	d := roles.Desired{
		Name:           sp.ExecutionRole.Name,
		Trusted:        []roles.TrustedService{{Service: roles.ECSTasksService}},
		InlinePolicies: map[string]string{},
		Tags:           sp.Tags,
	}
	for _, m := range sp.ExecutionRole.ManagedPolicies {
		d.ManagedPolicies = append(d.ManagedPolicies, policyARN(id.Partition, m))
	}
	if len(resolved) > 0 || sp.ExecutionRole.GrantAllSecrets {
		var list []secrets.Secret
		for _, ref := range slices.Sorted(maps.Keys(resolved)) {
			list = append(list, resolved[ref])
		}
		d.InlinePolicies[secrets.PolicyName] = secrets.GrantPolicy(list, sp.ExecutionRole.GrantAllSecrets)
	} else {
		// Nothing to grant: a grant left from an earlier spec must go
		// (IAM rejects a policy without statements, so delete it).
		d.RemoveInline = []string{secrets.PolicyName}
	}
	return d
}

// GrantChange is a change to launch's secrets grant made after the wait.
type GrantChange struct {
	Doc    string // the grant to put; "" with Delete
	Delete bool
	Before string // the grant in IAM before this run
}

// widenForRollout keeps the secrets a spec removes in d's grant for now and
// returns the change that narrows it after the deployments completed, or
// nil when the spec removes nothing.
func widenForRollout(d *roles.Desired, st *roles.State) *GrantChange {
	current, has := st.Inline[secrets.PolicyName]
	if !has {
		return nil
	}
	want, granting := d.InlinePolicies[secrets.PolicyName]
	if !granting { // every secret removed: delete later
		d.RemoveInline = nil
		return &GrantChange{Delete: true, Before: current}
	}
	wide, differs, err := secrets.WidenGrant(current, want)
	if err != nil || !differs {
		return nil // a grant edited by hand into something else: write the exact one now
	}
	d.InlinePolicies[secrets.PolicyName] = wide
	return &GrantChange{Doc: want, Before: current}
}

// taskDefInput maps one agent of the spec onto taskdef's input. valueFrom
// turns a secret reference into what the task definition points at.
func taskDefInput(sp *spec.Spec, a spec.Agent, region, taskRoleARN, execRoleARN string, valueFrom func(spec.SecretRef) string) (taskdef.Input, error) {
	in := taskdef.Input{
		Family:           a.Name,
		ContainerName:    a.Container,
		Image:            a.Image,
		CPU:              a.CPU,
		Memory:           a.Memory,
		OS:               a.Platform.OS,
		Architecture:     a.Platform.Architecture,
		Environment:      maps.Clone(a.Environment),
		Secrets:          map[string]string{},
		TaskRoleARN:      taskRoleARN,
		ExecutionRoleARN: execRoleARN,
		Logs:             taskdef.Logs{Group: a.Logs.Group, Region: region, StreamPrefix: a.Logs.StreamPrefix},
		Tags:             ownedTags(sp),
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
