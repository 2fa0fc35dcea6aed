// Package awsconf builds the one aws.Config a launch run uses and counts
// every AWS call made through it, reads and writes apart, by action.
package awsconf

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/time/rate"
)

// Options are the command-line overrides of the SDK's default chain.
type Options struct {
	Region      string // --region, else the spec's region, else the SDK chain
	Profile     string // --profile
	EndpointURL string // --endpoint-url; AWS_ENDPOINT_URL is honoured by the SDK itself
}

// MaxAttempts bounds the SDK's own retries of throttling, 5xx and
// connection faults for every call.
const MaxAttempts = 8

// Load returns an aws.Config from the SDK's default chain (environment,
// shared profiles, SSO, web identity, IMDS) with opts applied, and the
// Counter that sees every call made with it.
func Load(ctx context.Context, opts Options) (aws.Config, *Counter, error) {
	counter := NewCounter()
	loaders := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = MaxAttempts
				o.MaxBackoff = 20 * time.Second
				// Throttled calls are retried up to MaxAttempts each: the
				// SDK's shared retry quota would otherwise fail a fleet's
				// calls after a few dozen throttles.
				o.RateLimiter = ratelimit.None
			})
		}),
		config.WithAPIOptions([]func(*middleware.Stack) error{counter.register, newQuotas().register}),
	}
	if opts.Region != "" {
		loaders = append(loaders, config.WithRegion(opts.Region))
	}
	if opts.Profile != "" {
		loaders = append(loaders, config.WithSharedConfigProfile(opts.Profile))
	}
	if opts.EndpointURL != "" {
		loaders = append(loaders, config.WithBaseEndpoint(opts.EndpointURL))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loaders...)
	if err != nil {
		return aws.Config{}, nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return aws.Config{}, nil, fmt.Errorf("no AWS region: set region: in the spec, pass --region, or export AWS_REGION")
	}
	return cfg, counter, nil
}

// quota is a documented request rate of one AWS operation: a token bucket
// of burst requests refilled at rate per second.
type quota struct {
	burst int
	rate  rate.Limit
}

// quotas are request rates launch keeps to once AWS throttles a call, by
// "<SDK service ID>.<operation>": from the first ThrottlingException on,
// the call's attempts wait for a token of a bucket sized to AWS's, empty at
// first as AWS's is, so a fleet's calls are spread at the rate AWS allows
// instead of retried with growing backoff. Until then nothing waits: an
// account whose quota was raised is not slowed down.
//
// RegisterTaskDefinition: about 1 per second sustained, 20 burst
// (amazon-ecs-deploy-task-definition#502; ECS throttles per account and
// Region with token buckets: "Request throttling for the Amazon ECS API").
// Other calls stay within their buckets at launch's concurrency, and the
// retryer absorbs what other clients of the account take.
var quotas = map[string]quota{
	"ECS.RegisterTaskDefinition": {burst: 20, rate: 1},
}

// pacer is one operation's pacing: nil until AWS first throttles it.
type pacer struct {
	q   quota
	mu  sync.Mutex
	lim *rate.Limiter
}

func (p *pacer) wait(ctx context.Context) error {
	p.mu.Lock()
	lim := p.lim
	p.mu.Unlock()
	if lim == nil {
		return nil
	}
	return lim.Wait(ctx)
}

// throttled engages the pacing with an empty bucket: AWS's is empty now.
func (p *pacer) throttled() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.lim == nil {
		p.lim = rate.NewLimiter(p.q.rate, p.q.burst)
		p.lim.AllowN(time.Now(), p.q.burst)
	}
}

// pacers hold one run's pacing, one per operation in quotas.
type pacers map[string]*pacer

func newQuotas() pacers {
	ps := pacers{}
	for op, q := range quotas {
		ps[op] = &pacer{q: q}
	}
	return ps
}

// isThrottle is the SDK's own test for a throttling error.
var isThrottle = retry.IsErrorThrottles(retry.DefaultThrottles)

