package rollout

import (
	"testing"

	"github.com/launchdeploy/launch/roles"
)

// The progress line of a role says what deploy wrote to it, in a fixed
// order, and nothing when it wrote nothing.
func TestRoleDetailSaysWhatWasWritten(t *testing.T) {
	tests := map[string]struct {
		r    roles.Result
		want string
	}{
		"nothing written":       {roles.Result{Name: "exec", Action: "unchanged"}, ""},
		"only an inline policy": {roles.Result{Put: []string{"launch-secrets"}}, " (inline policies put: launch-secrets)"},
		"one of each": {
			roles.Result{Tagged: []string{"launch:instance"}, Attach: []string{"arn:aws:iam::aws:policy/A"}, Deleted: []string{"old"}},
			" (instance recorded: launch:instance; attached arn:aws:iam::aws:policy/A; inline policies deleted: old)",
		},
		"everything": {
			roles.Result{Trust: true, Tagged: []string{"launch:instance"}, Attach: []string{"arn:aws:iam::aws:policy/A", "arn:aws:iam::aws:policy/B"}, Put: []string{"a", "b"}, Deleted: []string{"old"}},
			" (trust policy updated; instance recorded: launch:instance; attached arn:aws:iam::aws:policy/A, arn:aws:iam::aws:policy/B; inline policies put: a, b; inline policies deleted: old)",
		},
	}
	for name, tc := range tests {
		if got := roleDetail(tc.r); got != tc.want {
			t.Errorf("%s: roleDetail = %q, want %q", name, got, tc.want)
		}
	}
}
