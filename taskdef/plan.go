package taskdef

import (
	"bytes"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Action is what applying a Plan does.
type Action string

const (
	// ActionRegister registers Desired as a new revision.
	ActionRegister Action = "register"
	// ActionReuse keeps using Current: it already matches Desired.
	ActionReuse Action = "reuse"
)

// Plan is the comparison of the desired definition with the revisions that
// could serve it: the one the service runs, then the family's newest ACTIVE
// revision.
type Plan struct {
	Action  Action
	Desired *ecs.RegisterTaskDefinitionInput
	// Current is the revision reused (ActionReuse) or the one the diff is
	// against (ActionRegister: the revision the service runs when there is
	// one, else the newest ACTIVE one); nil when there is neither.
	Current *Current
	// Newest is the family's revision number that was newest and ACTIVE when
	// planned, 0 when the family had none: a revision newer than it and
	// identical to Desired can only come from this run (a retried
	// registration) or a concurrent one. See Register.
	Newest int32
	// Diff is the unified diff of the canonical forms, "" for ActionReuse.
	// With no current revision every line is an addition.
	Diff string
}

// ARN returns the ARN the service should run when the plan is ActionReuse,
// and "" otherwise (Register's result carries the new one).
func (p Plan) ARN() string {
	if p.Action != ActionReuse || p.Current == nil || p.Current.Definition == nil {
		return ""
	}
	return aws.ToString(p.Current.Definition.TaskDefinitionArn)
}

// launchTagPrefix marks the tags launch writes for its own bookkeeping
// (launch:managed-by, and the deployment instance's identity).
const launchTagPrefix = "launch:"

// Equivalent reports whether a registered revision can serve desired: their
// canonical forms are equal once launch's own "launch:" tags are left out of
// both.
//
// Why those tags do not count: they say which run, of which deployment
// instance, registered a revision. The same agent deployed to a prod and a
// staging cluster (one family) wants the same container, roles and
// settings; comparing the instance tags too would register a new revision
// on every alternate run and restart the other cluster's task for nothing.
// A reused revision keeps the tags it was registered with; launch never
// rewrites them (ECS would need TagResource, and a revision's tags are not
// what runs). Every other member counts, the spec's own tags included: a tag
// a user adds lands on a new revision, as before.
func Equivalent(desired *ecs.RegisterTaskDefinitionInput, registered *Current) bool {
	if desired == nil || registered == nil || registered.Definition == nil {
		return false
	}
	a := Canonical(withoutLaunchTags(desired))
	b := Canonical(withoutLaunchTags(FromDescribed(registered.Definition, registered.Tags)))
	return bytes.Equal(a, b)
}

func withoutLaunchTags(in *ecs.RegisterTaskDefinitionInput) *ecs.RegisterTaskDefinitionInput {
	out := *in // shallow: only Tags is replaced
	out.Tags = slices.DeleteFunc(slices.Clone(in.Tags), func(t types.Tag) bool {
		return strings.HasPrefix(aws.ToString(t.Key), launchTagPrefix)
	})
	return &out
}

// PlanFor compares desired with the candidates in order (nil ones are
// skipped) and reuses the first equivalent one; otherwise it registers, with
// the diff against the first candidate. rollout passes the revision the
// service runs first, then the family's newest ACTIVE one: after a rollback,
// or for the same agent in a second cluster, what runs is what matches, and
// reusing it changes nothing.
//
// Only ACTIVE revisions are reused: ECS refuses an INACTIVE one for a new
// service or deployment. desired must not be nil (Build never returns nil
// without an error); PlanFor panics if it is.
func PlanFor(desired *ecs.RegisterTaskDefinitionInput, candidates ...*Current) Plan {
	if desired == nil {
		panic("taskdef.PlanFor: nil desired definition")
	}
	plan := Plan{Action: ActionRegister, Desired: desired}
	seen := map[string]bool{}
	for _, c := range candidates {
		if c == nil || c.Definition == nil {
			continue
		}
		if plan.Current == nil {
			plan.Current = c
		}
		arn := aws.ToString(c.Definition.TaskDefinitionArn)
		if seen[arn] || c.Definition.Status == types.TaskDefinitionStatusInactive {
			continue
		}
		seen[arn] = true
		if Equivalent(desired, c) {
			plan.Action, plan.Current = ActionReuse, c
			return plan
		}
	}
	var a []byte
	if plan.Current != nil {
		a = Canonical(FromDescribed(plan.Current.Definition, plan.Current.Tags))
	}
	plan.Diff = unifiedDiff(a, Canonical(desired), plan.Current.Label())
	return plan
}
