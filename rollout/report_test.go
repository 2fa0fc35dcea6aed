package rollout

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/launchdeploy/launch/roles"
)

// The grant narrowed after the deployments completed is a write to a role
// the report already lists: the role's entry says "updated" and names the
// policies put and deleted, and a role not yet listed is added.
func TestReportMergesALaterChangeOfARole(t *testing.T) {
	r := NewReport("deploy.yaml")
	r.addRole(roles.Result{Name: "exec", Action: "unchanged"})
	r.addRole(roles.Result{Name: "task", Action: "created", Put: []string{"app"}})
	r.mergeRole(roles.Result{Name: "exec", Action: "updated", Deleted: []string{"launch-secrets-old"}, Put: []string{"launch-secrets"}})
	r.mergeRole(roles.Result{Name: "task", Action: "updated", Put: []string{"more"}})
	r.mergeRole(roles.Result{Name: "other", Action: "updated", Put: []string{"p"}})
	want := []roles.Result{
		{Name: "exec", Action: "updated", Put: []string{"launch-secrets"}, Deleted: []string{"launch-secrets-old"}},
		{Name: "task", Action: "created", Put: []string{"app", "more"}},
		{Name: "other", Action: "updated", Put: []string{"p"}},
	}
	if diff := cmp.Diff(want, r.Roles); diff != "" {
		t.Errorf("roles (-want +got):\n%s", diff)
	}
}
