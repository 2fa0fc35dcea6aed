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
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
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

// writesIAM records every write to an existing role, in order; fail makes
// the named operation fail with err, gone makes DeleteRolePolicy of that
// policy answer NoSuchEntity.
type writesIAM struct {
	API
	writes []string
	fail   string
	err    error
	gone   string
}

func (f *writesIAM) write(op, what string) error {
	f.writes = append(f.writes, op+" "+what)
	if op == f.fail {
		return f.err
	}
	return nil
}

func (f *writesIAM) TagRole(_ context.Context, in *iam.TagRoleInput, _ ...func(*iam.Options)) (*iam.TagRoleOutput, error) {
	var tags []string
	for _, t := range in.Tags {
		tags = append(tags, aws.ToString(t.Key)+"="+aws.ToString(t.Value))
	}
	return &iam.TagRoleOutput{}, f.write("TagRole", aws.ToString(in.RoleName)+" "+strings.Join(tags, ","))
}

func (f *writesIAM) AttachRolePolicy(_ context.Context, in *iam.AttachRolePolicyInput, _ ...func(*iam.Options)) (*iam.AttachRolePolicyOutput, error) {
	return &iam.AttachRolePolicyOutput{}, f.write("AttachRolePolicy", aws.ToString(in.RoleName)+" "+aws.ToString(in.PolicyArn))
}

func (f *writesIAM) PutRolePolicy(_ context.Context, in *iam.PutRolePolicyInput, _ ...func(*iam.Options)) (*iam.PutRolePolicyOutput, error) {
	return &iam.PutRolePolicyOutput{}, f.write("PutRolePolicy", aws.ToString(in.RoleName)+" "+aws.ToString(in.PolicyName)+" "+aws.ToString(in.PolicyDocument))
}

func (f *writesIAM) DeleteRolePolicy(_ context.Context, in *iam.DeleteRolePolicyInput, _ ...func(*iam.Options)) (*iam.DeleteRolePolicyOutput, error) {
	if err := f.write("DeleteRolePolicy", aws.ToString(in.RoleName)+" "+aws.ToString(in.PolicyName)); err != nil {
		return nil, err
	}
	if aws.ToString(in.PolicyName) == f.gone {
		return nil, &types.NoSuchEntityException{Message: aws.String("The role policy with name " + f.gone + " cannot be found.")}
	}
	return &iam.DeleteRolePolicyOutput{}, nil
}

