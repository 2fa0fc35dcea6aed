package service

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// HealthCheck is an essential container's health check as its task
// definition states it.
type HealthCheck struct {
	Container string   `json:"container"`
	Command   []string `json:"command"`
}

// String is "container agent (check: CMD-SHELL curl -f http://localhost/)".
func (h HealthCheck) String() string {
	return fmt.Sprintf("container %s (check: %s)", h.Container, strings.Join(h.Command, " "))
}

// HealthChecks lists the essential containers of td with a health check.
// ECS counts only those in a task's health (API_Task healthStatus).
func HealthChecks(td *ecs.RegisterTaskDefinitionInput) []HealthCheck {
	if td == nil {
		return nil
	}
	var out []HealthCheck
	for _, c := range td.ContainerDefinitions {
		if c.HealthCheck == nil || len(c.HealthCheck.Command) == 0 || (c.Essential != nil && !*c.Essential) {
			continue // essential defaults to true
		}
		out = append(out, HealthCheck{Container: aws.ToString(c.Name), Command: c.HealthCheck.Command})
	}
	return out
}

// stoppedForHealth is the stoppedReason ECS gives a task it stopped because
// an essential container failed its health check.
const stoppedForHealth = "failed container health checks"

// healthWatch follows the health of one deployment's tasks: Follow asks it
// on every poll when the task definition has health checks.
type healthWatch struct {
	opts     FollowOptions
	progress func(string)
	last     string
}

// check reads the deployment's tasks. ok is set when every desired task runs
// and is HEALTHY; err is a *RolloutError when a task failed its health
// check (UNHEALTHY, or stopped by ECS for it), or a read error.
func (w *healthWatch) check(ctx context.Context, api API, dep *types.Deployment, svc *types.Service) (ok bool, err error) {
	if len(w.opts.HealthChecks) == 0 {
		return true, nil
	}
	if dep.RunningCount == 0 && dep.FailedTasks == 0 {
		return dep.DesiredCount == 0, nil // nothing started yet: no call
	}
	depID := aws.ToString(dep.Id)
	running, err := deploymentTasks(ctx, api, w.opts, depID, types.DesiredStatusRunning)
	if err != nil {
		return false, err
	}
	var stopped []types.Task
	if dep.FailedTasks > 0 {
		if stopped, err = deploymentTasks(ctx, api, w.opts, depID, types.DesiredStatusStopped); err != nil {
			return false, err
		}
	}
	healthy := 0
	for _, t := range running {
		switch t.HealthStatus {
		case types.HealthStatusHealthy:
			healthy++
		case types.HealthStatusUnhealthy:
			return false, w.failure(ctx, api, svc, dep, t, "is UNHEALTHY")
		}
	}
	for _, t := range stopped {
		if strings.Contains(aws.ToString(t.StoppedReason), stoppedForHealth) {
			return false, w.failure(ctx, api, svc, dep, t, "was stopped by ECS: "+aws.ToString(t.StoppedReason))
		}
	}
	if s := fmt.Sprintf("%s: %d/%d task(s) HEALTHY", w.opts.Service, healthy, dep.DesiredCount); s != w.last && len(running) > 0 {
		w.progress(s)
		w.last = s
	}
	return healthy >= int(dep.DesiredCount) && healthy == len(running), nil
}

// failure names the container whose check failed and its command.
func (w *healthWatch) failure(ctx context.Context, api API, svc *types.Service, dep *types.Deployment, t types.Task, what string) error {
	hc := w.opts.HealthChecks[0]
	for _, c := range t.Containers {
		if c.HealthStatus != types.HealthStatusUnhealthy {
			continue
		}
		for _, h := range w.opts.HealthChecks {
			if h.Container == aws.ToString(c.Name) {
				hc = h
			}
		}
	}
	return &RolloutError{Service: w.opts.Service, DeploymentID: aws.ToString(dep.Id), RolloutState: string(dep.RolloutState),
		Reason:        fmt.Sprintf("task %s %s: %s failed its health check", shortTD(aws.ToString(t.TaskArn)), what, hc),
		RunningTaskDf: aws.ToString(svc.TaskDefinition), Diagnostics: diagnose(ctx, api, w.opts, svc)}
}

// deploymentTasks returns the service's tasks with desired status st that
// the deployment depID started (ECS sets a service task's startedBy to its
// deployment's ID).
func deploymentTasks(ctx context.Context, api API, opts FollowOptions, depID string, st types.DesiredStatus) ([]types.Task, error) {
	tasks, err := Tasks(ctx, api, opts.Cluster, opts.Service, st)
	if err != nil {
		return nil, err
	}
	var out []types.Task
	for _, t := range tasks {
		if aws.ToString(t.StartedBy) == depID {
			out = append(out, t)
		}
	}
	return out, nil
}

// Tasks describes the service's tasks whose desired status is st: every
// page of ListTasks, then DescribeTasks 100 at a time (its limit).
func Tasks(ctx context.Context, api API, cluster, name string, st types.DesiredStatus) ([]types.Task, error) {
	var arns []string
	in := &ecs.ListTasksInput{Cluster: aws.String(cluster), ServiceName: aws.String(name), DesiredStatus: st}
	for {
		list, err := api.ListTasks(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("list the tasks of service %s: %w", name, err)
		}
		arns = append(arns, list.TaskArns...)
		if aws.ToString(list.NextToken) == "" {
			break
		}
		in.NextToken = list.NextToken
	}
	var tasks []types.Task
	for len(arns) > 0 {
		n := min(len(arns), 100)
		desc, err := api.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: arns[:n]})
		if err != nil {
			return nil, fmt.Errorf("describe the tasks of service %s: %w", name, err)
		}
		tasks = append(tasks, desc.Tasks...)
		arns = arns[n:]
	}
	return tasks, nil
}
