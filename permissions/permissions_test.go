package permissions_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/launchdeploy/launch/permissions"
	"github.com/launchdeploy/launch/spec"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// rootEnv is the environment the repository's deploy.yaml is loaded with.
var rootEnv = map[string]string{
	"AGENT_IMAGE":          "public.ecr.aws/matillion/streaming-agent:stable",
	"MATILLION_ACCOUNT_ID": "1234",
	"MATILLION_AGENT_ID":   "agent-1",
	"SUBNET_1":             "subnet-0aaa",
	"SUBNET_2":             "subnet-0bbb",
	"SECURITY_GROUP":       "sg-0ccc",
	"AWS_REGION":           "eu-west-1",
}

func load(t *testing.T, path string) *spec.Spec {
	t.Helper()
	sp, err := spec.Load(path, func(k string) (string, bool) { v, ok := rootEnv[k]; return v, ok })
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	return sp
}

func input(sp *spec.Spec) permissions.Input {
	return permissions.Input{Spec: sp, Partition: "aws", Region: "eu-west-1", Account: "123456789012"}
}

var cases = map[string]string{
	"root":         "../deploy.yaml",
	"three-agents": "testdata/three-agents.yaml",
}

func TestGolden(t *testing.T) {
	for name, path := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := permissions.For(input(load(t, path))).JSON()
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", name+".golden.json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./permissions -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("policy differs from %s (rerun with -update if intended):\n%s", golden, got)
			}
		})
	}
}

func TestValidJSONWithinLimitAndWellFormed(t *testing.T) {
	for name, path := range cases {
		t.Run(name, func(t *testing.T) {
			p := permissions.For(input(load(t, path)))
			b, err := p.JSON()
			if err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Version   string
				Statement []map[string]any
			}
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&doc); err != nil {
				t.Fatalf("not valid JSON: %v", err)
			}
			if doc.Version != "2012-10-17" {
				t.Errorf("Version %q", doc.Version)
			}
			if n := p.Size(); n > permissions.MaxManagedPolicyChars || n < 500 {
				t.Errorf("size %d: want 500..%d", n, permissions.MaxManagedPolicyChars)
			}
			sids := map[string]bool{}
			for _, s := range p.Statement {
				if s.Sid == "" || sids[s.Sid] || strings.Trim(s.Sid, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") != "" {
					t.Errorf("Sid %q: must be unique and alphanumeric", s.Sid)
				}
				sids[s.Sid] = true
				if s.Effect != "Allow" || len(s.Action) == 0 || len(s.Resource) == 0 {
					t.Errorf("statement %s is incomplete: %+v", s.Sid, s)
				}
				for _, a := range s.Action {
					if svc, op, ok := strings.Cut(a, ":"); !ok || svc == "" || op == "" || strings.Contains(a, "*") {
						t.Errorf("statement %s: action %q is not service:Operation", s.Sid, a)
					}
				}
				for _, r := range s.Resource {
					checkARN(t, s, r)
				}
			}
		})
	}
}

// checkARN checks that r parses as an ARN of the statement's service, in the
// partition, region and account given (IAM ARNs have no region).
func checkARN(t *testing.T, s permissions.Statement, r string) {
	t.Helper()
	if r == "*" {
		if !slices.Contains([]string{"ECSReadTaskDefinitions", "PreflightReadNetwork"}, s.Sid) {
			t.Errorf("statement %s allows \"*\": only actions without a resource type may", s.Sid)
		}
		return
	}
	a, err := arn.Parse(r)
	if err != nil {
		t.Errorf("statement %s: resource %q is not an ARN: %v", s.Sid, r, err)
		return
	}
	svc, _, _ := strings.Cut(s.Action[0], ":")
	if a.Service != svc || a.Partition != "aws" {
		t.Errorf("statement %s: resource %q is not an aws %s ARN", s.Sid, r, svc)
	}
	wantRegion := "eu-west-1"
	if svc == "iam" {
		wantRegion = ""
	}
	awsManaged := svc == "iam" && a.AccountID == "aws" && strings.HasPrefix(a.Resource, "policy/") // AWS-managed policies
	if a.Region != wantRegion || (a.AccountID != "123456789012" && !strings.Contains(r, ":111122223333:") && !awsManaged) {
		t.Errorf("statement %s: resource %q: region %q account %q", s.Sid, r, a.Region, a.AccountID)
	}
	if a.Resource == "" || strings.Contains(r, " ") || strings.Contains(a.Resource, "//") {
		t.Errorf("statement %s: resource %q is malformed", s.Sid, r)
	}
}

