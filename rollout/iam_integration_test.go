package rollout_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/launchdeploy/launch/internal/emulator"
	"github.com/launchdeploy/launch/rollout"
)

// specYAML is a one-agent spec whose secrets: section and agent secrets are
// given; roles are app-task (trusting ec2 too) and app-exec.
func specYAML(secrets map[string]string, agentSecrets string) string {
	var b strings.Builder
	b.WriteString(`region: ${REGION}
cluster:
  name: apps
  create: true
tags:
  team: data
taskRole:
  name: app-task
  trustedServices: [ec2.amazonaws.com]
  managedPolicies: [ReadOnlyAccess]
executionRole:
  name: app-exec
`)
	if len(secrets) > 0 {
		b.WriteString("secrets:\n")
		keys := make([]string, 0, len(secrets))
		for k := range secrets {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "  %s: %q\n", k, secrets[k])
		}
	}
	b.WriteString(`defaults:
  network:
    subnets:
      - ${SUBNET_1}
      - ${SUBNET_2}
    securityGroups:
      - ${SECURITY_GROUP}
agents:
  - name: agent-a
    image: example.com/agent:1
`)
	if agentSecrets != "" {
		b.WriteString("    secrets:\n" + agentSecrets)
	}
	return b.String()
}

// grantedARNs reads the execution role's secrets policy back and returns
// the GetSecretValue resources and the kms:Decrypt resources.
func grantedARNs(t *testing.T, e *env) (secretARNs, keyARNs []string) {
	t.Helper()
	doc := e.inlinePolicy("app-exec", grantName(e.cfg.Region, "apps"))
	if doc == "" {
		t.Fatal("execution role has no grant for this instance")
	}
	var p struct {
		Statement []struct {
			Effect   string
			Action   any
			Resource any
		}
	}
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		t.Fatalf("policy %s: %v", doc, err)
	}
	list := func(v any) []string {
		switch x := v.(type) {
		case string:
			return []string{x}
		case []any:
			var out []string
			for _, s := range x {
				out = append(out, s.(string))
			}
			return out
		}
		return nil
	}
	for _, s := range p.Statement {
		for _, a := range list(s.Action) {
			switch a {
			case "secretsmanager:GetSecretValue":
				secretARNs = append(secretARNs, list(s.Resource)...)
			case "kms:Decrypt":
				keyARNs = append(keyARNs, list(s.Resource)...)
			default:
				t.Errorf("unexpected action %s in %s", a, doc)
			}
		}
	}
	sort.Strings(secretARNs)
	sort.Strings(keyARNs)
	return secretARNs, keyARNs
}

