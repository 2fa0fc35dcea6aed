package roles

import (
	"context"
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
	if len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], "confused-deputy condition does not restrict it") {
		t.Errorf("warnings = %q", p.Warnings)
	}
	// Both a conditioned and an unconditioned statement: still not restricted.
	both := EnsureTrusted(NewTrustPolicy([]TrustedService{{Service: ECSTasksService}}), TrustedService{Service: ECSTasksService, Condition: cond})
	both.Statement = append(both.Statement, NewTrustPolicy([]TrustedService{{Service: ECSTasksService, Condition: cond}}).Statement...)
	st.Trust = both
	if p, _ := PlanFor(Desired{Name: "r", Trusted: []TrustedService{{Service: ECSTasksService, Condition: cond}}}, st); len(p.Warnings) != 1 {
		t.Errorf("an unconditioned statement next to a conditioned one: warnings %q", p.Warnings)
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
