package preflight

import (
	"context"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"golang.org/x/sync/errgroup"
)

// Status is the outcome of one check.
type Status string

const (
	OK   Status = "OK"
	Fail Status = "FAIL"
	Skip Status = "SKIP"
)

// Check is one line of the preflight tree. A group's status is the worst of
// its children's: FAIL if any failed, SKIP if all were skipped, else OK.
type Check struct {
	Name     string  `json:"name"`
	Status   Status  `json:"status"`
	Reason   string  `json:"reason,omitempty"`
	Children []Check `json:"children,omitempty"`
}

// Result is every check, in a fixed order: networks (in agent order),
// cluster, secrets, what the task definitions read, images (in agent
// order), managed policies (in spec
// order), permissions, policy sizes.
type Result struct {
	Checks []Check `json:"checks"`
	// Err is the context's error when the run was interrupted (cancelled or
	// past its deadline); the interrupted checks FAIL with the reason
	// "interrupted". Check it before Failed to pick the exit code.
	Err error `json:"-"`
}

// Failed reports whether any check, at any depth, failed.
func (r Result) Failed() bool { return anyFailed(r.Checks) }

func anyFailed(cs []Check) bool {
	for _, c := range cs {
		if c.Status == Fail || anyFailed(c.Children) {
			return true
		}
	}
	return false
}

// Input is what the orchestrator already knows; preflight reads AWS only
// where the answer is not in it.
type Input struct {
	Account, Partition, Region, CallerARN string

	Agents  []Agent
	Cluster Cluster
	Secrets []Secret
	// RoleARNs are the task and execution roles; the caller needs
	// iam:PassRole on each.
	RoleARNs []string
	// Actions are the calls deploy will make and on what.
	Actions []ActionCheck
	Sizes   []Size
	// References are what the final task definitions read through the
	// execution role (see references.go).
	References []Reference
	// ManagedPolicies are the managed policies the roles will have
	// attached; each must exist.
	ManagedPolicies []ManagedPolicy
}

// Agent is one agent's image and network.
type Agent struct {
	Name           string
	Image          string
	Subnets        []string
	SecurityGroups []string
}

// Cluster says whether the ECS cluster exists, or will be created by deploy.
type Cluster struct {
	Name       string
	Exists     bool
	WillCreate bool
}

// Secret is one declared secret as the orchestrator resolved it (with
// DescribeSecret). Problem, when not empty, says why it cannot be used.
type Secret struct {
	ID, Ref, ARN string
	Problem      string
}

// ActionCheck is a set of IAM actions deploy calls on a set of resources
// (ARNs; none or "*" means any resource).
type ActionCheck struct {
	Action    string
	Resources []string
}

// Size is a measured policy size and its IAM quota, e.g. "trust policy of
// role X", 2100, 2048.
type Size struct {
	What  string
	Chars int
	Limit int
	// Unit is what Chars and Limit count; "" means characters.
	Unit string
}

// EC2API is the part of EC2 preflight reads.
type EC2API interface {
	DescribeSubnets(context.Context, *ec2.DescribeSubnetsInput, ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error)
	DescribeSecurityGroups(context.Context, *ec2.DescribeSecurityGroupsInput, ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error)
}

// ECRAPI is the part of ECR preflight reads.
type ECRAPI interface {
	DescribeImages(context.Context, *ecr.DescribeImagesInput, ...func(*ecr.Options)) (*ecr.DescribeImagesOutput, error)
}

// IAMAPI is the part of IAM preflight calls.
type IAMAPI interface {
	SimulatePrincipalPolicy(context.Context, *iam.SimulatePrincipalPolicyInput, ...func(*iam.Options)) (*iam.SimulatePrincipalPolicyOutput, error)
	GetPolicy(context.Context, *iam.GetPolicyInput, ...func(*iam.Options)) (*iam.GetPolicyOutput, error)
}

// Clients are the AWS clients of Input.Region. A nil client skips the
// checks that need it.
type Clients struct {
	EC2 EC2API
	ECR ECRAPI
	IAM IAMAPI
	SSM SSMAPI
	S3  S3API
}

// concurrency bounds the AWS reads in flight.
const concurrency = 8

// reasonInterrupted is the reason of a check cut short by the context.
const reasonInterrupted = "interrupted"

// run is the state shared by the checks of one Run.
type run struct {
	in          Input
	c           Clients
	interrupted atomic.Bool
}

// interruptedCheck records the interruption and returns the check for it.
func (r *run) interruptedCheck(name string) Check {
	r.interrupted.Store(true)
	return Check{Name: name, Status: Fail, Reason: reasonInterrupted}
}

// Run performs every check. It never returns an error: AWS errors become
// failed checks (or skipped ones when they only mean launch cannot look),
// and an interruption sets Result.Err. Independent reads run concurrently;
// the order of the result does not depend on their timing.
func Run(ctx context.Context, c Clients, in Input) Result {
	r := &run{in: in, c: c}
	nets := groupNetworks(in.Agents)
	images := distinctImages(in.Agents)
	policies := distinctPolicies(in.ManagedPolicies)

	netChecks := make([]Check, len(nets))
	imageChecks := make([]Check, len(images))
	policyChecks := make([]Check, len(policies))
	var perms []Check

	var g errgroup.Group
	g.SetLimit(concurrency)
	for i, n := range nets {
		g.Go(func() error { netChecks[i] = r.network(ctx, n); return nil })
	}
	for i, img := range images {
		g.Go(func() error { imageChecks[i] = r.image(ctx, img); return nil })
	}
	for i, p := range policies {
		g.Go(func() error { policyChecks[i] = r.managedPolicy(ctx, p); return nil })
	}
	// Permissions fan out on their own (bounded) group: started here so they
	// overlap with the reads above without holding one of their slots.
	done := make(chan struct{})
	go func() { defer close(done); perms = r.permissions(ctx) }()
	var refs Check
	var hasRefs bool
	refsDone := make(chan struct{})
	go func() { defer close(refsDone); refs, hasRefs = r.referencesCheck(ctx) }()
	_ = g.Wait()
	<-done
	<-refsDone

	var res Result
	res.Checks = append(res.Checks, netChecks...)
	res.Checks = append(res.Checks, clusterCheck(in.Cluster))
	if c, ok := secretsCheck(in.Secrets); ok {
		res.Checks = append(res.Checks, c)
	}
	if hasRefs {
		res.Checks = append(res.Checks, refs)
	}
	res.Checks = append(res.Checks, imageChecks...)
	if len(policyChecks) > 0 {
		res.Checks = append(res.Checks, group("managed policies", policyChecks))
	}
	res.Checks = append(res.Checks, perms...)
	if c, ok := sizesCheck(in.Sizes); ok {
		res.Checks = append(res.Checks, c)
	}
	if r.interrupted.Load() {
		res.Err = ctx.Err()
		if res.Err == nil {
			res.Err = context.Canceled
		}
	}
	return res
}

// group makes a parent check from its children.
func group(name string, children []Check) Check {
	return Check{Name: name, Status: worst(children), Children: children}
}

// worst is FAIL if any child failed, SKIP if every child was skipped (or
// there is none), else OK.
func worst(cs []Check) Status {
	st := Skip
	for _, c := range cs {
		switch c.Status {
		case Fail:
			return Fail
		case OK:
			st = OK
		}
	}
	return st
}
