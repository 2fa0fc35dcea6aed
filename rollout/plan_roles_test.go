package rollout

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/launchdeploy/launch/roles"
	"github.com/launchdeploy/launch/service"
	"github.com/launchdeploy/launch/spec"
)

// The task role launch wants: ecs-tasks trusted (with the confused-deputy
// condition when on), the other trusted services as written, managed
// policies by path expanded in the caller's partition or kept as full
// ARNs, the spec's inline policies, and the instance recorded.
func TestTaskRoleDesiredFromTheSpec(t *testing.T) {
	sp := &spec.Spec{Cluster: spec.Cluster{Name: "apps"}, Tags: map[string]string{"team": "data"}}
	sp.TaskRole = spec.TaskRole{
		Name:                     "app-task",
		TrustedServices:          []string{"ecs-tasks.amazonaws.com", "ec2.amazonaws.com"},
		ManagedPolicies:          []string{"ReadOnlyAccess", "/service-role/X", "arn:aws-cn:iam::123456789012:policy/team/own"},
		InlinePolicies:           []spec.InlinePolicy{{Name: "app", Document: `{"Version":"2012-10-17","Statement":[]}`}},
		ConfusedDeputyProtection: true,
	}
	id := Identity{Account: "123456789012", Partition: "aws-cn", Region: "cn-north-1"}
	want := roles.Desired{
		Name: "app-task",
		Trusted: []roles.TrustedService{
			{Service: "ecs-tasks.amazonaws.com", Condition: roles.SourceCondition("aws-cn", "cn-north-1", "123456789012")},
			{Service: "ec2.amazonaws.com"},
		},
		ManagedPolicies: []string{"arn:aws-cn:iam::aws:policy/ReadOnlyAccess", "arn:aws-cn:iam::aws:policy/service-role/X", "arn:aws-cn:iam::123456789012:policy/team/own"},
		InlinePolicies:  map[string]string{"app": `{"Version":"2012-10-17","Statement":[]}`},
		Tags:            map[string]string{"team": "data"},
	}
	k, v := roles.InstanceTag("123456789012", "cn-north-1", "apps")
	want.Record = map[string]string{k: v}
	if diff := cmp.Diff(want, taskRoleDesired(sp, id)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if names := taskRoleOwnPolicies(sp); !cmp.Equal(names, []string{"app"}) {
		t.Errorf("own policies %q", names)
	}
	sp.TaskRole.ConfusedDeputyProtection = false
	if got := taskRoleDesired(sp, id); got.Trusted[0].Condition != nil {
		t.Errorf("trust without the protection: %+v", got.Trusted[0])
	}
}

// A deployment's outcome as the report and the summary name it.
func TestOutcomeOfAWait(t *testing.T) {
	tests := map[string]struct {
		err  error
		want string
	}{
		"interrupted": {&service.InterruptedError{Service: "a"}, "interrupted"},
		"rolled back": {errors.Join(errors.New("x"), &service.RolloutError{RolledBack: true}), "rolled back"},
		"failed":      {&service.RolloutError{}, "failed"},
		"timed out":   {&service.TimeoutError{Service: "a"}, "timed out"},
		"other":       {errors.New("throttled"), "error"},
	}
	for name, tc := range tests {
		if got := outcomeOf(tc.err); got != tc.want {
			t.Errorf("%s: %q, want %q", name, got, tc.want)
		}
	}
}
