package rollout_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/launchdeploy/launch/internal/awsconf"
	"github.com/launchdeploy/launch/internal/emulator"
	"github.com/launchdeploy/launch/internal/policy"
	"github.com/launchdeploy/launch/rollout"
	"github.com/launchdeploy/launch/spec"
)

// faultsAtOnce is the retryer of tests that inject AWS faults and expect
// each to surface at once: it retries nothing but a connection the
// emulator's server resets, which it does now and then under load (the SDK
// reports it as "use of closed network connection", aws-sdk-go-v2#2737),
// and which launch's own retryer retries too.
func faultsAtOnce() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.Retryables = []retry.IsErrorRetryable{retry.RetryableConnectionError{}}
		o.MaxAttempts = 3
		o.RateLimiter = ratelimit.None
	})
}

// env is one integration test's emulator: reset, with a network and the
// variables a spec refers to. Tests read results back with the SDK, never
// through launch's own packages.
type env struct {
	t    *testing.T
	h    *emulator.Harness
	cfg  aws.Config
	net  emulator.Network
	vars map[string]string
	dir  string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	h := emulator.NewHarness(t)
	h.Reset(t)
	h.SetDeploymentDuration(t, 300*time.Millisecond)
	cfg := emulator.Config(t)
	e := &env{t: t, h: h, cfg: cfg, net: emulator.CreateNetwork(t, cfg), dir: t.TempDir()}
	e.vars = map[string]string{
		"SUBNET_1": e.net.Subnets[0], "SUBNET_2": e.net.Subnets[1], "SECURITY_GROUP": e.net.SecurityGroups[0],
		"REGION": cfg.Region,
	}
	// launch never reads a secret's value: check every test's request log.
	t.Cleanup(func() {
		if n := emulator.CountActions(h.Requests(t))["secretsmanager:GetSecretValue"]; n != 0 {
			t.Errorf("launch called GetSecretValue %d times", n)
		}
	})
	return e
}

// spec writes yaml as deploy.yaml in the test's directory and loads it.
func (e *env) spec(yaml string) *spec.Spec {
	e.t.Helper()
	path := filepath.Join(e.dir, "deploy.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		e.t.Fatal(err)
	}
	sp, err := spec.Load(path, func(k string) (string, bool) { v, ok := e.vars[k]; return v, ok })
	if err != nil {
		e.t.Fatalf("load spec: %v", err)
	}
	return sp
}

// deploy runs a whole rollout in-process with a fresh call counter.
func (e *env) deploy(sp *spec.Spec, opts rollout.Options) (*rollout.Report, awsconf.Calls, error) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cfg, counter, err := awsconf.Load(ctx, awsconf.Options{Region: e.cfg.Region, EndpointURL: aws.ToString(e.cfg.BaseEndpoint)})
	if err != nil {
		e.t.Fatal(err)
	}
	if opts.PollMin == 0 {
		opts.PollMin, opts.PollMax = 100*time.Millisecond, 500*time.Millisecond
	}
	rep := rollout.NewReport(sp.Path)
	err = rollout.Deploy(ctx, rollout.NewClients(cfg), sp, opts, quiet{e.t}, rep)
	return rep, counter.Snapshot(), err
}

// quiet logs progress through the test log.
type quiet struct{ t *testing.T }

func (q quiet) Printf(f string, a ...any) { q.t.Logf(f, a...) }
func (q quiet) Warnf(f string, a ...any)  { q.t.Logf("WARNING: "+f, a...) }
func (q quiet) Status(string)             {}
func (q quiet) Done()                     {}

func (e *env) iam() *iam.Client { return iam.NewFromConfig(e.cfg) }

// trustOf reads a role's trust policy back from IAM.
func (e *env) trustOf(name string) *policy.Document {
	e.t.Helper()
	out, err := e.iam().GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		e.t.Fatalf("GetRole %s: %v", name, err)
	}
	doc, err := policy.Parse(aws.ToString(out.Role.AssumeRolePolicyDocument))
	if err != nil {
		e.t.Fatal(err)
	}
	return doc
}

// inlinePolicy reads an inline policy back from IAM ("" when absent).
func (e *env) inlinePolicy(role, name string) string {
	e.t.Helper()
	out, err := e.iam().GetRolePolicy(context.Background(), &iam.GetRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(name)})
	if err != nil {
		if strings.Contains(err.Error(), "NoSuchEntity") {
			return ""
		}
		e.t.Fatalf("GetRolePolicy %s/%s: %v", role, name, err)
	}
	doc, _ := url.QueryUnescape(aws.ToString(out.PolicyDocument))
	return doc
}

func (e *env) attached(role string) []string {
	e.t.Helper()
	out, err := e.iam().ListAttachedRolePolicies(context.Background(), &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(role)})
	if err != nil {
		e.t.Fatal(err)
	}
	var arns []string
	for _, p := range out.AttachedPolicies {
		arns = append(arns, aws.ToString(p.PolicyArn))
	}
	return arns
}
