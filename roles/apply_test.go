package roles

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// Each quota the plan would exceed is its own error, naming the role, the
// size after the change, IAM's limit and what to do.
func TestQuotaErrorsSayWhatToDo(t *testing.T) {
	p := Plan{Name: "r", TrustChars: 2049, InlineChars: 10241, ManagedCount: 11}
	var got []string
	for _, err := range p.QuotaErrors() {
		got = append(got, err.Error())
	}
	want := []string{
		"role r: the trust policy would be 2049 characters, over IAM's limit of 2048; shorten or split the policies, or use managed policies",
		"role r: the role's inline policies together would be 10241 characters, over IAM's limit of 10240; shorten or split the policies, or use managed policies",
		"role r: 11 managed policies would be attached, over IAM's limit of 10; detach those the role no longer needs, or merge some into one policy",
	}
	if !slices.Equal(got, want) {
		t.Errorf("quota errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	at := Plan{Name: "r", TrustChars: MaxTrustPolicyChars, InlineChars: MaxInlinePolicyChars, ManagedCount: MaxManagedPolicies, TagCount: MaxRoleTags}
	if errs := at.QuotaErrors(); len(errs) != 0 {
		t.Errorf("at the limits exactly: %v, want no error", errs)
	}
}

// An inline policy of the spec that is not a policy document stops the plan
// with an error naming the role and the policy.
func TestPlanForNamesAnInlinePolicyThatDoesNotParse(t *testing.T) {
	_, err := PlanFor(Desired{Name: "r", InlinePolicies: map[string]string{"bad": `["not", "an object"]`}},
		&State{Exists: true, Trust: NewTrustPolicy(nil), Inline: map[string]string{}})
	if err == nil || !strings.HasPrefix(err.Error(), "role r: inline policy bad: policy document is not a JSON object") {
		t.Errorf("err = %v", err)
	}
}

// trustIAM records the trust policies written.
type trustIAM struct {
	API
	written []string
	err     error
}

func (f *trustIAM) UpdateAssumeRolePolicy(_ context.Context, in *iam.UpdateAssumeRolePolicyInput, _ ...func(*iam.Options)) (*iam.UpdateAssumeRolePolicyOutput, error) {
	f.written = append(f.written, aws.ToString(in.RoleName)+" "+aws.ToString(in.PolicyDocument))
	return &iam.UpdateAssumeRolePolicyOutput{}, f.err
}

// A role that lacks only the trust is changed by one UpdateAssumeRolePolicy
// whose document keeps every statement the role had, with ecs-tasks added.
func TestApplyTrustOnlyChange(t *testing.T) {
	theirs := `{"Version":"2012-10-17","Statement":[
		{"Sid":"Ops","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}},
		{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`
	st := &State{Exists: true, ARN: "arn:aws:iam::123456789012:role/r", Trust: mustParse(t, theirs), Inline: map[string]string{}}
	p, err := PlanFor(Desired{Name: "r", Trusted: []TrustedService{{Service: ECSTasksService}}}, st)
	if err != nil {
		t.Fatal(err)
	}
	if !p.UpdateTrust || !p.Changed() || len(p.Attach)+len(p.Put)+len(p.Delete)+len(p.AddTags) != 0 {
		t.Fatalf("plan %+v, want a trust update only", p)
	}
	api := &trustIAM{}
	res, err := Apply(context.Background(), api, p)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Result{Name: "r", ARN: st.ARN, Action: "updated", Trust: true, Changed: true}); !reflect.DeepEqual(res, want) {
		t.Errorf("result %+v, want %+v", res, want)
	}
	if len(api.written) != 1 || !strings.HasPrefix(api.written[0], "r ") {
		t.Fatalf("trust writes %q, want one for role r", api.written)
	}
	equalDocs(t, mustParse(t, strings.TrimPrefix(api.written[0], "r ")), `{"Version":"2012-10-17","Statement":[
		{"Sid":"Ops","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}},
		{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]},
		{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)

	api = &trustIAM{err: errors.New("MalformedPolicyDocument")}
	if _, err := Apply(context.Background(), api, p); err == nil || err.Error() != "update trust policy of role r: MalformedPolicyDocument" {
		t.Errorf("a refused trust update: err = %v", err)
	}
}
