package rollout

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	"github.com/launchdeploy/launch/internal/emulator"
	"github.com/launchdeploy/launch/roles"
)

// A narrowing that cannot read the role, or cannot write the grant, fails
// the deploy with what it was doing and AWS's error, and leaves the grant
// as the deploy left it (wide enough for every task).
func TestNarrowingThatFailsSaysSoAndLeavesTheGrant(t *testing.T) {
	h := emulator.NewHarness(t)
	h.Reset(t)
	cfg := emulator.Config(t)
	cfg.Retryer = func() aws.Retryer { return aws.NopRetryer{} }
	c := iam.NewFromConfig(cfg)
	ctx := context.Background()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	wide := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":["arn:aws:secretsmanager:us-east-1:123456789012:secret:a-AbCdEf","arn:aws:secretsmanager:us-east-1:123456789012:secret:b-AbCdEf"]}]}`
	narrow := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":["arn:aws:secretsmanager:us-east-1:123456789012:secret:a-AbCdEf"]}]}`
	if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("exec"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("exec"), PolicyName: aws.String("g"), PolicyDocument: aws.String(wide)}); err != nil {
		t.Fatal(err)
	}
	p := &Plan{
		ExecRole: roles.Plan{Name: "exec", Put: map[string]string{"g": wide}},
		Narrow:   &GrantChange{Policy: "g", Doc: narrow, Before: narrow},
	}
	for _, action := range []string{"GetRole", "PutRolePolicy"} {
		h.InjectFault(t, emulator.Fault{Service: "iam", Action: action, Code: "AccessDenied", Status: 403, Message: "refused " + action})
		var out lines
		err := narrowGrant(ctx, Clients{IAM: c}, p, &out, NewReport("deploy.yaml"))
		var ae smithy.APIError
		if err == nil || !strings.HasPrefix(err.Error(), "narrow the secrets grant after the deployments completed: ") ||
			!errors.As(err, &ae) || ae.ErrorMessage() != "refused "+action {
			t.Errorf("%s refused: %v, want the narrowing's error wrapping the refusal", action, err)
		}
		if len(out) != 0 {
			t.Errorf("%s refused: progress %q, want nothing said narrowed", action, out)
		}
		st, err := roles.Read(ctx, c, "exec")
		if err != nil {
			t.Fatal(err)
		}
		if !samePolicy(st.Inline["g"], wide) {
			t.Errorf("%s refused: grant %s, want it left wide", action, st.Inline["g"])
		}
	}
}
