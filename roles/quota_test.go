package roles

import (
	"context"
	"errors"
	"maps"
	"net/url"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/launchdeploy/launch/internal/policy"
)

// The size checked against IAM's inline-policy quota is the role's inline
// policies after the plan: what is put counts in its new form, what is
// removed no longer counts.
func TestPlanInlineCharsIsTheSizeAfterThePlan(t *testing.T) {
	keep := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	old := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:eu-west-1:1:secret:a-AbCdEf"}]}`
	put := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:GetParameters","Resource":"*"}]}`
	st := &State{Exists: true, Trust: NewTrustPolicy(nil), Inline: map[string]string{"keep": keep, "launch-secrets-access": old, "mine": keep}}
	p, err := PlanFor(Desired{Name: "r", InlinePolicies: map[string]string{"mine": put}, RemoveInline: []string{"launch-secrets-access"}}, st)
	if err != nil {
		t.Fatal(err)
	}
	if want := policy.Size(keep) + policy.Size(put); p.InlineChars != want {
		t.Errorf("InlineChars = %d, want %d (keep + the new mine, without the removed grant)", p.InlineChars, want)
	}
}

// attachFails is an IAM whose AttachRolePolicy fails.
type attachFails struct {
	API
	err error
}

func (a attachFails) AttachRolePolicy(context.Context, *iam.AttachRolePolicyInput, ...func(*iam.Options)) (*iam.AttachRolePolicyOutput, error) {
	return nil, a.err
}

func (a attachFails) PutRolePolicy(context.Context, *iam.PutRolePolicyInput, ...func(*iam.Options)) (*iam.PutRolePolicyOutput, error) {
	return nil, a.err
}

// Apply stops at the first write IAM refuses and says which; the result
// lists only what was done.
func TestApplyStopsAtAFailedPut(t *testing.T) {
	boom := errors.New("MalformedPolicyDocument")
	res, err := Apply(context.Background(), attachFails{err: boom}, Plan{Name: "r", Put: map[string]string{"b": "{}", "a": "{}"}})
	if !errors.Is(err, boom) || err.Error() != "put inline policy a on role r: MalformedPolicyDocument" {
		t.Errorf("err = %v, want the first policy in name order and IAM's reason", err)
	}
	if len(res.Put) != 0 {
		t.Errorf("result %+v: nothing was put", res)
	}
}

func TestApplyStopsAtAFailedAttach(t *testing.T) {
	boom := errors.New("AccessDenied")
	arn := "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
	res, err := Apply(context.Background(), attachFails{err: boom}, Plan{Name: "r", Attach: []string{arn}, Put: map[string]string{"p": "{}"}})
	if !errors.Is(err, boom) || err.Error() != "attach "+arn+" to role r: AccessDenied" {
		t.Errorf("err = %v", err)
	}
	if len(res.Attach) != 0 || len(res.Put) != 0 {
		t.Errorf("result %+v: nothing was attached or put", res)
	}
}

func TestGlobMatchBacktracksOneCharacterAtATime(t *testing.T) {
	for _, tc := range []struct {
		p, s string
		ok   bool
	}{
		{"*b", "ab", true},
		{"*b", "ac", false},
		{"arn:*:ecs", "arn:aws:ecs", true},
		{"arn:*:ecs", "arn:aws:ecr", false},
	} {
		if got := globMatch(tc.p, tc.s); got != tc.ok {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tc.p, tc.s, got, tc.ok)
		}
	}
}

// roleIAM is one role with its policies and tags, read-only.
type roleIAM struct {
	API
	trust    string
	attached []string
	inline   map[string]string
	tags     map[string]string
}

func (f roleIAM) GetRole(context.Context, *iam.GetRoleInput, ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	r := &types.Role{Arn: aws.String("arn:aws:iam::1:role/r"), AssumeRolePolicyDocument: aws.String(url.PathEscape(f.trust))}
	for k, v := range f.tags {
		r.Tags = append(r.Tags, types.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	return &iam.GetRoleOutput{Role: r}, nil
}

func (f roleIAM) ListAttachedRolePolicies(context.Context, *iam.ListAttachedRolePoliciesInput, ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error) {
	out := &iam.ListAttachedRolePoliciesOutput{}
	for _, a := range f.attached {
		out.AttachedPolicies = append(out.AttachedPolicies, types.AttachedPolicy{PolicyArn: aws.String(a)})
	}
	return out, nil
}

func (f roleIAM) ListRolePolicies(context.Context, *iam.ListRolePoliciesInput, ...func(*iam.Options)) (*iam.ListRolePoliciesOutput, error) {
	return &iam.ListRolePoliciesOutput{PolicyNames: slices.Sorted(maps.Keys(f.inline))}, nil
}

func (f roleIAM) GetRolePolicy(_ context.Context, in *iam.GetRolePolicyInput, _ ...func(*iam.Options)) (*iam.GetRolePolicyOutput, error) {
	doc, ok := f.inline[aws.ToString(in.PolicyName)]
	if !ok {
		return nil, &types.NoSuchEntityException{Message: aws.String("no such policy")}
	}
	return &iam.GetRolePolicyOutput{PolicyDocument: aws.String(url.PathEscape(doc))}, nil
}

// Read returns every inline policy of the role, the ones launch knows by
// name and the ones only the list shows (written by hand or by an older
// launch), with the attached policies and the tags.
func TestReadReturnsEveryInlinePolicy(t *testing.T) {
	mine := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	theirs := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:GetParameters","Resource":"*"}]}`
	api := roleIAM{trust: NewTrustPolicy([]TrustedService{{Service: ECSTasksService}}).JSON(), attached: []string{"arn:b", "arn:a"},
		inline: map[string]string{"launch-secrets-eu-west-1-prod": mine, "added-by-hand": theirs}, tags: map[string]string{"team": "data"}}
	st, err := Read(context.Background(), api, "r", "launch-secrets-eu-west-1-prod", "launch-gone")
	if err != nil {
		t.Fatal(err)
	}
	if !st.Exists || st.ARN != "arn:aws:iam::1:role/r" || !slices.Equal(st.Attached, []string{"arn:a", "arn:b"}) || !maps.Equal(st.Tags, api.tags) {
		t.Errorf("state %+v", st)
	}
	if len(st.Inline) != 2 || st.Inline["launch-secrets-eu-west-1-prod"] != mine || st.Inline["added-by-hand"] != theirs {
		t.Errorf("inline policies %v, want both, decoded", st.Inline)
	}
	equalDocs(t, st.Trust, api.trust)

}
