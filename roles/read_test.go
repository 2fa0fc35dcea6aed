package roles

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// readFails is roleIAM with one of its reads answering err.
type readFails struct {
	roleIAM
	op  string
	err error
}

func (f readFails) GetRole(ctx context.Context, in *iam.GetRoleInput, o ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	if f.op == "GetRole" {
		return nil, f.err
	}
	return f.roleIAM.GetRole(ctx, in, o...)
}

func (f readFails) ListAttachedRolePolicies(ctx context.Context, in *iam.ListAttachedRolePoliciesInput, o ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error) {
	if f.op == "ListAttachedRolePolicies" {
		return nil, f.err
	}
	return f.roleIAM.ListAttachedRolePolicies(ctx, in, o...)
}

func (f readFails) ListRolePolicies(ctx context.Context, in *iam.ListRolePoliciesInput, o ...func(*iam.Options)) (*iam.ListRolePoliciesOutput, error) {
	if f.op == "ListRolePolicies" {
		return nil, f.err
	}
	return f.roleIAM.ListRolePolicies(ctx, in, o...)
}

func (f readFails) GetRolePolicy(ctx context.Context, in *iam.GetRolePolicyInput, o ...func(*iam.Options)) (*iam.GetRolePolicyOutput, error) {
	if f.op == "GetRolePolicy" {
		return nil, f.err
	}
	return f.roleIAM.GetRolePolicy(ctx, in, o...)
}

// A read IAM refuses is an error naming the role and the read, never a
// role that looks empty: a plan from it would re-attach or re-put what is
// there. Not found is told apart: a missing role is Exists false.
func TestReadSurfacesEachFailedRead(t *testing.T) {
	role := roleIAM{trust: NewTrustPolicy(nil).JSON(), attached: []string{"arn:a"},
		inline: map[string]string{"theirs": `{"Version":"2012-10-17","Statement":[]}`}}
	denied := errors.New("AccessDenied: not authorized")
	for op, want := range map[string]string{
		"GetRole":                  "read role r: AccessDenied: not authorized",
		"ListAttachedRolePolicies": "read role r: list attached policies: AccessDenied: not authorized",
		"ListRolePolicies":         "read role r: list inline policies: AccessDenied: not authorized",
		"GetRolePolicy":            "read role r: get inline policy theirs: AccessDenied: not authorized",
	} {
		t.Run(op, func(t *testing.T) {
			st, err := Read(context.Background(), readFails{roleIAM: role, op: op, err: denied}, "r")
			if st != nil || !errors.Is(err, denied) || err.Error() != want {
				t.Errorf("Read = %+v, %v; want no state and %q", st, err, want)
			}
		})
	}
	missing := &types.NoSuchEntityException{Message: aws.String("The role with name r cannot be found.")}
	st, err := Read(context.Background(), readFails{roleIAM: role, op: "GetRole", err: missing}, "r")
	if err != nil || st == nil || st.Exists || st.ARN != "" || len(st.Inline) != 0 {
		t.Errorf("missing role: Read = %+v, %v; want a state with Exists false and no error", st, err)
	}
}

// createIAM records CreateRole; createErr makes it fail.
type createIAM struct {
	API
	created   []*iam.CreateRoleInput
	createErr error
}

func (f *createIAM) CreateRole(_ context.Context, in *iam.CreateRoleInput, _ ...func(*iam.Options)) (*iam.CreateRoleOutput, error) {
	f.created = append(f.created, in)
	if f.createErr != nil {
		return nil, f.createErr
	}
	return &iam.CreateRoleOutput{Role: &types.Role{Arn: aws.String("arn:aws:iam::123456789012:role/" + aws.ToString(in.RoleName))}}, nil
}

