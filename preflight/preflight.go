package preflight

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
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
	// Networks, when set, are the network checks BeginNetworks started
	// for Agents; Run waits for them instead of checking again.
	Networks *Networks
}

// Networks are network checks started ahead of the others by BeginNetworks.
type Networks struct {
	done        chan struct{}
	checks      []Check
	interrupted bool
}

// BeginNetworks starts checking the agents' subnets and security groups in
// region and returns at once. The checks need only the spec, so a caller
// starts them with its own reads and hands the result to Run in
// Input.Networks.
func BeginNetworks(ctx context.Context, c Clients, region string, agents []Agent) *Networks {
	n := &Networks{done: make(chan struct{})}
	go func() {
		defer close(n.done)
		r := &run{in: Input{Region: region, Agents: agents}, c: c}
		n.checks = r.networks(ctx)
		n.interrupted = r.interrupted.Load()
	}()
	return n
}

// networks checks every distinct network of the agents, concurrently.
func (r *run) networks(ctx context.Context) []Check {
	nets := groupNetworks(r.in.Agents)
	checks := make([]Check, len(nets))
	var g errgroup.Group
	g.SetLimit(concurrency)
	for i, n := range nets {
		g.Go(func() error { checks[i] = r.network(ctx, n); return nil })
	}
	_ = g.Wait()
	return checks
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

// advisoryRetry is the retry budget of an advisory call (a simulation, a
// policy lookup): one retry after a short pause. A fault makes its check
// SKIP; it is not worth the full budget, nor seconds of backoff (an
// emulator without the call answers 500 every time).
func advisoryRetry(o *iam.Options) {
	o.RetryMaxAttempts = 2
	o.Retryer = retry.AddWithMaxBackoffDelay(o.Retryer, 200*time.Millisecond)
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
	images := distinctImages(in.Agents)
	policies := distinctPolicies(in.ManagedPolicies)

	var netChecks []Check
	imageChecks := make([]Check, len(images))
	policyChecks := make([]Check, len(policies))
	var perms []Check

	var g errgroup.Group
	g.SetLimit(concurrency)
	netsDone := make(chan struct{})
	go func() {
		defer close(netsDone)
		if in.Networks == nil {
			netChecks = r.networks(ctx)
			return
		}
		<-in.Networks.done
		netChecks = in.Networks.checks
		if in.Networks.interrupted {
			r.interrupted.Store(true)
		}
	}()
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
	<-netsDone

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
