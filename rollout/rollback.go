package rollout

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/launchdeploy/launch/service"
	"github.com/launchdeploy/launch/spec"
	"github.com/launchdeploy/launch/taskdef"
)

// rollbackTarget is one service's rollback, worked out before any write.
type rollbackTarget struct {
	agent    spec.Agent
	svc      *ecstypes.Service
	current  string // the revision the service runs
	to       string // the revision to roll back to
	inFlight bool   // a rollback to `current` is already under way: follow it
}

// Rollback points each agent's service (or only agentName's) back at the
// newest ACTIVE revision older than the one it runs, in one UpdateService,
// then follows the deployments exactly as Deploy does. Every service is
// read and its target found before the first write, and a rerun after an
// interruption follows the rollback in flight instead of going back further.
func Rollback(ctx context.Context, c Clients, sp *spec.Spec, agentName string, opts Options, out Reporter, rep *Report) error {
	id, err := Identify(ctx, c)
	if err != nil {
		return err
	}
	rep.Identity = id
	var targets []rollbackTarget
	for _, a := range sp.Agents {
		if agentName != "" && a.Name != agentName {
			continue
		}
		t, err := rollbackTargetFor(ctx, c, sp.Cluster.Name, a)
		if err != nil {
			return err
		}
		targets = append(targets, t)
	}
	if len(targets) == 0 {
		return fmt.Errorf("no agent named %q in %s", agentName, sp.Path)
	}

	p := &Plan{Spec: sp, Identity: id}
	var started []service.Started
	for _, t := range targets {
		change := fmt.Sprintf("taskDefinition: %s → %s", shortARN(t.current), shortARN(t.to))
		var s service.Started
		if t.inFlight {
			out.Printf("service %s: a rollback to %s is already in progress; following it", t.agent.Name, shortARN(t.to))
			s = service.Started{ServiceARN: aws.ToString(t.svc.ServiceArn), Action: "unchanged", DeploymentID: aws.ToString(service.Primary(t.svc).Id)}
			change = ""
		} else {
			out.Printf("service %s: rolling back from %s to %s", t.agent.Name, shortARN(t.current), shortARN(t.to))
			s, err = service.Apply(ctx, c.ECS, service.Plan{
				Desired: service.Desired{Cluster: sp.Cluster.Name, Name: t.agent.Name},
				Current: t.svc,
				Update:  &ecs.UpdateServiceInput{Cluster: aws.String(sp.Cluster.Name), Service: aws.String(t.agent.Name), TaskDefinition: aws.String(t.to)},
			})
			if err != nil {
				return err
			}
		}
		ar := rep.agent(t.agent.Name)
		ar.TaskDefinition = TaskDefReport{Family: t.agent.Name, ARN: t.to, Revision: revision(t.to), Action: "reused", Reused: true}
		ar.Service = ServiceReport{Name: t.agent.Name, ARN: s.ServiceARN, Action: s.Action, DeploymentID: s.DeploymentID}
		if change != "" {
			ar.Service.Changes = []string{change}
		}
		p.Agents = append(p.Agents, AgentPlan{Agent: t.agent})
		started = append(started, s)
	}
	if opts.NoWait {
		return nil
	}
	return follow(ctx, c, p, opts, started, out, rep)
}

func rollbackTargetFor(ctx context.Context, c Clients, cluster string, a spec.Agent) (rollbackTarget, error) {
	svc, err := service.Read(ctx, c.ECS, cluster, a.Name)
	if err != nil {
		return rollbackTarget{}, err
	}
	if svc == nil {
		return rollbackTarget{}, fmt.Errorf("service %s does not exist in cluster %s: nothing to roll back", a.Name, cluster)
	}
	t := rollbackTarget{agent: a, svc: svc, current: aws.ToString(svc.TaskDefinition)}
	latest, err := taskdef.Latest(ctx, c.ECS, a.Name)
	if err != nil {
		return t, err
	}
	if d := service.Primary(svc); d != nil && d.RolloutState == ecstypes.DeploymentRolloutStateInProgress &&
		latest != nil && aws.ToString(latest.Definition.TaskDefinitionArn) != t.current {
		// Moving to an older revision than the newest one: a rollback (an
		// interrupted `launch rollback`, or the circuit breaker's) is under way.
		t.to, t.inFlight = t.current, true
		return t, nil
	}
	if t.to, err = taskdef.Previous(ctx, c.ECS, a.Name, t.current); err != nil {
		return t, err
	}
	if t.to == "" {
		return t, fmt.Errorf("service %s runs %s and the family has no older ACTIVE revision to roll back to", a.Name, shortARN(t.current))
	}
	return t, nil
}