func TestColdDeployCreatesBothRoles(t *testing.T) {
	e := newEnv(t)
	byName := emulator.CreateSecret(t, e.cfg, "agent/creds", `{"client_id":"x","client_secret":"y"}`, "")
	byPartial := emulator.CreateSecret(t, e.cfg, "agent/other", `{"k":"v"}`, "")
	partial := byPartial[:len(byPartial)-7] // the ARN without "-AbCdEf"
	sp := e.spec(specYAML(map[string]string{"creds": "agent/creds", "other": partial},
		"      OAUTH_CLIENT_ID: {secret: creds, key: client_id}\n      OTHER: {secret: other}\n"))

	rep, calls, err := e.deploy(sp, rollout.Options{NoWait: true})
	if err != nil {
		t.Fatal(err)
	}

	// Task role: trusts ecs-tasks with the confused-deputy condition, and ec2.
	trust := e.trustOf("app-task")
	var sawECS, sawEC2 bool
	for _, s := range trust.Statement {
		svc := fmt.Sprint(s["Principal"])
		if strings.Contains(svc, "ecs-tasks.amazonaws.com") {
			sawECS = true
			c, _ := json.Marshal(s["Condition"])
			if !strings.Contains(string(c), `"aws:SourceAccount"`) || !strings.Contains(string(c), `:ecs:`+e.cfg.Region+`:`) {
				t.Errorf("ecs-tasks trust lacks the confused-deputy condition: %s", c)
			}
		}
		if strings.Contains(svc, "ec2.amazonaws.com") {
			sawEC2 = true
			if s["Condition"] != nil {
				t.Errorf("ec2 trust must not carry the ECS condition: %v", s)
			}
		}
	}
	if !sawECS || !sawEC2 {
		t.Errorf("task role trust = %s", trust.JSON())
	}
	if got := e.attached("app-task"); !slices.Contains(got, "arn:aws:iam::aws:policy/ReadOnlyAccess") {
		t.Errorf("task role managed policies = %v", got)
	}

	// Execution role: the AWS-managed policy, and GetSecretValue on exactly
	// the two full ARNs (with their 6-character suffix).
	if got := e.attached("app-exec"); !slices.Contains(got, "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy") {
		t.Errorf("execution role managed policies = %v", got)
	}
	secretARNs, keys := grantedARNs(t, e)
	want := []string{byName, byPartial}
	sort.Strings(want)
	if !slices.Equal(secretARNs, want) || len(keys) != 0 {
		t.Errorf("granted %v (keys %v), want exactly %v", secretARNs, keys, want)
	}

	// Both roles carry the spec's tags and the ownership tag.
	for _, role := range []string{"app-task", "app-exec"} {
		out, err := e.iam().ListRoleTags(context.Background(), &iam.ListRoleTagsInput{RoleName: aws.String(role)})
		if err != nil {
			t.Fatal(err)
		}
		tags := map[string]string{}
		for _, tg := range out.Tags {
			tags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
		}
		if tags["team"] != "data" || tags["launch:managed-by"] != "launch" {
			t.Errorf("role %s tags = %v", role, tags)
		}
	}
	if calls.Writes["iam:CreateRole"] != 2 {
		t.Errorf("CreateRole calls = %d, want 2", calls.Writes["iam:CreateRole"])
	}
	if len(rep.Roles) != 2 || rep.Roles[0].Action != "created" || rep.Roles[1].Action != "created" {
		t.Errorf("report roles = %+v", rep.Roles)
	}
}