func TestDeterministic(t *testing.T) {
	sp := load(t, cases["three-agents"])
	first, _ := permissions.For(input(sp)).JSON()
	for range 20 {
		// Map iteration order differs between runs; the output must not.
		again, _ := permissions.For(input(load(t, cases["three-agents"]))).JSON()
		if !bytes.Equal(first, again) {
			t.Fatalf("two runs differ:\n%s\n---\n%s", first, again)
		}
	}
}

func TestScoping(t *testing.T) {
	p := permissions.For(input(load(t, cases["three-agents"])))
	res := map[string][]string{}
	ctx := map[string]map[string]string{}
	for _, c := range p.Actions() {
		res[c.Action] = c.Resources
		ctx[c.Action] = c.Context
	}
	want := map[string][]string{
		"iam:PassRole": {"arn:aws:iam::123456789012:role/streaming-exec", "arn:aws:iam::123456789012:role/streaming-task"},
		"secretsmanager:DescribeSecret": {
			"arn:aws:secretsmanager:eu-west-1:111122223333:secret:legacy/token-??????",
			"arn:aws:secretsmanager:eu-west-1:123456789012:secret:agent/full-AbCdEf",
			"arn:aws:secretsmanager:eu-west-1:123456789012:secret:agent/full-AbCdEf-??????",
			"arn:aws:secretsmanager:eu-west-1:123456789012:secret:matillion/agent/credentials-??????",
		},
		"kms:DescribeKey":            {"arn:aws:kms:eu-west-1:111122223333:key/*", "arn:aws:kms:eu-west-1:123456789012:key/*"},
		"ecs:RegisterTaskDefinition": {"arn:aws:ecs:eu-west-1:123456789012:task-definition/orders:*", "arn:aws:ecs:eu-west-1:123456789012:task-definition/payments:*", "arn:aws:ecs:eu-west-1:123456789012:task-definition/shipping:*"},
		"ecs:DescribeClusters":       {"arn:aws:ecs:eu-west-1:123456789012:cluster/streaming"},
		"ecs:ListTasks":              {"arn:aws:ecs:eu-west-1:123456789012:container-instance/streaming/*"},
		"ecs:DescribeTasks":          {"arn:aws:ecs:eu-west-1:123456789012:task/streaming/*"},
		"logs:DescribeLogGroups":     {"arn:aws:logs:eu-west-1:123456789012:log-group:*"},
		"ecs:ListTaskDefinitions":    {"*"},
	}
	for action, w := range want {
		if !slices.Equal(res[action], w) {
			t.Errorf("%s on %q, want %q", action, res[action], w)
		}
	}
	// cluster.create is false: no CreateCluster, no service-linked role.
	for _, a := range []string{"ecs:CreateCluster", "iam:CreateServiceLinkedRole", "sts:GetCallerIdentity", "secretsmanager:GetSecretValue"} {
		if _, ok := res[a]; ok {
			t.Errorf("%s must not be allowed", a)
		}
	}
	if got := ctx["iam:PassRole"]["iam:PassedToService"]; got != "ecs-tasks.amazonaws.com" {
		t.Errorf("PassRole context %q", got)
	}
	if got := ctx["ecs:TagResource"]["ecs:CreateAction"]; got == "" {
		t.Error("TagResource has no ecs:CreateAction context")
	}
	if !slices.Contains(res["logs:CreateLogGroup"], "arn:aws:logs:eu-west-1:123456789012:log-group:/streaming/payments:*") {
		t.Errorf("custom log group not granted: %q", res["logs:CreateLogGroup"])
	}

	root := permissions.For(input(load(t, cases["root"])))
	var hasCreate bool
	for _, c := range root.Actions() {
		hasCreate = hasCreate || c.Action == "ecs:CreateCluster" || c.Action == "iam:CreateServiceLinkedRole"
	}
	if !hasCreate {
		t.Error("cluster.create: true must allow ecs:CreateCluster and the ECS service-linked role")
	}
}

