// Package awsconf builds the one aws.Config a launch run uses and counts
// every AWS call made through it, reads and writes apart, by action.
package awsconf

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go/middleware"
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
			})
		}),
		config.WithAPIOptions([]func(*middleware.Stack) error{counter.register}),
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

// EndpointFromEnv reports the endpoint override in effect, for messages.
func EndpointFromEnv(opts Options) string {
	if opts.EndpointURL != "" {
		return opts.EndpointURL
	}
	return os.Getenv("AWS_ENDPOINT_URL")
}

// Counter counts AWS operations by "service:Action". It counts each logical
// call once, however many attempts the retryer made.
type Counter struct {
	mu     sync.Mutex
	counts map[string]int
}

// NewCounter returns an empty Counter.
func NewCounter() *Counter { return &Counter{counts: map[string]int{}} }

func (c *Counter) register(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("launchCallCounter",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			c.Add(awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx))
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
}

// Add records one call; service is the SDK's service ID ("IAM", "ECS").
func (c *Counter) Add(service, action string) {
	key := strings.ToLower(strings.ReplaceAll(service, " ", "")) + ":" + action
	c.mu.Lock()
	c.counts[key]++
	c.mu.Unlock()
}

// Calls is a snapshot of the counts, split into reads and writes.
type Calls struct {
	Reads  map[string]int `json:"reads"`
	Writes map[string]int `json:"writes"`
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
	out := Calls{Reads: map[string]int{}, Writes: map[string]int{}}
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