func TestExistingTaskRoleGainsECSTrustAndKeepsTheRest(t *testing.T) {
	e := newEnv(t)
	emulator.CreateSecret(t, e.cfg, "agent/creds", `{"client_id":"x"}`, "")
	other := map[string]any{
		"Sid": "CrossAccountOps", "Effect": "Allow",
		"Principal": map[string]any{"AWS": "arn:aws:iam::111122223333:root"},
		"Action":    "sts:AssumeRole",
		"Condition": map[string]any{"Bool": map[string]any{"aws:MultiFactorAuthPresent": "true"}},
	}
	doc, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{
		map[string]any{"Effect": "Allow", "Principal": map[string]any{"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"},
		other,
	}})
	if _, err := e.iam().CreateRole(context.Background(), &iam.CreateRoleInput{RoleName: aws.String("app-task"), AssumeRolePolicyDocument: aws.String(string(doc))}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.iam().PutRolePolicy(context.Background(), &iam.PutRolePolicyInput{RoleName: aws.String("app-task"), PolicyName: aws.String("theirs"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}

	sp := e.spec(specYAML(map[string]string{"creds": "agent/creds"}, "      ID: {secret: creds, key: client_id}\n"))
	if _, _, err := e.deploy(sp, rollout.Options{NoWait: true}); err != nil {
		t.Fatal(err)
	}

	trust := e.trustOf("app-task")
	var trustsECS, keptOther, keptEC2 bool
	wantOther, _ := json.Marshal(other)
	for _, s := range trust.Statement {
		b, _ := json.Marshal(map[string]any(s))
		if string(b) == string(wantOther) {
			keptOther = true
		}
		p := fmt.Sprint(s["Principal"])
		if strings.Contains(p, "ecs-tasks.amazonaws.com") && s["Effect"] == "Allow" {
			trustsECS = true
		}
		if strings.Contains(p, "ec2.amazonaws.com") {
			keptEC2 = true
		}
	}
	if !trustsECS || !keptOther || !keptEC2 {
		t.Errorf("trust after deploy (ecs %v, other statement unchanged %v, ec2 %v):\n%s", trustsECS, keptOther, keptEC2, trust.JSON())
	}
	if e.inlinePolicy("app-task", "theirs") == "" {
		t.Error("the role's own inline policy was removed")
	}
}

func TestSecondRunWritesNothingToIAMOrSecretsManager(t *testing.T) {
	e := newEnv(t)
	emulator.CreateSecret(t, e.cfg, "agent/creds", `{"client_id":"x"}`, "")
	sp := e.spec(specYAML(map[string]string{"creds": "agent/creds"}, "      ID: {secret: creds, key: client_id}\n"))
	if _, _, err := e.deploy(sp, rollout.Options{}); err != nil {
		t.Fatal(err)
	}
	rep, calls, err := e.deploy(sp, rollout.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, svc := range []string{"iam", "secretsmanager"} {
		if n := calls.WritesTo(svc); n != 0 {
			t.Errorf("second run made %d %s writes: %v", n, svc, calls.Writes)
		}
	}
	for _, r := range rep.Roles {
		if r.Action != "unchanged" {
			t.Errorf("role %s %s on the second run", r.Name, r.Action)
		}
	}
}

func TestSecretAddedThenRemoved(t *testing.T) {
	e := newEnv(t)
	a := emulator.CreateSecret(t, e.cfg, "agent/a", `{"k":"v"}`, "")
	b := emulator.CreateSecret(t, e.cfg, "agent/b", `{"k":"v"}`, "")
	one := e.spec(specYAML(map[string]string{"a": "agent/a"}, "      A: {secret: a}\n"))
	if _, _, err := e.deploy(one, rollout.Options{NoWait: true}); err != nil {
		t.Fatal(err)
	}
	if got, _ := grantedARNs(t, e); !slices.Equal(got, []string{a}) {
		t.Fatalf("granted %v, want [%s]", got, a)
	}

	two := e.spec(specYAML(map[string]string{"a": "agent/a", "b": "agent/b"}, "      A: {secret: a}\n      B: {secret: b}\n"))
	_, calls, err := e.deploy(two, rollout.Options{NoWait: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{a, b}
	sort.Strings(want)
	if got, _ := grantedARNs(t, e); !slices.Equal(got, want) {
		t.Errorf("after adding b: granted %v, want %v", got, want)
	}
	if calls.Writes["iam:PutRolePolicy"] != 1 || calls.WritesTo("iam") != 1 {
		t.Errorf("adding a secret: IAM writes %v, want exactly one PutRolePolicy", calls.Writes)
	}

	onlyB := e.spec(specYAML(map[string]string{"b": "agent/b"}, "      B: {secret: b}\n"))
	// Without waiting, the old revision's tasks (and a rollback) may still
	// need a: the grant keeps it.
	if _, _, err := e.deploy(onlyB, rollout.Options{NoWait: true}); err != nil {
		t.Fatal(err)
	}
	if got, _ := grantedARNs(t, e); !slices.Equal(got, want) {
		t.Errorf("right after removing a (no wait): granted %v, want still %v", got, want)
	}
	// Once the deployment completed, a is gone.
	if _, _, err := e.deploy(onlyB, rollout.Options{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := grantedARNs(t, e); !slices.Equal(got, []string{b}) {
		t.Errorf("after removing a: granted %v, want [%s]", got, b)
	}
}

func TestCustomerManagedKeyGetsDecrypt(t *testing.T) {
	e := newEnv(t)
	key, err := kms.NewFromConfig(e.cfg).CreateKey(context.Background(), &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	keyARN := aws.ToString(key.KeyMetadata.Arn)
	cmk := emulator.CreateSecret(t, e.cfg, "agent/cmk", `{"k":"v"}`, keyARN)
	plain := emulator.CreateSecret(t, e.cfg, "agent/plain", `{"k":"v"}`, "")
	sp := e.spec(specYAML(map[string]string{"cmk": "agent/cmk", "plain": "agent/plain"}, "      A: {secret: cmk}\n      B: {secret: plain}\n"))
	if _, _, err := e.deploy(sp, rollout.Options{NoWait: true}); err != nil {
		t.Fatal(err)
	}
	secretARNs, keys := grantedARNs(t, e)
	want := []string{cmk, plain}
	sort.Strings(want)
	if !slices.Equal(secretARNs, want) || !slices.Equal(keys, []string{keyARN}) {
		t.Errorf("granted secrets %v keys %v; want %v and [%s]", secretARNs, keys, want, keyARN)
	}
}

func TestMissingSecretStopsBeforeAnyWrite(t *testing.T) {
	e := newEnv(t)
	emulator.CreateSecret(t, e.cfg, "agent/creds", `{"k":"v"}`, "")
	sp := e.spec(specYAML(map[string]string{"creds": "agent/creds", "gone": "agent/does-not-exist"}, "      A: {secret: creds}\n      B: {secret: gone}\n"))
	_, calls, err := e.deploy(sp, rollout.Options{NoWait: true})
	if err == nil || !strings.Contains(err.Error(), `"agent/does-not-exist" not found`) {
		t.Fatalf("want an error naming the missing secret, got %v", err)
	}
	if calls.TotalWrites() != 0 {
		t.Errorf("writes before failing: %v", calls.Writes)
	}
}

func TestThrottledIAMWritesStillConverge(t *testing.T) {
	e := newEnv(t)
	emulator.CreateSecret(t, e.cfg, "agent/creds", `{"k":"v"}`, "")
	sp := e.spec(specYAML(map[string]string{"creds": "agent/creds"}, "      A: {secret: creds}\n"))
	for _, action := range []string{"CreateRole", "PutRolePolicy"} {
		e.h.InjectFault(t, emulator.Fault{Action: action, Count: 2, Status: 400, Code: "Throttling", Message: "Rate exceeded"})
	}
	if _, _, err := e.deploy(sp, rollout.Options{NoWait: true}); err != nil {
		t.Fatalf("deploy under throttling: %v", err)
	}
	injected := map[string]int{}
	for _, r := range e.h.Requests(t) {
		if r.Injected {
			injected[r.Action]++
		}
	}
	if injected["CreateRole"] != 2 || injected["PutRolePolicy"] != 2 {
		t.Fatalf("faults not exercised: %v", injected)
	}
	// Converged: the same state a clean run leaves, so a rerun writes nothing.
	if got, _ := grantedARNs(t, e); len(got) != 1 {
		t.Errorf("granted %v", got)
	}
	_, calls, err := e.deploy(sp, rollout.Options{NoWait: true})
	if err != nil {
		t.Fatal(err)
	}
	if calls.WritesTo("iam") != 0 {
		t.Errorf("rerun after throttling wrote to IAM: %v", calls.Writes)
	}
}

func TestLastSecretRemovedDeletesTheGrant(t *testing.T) {
	e := newEnv(t)
	emulator.CreateSecret(t, e.cfg, "agent/a", `{"k":"v"}`, "")
	if _, _, err := e.deploy(e.spec(specYAML(map[string]string{"a": "agent/a"}, "      A: {secret: a}\n")), rollout.Options{NoWait: true}); err != nil {
		t.Fatal(err)
	}
	_, calls, err := e.deploy(e.spec(specYAML(nil, "")), rollout.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if doc := e.inlinePolicy("app-exec", grantName(e.cfg.Region, "apps")); doc != "" {
		t.Errorf("the grant survived removing the last secret:\n%s", doc)
	}
	if calls.Writes["iam:DeleteRolePolicy"] != 1 {
		t.Errorf("writes %v, want one DeleteRolePolicy", calls.Writes)
	}
}
