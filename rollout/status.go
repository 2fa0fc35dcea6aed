package rollout

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/launchdeploy/launch/service"
	"github.com/launchdeploy/launch/spec"
	"github.com/launchdeploy/launch/taskdef"
)

// StatusReport is what `launch status` shows: per agent the revision its
// service runs against the one a deploy would run now, the rollout, the
// tasks' health and the last events. Drift is whatever `launch plan` would
// change: the same plan, so they cannot disagree.
type StatusReport struct {
	Spec     string   `json:"spec"`
	Identity Identity `json:"identity"`
	Cluster  string   `json:"cluster"`
	// Drift is set when a deploy would change anything.
	Drift bool `json:"drift"`
	// SharedChanges are the plan's changes to what the agents share: the
	// roles and the cluster.
	SharedChanges []PlannedChange `json:"sharedChanges"`
	Agents        []AgentStatus   `json:"agents"`
}

// AgentStatus is one agent's part of a StatusReport.
type AgentStatus struct {
	Name string `json:"name"`
	// Service is the service's status: ACTIVE, DRAINING, or MISSING.
	Service string `json:"service"`
	// RunningTaskDefinition is the revision of the service's PRIMARY
	// deployment ("" without a service).
	RunningTaskDefinition string `json:"runningTaskDefinition,omitempty"`
	RunningRevision       int    `json:"runningRevision,omitempty"`
	// SpecTaskDefinition is the registered revision a deploy would run now;
	// "" when it would register a new one (NewRevision).
	SpecTaskDefinition string `json:"specTaskDefinition,omitempty"`
	SpecRevision       int    `json:"specRevision,omitempty"`
	NewRevision        bool   `json:"newRevision"`
	// Drift is set when a deploy would change this agent's log group, task
	// definition or service; Changes says how (as `launch plan` does).
	Drift              bool            `json:"drift"`
	Changes            []PlannedChange `json:"changes"`
	DeploymentID       string          `json:"deploymentId,omitempty"`
	RolloutState       string          `json:"rolloutState,omitempty"`
	RolloutStateReason string          `json:"rolloutStateReason,omitempty"`
	Deployments        int             `json:"deployments"`
	DesiredCount       int             `json:"desiredCount"`
	RunningCount       int             `json:"runningCount"`
	PendingCount       int             `json:"pendingCount"`
	// HealthChecks are the containers with a health check in the revision
	// the service runs.
	HealthChecks []service.HealthCheck `json:"healthChecks,omitempty"`
	Tasks        []TaskStatus          `json:"tasks"`
	// Events are the service's last events, newest first (as ECS lists them).
	Events []ServiceEvent `json:"events"`
	// Problems are what needs a person: drift, a missing service, a rollout
	// that is not COMPLETED, fewer tasks running than desired, unhealthy tasks.
	Problems []string `json:"problems"`
}

// TaskStatus is one running task of an agent's service.
type TaskStatus struct {
	ID             string            `json:"id"`
	TaskDefinition string            `json:"taskDefinition"`
	LastStatus     string            `json:"lastStatus"`
	HealthStatus   string            `json:"healthStatus"` // HEALTHY, UNHEALTHY or UNKNOWN
	StartedAt      *time.Time        `json:"startedAt,omitempty"`
	Containers     []ContainerStatus `json:"containers"`
}

// ContainerStatus is one container of a task.
type ContainerStatus struct {
	Name         string `json:"name"`
	LastStatus   string `json:"lastStatus"`
	HealthStatus string `json:"healthStatus,omitempty"`
	ExitCode     *int32 `json:"exitCode,omitempty"`
}

// ServiceEvent is one ECS service event.
type ServiceEvent struct {
	Time    time.Time `json:"time"`
	Message string    `json:"message"`
}

// StatusEvents is how many of a service's events Status keeps.
const StatusEvents = 5

