package rollout

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/launchdeploy/launch/internal/policy"
	"github.com/launchdeploy/launch/internal/textdiff"
	"github.com/launchdeploy/launch/preflight"
	"github.com/launchdeploy/launch/roles"
	"github.com/launchdeploy/launch/secrets"
	"github.com/launchdeploy/launch/service"
	"github.com/launchdeploy/launch/taskdef"
)

// Actions a plan shows for a resource.
const (
	PlanCreate   = "create"
	PlanUpdate   = "update"
	PlanNoChange = "no change"
)

// PlannedChange is one resource in `launch plan`'s output.
type PlannedChange struct {
	Kind   string   `json:"kind"` // role, log group, task definition, cluster, service
	Name   string   `json:"name"`
	Action string   `json:"action"`
	Detail []string `json:"detail,omitempty"` // one line per change
	Diff   string   `json:"diff,omitempty"`   // unified diff
}

// PlanView is the plan as `launch plan` prints it.
type PlanView struct {
	Spec     string          `json:"spec"`
	Identity Identity        `json:"identity"`
	Changes  bool            `json:"changes"`
	Summary  string          `json:"summary"`
	Items    []PlannedChange `json:"resources"`
	// Waves is the rollout's waves, when the spec has rollout.waves.
	Waves *PlannedRollout `json:"rollout,omitempty"`
	// Preflight is filled by the caller (plan runs the checks after
	// planning); nil when they did not run.
	Preflight *preflight.Result `json:"preflight,omitempty"`
}

// PlannedRollout is how deploy would roll the changes out in waves.
type PlannedRollout struct {
	BakeTime  string        `json:"bakeTime"`
	OnFailure string        `json:"onFailure"`
	Waves     []PlannedWave `json:"waves"`
	// Unchanged are the agents with nothing to change: in no wave.
	Unchanged []string `json:"unchanged"`
}

// PlannedWave is one wave and what each of its agents changes.
type PlannedWave struct {
	Index  int            `json:"index"` // 1-based
	Wave   string         `json:"wave"`  // as written: 1, 25%, agents …
	Agents []PlannedAgent `json:"agents"`
}

// PlannedAgent is an agent of a wave with its changes ("service update").
type PlannedAgent struct {
	Name    string   `json:"name"`
	Changes []string `json:"changes"`
}

func plannedRollout(p *Plan) *PlannedRollout {
	ro := p.Spec.Rollout
	waves, unchanged := planWaves(p)
	pr := &PlannedRollout{BakeTime: ro.BakeTime.String(), OnFailure: ro.OnFailure, Unchanged: agentNames(p, unchanged), Waves: []PlannedWave{}}
	for k, w := range waves {
		pw := PlannedWave{Index: k + 1, Wave: w.Wave.String(), Agents: []PlannedAgent{}}
		for _, i := range w.Agents {
			changes := agentChanges(p, p.Agents[i])
			if len(changes) == 0 {
				changes = []string{"deployed by an earlier run of this rollout"}
			}
			pw.Agents = append(pw.Agents, PlannedAgent{Name: p.Agents[i].Agent.Name, Changes: changes})
		}
		pr.Waves = append(pr.Waves, pw)
	}
	return pr
}

// Text renders the waves, one line per wave.
func (r *PlannedRollout) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Rollout in %d waves (bake time %s, on failure %s):\n", len(r.Waves), r.BakeTime, r.OnFailure)
	for _, w := range r.Waves {
		var agents []string
		for _, a := range w.Agents {
			agents = append(agents, a.Name+" ("+strings.Join(a.Changes, ", ")+")")
		}
		if len(agents) == 0 {
			agents = []string{"no agent with something to change"}
		}
		fmt.Fprintf(&b, "  wave %d [%s]: %s\n", w.Index, w.Wave, strings.Join(agents, "; "))
	}
	if len(r.Unchanged) > 0 {
		fmt.Fprintf(&b, "  in no wave, nothing to change: %s\n", strings.Join(r.Unchanged, ", "))
	}
	return b.String()
}

// nextRevision stands for the ARN a task definition will get when it is
// registered, in service diffs made before registering.
const nextRevision = "(next revision)"

