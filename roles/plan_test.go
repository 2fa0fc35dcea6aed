package roles

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestPlanForExistingRoleWithNothingToDo(t *testing.T) {
	st := &State{
		Exists: true, ARN: "arn:aws:iam::123456789012:role/r",
		Trust:    mustParse(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
		Attached: []string{"arn:aws:iam::aws:policy/A", "arn:aws:iam::aws:policy/Other"},
		Inline:   map[string]string{"p": `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`, "theirs": `{"Version":"2012-10-17","Statement":[]}`},
	}
	d := Desired{
		Name: "r", Trusted: []TrustedService{{Service: ECSTasksService}},
		ManagedPolicies: []string{"arn:aws:iam::aws:policy/A"},
		InlinePolicies:  map[string]string{"p": `{"Statement":[{"Resource":["*"],"Action":["s3:GetObject"],"Effect":"Allow"}],"Version":"2012-10-17"}`},
	}
	p, err := PlanFor(d, st)
	if err != nil {
		t.Fatal(err)
	}
	if p.Changed() {
		t.Errorf("plan has changes for a role that already matches: %+v", p)
	}
}

func TestPlanForChanges(t *testing.T) {
	st := &State{
		Exists: true, ARN: "arn:aws:iam::123456789012:role/r",
		Trust:  mustParse(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
		Inline: map[string]string{"p": `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"a"}}`},
	}
	d := Desired{
		Name: "r", Trusted: []TrustedService{{Service: ECSTasksService}},
		ManagedPolicies: []string{"arn:aws:iam::aws:policy/A"},
		InlinePolicies:  map[string]string{"p": `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"b"}}`, "new": `{"Version":"2012-10-17","Statement":[]}`},
	}
	p, err := PlanFor(d, st)
	if err != nil {
		t.Fatal(err)
	}
	if !p.UpdateTrust || p.Create {
		t.Errorf("want a trust update of an existing role, got %+v", p)
	}
	if len(p.Attach) != 1 || len(p.Put) != 2 || p.PutBefore["p"] == "" {
		t.Errorf("attach %v put %v before %v", p.Attach, p.Put, p.PutBefore)
	}
}

func TestPlanForRejectsOversizedInlinePolicies(t *testing.T) {
	big := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":["` +
		strings.Repeat("x", MaxInlinePolicyChars) + `"]}]}`
	p, err := PlanFor(Desired{Name: "r", InlinePolicies: map[string]string{"big": big}}, &State{Inline: map[string]string{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Apply(context.Background(), nil, p); err == nil {
		t.Fatal("Apply wrote a role over IAM's quota")
	}
	err = errors.Join(p.QuotaErrors()...)
	var qe *QuotaError
	if !errors.As(err, &qe) {
		t.Fatalf("want a QuotaError, got %v", err)
	}
	if !strings.Contains(err.Error(), "10240") {
		t.Errorf("error does not name the limit: %v", err)
	}
}

func TestPlanForCreate(t *testing.T) {
	p, err := PlanFor(Desired{Name: "r", Trusted: []TrustedService{{Service: ECSTasksService, Condition: cond}}}, &State{Inline: map[string]string{}})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Create || !Trusts(p.Trust, ECSTasksService) {
		t.Errorf("want a create with ecs-tasks trust, got %+v", p)
	}
}