// Status reads AWS (no write) and reports every agent of sp.
func Status(ctx context.Context, c Clients, sp *spec.Spec) (StatusReport, error) {
	p, err := MakePlan(ctx, c, sp)
	if err != nil {
		return StatusReport{}, err
	}
	v := p.View()
	rep := StatusReport{Spec: sp.Path, Identity: p.Identity, Cluster: sp.Cluster.Name, Drift: v.Changes,
		SharedChanges: []PlannedChange{}, Agents: []AgentStatus{}}
	for _, it := range v.Items {
		if (it.Kind == "role" || it.Kind == "cluster") && it.Action != PlanNoChange {
			rep.SharedChanges = append(rep.SharedChanges, it)
		}
	}
	for _, ap := range p.Agents {
		as, err := agentStatus(ctx, c, p, ap, v)
		if err != nil {
			return rep, err
		}
		rep.Agents = append(rep.Agents, as)
	}
	return rep, nil
}

func agentStatus(ctx context.Context, c Clients, p *Plan, ap AgentPlan, v PlanView) (AgentStatus, error) {
	name := ap.Agent.Name
	as := AgentStatus{Name: name, Service: "MISSING", Changes: []PlannedChange{}, Tasks: []TaskStatus{}, Events: []ServiceEvent{}, Problems: []string{}}
	for _, it := range v.Items {
		mine := (it.Kind == "task definition" || it.Kind == "service") && it.Name == name ||
			it.Kind == "log group" && ap.LogGroup.Name != "" && it.Name == ap.LogGroup.Name
		if mine && it.Action != PlanNoChange {
			as.Changes = append(as.Changes, it)
		}
	}
	as.Drift = len(as.Changes) > 0
	if ap.TaskDefPlan.Action == taskdef.ActionReuse {
		as.SpecTaskDefinition = ap.TaskDefPlan.ARN()
		as.SpecRevision = revision(as.SpecTaskDefinition)
	} else {
		as.NewRevision = true
	}

	svc := ap.Service
	if svc == nil {
		as.Problems = append(as.Problems, "service "+name+" does not exist: deploy creates it")
		return as, nil
	}
	as.Service = aws.ToString(svc.Status)
	as.RunningTaskDefinition = service.RunningTaskDefinition(svc)
	as.RunningRevision = revision(as.RunningTaskDefinition)
	as.DesiredCount, as.RunningCount, as.PendingCount = int(svc.DesiredCount), int(svc.RunningCount), int(svc.PendingCount)
	as.Deployments = len(svc.Deployments)
	if d := service.Primary(svc); d != nil {
		as.DeploymentID, as.RolloutState, as.RolloutStateReason = aws.ToString(d.Id), string(d.RolloutState), aws.ToString(d.RolloutStateReason)
	}
	for i, e := range svc.Events {
		if i == StatusEvents {
			break
		}
		as.Events = append(as.Events, ServiceEvent{Time: aws.ToTime(e.CreatedAt).UTC(), Message: aws.ToString(e.Message)})
	}
	if as.RunningTaskDefinition != "" {
		td, err := taskdef.Describe(ctx, c.ECS, as.RunningTaskDefinition)
		if err != nil {
			return as, err
		}
		as.HealthChecks = service.HealthChecks(taskdef.FromDescribed(td.Definition, nil))
	}
	tasks, err := service.Tasks(ctx, c.ECS, p.Spec.Cluster.Name, name, ecstypes.DesiredStatusRunning)
	if err != nil {
		return as, err
	}
	for _, t := range tasks {
		ts := TaskStatus{ID: taskID(t), TaskDefinition: aws.ToString(t.TaskDefinitionArn), LastStatus: aws.ToString(t.LastStatus),
			HealthStatus: string(t.HealthStatus), StartedAt: t.StartedAt, Containers: []ContainerStatus{}}
		for _, ct := range t.Containers {
			ts.Containers = append(ts.Containers, ContainerStatus{Name: aws.ToString(ct.Name), LastStatus: aws.ToString(ct.LastStatus),
				HealthStatus: string(ct.HealthStatus), ExitCode: ct.ExitCode})
		}
		as.Tasks = append(as.Tasks, ts)
	}
	as.Problems = problems(as)
	return as, nil
}

