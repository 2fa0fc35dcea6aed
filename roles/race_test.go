package roles

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// raceIAM is an IAM in which the role appeared after launch read it.
type raceIAM struct {
	API
	existing, updated string
	tagged            []string
}

func (f *raceIAM) TagRole(_ context.Context, in *iam.TagRoleInput, _ ...func(*iam.Options)) (*iam.TagRoleOutput, error) {
	for _, t := range in.Tags {
		f.tagged = append(f.tagged, aws.ToString(t.Key)+"="+aws.ToString(t.Value))
	}
	return &iam.TagRoleOutput{}, nil
}

func (f *raceIAM) CreateRole(context.Context, *iam.CreateRoleInput, ...func(*iam.Options)) (*iam.CreateRoleOutput, error) {
	return nil, &types.EntityAlreadyExistsException{Message: aws.String("exists")}
}

func (f *raceIAM) GetRole(context.Context, *iam.GetRoleInput, ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	return &iam.GetRoleOutput{Role: &types.Role{Arn: aws.String("arn:aws:iam::1:role/r"), AssumeRolePolicyDocument: aws.String(f.existing)}}, nil
}

func (f *raceIAM) UpdateAssumeRolePolicy(_ context.Context, in *iam.UpdateAssumeRolePolicyInput, _ ...func(*iam.Options)) (*iam.UpdateAssumeRolePolicyOutput, error) {
	f.updated = aws.ToString(in.PolicyDocument)
	return &iam.UpdateAssumeRolePolicyOutput{}, nil
}

