package rollout

import (
	"maps"
	"slices"
	"testing"

	"github.com/launchdeploy/launch/internal/policy"
	"github.com/launchdeploy/launch/roles"
	"github.com/launchdeploy/launch/secrets"
	"github.com/launchdeploy/launch/spec"
)

const (
	secretEU = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:a-AbCdEf"
	secretUS = "arn:aws:secretsmanager:us-east-1:123456789012:secret:a-XyZ123"
)

func grantState(inline map[string]string) *roles.State {
	return &roles.State{Exists: true, ARN: "arn:aws:iam::123456789012:role/exec",
		Trust:  roles.NewTrustPolicy([]roles.TrustedService{{Service: roles.ECSTasksService}}),
		Inline: inline}
}

func TestNoSecretsLeftRevokesOnlyThisInstancesGrant(t *testing.T) {
	sp := &spec.Spec{}
	sp.ExecutionRole.Name = "exec"
	id := Identity{Account: "123456789012", Partition: "aws", Region: "eu-west-1"}
	eu := Instance{Account: id.Account, Region: "eu-west-1", Cluster: "apps"}
	us := Instance{Account: id.Account, Region: "us-east-1", Cluster: "apps"}
	legacy := secrets.GrantPolicy([]secrets.Secret{{ARN: secretEU}}, true)
	st := grantState(map[string]string{
		eu.GrantPolicyName():  secrets.GrantPolicy([]secrets.Secret{{ARN: secretEU}}, true),
		us.GrantPolicyName():  secrets.GrantPolicy([]secrets.Secret{{ARN: secretUS}}, false),
		secrets.PolicyName:    legacy,
		"someone-else-policy": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}`,
	})
	d := execRoleDesired(sp, id, eu, nil)
	narrow := widenForRollout(&d, st, eu.GrantPolicyName())
	p, err := roles.PlanFor(d, st)
	if err != nil {
		t.Fatal(err)
	}
	// Nothing is removed at once (old tasks still read it); after the wait
	// only this instance's grant is deleted.
	if len(p.Delete) != 0 || len(p.Put) != 0 {
		t.Errorf("before the wait: delete %v put %v; want no IAM write", p.Delete, p.Put)
	}
	if narrow == nil || !narrow.Delete || narrow.Policy != eu.GrantPolicyName() {
		t.Fatalf("narrow = %+v, want delete of %s", narrow, eu.GrantPolicyName())
	}
}

func TestGrantIsPerInstance(t *testing.T) {
	sp := &spec.Spec{}
	sp.ExecutionRole.Name = "exec"
	id := Identity{Account: "123456789012", Partition: "aws", Region: "us-east-1"}
	eu := Instance{Account: id.Account, Region: "eu-west-1", Cluster: "apps"}
	us := Instance{Account: id.Account, Region: "us-east-1", Cluster: "apps"}
	euDoc := secrets.GrantPolicy([]secrets.Secret{{ARN: secretEU}}, false)
	reads := []secrets.Reference{{Kind: secrets.KindSecret, Ref: secretUS, ARN: secretUS}}

	// us-east-1 after eu-west-1: it adds its own policy, eu-west-1's stays.
	st := grantState(map[string]string{eu.GrantPolicyName(): euDoc})
	d := execRoleDesired(sp, id, us, reads)
	if n := widenForRollout(&d, st, us.GrantPolicyName()); n != nil {
		t.Errorf("a first deploy narrows nothing: %+v", n)
	}
	p, err := roles.PlanFor(d, st)
	if err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(maps.Keys(p.Put)); !slices.Equal(got, []string{us.GrantPolicyName()}) || len(p.Delete) != 0 {
		t.Fatalf("put %v delete %v; want only %s", got, p.Delete, us.GrantPolicyName())
	}

	// Rerun of us-east-1 with both present: nothing to write.
	st.Inline[us.GrantPolicyName()] = p.Put[us.GrantPolicyName()]
	d = execRoleDesired(sp, id, us, reads)
	widenForRollout(&d, st, us.GrantPolicyName())
	if p, _ = roles.PlanFor(d, st); p.Changed() {
		t.Errorf("rerun writes: put %v delete %v", p.Put, p.Delete)
	}
	// The size counted against IAM's quota is every inline policy together.
	if want := policy.Size(euDoc) + policy.Size(st.Inline[us.GrantPolicyName()]); p.InlineChars != want {
		t.Errorf("InlineChars %d, want %d (both instances' grants)", p.InlineChars, want)
	}
}
