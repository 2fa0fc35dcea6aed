package rollout_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/launchdeploy/launch/internal/awsconf"
	"github.com/launchdeploy/launch/internal/emulator"
	"github.com/launchdeploy/launch/rollout"
)

// grantOf reads an inline policy back with iam:GetRolePolicy and returns
// its statements as action → resources (every statement must be launch's
// Allow shape, with the Sid launch gives that action).
func grantOf(t *testing.T, e *env, role, name string) map[string][]string {
	t.Helper()
	doc := e.inlinePolicy(role, name)
	if doc == "" {
		t.Fatalf("role %s has no inline policy %s", role, name)
	}
	var p struct {
		Statement []struct {
			Sid, Effect string
			Action      any
			Resource    any
			Condition   any
		}
	}
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		t.Fatalf("policy %s: %v", doc, err)
	}
	sids := map[string]string{
		"secretsmanager:GetSecretValue": "ReadAgentSecrets", "kms:Decrypt": "DecryptAgentSecrets",
		"ssm:GetParameters": "ReadAgentParameters", "s3:GetObject": "ReadAgentEnvironmentFiles",
		"s3:GetBucketLocation": "LocateAgentEnvironmentFileBuckets",
	}
	out := map[string][]string{}
	for _, s := range p.Statement {
		action, ok := s.Action.(string)
		if !ok || s.Effect != "Allow" || s.Condition != nil || sids[action] != s.Sid {
			t.Errorf("statement %+v is not launch's shape", s)
			continue
		}
		switch r := s.Resource.(type) {
		case string:
			out[action] = append(out[action], r)
		case []any:
			for _, x := range r {
				out[action] = append(out[action], x.(string))
			}
		}
		slices.Sort(out[action])
	}
	return out
}

func grantName(region, cluster string) string { return "launch-secrets-" + region + "-" + cluster }

// baseReads is a base task definition whose agent container reads an SSM
// parameter by name, one by ARN, another secret by full ARN with a JSON key,
// an S3 environment file and private registry credentials, and whose
// sidecar's log driver reads a parameter (shapes from AWS's docs, see
// testdata/SOURCES.md in secrets/).
func baseReads(region, account, otherSecret, registrySecret string) string {
	return fmt.Sprintf(`{
  "family": "agent-a",
  "networkMode": "awsvpc",
  "requiresCompatibilities": ["FARGATE"],
  "cpu": "1024",
  "memory": "4096",
  "containerDefinitions": [
    {
      "name": "agent-a",
      "image": "registry.example.com/agent:1",
      "essential": true,
      "repositoryCredentials": {"credentialsParameter": %q},
      "environmentFiles": [{"value": "arn:aws:s3:::agent-config/env/agent.env", "type": "s3"}],
      "secrets": [
        {"name": "DB_PASSWORD", "valueFrom": "/agent/db-password"},
        {"name": "API_TOKEN", "valueFrom": "arn:aws:ssm:%s:%s:parameter/agent-token"},
        {"name": "OTHER_PASSWORD", "valueFrom": "%s:password::"}
      ]
    },
    {
      "name": "log-shipper",
      "image": "public.ecr.aws/docker/library/busybox:stable",
      "essential": false,
      "logConfiguration": {
        "logDriver": "splunk",
        "options": {"splunk-url": "https://splunk.example.com:8088"},
        "secretOptions": [{"name": "splunk-token", "valueFrom": "/agent/splunk-token"}]
      }
    }
  ]
}`, registrySecret, region, account, otherSecret)
}

type readsFixture struct {
	other, registry string
	account         string
}

// createReads creates in the emulator what baseReads refers to, except the
// parameters named in skip.
func createReads(t *testing.T, e *env, skip ...string) readsFixture {
	t.Helper()
	ctx := context.Background()
	f := readsFixture{
		other:    emulator.CreateSecret(t, e.cfg, "agent/other", `{"password":"p"}`, ""),
		registry: emulator.CreateSecret(t, e.cfg, "registry/creds", `{"username":"u","password":"p"}`, ""),
	}
	for _, name := range []string{"/agent/db-password", "agent-token", "/agent/splunk-token"} {
		if slices.Contains(skip, name) {
			continue
		}
		if _, err := ssm.NewFromConfig(e.cfg).PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String("v"), Type: ssmtypes.ParameterTypeSecureString}); err != nil {
			t.Fatal(err)
		}
	}
	s3c := s3.NewFromConfig(e.cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("agent-config")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("agent-config"), Key: aws.String("env/agent.env"), Body: strings.NewReader("A=1\n")}); err != nil {
		t.Fatal(err)
	}
	who, err := sts.NewFromConfig(e.cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	f.account = aws.ToString(who.Account) // moto's 123456789012, LocalStack's 000000000000
	return f
}