func TestCreateRaceMergesIntoTheRolesOwnTrust(t *testing.T) {
	f := &raceIAM{existing: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"sts:AssumeRole"}]}`}
	p, err := PlanFor(Desired{Name: "r", Trusted: []TrustedService{{Service: ECSTasksService}}}, &State{Inline: map[string]string{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Apply(context.Background(), f, p); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(f.updated, "999999999999") || !strings.Contains(f.updated, ECSTasksService) {
		t.Fatalf("the role's own statement was dropped, or ecs-tasks not added:\n%s", f.updated)
	}
}

func TestConfusedDeputyOnAnExistingUnconditionalTrustWarns(t *testing.T) {
	st := &State{Exists: true, ARN: "arn:aws:iam::123456789012:role/r",
		Trust: NewTrustPolicy([]TrustedService{{Service: ECSTasksService}}), Inline: map[string]string{}}
	p, err := PlanFor(Desired{Name: "r", Trusted: []TrustedService{{Service: ECSTasksService, Condition: cond}}}, st)
	if err != nil {
		t.Fatal(err)
	}
	if p.UpdateTrust {
		t.Error("an existing statement must not be rewritten")
	}
	want := "role r: a statement trusts ecs-tasks.amazonaws.com without any condition, so tasks of any account and region may assume the role: " +
		"the confused-deputy condition launch would add cannot restrict that; launch never rewrites a statement it did not write: " +
		"change that statement yourself (the condition AWS recommends is ArnLike aws:SourceArn arn:<partition>:ecs:<region>:<account>:* per region, " +
		"StringEquals aws:SourceAccount), or set confusedDeputyProtection: false"
	if len(p.Warnings) != 1 || p.Warnings[0] != want {
		t.Errorf("warnings = %q\nwant [%q]", p.Warnings, want)
	}
	// Both a conditioned and an unconditioned statement: still not restricted.
	both := EnsureTrusted(NewTrustPolicy([]TrustedService{{Service: ECSTasksService}}), TrustedService{Service: ECSTasksService, Condition: cond})
	both.Statement = append(both.Statement, NewTrustPolicy([]TrustedService{{Service: ECSTasksService, Condition: cond}}).Statement...)
	st.Trust = both
	if p, err := PlanFor(Desired{Name: "r", Trusted: []TrustedService{{Service: ECSTasksService, Condition: cond}}}, st); err != nil || len(p.Warnings) != 1 {
		t.Errorf("an unconditioned statement next to a conditioned one: warnings %q, err %v", p.Warnings, err)
	}
}

func TestRemoveInlineDeletesOnlyWhatExists(t *testing.T) {
	st := &State{Exists: true, Trust: NewTrustPolicy(nil), Inline: map[string]string{"launch-secrets-access": `{"Version":"2012-10-17","Statement":[]}`}}
	p, err := PlanFor(Desired{Name: "r", RemoveInline: []string{"launch-secrets-access", "never-there"}}, st)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Delete) != 1 || p.Delete[0] != "launch-secrets-access" || !p.Changed() {
		t.Errorf("delete = %v", p.Delete)
	}
}

func TestInstanceRecordIsAddedOnlyWhenMissing(t *testing.T) {
	k, v := InstanceTag("123456789012", "eu-west-1", "prod")
	if k != "launch:instance:eu-west-1/prod" || v != "123456789012" {
		t.Fatalf("InstanceTag = %q=%q", k, v)
	}
	rec := map[string]string{k: v}
	trust := NewTrustPolicy([]TrustedService{{Service: ECSTasksService}})
	other, _ := InstanceTag("123456789012", "us-east-1", "prod")
	st := &State{Exists: true, Trust: trust, Inline: map[string]string{}, Tags: map[string]string{OwnerTagKey: OwnerTagValue, other: "123456789012"}}
	p, err := PlanFor(Desired{Name: "r", Trusted: []TrustedService{{Service: ECSTasksService}}, Record: rec}, st)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Changed() || len(p.AddTags) != 1 || p.AddTags[k] != v {
		t.Fatalf("missing record: AddTags %v", p.AddTags)
	}
	// A record holding another value (copied with the role's tags from
	// another account, say) is rewritten.
	st.Tags[k] = "210987654321"
	if p, err := PlanFor(Desired{Name: "r", Trusted: []TrustedService{{Service: ECSTasksService}}, Record: rec}, st); err != nil || !p.Changed() || len(p.AddTags) != 1 || p.AddTags[k] != v {
		t.Errorf("record of another account: AddTags %v, err %v; want %s=%s", p.AddTags, err, k, v)
	}
	st.Tags[k] = v
	if p, err := PlanFor(Desired{Name: "r", Trusted: []TrustedService{{Service: ECSTasksService}}, Record: rec}, st); err != nil || p.Changed() {
		t.Errorf("record present: plan still changes (%v), err %v", p.AddTags, err)
	}
	if got := RecordedInstances(st.Tags); len(got) != 2 || got[0] != "eu-west-1/prod" || got[1] != "us-east-1/prod" {
		t.Errorf("RecordedInstances = %v", got)
	}
	// A new role carries the record from CreateRole on: no TagRole later.
	if p, err = PlanFor(Desired{Name: "r", Tags: map[string]string{"team": "x"}, Record: rec}, &State{Inline: map[string]string{}}); err != nil {
		t.Fatal(err)
	}
	if p.Tags[k] != v || len(p.AddTags) != 0 || p.TagCount != 3 {
		t.Errorf("create: tags %v add %v count %d", p.Tags, p.AddTags, p.TagCount)
	}
}

func TestInstanceTagFitsIAM(t *testing.T) {
	long := strings.Repeat("c", 255) // ECS allows 255-character cluster names
	k, _ := InstanceTag("1", "ap-southeast-2", long)
	k2, _ := InstanceTag("1", "ap-southeast-2", long[:254]+"d")
	if len(k) > 128 || k == k2 || !strings.HasPrefix(k, InstanceTagPrefix+"ap-southeast-2/") {
		t.Errorf("long cluster: key %q (%d chars), other %q", k, len(k), k2)
	}
	// The key is stable across versions: roles already carry it.
	if k != "launch:instance:ap-southeast-2/fe4b22c44a1ee659d3196864" {
		t.Errorf("long cluster: key %q changed", k)
	}
	// At the limit the cluster's name is kept as written; one more
	// character and it is hashed.
	at := strings.Repeat("c", 128-len(InstanceTagPrefix+"eu-west-1/"))
	if k, _ := InstanceTag("1", "eu-west-1", at); k != InstanceTagPrefix+"eu-west-1/"+at {
		t.Errorf("a key of 128 characters: %q, want the cluster's name", k)
	}
	if k, _ := InstanceTag("1", "eu-west-1", at+"c"); len(k) > 128 || strings.Contains(k, at) {
		t.Errorf("a key of 129 characters: %q, want the hash", k)
	}
}

func TestTooManyTagsIsAQuotaError(t *testing.T) {
	tags := map[string]string{OwnerTagKey: OwnerTagValue}
	for i := range 49 {
		k, v := InstanceTag("1", "eu-west-1", fmt.Sprintf("c%d", i))
		tags[k] = v
	}
	k, v := InstanceTag("1", "eu-west-1", "one-too-many")
	p, err := PlanFor(Desired{Name: "r", Record: map[string]string{k: v}}, &State{Exists: true, Trust: NewTrustPolicy(nil), Inline: map[string]string{}, Tags: tags})
	if err != nil {
		t.Fatal(err)
	}
	errs := p.QuotaErrors()
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "51 tags, over IAM's limit of 50") {
		t.Errorf("quota errors = %v", errs)
	}
}

func TestRoleAppearingDuringCreateGetsTheRecord(t *testing.T) {
	f := &raceIAM{existing: `{"Version":"2012-10-17","Statement":[]}`}
	k, v := InstanceTag("1", "eu-west-1", "prod")
	p, err := PlanFor(Desired{Name: "r", Trusted: []TrustedService{{Service: ECSTasksService}}, Record: map[string]string{k: v}}, &State{Inline: map[string]string{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Apply(context.Background(), f, p); err != nil {
		t.Fatal(err)
	}
	if len(f.tagged) != 1 || f.tagged[0] != k+"="+v {
		t.Errorf("tagged %v", f.tagged)
	}
}

// A role that appeared while launch created it: launch converges on it.
// Its trust is updated only when it lacks the service; one that does not
// parse, or an update IAM refuses, is an error naming the role.
func TestCreateRaceConvergesOnTheRolesTrust(t *testing.T) {
	p, err := PlanFor(Desired{Name: "r", Trusted: []TrustedService{{Service: ECSTasksService}}}, &State{Inline: map[string]string{}})
	if err != nil {
		t.Fatal(err)
	}
	trusting := NewTrustPolicy([]TrustedService{{Service: ECSTasksService}}).JSON()
	f := &raceIAM{existing: trusting}
	res, err := Apply(context.Background(), f, p)
	if err != nil || f.updated != "" || res.Action != "created" || res.ARN != "arn:aws:iam::1:role/r" {
		t.Errorf("trust already there: Apply = %+v, %v, trust written %q; want created with the role's ARN and no trust write", res, err, f.updated)
	}

	f = &raceIAM{existing: `{"Version":"2012-10-17","Statement":"not a statement"}`}
	if _, err := Apply(context.Background(), f, p); err == nil ||
		!strings.HasPrefix(err.Error(), "role r appeared while launch was creating it, and its trust policy does not parse: ") || f.updated != "" {
		t.Errorf("unparsable trust: err = %v, trust written %q", err, f.updated)
	}

	denied := errors.New("AccessDenied")
	f2 := &raceRefusesTrust{raceIAM{existing: `{"Version":"2012-10-17","Statement":[]}`}, denied}
	if _, err := Apply(context.Background(), f2, p); !errors.Is(err, denied) || err.Error() != "update trust policy of role r: AccessDenied" {
		t.Errorf("trust update refused: err = %v", err)
	}
}

// raceRefusesTrust is raceIAM whose UpdateAssumeRolePolicy fails.
type raceRefusesTrust struct {
	raceIAM
	err error
}

func (f *raceRefusesTrust) UpdateAssumeRolePolicy(context.Context, *iam.UpdateAssumeRolePolicyInput, ...func(*iam.Options)) (*iam.UpdateAssumeRolePolicyOutput, error) {
	return nil, f.err
}
