package rollout

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/launchdeploy/launch/permissions"
	"github.com/launchdeploy/launch/preflight"
	"github.com/launchdeploy/launch/roles"
	"github.com/launchdeploy/launch/service"
	"github.com/launchdeploy/launch/spec"
	"github.com/launchdeploy/launch/taskdef"
)

// PreflightError is a plan that failed its preflight checks: deploy stops
// before its first write.
type PreflightError struct{ Result preflight.Result }

func (e *PreflightError) Error() string {
	var fails []string
	var walk func(prefix string, cs []preflight.Check)
	walk = func(prefix string, cs []preflight.Check) {
		for _, c := range cs {
			name := strings.TrimPrefix(prefix+" / "+c.Name, " / ")
			if c.Status == preflight.Fail && len(c.Children) == 0 {
				fails = append(fails, name+": "+c.Reason)
			}
			walk(name, c.Children)
		}
	}
	walk("", e.Result.Checks)
	return "preflight failed, nothing was changed:\n  " + strings.Join(fails, "\n  ")
}

// Preflight checks, from reads only, that applying p can succeed. plan
// shows the result; deploy refuses to write when it failed.
//
// networks, when not nil, are the network checks BeginNetworks started for
// the spec's agents (deploy starts them with its planning reads).
func (p *Plan) Preflight(ctx context.Context, c Clients, networks *preflight.Networks) preflight.Result {
	sp := p.Spec
	in := preflight.Input{
		Account: p.Identity.Account, Partition: p.Identity.Partition, Region: p.Identity.Region, CallerARN: p.Identity.CallerARN,
		Cluster:  preflight.Cluster{Name: sp.Cluster.Name, Exists: p.Cluster.Exists, WillCreate: p.CreateCluster},
		Agents:   preflightAgents(sp),
		Networks: networks,
	}
	writes := p.writes()
	if writes["iam:PassRole"] {
		in.RoleARNs = []string{p.TaskRoleARN, p.ExecRoleARN}
	}
	for _, id := range slices.Sorted(maps.Keys(sp.Secrets)) {
		ref := sp.Secrets[id]
		s := preflight.Secret{ID: id, Ref: ref, ARN: p.Secrets[ref].ARN, Problem: p.SecretProblems[ref]}
		in.Secrets = append(in.Secrets, s)
	}
	for _, r := range p.Reads {
		in.References = append(in.References, preflight.Reference{Kind: string(r.Kind), Ref: r.Ref, ARN: r.ARN, Region: r.Region,
			Where: r.Where, Problem: r.Problem, Unchecked: r.Unchecked})
	}
	for _, role := range []struct {
		plan    roles.Plan
		managed []string
	}{{p.TaskRole, sp.TaskRole.ManagedPolicies}, {p.ExecRole, sp.ExecutionRole.ManagedPolicies}} {
		for _, m := range role.managed {
			arn := policyARN(p.Identity.Partition, m)
			in.ManagedPolicies = append(in.ManagedPolicies, preflight.ManagedPolicy{Role: role.plan.Name, ARN: arn, Attached: !slices.Contains(role.plan.Attach, arn)})
		}
	}
	pol := permissions.For(permissions.Input{Spec: sp, Partition: p.Identity.Partition, Region: p.Identity.Region, Account: p.Identity.Account})
	for _, a := range pol.Actions() {
		if a.Action == "iam:PassRole" || !writes[a.Action] {
			continue // preflight checks PassRole on RoleARNs itself; reads were made already
		}
		in.Actions = append(in.Actions, preflight.ActionCheck{Action: a.Action, Resources: a.Resources})
	}
	for _, rp := range []roles.Plan{p.TaskRole, p.ExecRole} {
		in.Sizes = append(in.Sizes,
			preflight.Size{What: fmt.Sprintf("trust policy of role %s", rp.Name), Chars: rp.TrustChars, Limit: roles.MaxTrustPolicyChars},
			preflight.Size{What: fmt.Sprintf("inline policies of role %s", rp.Name), Chars: rp.InlineChars, Limit: roles.MaxInlinePolicyChars},
			preflight.Size{What: fmt.Sprintf("managed policies attached to role %s", rp.Name), Chars: rp.ManagedCount, Limit: roles.MaxManagedPolicies, Unit: "policies"},
		)
	}
	return preflight.Run(ctx, c.Preflight, in)
}

// preflightAgents are the spec's agents as preflight checks them.
func preflightAgents(sp *spec.Spec) []preflight.Agent {
	var out []preflight.Agent
	for _, a := range sp.Agents {
		out = append(out, preflight.Agent{Name: a.Name, Image: a.Image, Subnets: a.Network.Subnets, SecurityGroups: a.Network.SecurityGroups})
	}
	return out
}

// writes are the IAM actions of the calls applying p will make beyond the
// reads planning made already: each write, the reads that only the wait
// makes, and iam:PassRole where a task definition or service hands ECS the
// roles. Preflight simulates these alone: a plan that changes nothing
// simulates nothing.
func (p *Plan) writes() map[string]bool {
	w := map[string]bool{}
	add := func(actions ...string) {
		for _, a := range actions {
			w[a] = true
		}
	}
	for _, rp := range []roles.Plan{p.TaskRole, p.ExecRole} {
		if rp.Create {
			add("iam:CreateRole", "iam:TagRole")
		}
		if rp.UpdateTrust {
			add("iam:UpdateAssumeRolePolicy")
		}
		if len(rp.Attach) > 0 {
			add("iam:AttachRolePolicy")
		}
		if len(rp.Put) > 0 {
			add("iam:PutRolePolicy")
		}
		// No rp.Delete: the task role deletes nothing, and the execution
		// role's grant is deleted only after the wait (p.Narrow, below).
		if len(rp.AddTags) > 0 {
			add("iam:TagRole")
		}
	}
	if p.Narrow != nil {
		add("iam:PutRolePolicy", "iam:DeleteRolePolicy")
	}
	if p.CreateCluster {
		add("ecs:CreateCluster", "ecs:TagResource", "iam:CreateServiceLinkedRole")
	}
	for _, ap := range p.Agents {
		if ap.LogGroup.Create {
			add("logs:CreateLogGroup", "logs:TagResource")
		}
		if ap.LogGroup.SetRetention {
			add("logs:PutRetentionPolicy")
		}
		arn := ap.TaskDefPlan.ARN()
		if ap.TaskDefPlan.Action != taskdef.ActionReuse {
			// A twin registered meanwhile is deregistered (RegisterOnce).
			add("ecs:RegisterTaskDefinition", "ecs:DeregisterTaskDefinition", "ecs:ListTaskDefinitions", "ecs:TagResource", "iam:PassRole")
			arn = ap.Agent.Name + ":" + nextRevision
		}
		sp := service.PlanFor(serviceDesired(p, ap, arn), ap.Service)
		switch {
		case sp.Create:
			add("ecs:CreateService", "ecs:TagResource", "iam:PassRole")
		case sp.Update != nil:
			add("ecs:UpdateService", "ecs:TagResource", "iam:PassRole")
		}
		if sp.Changed() { // the wait reads tasks only then
			add("ecs:ListTasks", "ecs:DescribeTasks")
		}
	}
	return w
}