// withBase writes base as base.json beside the spec and adds it to the agent.
func withBase(t *testing.T, e *env, yaml, base string) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(e.dir, "base.json"), []byte(base), 0o644); err != nil {
		t.Fatal(err)
	}
	return strings.Replace(yaml, "    image: example.com/agent:1\n", "    image: example.com/agent:1\n    baseTaskDefinition: base.json\n", 1)
}

func TestBaseTaskDefinitionReadsAreGrantedExactly(t *testing.T) {
	e := newEnv(t)
	creds := emulator.CreateSecret(t, e.cfg, "agent/creds", `{"client_id":"x"}`, "")
	f := createReads(t, e)
	r := e.cfg.Region
	sp := e.spec(withBase(t, e, specYAML(map[string]string{"creds": "agent/creds"}, "      ID: {secret: creds, key: client_id}\n"),
		baseReads(r, f.account, f.other, f.registry)))
	if _, _, err := e.deploy(sp, rollout.Options{NoWait: true}); err != nil {
		t.Fatal(err)
	}
	got := grantOf(t, e, "app-exec", grantName(r, "apps"))
	param := func(name string) string { return fmt.Sprintf("arn:aws:ssm:%s:%s:parameter/%s", r, f.account, name) }
	want := map[string][]string{
		"secretsmanager:GetSecretValue": sorted(creds, f.other, f.registry),
		"ssm:GetParameters":             sorted(param("agent/db-password"), param("agent-token"), param("agent/splunk-token")),
		"s3:GetObject":                  {"arn:aws:s3:::agent-config/env/agent.env"},
		"s3:GetBucketLocation":          {"arn:aws:s3:::agent-config"},
	}
	if !maps.EqualFunc(got, want, slices.Equal) {
		t.Errorf("grant:\n got %v\nwant %v", got, want)
	}
	if doc := e.inlinePolicy("app-exec", "launch-secrets-access"); doc != "" {
		t.Errorf("the single pre-instance grant was written: %s", doc)
	}
	// A rerun writes nothing to IAM.
	_, calls, err := e.deploy(sp, rollout.Options{NoWait: true})
	if err != nil {
		t.Fatal(err)
	}
	if n := calls.WritesTo("iam"); n != 0 {
		t.Errorf("rerun made %d IAM writes: %v", n, calls.Writes)
	}
}

func TestPreflightNamesMissingReferences(t *testing.T) {
	e := newEnv(t)
	emulator.CreateSecret(t, e.cfg, "agent/creds", `{"client_id":"x"}`, "")
	f := createReads(t, e, "agent-token")
	r := e.cfg.Region
	missingSecret := fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:agent/gone-AbCdEf", r, f.account)
	sp := e.spec(withBase(t, e, specYAML(map[string]string{"creds": "agent/creds"}, "      ID: {secret: creds, key: client_id}\n"),
		baseReads(r, f.account, missingSecret, f.registry)))
	_, calls, err := e.deploy(sp, rollout.Options{NoWait: true})
	var pe *rollout.PreflightError
	if !errors.As(err, &pe) {
		t.Fatalf("want a preflight failure, got %v", err)
	}
	for _, want := range []string{
		"SSM parameter agent-token does not exist in " + r,
		`secret "` + missingSecret + `" not found`,
		"agent agent-a container agent-a secrets[API_TOKEN]",
		"agent agent-a container agent-a secrets[OTHER_PASSWORD]",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("preflight error lacks %q:\n%s", want, err)
		}
	}
	for _, ok := range []string{"/agent/db-password", "agent-config/env/agent.env", f.registry} {
		if strings.Contains(err.Error(), ok) {
			t.Errorf("preflight error names %s, which exists:\n%s", ok, err)
		}
	}
	if calls.TotalWrites() != 0 {
		t.Errorf("writes before failing: %v", calls.Writes)
	}
}

