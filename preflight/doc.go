// Package preflight checks, before launch's first write, that a deploy can
// succeed: the agents' subnets and security groups exist in one VPC, the
// cluster exists or will be created, the secrets are usable, private ECR
// images exist, the deploying identity may call what deploy calls, and the
// role policies fit IAM's quotas. It reads only; the orchestrator hands in
// every value it already resolved, and prints Result.Tree.
package preflight
