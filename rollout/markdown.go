package rollout

import (
	"fmt"
	"strings"
	"time"
)

// Markdown renders the report as a GitHub job summary.
func (r *Report) Markdown() string {
	var b strings.Builder
	icon := "✅"
	if r.Result != "succeeded" {
		icon = "❌"
	}
	fmt.Fprintf(&b, "## %s launch `%s`: %s\n\n", icon, r.Spec, r.Result)
	if r.Error != "" {
		fmt.Fprintf(&b, "```text\n%s\n```\n\n", r.Error)
	}
	b.WriteString("| resource | name | action | details |\n|---|---|---|---|\n")
	for _, role := range r.Roles {
		fmt.Fprintf(&b, "| role | `%s` | %s | %s |\n", role.Name, role.Action, role.ARN)
	}
	if r.Cluster.Name != "" {
		fmt.Fprintf(&b, "| cluster | `%s` | %s | %s |\n", r.Cluster.Name, r.Cluster.Action, r.Cluster.ARN)
	}
	for _, a := range r.Agents {
		if a.LogGroup.Name != "" {
			fmt.Fprintf(&b, "| log group | `%s` | %s | retention %d days |\n", a.LogGroup.Name, a.LogGroup.Action, a.LogGroup.RetentionDays)
		}
		if a.TaskDefinition.ARN != "" {
			fmt.Fprintf(&b, "| task definition | `%s:%d` | %s | %s |\n", a.TaskDefinition.Family, a.TaskDefinition.Revision, a.TaskDefinition.Action, a.TaskDefinition.ARN)
		}
		if a.Service.Name != "" {
			detail := a.Service.DeploymentID
			if a.Service.Outcome != "" {
				detail += " " + a.Service.Outcome
			}
			fmt.Fprintf(&b, "| service | `%s` | %s | %s |\n", a.Service.Name, a.Service.Action, strings.TrimSpace(detail))
		}
	}
	if len(r.Waves) > 0 {
		b.WriteString("\n| wave | agents | outcome | started | passed |\n|---|---|---|---|---|\n")
		for _, w := range r.Waves {
			fmt.Fprintf(&b, "| %d | %s | %s | %s | %s |\n", w.Index, strings.Join(w.Agents, ", "), w.Outcome, clock(w.StartedAt), clock(w.PassedAt))
		}
	}
	fmt.Fprintf(&b, "\n%d AWS reads, %d writes in %.1fs.\n", r.Calls.TotalReads, r.Calls.TotalWrites, r.Seconds)
	return b.String()
}

func clock(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format("15:04:05")
}

// Outputs are the step outputs a workflow can use: per agent
// `<agent>-task-definition-arn` and `<agent>-service-arn`, and without the
// prefix when the spec has one agent.
func (r *Report) Outputs() map[string]string {
	out := map[string]string{"result": r.Result}
	for _, a := range r.Agents {
		if a.TaskDefinition.ARN != "" {
			out[a.Name+"-task-definition-arn"] = a.TaskDefinition.ARN
		}
		if a.Service.ARN != "" {
			out[a.Name+"-service-arn"] = a.Service.ARN
		}
	}
	if len(r.Agents) == 1 {
		a := r.Agents[0]
		if a.TaskDefinition.ARN != "" {
			out["task-definition-arn"] = a.TaskDefinition.ARN
		}
		if a.Service.ARN != "" {
			out["service-arn"] = a.Service.ARN
		}
	}
	return out
}

// Markdown renders the plan as a GitHub job summary, diffs folded.
func (v PlanView) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "## launch plan `%s`: %s\n\n", v.Spec, v.Summary)
	b.WriteString("| resource | name | action |\n|---|---|---|\n")
	for _, it := range v.Items {
		fmt.Fprintf(&b, "| %s | `%s` | %s |\n", it.Kind, it.Name, it.Action)
	}
	if v.Waves != nil {
		fmt.Fprintf(&b, "\n**Rollout in %d waves** (bake time %s, on failure %s)\n\n| wave | as written | agents |\n|---|---|---|\n", len(v.Waves.Waves), v.Waves.BakeTime, v.Waves.OnFailure)
		for _, w := range v.Waves.Waves {
			var agents []string
			for _, a := range w.Agents {
				agents = append(agents, "`"+a.Name+"`")
			}
			fmt.Fprintf(&b, "| %d | %s | %s |\n", w.Index, w.Wave, strings.Join(agents, ", "))
		}
	}
	for _, it := range v.Items {
		if it.Diff == "" {
			continue
		}
		fmt.Fprintf(&b, "\n<details><summary>%s %s</summary>\n\n```diff\n%s```\n</details>\n", it.Kind, it.Name, it.Diff)
	}
	return b.String()
}