// Creating a role: one CreateRole with the trust, the owner tag first and
// the spec's tags sorted; the result says created, with the new ARN.
func TestApplyCreatesTheRole(t *testing.T) {
	p, err := PlanFor(Desired{Name: "r", Trusted: []TrustedService{{Service: ECSTasksService}}, Tags: map[string]string{"team": "data", "app": "x"}},
		&State{Inline: map[string]string{}})
	if err != nil {
		t.Fatal(err)
	}
	api := &createIAM{}
	res, err := Apply(context.Background(), api, p)
	if err != nil {
		t.Fatal(err)
	}
	if res.Action != "created" || res.ARN != "arn:aws:iam::123456789012:role/r" || !res.Changed {
		t.Errorf("result %+v, want created with the new role's ARN", res)
	}
	if len(api.created) != 1 {
		t.Fatalf("%d CreateRole calls, want 1", len(api.created))
	}
	in := api.created[0]
	var tags []string
	for _, tg := range in.Tags {
		tags = append(tags, aws.ToString(tg.Key)+"="+aws.ToString(tg.Value))
	}
	if got, want := strings.Join(tags, " "), "launch:managed-by=launch app=x team=data"; got != want {
		t.Errorf("tags %q, want %q", got, want)
	}
	if aws.ToString(in.RoleName) != "r" || aws.ToString(in.AssumeRolePolicyDocument) != NewTrustPolicy([]TrustedService{{Service: ECSTasksService}}).JSON() {
		t.Errorf("CreateRole %s with trust %s", aws.ToString(in.RoleName), aws.ToString(in.AssumeRolePolicyDocument))
	}
	// The console's role list shows who made it.
	if d := aws.ToString(in.Description); d != "Created by launch for ECS tasks" {
		t.Errorf("description %q", d)
	}
}

// A CreateRole IAM refuses is an error naming the role and IAM's reason,
// and nothing else is written.
func TestApplyCreateRoleFails(t *testing.T) {
	p, err := PlanFor(Desired{Name: "r", Trusted: []TrustedService{{Service: ECSTasksService}}, ManagedPolicies: []string{"arn:aws:iam::aws:policy/A"}},
		&State{Inline: map[string]string{}})
	if err != nil {
		t.Fatal(err)
	}
	denied := errors.New("AccessDenied: iam:CreateRole")
	res, err := Apply(context.Background(), &createIAM{createErr: denied}, p)
	if !errors.Is(err, denied) || err.Error() != "create role r: AccessDenied: iam:CreateRole" {
		t.Errorf("err = %v", err)
	}
	if res.Action != "unchanged" || res.ARN != "" || len(res.Attach) != 0 {
		t.Errorf("result %+v: nothing was written", res)
	}
}

// The tag quota error lists every instance tag the run would add.
func TestTooManyTagsNamesEachTagToAdd(t *testing.T) {
	tags := map[string]string{OwnerTagKey: OwnerTagValue}
	for i := range 48 {
		k, v := InstanceTag("1", "eu-west-1", fmt.Sprintf("c%d", i))
		tags[k] = v
	}
	k1, v1 := InstanceTag("1", "eu-west-1", "x")
	k2, v2 := InstanceTag("1", "us-east-1", "y")
	p, err := PlanFor(Desired{Name: "r", Record: map[string]string{k1: v1, k2: v2}},
		&State{Exists: true, Trust: NewTrustPolicy(nil), Inline: map[string]string{}, Tags: tags})
	if err != nil {
		t.Fatal(err)
	}
	want := "role r: recording this deployment instance (launch:instance:eu-west-1/x, launch:instance:us-east-1/y) would give the role 51 tags, " +
		"over IAM's limit of 50; remove tags of instances destroyed without --roles, or use another role name"
	if errs := p.QuotaErrors(); len(errs) != 1 || errs[0].Error() != want {
		t.Errorf("quota errors = %v, want [%s]", errs, want)
	}
}

// existsUnreadable is an IAM where the role appeared after launch read it,
// and reading it now fails.
type existsUnreadable struct{ createIAM }

func (f *existsUnreadable) GetRole(context.Context, *iam.GetRoleInput, ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	return nil, errors.New("AccessDenied: iam:GetRole")
}

