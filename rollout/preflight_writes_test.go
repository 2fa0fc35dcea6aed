package rollout

import (
	"maps"
	"slices"
	"testing"

	"github.com/launchdeploy/launch/roles"
)

// A plan that narrows the grant once the deployments are done may put it or,
// when nothing is left to grant, delete it: preflight simulates both, so an
// identity without either is stopped before the first write, not after the
// deployments. A plan that changes nothing simulates nothing.
func TestPreflightSimulatesWhatTheNarrowingMayWrite(t *testing.T) {
	narrow := &Plan{Narrow: &GrantChange{Policy: "launch-secrets-eu-west-1-apps", Doc: `{"Version":"2012-10-17"}`}}
	if got, want := slices.Sorted(maps.Keys(narrow.writes())), []string{"iam:DeleteRolePolicy", "iam:PutRolePolicy"}; !slices.Equal(got, want) {
		t.Errorf("writes of a narrowing plan %q, want %q", got, want)
	}
	if got := (&Plan{}).writes(); len(got) != 0 {
		t.Errorf("writes of a plan that changes nothing: %v", got)
	}
}

// Recording this instance on a shared role is a write too: a plan whose
// only change to the roles is a new instance tag simulates iam:TagRole.
func TestPreflightSimulatesTaggingASharedRole(t *testing.T) {
	p := &Plan{TaskRole: roles.Plan{AddTags: map[string]string{"launch:instance:eu-west-1/apps": "123456789012"}}}
	if got, want := slices.Sorted(maps.Keys(p.writes())), []string{"iam:TagRole"}; !slices.Equal(got, want) {
		t.Errorf("writes of a plan that tags the task role %q, want %q", got, want)
	}
}