// An existing role gets exactly the writes its plan lists, in an order a
// rerun converges from: tags, attachments, inline policies by name, then
// deletions (a policy already deleted counts as deleted).
func TestApplyWritesToAnExistingRole(t *testing.T) {
	doc := func(action string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"` + action + `","Resource":"*"}]}`
	}
	st := &State{Exists: true, ARN: "arn:aws:iam::123456789012:role/r", Trust: NewTrustPolicy([]TrustedService{{Service: ECSTasksService}}),
		Attached: []string{"arn:aws:iam::aws:policy/Kept"},
		Inline:   map[string]string{"old-a": doc("s3:GetObject"), "old-b": doc("s3:GetObject"), "same": doc("sqs:SendMessage")},
		Tags:     map[string]string{OwnerTagKey: OwnerTagValue, "launch:instance:eu-west-1/a": "1"}}
	p, err := PlanFor(Desired{Name: "r", Trusted: []TrustedService{{Service: ECSTasksService}},
		ManagedPolicies: []string{"arn:aws:iam::aws:policy/Kept", "arn:aws:iam::aws:policy/Z", "arn:aws:iam::aws:policy/A"},
		InlinePolicies:  map[string]string{"z": doc("ssm:GetParameters"), "b": doc("kms:Decrypt"), "same": doc("sqs:SendMessage")},
		RemoveInline:    []string{"old-b", "old-a"},
		Record:          map[string]string{"launch:instance:eu-west-1/a": "1", "launch:instance:us-east-1/b": "1", "launch:instance:eu-west-1/c": "1"}}, st)
	if err != nil {
		t.Fatal(err)
	}
	api := &writesIAM{gone: "old-a"}
	res, err := Apply(context.Background(), api, p)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"TagRole r launch:instance:eu-west-1/c=1,launch:instance:us-east-1/b=1",
		"AttachRolePolicy r arn:aws:iam::aws:policy/Z",
		"AttachRolePolicy r arn:aws:iam::aws:policy/A",
		"PutRolePolicy r b " + doc("kms:Decrypt"),
		"PutRolePolicy r z " + doc("ssm:GetParameters"),
		"DeleteRolePolicy r old-b",
		"DeleteRolePolicy r old-a",
	}
	if !slices.Equal(api.writes, want) {
		t.Errorf("writes:\n%s\nwant:\n%s", strings.Join(api.writes, "\n"), strings.Join(want, "\n"))
	}
	wantRes := Result{Name: "r", ARN: st.ARN, Action: "updated", Changed: true,
		Tagged:  []string{"launch:instance:eu-west-1/c", "launch:instance:us-east-1/b"},
		Attach:  []string{"arn:aws:iam::aws:policy/Z", "arn:aws:iam::aws:policy/A"},
		Put:     []string{"b", "z"},
		Deleted: []string{"old-b", "old-a"}}
	if !reflect.DeepEqual(res, wantRes) {
		t.Errorf("result %+v\nwant %+v", res, wantRes)
	}

	// Each refused write stops Apply with an error naming it.
	denied := errors.New("AccessDenied")
	for op, msg := range map[string]string{
		"TagRole":          "tag role r with its deployment instance: AccessDenied",
		"AttachRolePolicy": "attach arn:aws:iam::aws:policy/Z to role r: AccessDenied",
		"PutRolePolicy":    "put inline policy b on role r: AccessDenied",
		"DeleteRolePolicy": "delete inline policy old-b of role r: AccessDenied",
	} {
		api := &writesIAM{fail: op, err: denied}
		if _, err := Apply(context.Background(), api, p); !errors.Is(err, denied) || err.Error() != msg {
			t.Errorf("%s refused: err = %v, want %q", op, err, msg)
		}
		if last := api.writes[len(api.writes)-1]; !strings.HasPrefix(last, op+" ") {
			t.Errorf("%s refused: writes went on to %q", op, last)
		}
	}
}

// Any one write makes a plan a change; none makes it unchanged.
func TestPlanChangedByEachWriteAlone(t *testing.T) {
	one := map[string]string{"x": "y"}
	for name, p := range map[string]Plan{
		"create":       {Create: true},
		"trust":        {UpdateTrust: true},
		"attach":       {Attach: []string{"arn:aws:iam::aws:policy/A"}},
		"put":          {Put: one},
		"delete":       {Delete: []string{"x"}},
		"instance tag": {AddTags: one},
	} {
		if !p.Changed() {
			t.Errorf("%s alone: not a change", name)
		}
	}
	if (Plan{Put: map[string]string{}, PutBefore: one, Tags: one, Record: one}).Changed() {
		t.Error("a plan without writes is a change")
	}
}

// RecordedInstances lists the instances recorded on a role, sorted, and
// nothing else.
func TestRecordedInstancesSorted(t *testing.T) {
	tags := map[string]string{OwnerTagKey: OwnerTagValue, "team": "data"}
	var want []string
	for _, region := range []string{"us-west-2", "eu-west-1", "ap-south-1", "us-east-1", "eu-central-1", "sa-east-1"} {
		for _, cluster := range []string{"prod", "dev"} {
			k, v := InstanceTag("123456789012", region, cluster)
			tags[k] = v
			want = append(want, region+"/"+cluster)
		}
	}
	slices.Sort(want)
	if got := RecordedInstances(tags); !slices.Equal(got, want) {
		t.Errorf("RecordedInstances = %v\nwant %v", got, want)
	}
}