// A role that appeared while launch created it, but cannot be read, is an
// error saying it exists; launch does not go on to write into it.
func TestApplyCreateRaceWithAnUnreadableRole(t *testing.T) {
	p, err := PlanFor(Desired{Name: "r", Trusted: []TrustedService{{Service: ECSTasksService}}}, &State{Inline: map[string]string{}})
	if err != nil {
		t.Fatal(err)
	}
	exists := &types.EntityAlreadyExistsException{Message: aws.String("Role with name r already exists.")}
	res, err := Apply(context.Background(), &existsUnreadable{createIAM{createErr: exists}}, p)
	if !errors.Is(err, exists) || err.Error() != "create role r: EntityAlreadyExists: Role with name r already exists." {
		t.Errorf("err = %v", err)
	}
	if res.Action != "unchanged" || res.ARN != "" {
		t.Errorf("result %+v, want nothing done", res)
	}
}

// staleIAM is roleIAM whose GetRolePolicy still answers for a policy the
// list no longer shows (deleted between the two reads), counting the
// reads of each policy.
type staleIAM struct {
	roleIAM
	deleted map[string]string
	mu      sync.Mutex
	reads   map[string]int
}

func (f *staleIAM) GetRolePolicy(ctx context.Context, in *iam.GetRolePolicyInput, o ...func(*iam.Options)) (*iam.GetRolePolicyOutput, error) {
	f.mu.Lock()
	f.reads[aws.ToString(in.PolicyName)]++
	f.mu.Unlock()
	if doc, ok := f.deleted[aws.ToString(in.PolicyName)]; ok {
		return &iam.GetRolePolicyOutput{PolicyDocument: aws.String(doc)}, nil
	}
	return f.roleIAM.GetRolePolicy(ctx, in, o...)
}

// The inline policies are the ones the list shows, each read once however
// often launch names it; a known policy the list no longer shows is gone.
func TestReadTrustsTheListOfInlinePolicies(t *testing.T) {
	doc := `{"Version":"2012-10-17","Statement":[]}`
	api := &staleIAM{roleIAM: roleIAM{trust: NewTrustPolicy(nil).JSON(), inline: map[string]string{"mine": doc, "theirs": doc}},
		deleted: map[string]string{"gone": doc}, reads: map[string]int{}}
	st, err := Read(context.Background(), api, "r", "mine", "", "gone", "mine")
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(st.Inline, map[string]string{"mine": doc, "theirs": doc}) {
		t.Errorf("inline policies %v, want mine and theirs", st.Inline)
	}
	if want := map[string]int{"mine": 1, "gone": 1, "theirs": 1}; !maps.Equal(api.reads, want) {
		t.Errorf("GetRolePolicy reads %v, want %v", api.reads, want)
	}
}

// A trust policy that does not parse is an error naming the role, not a
// role without trust (a plan from it would rewrite the trust).
func TestReadRefusesATrustThatDoesNotParse(t *testing.T) {
	st, err := Read(context.Background(), roleIAM{trust: `{"Version":"2012-10-17","Statement":"not a statement"}`}, "r")
	if st != nil || err == nil || !strings.HasPrefix(err.Error(), "read role r: trust policy: ") {
		t.Errorf("Read = %+v, %v", st, err)
	}
}

// A role to create starts from an empty trust, whatever the state holds.
func TestPlanForCreateStartsFromAnEmptyTrust(t *testing.T) {
	stale := NewTrustPolicy([]TrustedService{{Service: "ec2.amazonaws.com"}})
	p, err := PlanFor(Desired{Name: "r", Trusted: []TrustedService{{Service: ECSTasksService}}}, &State{Trust: stale, Inline: map[string]string{}})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Create || p.Trust.Canonical() != NewTrustPolicy([]TrustedService{{Service: ECSTasksService}}).Canonical() {
		t.Errorf("create: trust %s", p.Trust.JSON())
	}
}

// A role GetRole returns without a trust document reads as a role with an
// empty trust, not as an error.
func TestReadARoleWithoutATrustDocument(t *testing.T) {
	st, err := Read(context.Background(), roleIAM{}, "r")
	if err != nil || !st.Exists || st.Trust == nil || len(st.Trust.Statement) != 0 {
		t.Errorf("Read = %+v, %v; want an existing role with an empty trust", st, err)
	}
}
