package rollout

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/launchdeploy/launch/secrets"
	"github.com/launchdeploy/launch/spec"
	"github.com/launchdeploy/launch/taskdef"
)

// Rendered is one agent's RegisterTaskDefinition input, built offline.
type Rendered struct {
	Agent string
	Input *ecs.RegisterTaskDefinitionInput
}

// Render builds every agent's task definition without calling AWS: roles
// appear by name (ECS accepts a role name where it takes an ARN), secrets as
// written in the spec (with ":key::" for a JSON key), and the region is the
// spec's (or region when given).
func Render(sp *spec.Spec, region string) ([]Rendered, error) {
	return RenderIn(sp, Identity{Region: region})
}

// RenderIn is Render for a known account: with id.Account set, the roles
// appear as the ARNs IAM gives roles launch creates (arn:<partition>:iam::
// <account>:role/<name>, partition "aws" unless id says otherwise), and the
// tags carry the deployment instance (account, region, cluster), exactly as
// deploy registers them.
func RenderIn(sp *spec.Spec, id Identity) ([]Rendered, error) {
	region := id.Region
	if region == "" {
		region = sp.Region
	}
	taskRole, execRole := sp.TaskRole.Name, sp.ExecutionRole.Name
	if id.Account != "" {
		if id.Partition == "" {
			id.Partition = "aws"
		}
		taskRole, execRole = roleARN(id, taskRole, nil), roleARN(id, execRole, nil)
	}
	var out []Rendered
	for _, a := range sp.Agents {
		in, err := taskDefInput(sp, a, region, taskRole, execRole, func(ref spec.SecretRef) string {
			return secrets.ValueFrom(sp.Secrets[ref.Secret], ref.Key)
		})
		if err != nil {
			return nil, err
		}
		if inst := InstanceOf(Identity{Account: id.Account, Region: region}, sp); inst.Validate() == nil {
			in.Tags[InstanceTagKey] = inst.String()
		}
		td, err := taskdef.Build(in)
		if err != nil {
			return nil, fmt.Errorf("agent %s: %w", a.Name, err)
		}
		out = append(out, Rendered{Agent: a.Name, Input: td})
	}
	return out, nil
}
