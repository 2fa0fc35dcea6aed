package taskdef

import (
	"bytes"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// Action is what applying a Plan does.
type Action string

const (
	// ActionRegister registers Desired as a new revision.
	ActionRegister Action = "register"
	// ActionReuse keeps using Current: it already matches Desired.
	ActionReuse Action = "reuse"
)

// Plan is the comparison of the desired definition with the family's newest
// ACTIVE revision.
type Plan struct {
	Action  Action
	Desired *ecs.RegisterTaskDefinitionInput
	// Current is the newest ACTIVE revision, nil when the family has none.
	Current *Current
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

// PlanFor compares desired with current (which may be nil): ActionReuse when
// their canonical forms are equal, ActionRegister otherwise.
func PlanFor(desired *ecs.RegisterTaskDefinitionInput, current *Current) (Plan, error) {
	if desired == nil {
		return Plan{}, fmt.Errorf("plan task definition: no desired definition")
	}
	plan := Plan{Action: ActionRegister, Desired: desired, Current: current}
	b, err := Canonical(desired)
	if err != nil {
		return Plan{}, fmt.Errorf("plan task definition %s: %w", aws.ToString(desired.Family), err)
	}
	var a []byte
	if current != nil && current.Definition != nil {
		a, err = Canonical(FromDescribed(current.Definition, current.Tags))
		if err != nil {
			return Plan{}, fmt.Errorf("plan task definition %s: %w", aws.ToString(desired.Family), err)
		}
		if bytes.Equal(a, b) {
			plan.Action = ActionReuse
			return plan, nil
		}
	}
	diff, err := unifiedDiff(a, b, current.Label())
	if err != nil {
		return Plan{}, fmt.Errorf("plan task definition %s: %w", aws.ToString(desired.Family), err)
	}
	plan.Diff = diff
	return plan, nil
}
