package rollout

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/launchdeploy/launch/service"
	"github.com/launchdeploy/launch/spec"
)

// rollbackTarget is one service's rollback, worked out before any write.
type rollbackTarget struct {
	agent   spec.Agent
	svc     *ecstypes.Service
	current string // the revision the service runs
	to      string // the revision to roll back to
	// done: an earlier `launch rollback` already moved the service off the
	// family's newest revision (it may still be in flight): follow it.
	done bool
}

// RollbackOptions choose what to roll back.
type RollbackOptions struct {
	Agent string // only this agent's service; "" for all
	// ToRevision rolls back to this revision of each family instead of the
	// one before the revision the service runs.
	ToRevision int
}

// Rollback points each agent's service back at the newest ACTIVE revision
// older than the one it runs (or at ro.ToRevision), in one UpdateService,
// then follows the deployments exactly as Deploy does. Every target is
// found before the first write. Each service rolled back is tagged with the
// revision it left, so a rerun — after Ctrl-C, --no-wait or a completed
// rollback — follows that rollback instead of going back another revision.
func Rollback(ctx context.Context, c Clients, sp *spec.Spec, ro RollbackOptions, opts Options, out Reporter, rep *Report) error {
	id, err := Identify(ctx, c)
	if err != nil {
		return err
	}
	rep.Identity = id
	var targets []rollbackTarget
	for _, a := range sp.Agents {
		if ro.Agent != "" && a.Name != ro.Agent {
			continue
		}
		t, err := rollbackTargetFor(ctx, c, InstanceOf(id, sp), a, ro.ToRevision)
		if err != nil {
			return err
		}
		targets = append(targets, t)
	}
	if len(targets) == 0 {
		return fmt.Errorf("no agent named %q in %s", ro.Agent, sp.Path)
	}

	p := &Plan{Spec: sp, Identity: id}
	var started []service.Started
	for _, t := range targets {
		var s service.Started
		ar := rep.agent(t.agent.Name)
		if t.done {
			if ro.ToRevision > 0 { // the service may never have been rolled back
				out.Printf("service %s already runs %s, the revision --to names; following it", t.agent.Name, shortARN(t.current))
			} else {
				out.Printf("service %s already runs %s, rolled back from %s by an earlier launch rollback; following it (use --to REVISION to go further back)",
					t.agent.Name, shortARN(t.current), shortARN(service.TagValue(t.svc, service.RolledBackFromTag)))
			}
			s = service.Started{ServiceARN: aws.ToString(t.svc.ServiceArn), Action: "unchanged"}
			if d := service.Primary(t.svc); d != nil {
				s.DeploymentID = aws.ToString(d.Id)
			}
		} else {
			out.Printf("service %s: rolling back from %s to %s", t.agent.Name, shortARN(t.current), shortARN(t.to))
			s, err = startRollback(ctx, c, sp.Cluster.Name, t.agent.Name, t.svc, t.current, t.to)
			if err != nil {
				return err
			}
			ar.Service.Changes = []string{fmt.Sprintf("taskDefinition: %s → %s", shortARN(t.current), shortARN(t.to))}
		}
		ar.TaskDefinition = TaskDefReport{Family: t.agent.Name, ARN: t.to, Revision: revision(t.to), Action: "reused", Reused: true}
		ar.Service.Name, ar.Service.ARN, ar.Service.Action, ar.Service.DeploymentID = t.agent.Name, s.ServiceARN, s.Action, s.DeploymentID
		p.Agents = append(p.Agents, AgentPlan{Agent: t.agent})
		started = append(started, s)
	}
	if opts.NoWait {
		return nil
	}
	return follow(ctx, c, p, opts, started, out, rep)
}

// startRollback points service name (now svc, running current) at
// revision to, in one UpdateService, after tagging it with the revision it
// leaves.
func startRollback(ctx context.Context, c Clients, cluster, name string, svc *ecstypes.Service, current, to string) (service.Started, error) {
	// Mark first: if the run stops between the two calls, a rerun sees the
	// service still on the marked revision and rolls back normally.
	if err := service.MarkRollback(ctx, c.ECS, aws.ToString(svc.ServiceArn), current); err != nil {
		return service.Started{}, err
	}
	return service.Apply(ctx, c.ECS, service.Plan{
		Desired: service.Desired{Cluster: cluster, Name: name},
		Current: svc,
		Update:  &ecs.UpdateServiceInput{Cluster: aws.String(cluster), Service: aws.String(name), TaskDefinition: aws.String(to)},
	})
}

