package rollout

import (
	"fmt"

	"github.com/launchdeploy/launch/secrets"
	"github.com/launchdeploy/launch/spec"
)

// InstanceTagKey is the tag launch puts, next to its ownership tag, on every
// regional resource it creates (task definitions, services, log groups,
// cluster): its value is the Instance that created the resource.
const InstanceTagKey = "launch:instance"

// Instance is one deployment instance of a spec: the same deploy.yaml run
// against one account, region and cluster. IAM is global, so roles are shared
// by every instance that names them; task definition families and log groups
// are per region; services are per cluster. Anything launch narrows, replaces
// or deletes is decided per instance, so one instance never takes away what
// another still uses.
type Instance struct {
	Partition string
	Account   string
	Region    string
	Cluster   string
}

// InstanceOf is the instance a run of sp by id deploys.
func InstanceOf(id Identity, sp *spec.Spec) Instance {
	return Instance{Partition: id.Partition, Account: id.Account, Region: id.Region, Cluster: sp.Cluster.Name}
}

// String is the instance as "<account>/<region>/<cluster>", the value of
// InstanceTagKey (every character is allowed in ECS, Logs and IAM tag values).
func (i Instance) String() string {
	return fmt.Sprintf("%s/%s/%s", i.Account, i.Region, i.Cluster)
}

// Validate says why the instance cannot be determined, or nil.
func (i Instance) Validate() error {
	switch {
	case i.Region == "":
		return fmt.Errorf("no AWS region: set region: in the spec, --region, or AWS_REGION")
	case i.Account == "":
		return fmt.Errorf("no AWS account: sts:GetCallerIdentity returned none")
	case i.Cluster == "":
		return fmt.Errorf("no cluster name in the spec")
	}
	return nil
}

// GrantPolicyName is the name of this instance's secrets grant on the
// execution role (see secrets.InstancePolicyName).
func (i Instance) GrantPolicyName() string {
	return secrets.InstancePolicyName(i.Region, i.Cluster)
}