// View turns a plan into per-resource actions with diffs. It is what
// `launch plan` prints, and the same plan `launch deploy` applies.
func (p *Plan) View() PlanView {
	v := PlanView{Spec: p.Spec.Path, Identity: p.Identity}
	exec := roleChange(p.ExecRole)
	if n := p.Narrow; n != nil {
		exec.Action = PlanUpdate
		after, what := pretty(n.Doc), "narrow inline policy "+n.Policy+" to what the task definitions read"
		if n.Delete {
			after, what = "", "delete inline policy "+n.Policy+" (nothing left to grant)"
		}
		exec.Detail = append(exec.Detail, what+" once every deployment completed (until then it keeps the removed ones for the old tasks and a rollback)")
		exec.Diff += textdiff.Unified(pretty(n.Before), after, "inline policy "+n.Policy+" (current)", "inline policy "+n.Policy+" (after the deployments)")
	}
	exec.Detail = append(exec.Detail, grantDetail(p)...)
	v.Items = append(v.Items, roleChange(p.TaskRole), exec)
	cluster := PlannedChange{Kind: "cluster", Name: p.Spec.Cluster.Name, Action: PlanNoChange}
	if p.CreateCluster {
		cluster.Action = PlanCreate
	}
	v.Items = append(v.Items, cluster)
	for _, ap := range p.Agents {
		if ap.LogGroup.Name == "" { // the agent logs with another driver: no group
			v.Items = append(v.Items, taskDefChange(ap), serviceChange(p, ap))
			continue
		}
		lg := PlannedChange{Kind: "log group", Name: ap.LogGroup.Name, Action: PlanNoChange}
		switch {
		case ap.LogGroup.Create:
			lg.Action = PlanCreate
			lg.Detail = []string{fmt.Sprintf("retention %d days", ap.LogGroup.RetentionDays)}
		case ap.LogGroup.SetRetention:
			lg.Action = PlanUpdate
			lg.Detail = []string{fmt.Sprintf("retention: %d → %d days", ap.LogGroup.Before.RetentionDays, ap.LogGroup.RetentionDays)}
		}
		v.Items = append(v.Items, lg, taskDefChange(ap), serviceChange(p, ap))
	}
	creates, updates, same := 0, 0, 0
	for _, it := range v.Items {
		switch it.Action {
		case PlanCreate:
			creates++
		case PlanUpdate:
			updates++
		default:
			same++
		}
	}
	v.Changes = creates+updates > 0
	if p.Spec.Rollout.Enabled() {
		v.Waves = plannedRollout(p)
	}
	v.Summary = fmt.Sprintf("%d to create, %d to update, %d unchanged", creates, updates, same)
	return v
}

func roleChange(rp roles.Plan) PlannedChange {
	c := PlannedChange{Kind: "role", Name: rp.Name, Action: PlanNoChange}
	var diffs []string
	switch {
	case rp.Create:
		c.Action = PlanCreate
		diffs = append(diffs, textdiff.Unified("", rp.Trust.JSON(), "(none)", "trust policy"))
	case rp.UpdateTrust:
		c.Action = PlanUpdate
		c.Detail = append(c.Detail, "trust policy: add a trusted service, or this region's aws:SourceArn to the confused-deputy condition (existing statements and values are kept)")
		diffs = append(diffs, textdiff.Unified(rp.TrustBefore.JSON(), rp.Trust.JSON(), "trust policy (current)", "trust policy (desired)"))
	}
	for _, k := range slices.Sorted(maps.Keys(rp.AddTags)) {
		c.Detail = append(c.Detail, "tag "+k+"="+rp.AddTags[k]+" (records this deployment instance on the shared role)")
	}
	for _, arn := range rp.Attach {
		c.Detail = append(c.Detail, "attach managed policy "+arn)
	}
	for _, name := range slices.Sorted(maps.Keys(rp.Put)) {
		before := ""
		if b, ok := rp.PutBefore[name]; ok {
			before = pretty(b)
			c.Detail = append(c.Detail, "rewrite inline policy "+name)
		} else {
			c.Detail = append(c.Detail, "put inline policy "+name)
		}
		from := "inline policy " + name + " (current)"
		if before == "" {
			from = "(none)"
		}
		diffs = append(diffs, textdiff.Unified(before, pretty(rp.Put[name]), from, "inline policy "+name+" (desired)"))
	}
	for _, name := range rp.Delete {
		c.Detail = append(c.Detail, "delete inline policy "+name+" (launch's own; nothing left to grant)")
		diffs = append(diffs, textdiff.Unified(pretty(rp.PutBefore[name]), "", "inline policy "+name+" (current)", "(deleted)"))
	}
	if c.Action == PlanNoChange && len(c.Detail) > 0 {
		c.Action = PlanUpdate
	}
	c.Detail = append(c.Detail, prefixAll("warning: ", rp.Warnings)...)
	c.Diff = strings.Join(slices.DeleteFunc(diffs, func(s string) bool { return s == "" }), "")
	return c
}

func prefixAll(prefix string, ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = prefix + s
	}
	return out
}

// pretty re-indents a policy document so diffs show one value per line.
func pretty(doc string) string {
	d, err := policy.Parse(doc)
	if err != nil {
		return doc
	}
	return d.JSON()
}

