package rollout

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/launchdeploy/launch/service"
	"github.com/launchdeploy/launch/spec"
	"github.com/launchdeploy/launch/taskdef"
)

// Rollback points each agent's service (or only agentName's) back at the
// newest ACTIVE revision older than the one it runs, in one UpdateService,
// then follows the deployments exactly as Deploy does.
func Rollback(ctx context.Context, c Clients, sp *spec.Spec, agentName string, opts Options, out Reporter, rep *Report) error {
	id, err := Identify(ctx, c)
	if err != nil {
		return err
	}
	rep.Identity = id
	p := &Plan{Spec: sp, Identity: id}
	var started []service.Started
	for _, a := range sp.Agents {
		if agentName != "" && a.Name != agentName {
			continue
		}
		svc, err := service.Read(ctx, c.ECS, sp.Cluster.Name, a.Name)
		if err != nil {
			return err
		}
		if svc == nil {
			return fmt.Errorf("service %s does not exist in cluster %s: nothing to roll back", a.Name, sp.Cluster.Name)
		}
		current := aws.ToString(svc.TaskDefinition)
		prev, err := taskdef.Previous(ctx, c.ECS, a.Name, current)
		if err != nil {
			return err
		}
		if prev == "" {
			return fmt.Errorf("service %s runs %s and the family has no older ACTIVE revision to roll back to", a.Name, shortARN(current))
		}
		out.Printf("service %s: rolling back from %s to %s", a.Name, shortARN(current), shortARN(prev))
		s, err := service.Apply(ctx, c.ECS, service.Plan{
			Desired: service.Desired{Cluster: sp.Cluster.Name, Name: a.Name},
			Current: svc,
			Update:  &ecs.UpdateServiceInput{Cluster: aws.String(sp.Cluster.Name), Service: aws.String(a.Name), TaskDefinition: aws.String(prev)},
			Changes: []string{fmt.Sprintf("taskDefinition: %s → %s", shortARN(current), shortARN(prev))},
		})
		if err != nil {
			return err
		}
		ar := rep.agent(a.Name)
		ar.TaskDefinition = TaskDefReport{Family: a.Name, ARN: prev, Revision: revision(prev), Action: "reused", Reused: true}
		ar.Service = ServiceReport{Name: a.Name, ARN: s.ServiceARN, Action: s.Action, DeploymentID: s.DeploymentID,
			Changes: []string{fmt.Sprintf("taskDefinition: %s → %s", shortARN(current), shortARN(prev))}}
		p.Agents = append(p.Agents, AgentPlan{Agent: a})
		started = append(started, s)
	}
	if len(p.Agents) == 0 {
		return fmt.Errorf("no agent named %q in %s", agentName, sp.Path)
	}
	if opts.NoWait {
		return nil
	}
	return follow(ctx, c, p, opts, started, out, rep)
}