// register paces every attempt of a call in quotas (after the retryer, so
// a retried attempt waits for a token too) and engages the pacing when an
// attempt is throttled.
func (ps pacers) register(stack *middleware.Stack) error {
	return stack.Finalize.Insert(middleware.FinalizeMiddlewareFunc("launchQuota",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			p := ps[awsmiddleware.GetServiceID(ctx)+"."+awsmiddleware.GetOperationName(ctx)]
			if p == nil {
				return next.HandleFinalize(ctx, in)
			}
			if err := p.wait(ctx); err != nil {
				return middleware.FinalizeOutput{}, middleware.Metadata{}, err
			}
			out, md, err := next.HandleFinalize(ctx, in)
			if err != nil && isThrottle.IsErrorThrottle(err) == aws.TrueTernary {
				p.throttled()
			}
			return out, md, err
		}), "Retry", middleware.After)
}

// EndpointFromEnv reports the endpoint override in effect, for messages.
func EndpointFromEnv(opts Options) string {
	if opts.EndpointURL != "" {
		return opts.EndpointURL
	}
	return os.Getenv("AWS_ENDPOINT_URL")
}

// Counter counts AWS operations by "service:Action". It counts each logical
// call once, however many attempts the retryer made, and keeps when each
// call started and ended to measure how many calls had to wait for others
// (Calls.Levels).
type Counter struct {
	mu     sync.Mutex
	counts map[string]int
	origin time.Time
	spans  []span
}

// span is one logical call's start and end, as offsets from Counter.origin.
type span struct{ start, end time.Duration }

// NewCounter returns an empty Counter.
func NewCounter() *Counter { return &Counter{counts: map[string]int{}, origin: time.Now()} }

func (c *Counter) register(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("launchCallCounter",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			start := time.Since(c.origin)
			out, md, err := next.HandleInitialize(ctx, in)
			c.add(awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx), span{start, time.Since(c.origin)})
			return out, md, err
		}), middleware.After)
}

// Add records one call; service is the SDK's service ID ("IAM", "ECS").
func (c *Counter) Add(service, action string) {
	now := time.Since(c.origin)
	c.add(service, action, span{now, now})
}

func (c *Counter) add(service, action string, s span) {
	key := strings.ToLower(strings.ReplaceAll(service, " ", "")) + ":" + action
	c.mu.Lock()
	c.counts[key]++
	c.spans = append(c.spans, s)
	c.mu.Unlock()
}

// Calls is a snapshot of the counts, split into reads and writes.
type Calls struct {
	Reads  map[string]int `json:"reads"`
	Writes map[string]int `json:"writes"`
	// Levels is the length of the longest chain of calls each of which
	// started only after the one before it had ended: the round trips a
	// run waited for one after another. Calls made together count once.
	Levels int `json:"levels"`
}

// levels is the longest chain of spans in which each one starts after the
// previous one ended. A call's level is one more than the highest level
// among the calls that had ended when it started.
func levels(spans []span) int {
	s := slices.Clone(spans)
	slices.SortFunc(s, func(a, b span) int { return cmp.Compare(a.start, b.start) })
	level := make([]int, len(s))
	longest := 0
	for i := range s {
		level[i] = 1
		for j := range i {
			if s[j].end <= s[i].start && level[j]+1 > level[i] {
				level[i] = level[j] + 1
			}
		}
		longest = max(longest, level[i])
	}
	return longest
}

// TotalReads is the number of read calls.
func (c Calls) TotalReads() int { return sum(c.Reads) }

// TotalWrites is the number of write calls.
func (c Calls) TotalWrites() int { return sum(c.Writes) }

// WritesTo counts the write calls made to one service ("iam", "ecs").
func (c Calls) WritesTo(service string) int {
	n := 0
	for k, v := range c.Writes {
		if strings.HasPrefix(k, service+":") {
			n += v
		}
	}
	return n
}

// Snapshot returns the counts so far.
func (c *Counter) Snapshot() Calls {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := Calls{Reads: map[string]int{}, Writes: map[string]int{}, Levels: levels(c.spans)}
	for k, v := range c.counts {
		if IsRead(k[strings.IndexByte(k, ':')+1:]) {
			out.Reads[k] = v
		} else {
			out.Writes[k] = v
		}
	}
	return out
}

// IsRead reports whether an AWS action only reads. Every AWS API launch
// uses follows the naming convention: reads are Describe*, Get*, List*, and
// STS's GetCallerIdentity, IAM's SimulatePrincipalPolicy and S3's HeadObject.
func IsRead(action string) bool {
	for _, p := range []string{"Describe", "Get", "List", "Simulate", "Head"} {
		if strings.HasPrefix(action, p) {
			return true
		}
	}
	return false
}

// Keys returns the map's keys sorted, for stable output.
func Keys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