func taskDefChange(ap AgentPlan) PlannedChange {
	c := PlannedChange{Kind: "task definition", Name: ap.Agent.Name, Action: PlanNoChange}
	tp := ap.TaskDefPlan
	switch {
	case tp.Action == taskdef.ActionReuse:
		c.Detail = []string{"reuse " + shortARN(tp.ARN())}
	case tp.Current == nil:
		c.Action = PlanCreate
		c.Detail = []string{"register " + ap.Agent.Name + ":1 (the family has no active revision)"}
		c.Diff = tp.Diff
		if ap.Base != nil {
			// What the spec changes against the base says more than the
			// whole new document.
			c.Detail = append(c.Detail, "changes against the base "+ap.Agent.BaseTaskDefinition+" below")
			c.Diff = taskdef.Diff(ap.Base, ap.TaskDef, "base "+ap.Agent.BaseTaskDefinition)
		}
	default:
		c.Action = PlanUpdate
		c.Detail = []string{"register a new revision; it differs from " + shortARN(aws.ToString(tp.Current.Definition.TaskDefinitionArn))}
		c.Diff = tp.Diff
	}
	return c
}

func serviceChange(p *Plan, ap AgentPlan) PlannedChange {
	arn := ap.TaskDefPlan.ARN()
	if arn == "" {
		arn = ap.Agent.Name + ":" + nextRevision
	}
	sp := service.PlanFor(serviceDesired(p, ap, arn), ap.Service)
	c := PlannedChange{Kind: "service", Name: ap.Agent.Name, Action: PlanNoChange}
	switch {
	case sp.Create:
		c.Action = PlanCreate
		c.Detail = []string{fmt.Sprintf("create in cluster %s on %s, %d task(s)", p.Spec.Cluster.Name, shortARN(arn), ap.Agent.Service.DesiredCount)}
	case sp.Update != nil:
		c.Action = PlanUpdate
		c.Detail = sp.Changes
		var before, after strings.Builder
		for _, ch := range sp.Changes {
			field, change, _ := strings.Cut(ch, ": ")
			old, new, _ := strings.Cut(change, " → ")
			fmt.Fprintf(&before, "%s: %s\n", field, old)
			fmt.Fprintf(&after, "%s: %s\n", field, new)
		}
		c.Diff = textdiff.Unified(before.String(), after.String(), "service "+ap.Agent.Name+" (current)", "service "+ap.Agent.Name+" (desired)")
	}
	return c
}

// Text renders the plan for people: one line per resource, its details
// and diffs indented below it, and a summary line.
func (v PlanView) Text() string {
	var b strings.Builder
	if v.Preflight != nil {
		b.WriteString(v.Preflight.Tree()) // ends in a newline
		b.WriteString("\n")
	}
	for _, it := range v.Items {
		mark := map[string]string{PlanCreate: "+", PlanUpdate: "~", PlanNoChange: "="}[it.Action]
		fmt.Fprintf(&b, "%s %s %s: %s\n", mark, it.Kind, it.Name, it.Action)
		for _, d := range it.Detail {
			fmt.Fprintf(&b, "    %s\n", d)
		}
		if it.Diff != "" {
			for _, line := range strings.Split(strings.TrimRight(it.Diff, "\n"), "\n") {
				fmt.Fprintf(&b, "    %s\n", line)
			}
		}
	}
	if v.Waves != nil {
		b.WriteString("\n" + v.Waves.Text())
	}
	fmt.Fprintf(&b, "\nPlan: %s.\n", v.Summary)
	if !v.Changes {
		b.WriteString("No changes: AWS already matches " + v.Spec + ".\n")
	}
	return b.String()
}

// grantDetail says what the execution role grant of this instance covers:
// one line per reference the task definitions read, and the legacy grant.
func grantDetail(p *Plan) []string {
	var out []string
	if len(p.Reads) > 0 {
		out = append(out, fmt.Sprintf("grant %s (instance %s) covers what the task definitions read:", p.Instance.GrantPolicyName(), p.Instance))
	}
	for _, r := range p.Reads {
		what := r.ARN
		switch {
		case r.Problem != "":
			what = "NOT GRANTED: " + r.Problem
		case what == "":
			what = r.Ref
		}
		out = append(out, fmt.Sprintf("  %s %s ← %s", r.Kind, what, strings.Join(r.Where, ", ")))
	}
	if p.LegacyGrant != "" {
		out = append(out, "warning: "+secrets.PolicyName+" (the grant of launch versions before per-instance grants) is left as it is: other instances may still rely on it; delete it by hand once every instance has deployed with this version")
	}
	return out
}