func problems(as AgentStatus) []string {
	out := []string{}
	if as.Drift {
		var what []string
		for _, ch := range as.Changes {
			what = append(what, ch.Kind)
		}
		out = append(out, "drift: a deploy would change the "+strings.Join(what, ", "))
	}
	if as.Service != "ACTIVE" {
		out = append(out, "service is "+as.Service)
	}
	if as.RolloutState != "" && as.RolloutState != string(ecstypes.DeploymentRolloutStateCompleted) {
		out = append(out, fmt.Sprintf("deployment %s is %s", as.DeploymentID, as.RolloutState))
	}
	if as.RunningCount < as.DesiredCount {
		out = append(out, fmt.Sprintf("%d of %d desired task(s) running", as.RunningCount, as.DesiredCount))
	}
	for _, t := range as.Tasks {
		if t.HealthStatus == string(ecstypes.HealthStatusUnhealthy) {
			out = append(out, "task "+shortTask(t.ID)+" is UNHEALTHY")
		}
	}
	return out
}

// Text renders the report for people.
func (r StatusReport) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cluster %s, region %s, account %s\n", r.Cluster, r.Identity.Region, r.Identity.Account)
	for _, a := range r.Agents {
		state := "OK"
		if len(a.Problems) > 0 {
			state = strings.Join(a.Problems, "; ")
		}
		fmt.Fprintf(&b, "\nagent %s: %s\n", a.Name, state)
		want := "a new revision (no registered one matches the spec)"
		if !a.NewRevision {
			want = shortARN(a.SpecTaskDefinition)
		}
		running := "nothing (no service)"
		if a.RunningTaskDefinition != "" {
			running = shortARN(a.RunningTaskDefinition)
		}
		fmt.Fprintf(&b, "  revision:   running %s; the spec gives %s\n", running, want)
		if a.Service == "MISSING" {
			writeChanges(&b, a.Changes, "  ", "changes a deploy would make:")
			continue
		}
		rollout := a.RolloutState
		if a.RolloutStateReason != "" {
			rollout += " (" + a.RolloutStateReason + ")"
		}
		fmt.Fprintf(&b, "  deployment: %s %s; %d deployment(s)\n", a.DeploymentID, rollout, a.Deployments)
		fmt.Fprintf(&b, "  tasks:      running %d/%d, pending %d\n", a.RunningCount, a.DesiredCount, a.PendingCount)
		for _, hc := range a.HealthChecks {
			fmt.Fprintf(&b, "  health:     %s\n", hc)
		}
		for _, t := range a.Tasks {
			var cs []string
			for _, ct := range t.Containers {
				if ct.HealthStatus != "" && ct.HealthStatus != string(ecstypes.HealthStatusUnknown) {
					cs = append(cs, ct.Name+" "+ct.HealthStatus)
				}
			}
			line := fmt.Sprintf("    %s %s %s, health %s", shortTask(t.ID), shortARN(t.TaskDefinition), t.LastStatus, t.HealthStatus)
			if len(cs) > 0 {
				line += " (" + strings.Join(cs, ", ") + ")"
			}
			if t.StartedAt != nil {
				line += ", started " + t.StartedAt.UTC().Format(time.RFC3339)
			}
			b.WriteString(line + "\n")
		}
		if len(a.Events) > 0 {
			b.WriteString("  last events (newest first):\n")
			for _, e := range a.Events {
				fmt.Fprintf(&b, "    %s %s\n", e.Time.Format(time.RFC3339), e.Message)
			}
		}
		writeChanges(&b, a.Changes, "  ", "changes a deploy would make:")
	}
	if len(r.SharedChanges) > 0 {
		b.WriteString("\n")
		writeChanges(&b, r.SharedChanges, "", "changes a deploy would make to the shared resources:")
	}
	if r.Drift {
		fmt.Fprintf(&b, "\nDrift: a deploy would change what AWS has; `launch plan %s` shows the diffs.\n", r.Spec)
	} else {
		fmt.Fprintf(&b, "\nNo drift: AWS matches %s.\n", r.Spec)
	}
	return b.String()
}

func writeChanges(b *strings.Builder, changes []PlannedChange, indent, header string) {
	if len(changes) == 0 {
		return
	}
	b.WriteString(indent + header + "\n")
	for _, ch := range changes {
		fmt.Fprintf(b, "%s  %s %s: %s\n", indent, ch.Kind, ch.Name, ch.Action)
		for _, d := range ch.Detail {
			fmt.Fprintf(b, "%s      %s\n", indent, d)
		}
	}
}
