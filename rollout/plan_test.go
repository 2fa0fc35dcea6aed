package rollout

import (
	"testing"

	"github.com/launchdeploy/launch/roles"
	"github.com/launchdeploy/launch/secrets"
	"github.com/launchdeploy/launch/spec"
)

func TestNoSecretsLeftRevokesTheGrant(t *testing.T) {
	sp := &spec.Spec{}
	sp.ExecutionRole.Name = "exec"
	id := Identity{Account: "123456789012", Partition: "aws", Region: "eu-west-1"}
	old := secrets.GrantPolicy([]secrets.Secret{{ARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:a-AbCdEf"}}, true)
	st := &roles.State{Exists: true, ARN: "arn:aws:iam::123456789012:role/exec",
		Trust:  roles.NewTrustPolicy([]roles.TrustedService{{Service: roles.ECSTasksService}}),
		Inline: map[string]string{secrets.PolicyName: old}}
	p, err := roles.PlanFor(execRoleDesired(sp, id, map[string]secrets.Secret{}), st)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Delete) != 1 || p.Delete[0] != secrets.PolicyName {
		t.Errorf("a grant on \"*\" survives removing every secret: delete %v", p.Delete)
	}
}