func TestUnknownAccountAndRegionAreWildcards(t *testing.T) {
	sp := load(t, cases["three-agents"])
	sp.Region = ""
	p := permissions.For(permissions.Input{Spec: sp, Account: "*"})
	b, _ := p.JSON()
	if !strings.Contains(string(b), `"arn:aws:ecs:*:*:cluster/streaming"`) || !strings.Contains(string(b), `"arn:aws:iam::*:role/streaming-task"`) {
		t.Errorf("unknown account/region must become *:\n%s", b)
	}
}

func TestTooLarge(t *testing.T) {
	sp := load(t, cases["three-agents"])
	base := sp.Agents[0]
	sp.Agents = nil
	for i := range 60 {
		a := base
		a.Name = strings.Repeat("x", 40) + string(rune('a'+i%26)) + strings.Repeat("y", i)
		a.Logs.Group = "/ecs/" + a.Name
		sp.Agents = append(sp.Agents, a)
	}
	b, err := permissions.For(input(sp)).JSON()
	var tl *permissions.TooLargeError
	if !errors.As(err, &tl) || tl.Limit != permissions.MaxManagedPolicyChars || tl.Size <= tl.Limit {
		t.Fatalf("err = %v, want a TooLargeError", err)
	}
	if !json.Valid(b) {
		t.Error("the document must still be returned")
	}
}

func TestWithout(t *testing.T) {
	p := permissions.For(input(load(t, cases["root"])))
	q := p.Without("iam:PassRole")
	for _, c := range q.Actions() {
		if c.Action == "iam:PassRole" {
			t.Fatal("iam:PassRole still allowed")
		}
	}
	if len(q.Statement) != len(p.Statement)-1 || len(q.Actions()) != len(p.Actions())-1 {
		t.Errorf("Without removed more than one action")
	}
}

func TestBaseReadsArePreflightable(t *testing.T) {
	sp := load(t, "../deploy.yaml")
	sp.Agents[0].BaseTaskDefinitionJSON = []byte(`{"family":"x","containerDefinitions":[{"name":"c","image":"i",
	  "secrets":[{"name":"P","valueFrom":"/app/p"},{"name":"S","valueFrom":"arn:aws:secretsmanager:eu-west-1:123456789012:secret:other-AbCdEf:k::"}],
	  "repositoryCredentials":{"credentialsParameter":"registry/creds"},
	  "environmentFiles":[{"value":"arn:aws:s3:::cfg/app.env","type":"s3"}]}]}`)
	pol := permissions.For(input(sp))
	got := map[string][]string{}
	for _, a := range pol.Actions() {
		got[a.Action] = a.Resources
	}
	describe := got["secretsmanager:DescribeSecret"]
	for _, want := range []string{
		"arn:aws:secretsmanager:eu-west-1:123456789012:secret:other-AbCdEf",
		"arn:aws:secretsmanager:eu-west-1:123456789012:secret:registry/creds-??????",
	} {
		if !slices.Contains(describe, want) {
			t.Errorf("DescribeSecret resources %v lack %s", describe, want)
		}
	}
	if !slices.Equal(got["ssm:DescribeParameters"], []string{"*"}) {
		t.Errorf("ssm:DescribeParameters on %v", got["ssm:DescribeParameters"])
	}
	if !slices.Equal(got["s3:GetObject"], []string{"arn:aws:s3:::cfg/app.env"}) {
		t.Errorf("s3:GetObject on %v", got["s3:GetObject"])
	}
	// Without a base reading them, neither is asked for.
	plain := permissions.For(input(load(t, "../deploy.yaml")))
	for _, a := range plain.Actions() {
		if a.Action == "ssm:DescribeParameters" || a.Action == "s3:GetObject" {
			t.Errorf("the root spec asks for %s", a.Action)
		}
	}
}
