package rollout

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/launchdeploy/launch/internal/emulator"
	"github.com/launchdeploy/launch/roles"
)

// The narrowing after the wait writes only over the grant this run left:
// a grant another run of the instance changed meanwhile is left for a later
// deploy to narrow, so its tasks keep what they read.
func TestNarrowingLeavesAGrantChangedMeanwhile(t *testing.T) {
	h := emulator.NewHarness(t)
	h.Reset(t)
	cfg := emulator.Config(t)
	c := iam.NewFromConfig(cfg)
	ctx := context.Background()
	grant := func(secrets ...string) string {
		return `{"Version":"2012-10-17","Statement":[{"Sid":"ReadAgentSecrets","Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":["` +
			strings.Join(secrets, `","`) + `"]}]}`
	}
	a, b, other := "arn:aws:secretsmanager:us-east-1:123456789012:secret:a-AbCdEf", "arn:aws:secretsmanager:us-east-1:123456789012:secret:b-AbCdEf",
		"arn:aws:secretsmanager:us-east-1:123456789012:secret:other-AbCdEf"
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("exec"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	put := func(doc string) {
		if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("exec"), PolicyName: aws.String("g"), PolicyDocument: aws.String(doc)}); err != nil {
			t.Fatal(err)
		}
	}
	now := func() string {
		st, err := roles.Read(ctx, c, "exec")
		if err != nil {
			t.Fatal(err)
		}
		return st.Inline["g"]
	}
	// This run widened the grant to a+b and will narrow it to a.
	p := &Plan{
		ExecRole: roles.Plan{Name: "exec", Put: map[string]string{"g": grant(a, b)}},
		Narrow:   &GrantChange{Policy: "g", Doc: grant(a), Before: grant(b)},
	}
	clients := Clients{IAM: c}

	put(grant(a, b, other)) // another run widened it meanwhile
	var out lines
	if err := narrowGrant(ctx, clients, p, &out, NewReport("deploy.yaml")); err != nil {
		t.Fatal(err)
	}
	if !samePolicy(now(), grant(a, b, other)) {
		t.Errorf("a grant changed meanwhile was narrowed to %s", now())
	}
	if len(out) != 1 || !strings.Contains(out[0], "changed while this run waited") {
		t.Errorf("output %q, want one line saying the grant was left", out)
	}

	put(grant(a, b)) // what this run left
	if err := narrowGrant(ctx, clients, p, &out, NewReport("deploy.yaml")); err != nil {
		t.Fatal(err)
	}
	if !samePolicy(now(), grant(a)) {
		t.Errorf("the grant this run left was not narrowed: %s", now())
	}
}