func rollbackTargetFor(ctx context.Context, c Clients, inst Instance, a spec.Agent, toRevision int) (rollbackTarget, error) {
	cluster := inst.Cluster
	svc, err := service.Read(ctx, c.ECS, cluster, a.Name)
	if err != nil {
		return rollbackTarget{}, err
	}
	if svc == nil {
		return rollbackTarget{}, fmt.Errorf("service %s does not exist in cluster %s: nothing to roll back", a.Name, cluster)
	}
	t := rollbackTarget{agent: a, svc: svc, current: aws.ToString(svc.TaskDefinition)}
	if toRevision > 0 {
		t.to, err = activeRevision(ctx, c, t.current, toRevision)
		if err == nil && t.to == t.current {
			t.done = true // already there: just follow
		}
		return t, err
	}
	latest, previous, err := ownRevisions(ctx, c, inst, a.Name, revision(t.current))
	if err != nil {
		return t, err
	}
	from := service.TagValue(svc, service.RolledBackFromTag)
	if from != "" && from == latest && revision(t.current) < revision(from) {
		t.to, t.done = t.current, true
		return t, nil
	}
	if t.to = previous; t.to == "" {
		return t, fmt.Errorf("service %s runs %s and the family has no older ACTIVE revision of this deployment instance to roll back to (use --to REVISION to name one)", a.Name, shortARN(t.current))
	}
	return t, nil
}

// ownRevisions walks family's ACTIVE revisions, newest first, skipping the
// ones another deployment instance registered (a family is shared by the
// clusters of a region: prod must not roll back onto staging's revision).
// Revisions without an instance tag (older launch versions, or registered
// by hand) count as this instance's. It returns the newest of them, and
// the newest older than revision current ("" when none), describing only
// as many revisions as it needs.
func ownRevisions(ctx context.Context, c Clients, inst Instance, family string, current int) (latest, previous string, err error) {
	p := ecs.NewListTaskDefinitionsPaginator(c.ECS, &ecs.ListTaskDefinitionsInput{
		FamilyPrefix: aws.String(family), Status: ecstypes.TaskDefinitionStatusActive,
	})
	var arns []string
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", "", fmt.Errorf("list task definitions %s: %w", family, err)
		}
		for _, arn := range page.TaskDefinitionArns {
			if i := strings.LastIndex(arn, "/"); i >= 0 && strings.HasPrefix(arn[i+1:], family+":") { // not another family with this prefix
				arns = append(arns, arn)
			}
		}
	}
	// Newest first, by revision number (not trusting the listing's order).
	slices.SortFunc(arns, func(a, b string) int { return revision(b) - revision(a) })
	for _, arn := range arns {
		out, err := c.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{
			TaskDefinition: aws.String(arn), Include: []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags}})
		if err != nil {
			return "", "", fmt.Errorf("describe task definition %s: %w", shortARN(arn), err)
		}
		if owner := ecsTags(out.Tags)[InstanceTagKey]; owner != "" && owner != inst.String() {
			continue
		}
		if latest == "" {
			latest = arn
		}
		if revision(arn) < current {
			return latest, arn, nil
		}
	}
	return latest, "", nil
}

// activeRevision returns the ARN of revision rev of current's family, and
// an error unless it is ACTIVE.
func activeRevision(ctx context.Context, c Clients, current string, rev int) (string, error) {
	i := strings.LastIndex(current, ":")
	if i < 0 {
		return "", fmt.Errorf("%s is not a task definition ARN", current)
	}
	arn := fmt.Sprintf("%s:%d", current[:i], rev)
	out, err := c.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn)})
	if err != nil {
		return "", fmt.Errorf("revision %s: %w", shortARN(arn), err)
	}
	if out.TaskDefinition.Status != ecstypes.TaskDefinitionStatusActive {
		return "", fmt.Errorf("revision %s is %s; roll back to an ACTIVE revision", shortARN(arn), out.TaskDefinition.Status)
	}
	return arn, nil
}
