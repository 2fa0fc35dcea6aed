// Package preflight checks, before launch's first write, that a deploy can
// succeed: the network exists, secrets are usable, images exist, the
// deploying identity holds the permissions, and policies fit IAM's quotas.
package preflight

import _ "github.com/aws/aws-sdk-go-v2/service/ecr" // keeps the module required until the checks use it