func sorted(s ...string) []string { slices.Sort(s); return s }

// region is one region's network, variables and secrets.
type region struct {
	name    string
	vars    map[string]string
	a, b    string // the ARNs of agent/a and agent/b there
	emuConf aws.Config
}

func (e *env) region(name string) region {
	e.t.Helper()
	cfg := e.cfg.Copy()
	cfg.Region = name
	n := emulator.CreateNetwork(e.t, cfg)
	return region{
		name: name, emuConf: cfg,
		vars: map[string]string{"SUBNET_1": n.Subnets[0], "SUBNET_2": n.Subnets[1], "SECURITY_GROUP": n.SecurityGroups[0], "REGION": name},
		a:    emulator.CreateSecret(e.t, cfg, "agent/a", `{"k":"v"}`, ""),
		b:    emulator.CreateSecret(e.t, cfg, "agent/b", `{"k":"v"}`, ""),
	}
}

// deployIn deploys yaml in r (the same file, its variables filled for r).
func (e *env) deployIn(r region, yaml string, opts rollout.Options) awsconf.Calls {
	e.t.Helper()
	saved := e.vars
	e.vars = r.vars
	sp := e.spec(yaml)
	e.vars = saved
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cfg, counter, err := awsconf.Load(ctx, awsconf.Options{Region: r.name, EndpointURL: aws.ToString(e.cfg.BaseEndpoint)})
	if err != nil {
		e.t.Fatal(err)
	}
	opts.PollMin, opts.PollMax = 100*time.Millisecond, 500*time.Millisecond
	if err := rollout.Deploy(ctx, rollout.NewClients(cfg), sp, opts, quiet{e.t}, rollout.NewReport(sp.Path)); err != nil {
		e.t.Fatalf("deploy in %s: %v", r.name, err)
	}
	return counter.Snapshot()
}

func TestTwoRegionsKeepTheirOwnGrants(t *testing.T) {
	e := newEnv(t)
	eu, us := e.region("eu-west-1"), e.region("us-east-1")
	both := specYAML(map[string]string{"a": "agent/a", "b": "agent/b"}, "      A: {secret: a}\n      B: {secret: b}\n")
	e.deployIn(eu, both, rollout.Options{})
	e.deployIn(us, both, rollout.Options{})

	check := func(when string, r region, want ...string) {
		t.Helper()
		got := grantOf(t, e, "app-exec", grantName(r.name, "apps"))
		if w := map[string][]string{"secretsmanager:GetSecretValue": sorted(want...)}; !maps.EqualFunc(got, w, slices.Equal) {
			t.Errorf("%s: %s grant %v, want %v", when, r.name, got, w)
		}
	}
	check("after both deploys", eu, eu.a, eu.b)
	check("after both deploys", us, us.a, us.b)

	// Reruns, alternately: no IAM write, whatever the other region holds.
	for _, r := range []region{eu, us, eu} {
		if calls := e.deployIn(r, both, rollout.Options{}); calls.WritesTo("iam") != 0 {
			t.Errorf("rerun in %s made IAM writes: %v", r.name, calls.Writes)
		}
	}

	// eu-west-1 drops secret a: only eu-west-1's grant narrows, after its
	// deployment completed; us-east-1's is untouched.
	usBefore := e.inlinePolicy("app-exec", grantName(us.name, "apps"))
	onlyB := specYAML(map[string]string{"b": "agent/b"}, "      B: {secret: b}\n")
	e.deployIn(eu, onlyB, rollout.Options{NoWait: true})
	check("eu-west-1 removed a, not waited", eu, eu.a, eu.b)
	e.deployIn(eu, onlyB, rollout.Options{})
	check("eu-west-1 removed a", eu, eu.b)
	if after := e.inlinePolicy("app-exec", grantName(us.name, "apps")); after != usBefore {
		t.Errorf("us-east-1's grant changed when eu-west-1 narrowed:\nbefore %s\nafter  %s", usBefore, after)
	}
	check("eu-west-1 removed a", us, us.a, us.b)
	if calls := e.deployIn(us, both, rollout.Options{}); calls.WritesTo("iam") != 0 {
		t.Errorf("rerun in us-east-1 after eu-west-1 narrowed made IAM writes: %v", calls.Writes)
	}
}
