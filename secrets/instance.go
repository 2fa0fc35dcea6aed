package secrets

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
)

// InstancePolicyPrefix starts the name of every per-instance grant launch
// puts on an execution role; PolicyName (launch-secrets-access) is the
// single grant of launch versions before per-instance grants.
const InstancePolicyPrefix = "launch-secrets-"

// maxPolicyName is IAM's limit on an inline policy's name.
const maxPolicyName = 128

var policyNameRE = regexp.MustCompile(`^[\w+=,.@-]+$`)

// InstancePolicyName is the inline policy holding the grant of the
// deployment instance in region and cluster: "launch-secrets-<region>-<cluster>".
// A name IAM would refuse (too long, or a character outside [\w+=,.@-]) is
// shortened to a prefix and a hash, so it stays stable and unique.
func InstancePolicyName(region, cluster string) string {
	name := InstancePolicyPrefix + region + "-" + cluster
	if len(name) <= maxPolicyName && policyNameRE.MatchString(name) {
		return name
	}
	sum := sha256.Sum256([]byte(region + "/" + cluster))
	short := InstancePolicyPrefix + region + "-" + hex.EncodeToString(sum[:8])
	return short
}
