package permissions_test

// The deploy runs under the generated policy in moto with IAM-like access
// control on (INITIAL_NO_AUTH_ACTION_COUNT, moto docs "IAM-like Access
// Control"). What moto 5.2.5 enforces (moto/iam/access_control.py,
// moto/core/responses.py; checked against its source and by these tests):
//   - Actions: every request after the first N is checked: the caller's
//     access key must belong to an IAM user, the SigV4 signature must verify,
//     and some Allow statement of the user's inline or attached policies must
//     match "service:Operation" (wildcards allowed). sts:GetCallerIdentity is
//     always allowed, as on AWS.
//   - Resources: only IAM (requests carrying RoleName, for an EXISTING role:
//     the role's ARN), STS AssumeRole, SQS and S3 compute a resource. Every
//     other request — ECS, Logs, Secrets Manager, KMS, and IAM calls on a role
//     that does not exist yet (CreateRole, the first GetRole) — is checked
//     against the resource "*", which a scoped Resource does not match. So a
//     policy scoped as AWS needs it is denied by moto for those calls.
//   - Conditions: ignored for identity policies (no request context is
//     passed; StringEquals with no value passes, other operators are skipped).
//   - Implicit checks: none. iam:PassRole, ecs:TagResource/logs:TagResource/
//     iam:TagRole on create, iam:CreateServiceLinkedRole are never checked.
// Hence the tests run the generated policy as moto can read it: statements
// whose calls moto checks against "*" get Resource "*" (actions and
// conditions unchanged); the IAM role statements keep their exact ARNs
// where the roles already exist, which moto does check.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/launchdeploy/launch/internal/emulator"
	"github.com/launchdeploy/launch/permissions"
	"github.com/launchdeploy/launch/rollout"
	"github.com/launchdeploy/launch/service"
	"github.com/launchdeploy/launch/spec"
)

const (
	motoAccount = "123456789012"
	region      = "eu-west-1"
	// bootstrapCalls is the emulator's no-auth budget: CreateUser,
	// PutUserPolicy and CreateAccessKey of the admin used for the setup.
	bootstrapCalls = 3
)

// authEmulator is a private moto harness with access control on, and an
// admin allowed everything for the setup.
type authEmulator struct {
	t        *testing.T
	endpoint string
	admin    aws.Config
	h        *emulator.Harness
	net      emulator.Network
	secret   string
}

func startAuthEmulator(t *testing.T) *authEmulator {
	t.Helper()
	py, err := filepath.Abs("../test/emulator/.venv/bin/python")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(py); err != nil {
		msg := "needs the emulator's venv (" + py + "); create it with `make emulator-venv`"
		if os.Getenv("LAUNCH_REQUIRE_EMULATOR") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	logPath := filepath.Join(t.TempDir(), "emulator.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, "../test/emulator/server.py", "--host", "127.0.0.1", "--port", fmt.Sprint(port))
	cmd.Env = append(os.Environ(), fmt.Sprintf("INITIAL_NO_AUTH_ACTION_COUNT=%d", bootstrapCalls))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("start emulator: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		logFile.Close()
		if t.Failed() {
			if b, err := os.ReadFile(logPath); err == nil && len(b) > 0 {
				tail := string(b)
				if len(tail) > 4000 {
					tail = tail[len(tail)-4000:]
				}
				t.Logf("emulator log (tail):\n%s", tail)
			}
		}
	})
	ep := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(ep + "/_harness/health")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("emulator on %s did not answer in 30s: %v", ep, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Setenv("AWS_ENDPOINT_URL", ep) // for emulator.NewHarness only
	e := &authEmulator{t: t, endpoint: ep}
	e.h = emulator.NewHarness(t)
	e.h.SetDeploymentDuration(t, 300*time.Millisecond)

	// The no-auth budget: exactly these three calls.
	ctx := context.Background()
	boot := iam.NewFromConfig(e.config("bootstrap", "bootstrap"))
	if _, err := boot.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("admin")}); err != nil {
		t.Fatalf("bootstrap CreateUser: %v", err)
	}
	if _, err := boot.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("admin"), PolicyName: aws.String("all"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)}); err != nil {
		t.Fatalf("bootstrap PutUserPolicy: %v", err)
	}
	e.admin = e.userConfig(boot, "admin")
	// Access control is now on: unknown keys are refused.
	if _, err := boot.ListUsers(ctx, &iam.ListUsersInput{}); err == nil {
		t.Fatal("moto did not turn access control on after the no-auth budget: INITIAL_NO_AUTH_ACTION_COUNT had no effect")
	}
	e.net = emulator.CreateNetwork(t, e.admin)
	e.secret = emulator.CreateSecret(t, e.admin, "agent/creds", `{"client_id":"x","client_secret":"y"}`, "")
	return e
}

func (e *authEmulator) config(key, secret string) aws.Config {
	e.t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion(region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(key, secret, "")),
		config.WithBaseEndpoint(e.endpoint))
	if err != nil {
		e.t.Fatal(err)
	}
	return cfg
}

// userConfig creates an access key for user (the caller must be allowed
// iam:CreateAccessKey) and returns a config that signs with it.
func (e *authEmulator) userConfig(c *iam.Client, user string) aws.Config {
	e.t.Helper()
	out, err := c.CreateAccessKey(context.Background(), &iam.CreateAccessKeyInput{UserName: aws.String(user)})
	if err != nil {
		e.t.Fatalf("CreateAccessKey %s: %v", user, err)
	}
	return e.config(aws.ToString(out.AccessKey.AccessKeyId), aws.ToString(out.AccessKey.SecretAccessKey))
}

var seq atomic.Int32

// deployer creates a user whose only permission is doc, as a customer
// managed policy (the form MaxManagedPolicyChars is for), and returns its
// config.
func (e *authEmulator) deployer(doc permissions.Policy) aws.Config {
	e.t.Helper()
	ctx := context.Background()
	c := iam.NewFromConfig(e.admin)
	name := fmt.Sprintf("deployer-%d", seq.Add(1))
	b, err := json.Marshal(doc)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		e.t.Fatal(err)
	}
	pol, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(name), PolicyDocument: aws.String(string(b))})
	if err != nil {
		e.t.Fatalf("CreatePolicy: %v", err)
	}
	if _, err := c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(name), PolicyArn: pol.Policy.Arn}); err != nil {
		e.t.Fatal(err)
	}
	return e.userConfig(c, name)
}

// spec writes a one-agent spec whose names all start with prefix, so
// scenarios never share resources, and loads it.
func (e *authEmulator) spec(prefix, image string, extraTrust bool) *spec.Spec {
	e.t.Helper()
	trust := ""
	if extraTrust {
		trust = "  trustedServices: [ec2.amazonaws.com]\n"
	}
	yaml := fmt.Sprintf(`region: %[1]s
cluster:
  name: %[2]s-cluster
  create: true
tags:
  team: data
taskRole:
  name: %[2]s-task
%[5]sexecutionRole:
  name: %[2]s-exec
secrets:
  creds: agent/creds
defaults:
  network:
    subnets: [%[3]s, %[4]s]
    securityGroups: [%[6]s]
agents:
  - name: %[2]s-agent
    image: %[7]s
    secrets:
      OAUTH_CLIENT_ID: {secret: creds, key: client_id}
`, region, prefix, e.net.Subnets[0], e.net.Subnets[1], trust, e.net.SecurityGroups[0], image)
	path := filepath.Join(e.t.TempDir(), "deploy.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		e.t.Fatal(err)
	}
	sp, err := spec.Load(path, func(string) (string, bool) { return "", false })
	if err != nil {
		e.t.Fatalf("load spec: %v", err)
	}
	return sp
}

func deploy(t *testing.T, cfg aws.Config, sp *spec.Spec) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	opts := rollout.Options{PollMin: 100 * time.Millisecond, PollMax: 500 * time.Millisecond, IAMPropagation: time.Second}
	return rollout.Deploy(ctx, rollout.NewClients(cfg), sp, opts, quiet{t}, rollout.NewReport(sp.Path))
}

type quiet struct{ t *testing.T }

func (q quiet) Printf(f string, a ...any) { q.t.Logf(f, a...) }
func (q quiet) Warnf(f string, a ...any)  { q.t.Logf("WARNING: "+f, a...) }
func (q quiet) Status(string)             {}
func (q quiet) Done()                     {}

// motoView is p as moto can evaluate it: Resource "*" on every statement,
// except the IAM role statements when keepIAM (the roles exist, so moto
// checks their ARNs).
func motoView(p permissions.Policy, keepIAM bool) permissions.Policy {
	out := permissions.Policy{Version: p.Version}
	for _, s := range p.Statement {
		s.Resource = slices.Clone(s.Resource)
		if !(keepIAM && s.Sid == "IAMManageAgentRoles") {
			s.Resource = []string{"*"}
		}
		out.Statement = append(out.Statement, s)
	}
	return out
}

func policyFor(sp *spec.Spec) permissions.Policy {
	return permissions.For(permissions.Input{Spec: sp, Partition: "aws", Region: region, Account: motoAccount})
}

// called returns the "service:Action" of every AWS request since the last
// ClearRequests.
func (e *authEmulator) called() []string {
	var out []string
	for k := range emulator.CountActions(e.h.Requests(e.t)) {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// deniedFor reports whether err is moto's AccessDenied for action. moto
// answers every refusal with IAM's XML error body: the query-protocol
// clients (IAM) decode it, and its message names the action; the JSON
// clients (ECS, Logs, Secrets Manager) cannot decode it, so for them the
// refusal is an HTTP 403 on the action's operation.
func deniedFor(err error, action string) bool {
	if err == nil {
		return false
	}
	if strings.Contains(err.Error(), "not authorized to perform: "+action) {
		return true
	}
	prefix, op, _ := strings.Cut(action, ":")
	var oe *smithy.OperationError
	var re *smithyhttp.ResponseError
	return errors.As(err, &oe) && errors.As(err, &re) && re.HTTPStatusCode() == http.StatusForbidden &&
		oe.Operation() == op && oe.Service() == serviceID[prefix]
}

// serviceID is the SDK's service ID for an IAM action prefix.
var serviceID = map[string]string{
	"iam": "IAM", "ecs": "ECS", "logs": "CloudWatch Logs", "secretsmanager": "Secrets Manager", "kms": "KMS",
}

// notCheckedByMoto are actions the policy grants that AWS checks but moto
// never does, with the reason. A removal test of these cannot fail in moto.
var notCheckedByMoto = map[string]string{
	"iam:PassRole":                 "checked by AWS when RegisterTaskDefinition/CreateService/UpdateService hand a role to ECS; moto has no implicit checks",
	"iam:TagRole":                  "checked by AWS for CreateRole with tags; moto has no implicit checks",
	"logs:TagResource":             "checked by AWS for CreateLogGroup with tags; moto has no implicit checks",
	"ecs:TagResource":              "checked by AWS for CreateCluster/CreateService/RegisterTaskDefinition with tags; moto has no implicit checks",
	"iam:CreateServiceLinkedRole":  "AWS creates the ECS service-linked role inside CreateCluster; moto does not",
	"kms:DescribeKey":              "called only for a secret whose KMS key is an alias; the test secret uses the default key",
	"iam:DeleteRolePolicy":         "called only when the last secret leaves the spec, to delete launch's own grant; the scenarios keep one",
	"ecs:DeregisterTaskDefinition": "called only after a retried RegisterTaskDefinition left an identical twin (a lost reply), which these scenarios do not inject",
	"ecs:ListTaskDefinitions":      "a deploy lists revisions only after a retried RegisterTaskDefinition, to find an identical twin (a lost reply, not injected here); rollback lists them to pick a revision",
	"logs:GetLogEvents":            "read only to show the last log lines of a failed task that ran, best effort: the scenario's failing tasks never start",
	"logs:FilterLogEvents":         "read by `launch logs` and `launch status`, not by deploy",
	"ecs:ListTasks":                "called (and checked) only to explain a failed rollout, best effort: without it the rollout still fails, just less explained",
	"ecs:DescribeTasks":            "called (and checked) only to explain a failed rollout, best effort: without it the rollout still fails, just less explained",
}

// preflightOnly are actions only the preflight checks call. The deploy
// does not need them: denied, their check says SKIP and the deploy goes on.
// iam:SimulatePrincipalPolicy is not granted at all (see permissions.go).
var preflightOnly = map[string]bool{
	"ec2:DescribeSubnets": true, "ec2:DescribeSecurityGroups": true, "ecr:DescribeImages": true, "iam:SimulatePrincipalPolicy": true,
	"iam:GetPolicy": true,
}

func TestDeployUnderGeneratedPolicy(t *testing.T) {
	e := startAuthEmulator(t)
	admin := iam.NewFromConfig(e.admin)
	ctx := context.Background()
	calledAll := map[string]bool{}
	record := func() {
		for _, a := range e.called() {
			calledAll[a] = true
		}
	}

	t.Run("cold deploy", func(t *testing.T) {
		sp := e.spec("cold", "example.com/agent:1", false)
		p := policyFor(sp)
		user := e.deployer(motoView(p, false))
		e.h.ClearRequests(t)
		if err := deploy(t, user, sp); err != nil {
			t.Fatalf("deploy under the generated policy: %v", err)
		}
		record()
	})

	t.Run("existing roles, exact IAM resources", func(t *testing.T) {
		sp := e.spec("warm", "example.com/agent:1", false)
		// Roles made by someone else, trusting EC2 only: launch must update
		// their trust, attach and put policies — on the exact role ARNs.
		for _, name := range []string{sp.TaskRole.Name, sp.ExecutionRole.Name} {
			if _, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name),
				AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}); err != nil {
				t.Fatal(err)
			}
		}
		user := e.deployer(motoView(policyFor(sp), true))
		e.h.ClearRequests(t)
		if err := deploy(t, user, sp); err != nil {
			t.Fatalf("first deploy: %v", err)
		}
		record()
		// Redeploy with a new image and one more trusted service: reads the
		// roles' policies, the latest task definition, updates the service.
		sp2 := e.spec("warm", "example.com/agent:2", true)
		user2 := e.deployer(motoView(policyFor(sp2), true))
		e.h.ClearRequests(t)
		if err := deploy(t, user2, sp2); err != nil {
			t.Fatalf("redeploy: %v", err)
		}
		record()

		// The same policy for other role names is refused: moto checks the
		// role ARNs, and so the ARNs launch generates are the ones IAM uses.
		other := *sp
		other.TaskRole.Name, other.ExecutionRole.Name = "someone-else-task", "someone-else-exec"
		err := deploy(t, e.deployer(motoView(policyFor(&other), true)), sp)
		// The role's reads are made together; whichever is answered first
		// is the denial reported.
		roleReads := []string{"iam:GetRole", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:GetRolePolicy"}
		if !slices.ContainsFunc(roleReads, func(a string) bool { return deniedFor(err, a) }) || !strings.Contains(err.Error(), "read role "+sp.TaskRole.Name) && !strings.Contains(err.Error(), "read role "+sp.ExecutionRole.Name) {
			t.Fatalf("deploy with the roles' ARNs wrong: err = %v, want AccessDenied reading one of the roles (%v)", err, roleReads)
		}
	})

	t.Run("failed rollout is explained", func(t *testing.T) {
		sp := e.spec("failing", "example.com/agent:broken", false)
		sp.Agents[0].Service.DesiredCount = 1
		e.h.MarkImageFailing(t, "example.com/agent:broken", "")
		user := e.deployer(motoView(policyFor(sp), false))
		e.h.ClearRequests(t)
		err := deploy(t, user, sp)
		record()
		var re *service.RolloutError
		if !errors.As(err, &re) || !strings.Contains(err.Error(), "stopped") {
			t.Fatalf("err = %v, want a RolloutError explained by stopped tasks (ListTasks/DescribeTasks allowed)", err)
		}
	})

	var called []string
	for a := range calledAll {
		if a != "sts:GetCallerIdentity" {
			called = append(called, a)
		}
	}
	slices.Sort(called)
	granted := map[string]bool{}
	for _, c := range policyFor(e.spec("x", "i", false)).Actions() {
		granted[c.Action] = true
	}
	t.Logf("actions launch called: %s", strings.Join(called, ", "))
	for _, a := range called {
		if !granted[a] && a != "iam:SimulatePrincipalPolicy" {
			t.Errorf("launch called %s, which the policy does not grant", a)
		}
	}
	for a := range granted {
		if !calledAll[a] && notCheckedByMoto[a] == "" {
			t.Errorf("the policy grants %s, which no scenario called and which is not listed as unchecked by moto: drop it or cover it", a)
		}
	}

	// Every action launch called is needed: without it the deploy fails
	// with AccessDenied naming it. Actions only used on a second run are
	// removed for the redeploy.
	for _, action := range called {
		if notCheckedByMoto[action] != "" {
			continue
		}
		if preflightOnly[action] {
			t.Run("without "+action+" (preflight only)", func(t *testing.T) {
				prefix := strings.NewReplacer(":", "-").Replace(strings.ToLower(action))
				sp := e.spec(prefix, "example.com/agent:1", false)
				if err := deploy(t, e.deployer(motoView(policyFor(sp), false).Without(action)), sp); err != nil {
					t.Fatalf("without %s the deploy must still run (its preflight check SKIPs): %v", action, err)
				}
			})
			continue
		}
		t.Run("without "+action, func(t *testing.T) {
			prefix := strings.NewReplacer(":", "-").Replace(strings.ToLower(action))
			sp := e.spec(prefix, "example.com/agent:1", false)
			reduced := motoView(policyFor(sp), false).Without(action)
			err := deploy(t, e.deployer(reduced), sp)
			if err == nil {
				// Not needed on a cold deploy: the redeploy must need it.
				sp2 := e.spec(prefix, "example.com/agent:2", true)
				err = deploy(t, e.deployer(motoView(policyFor(sp2), false).Without(action)), sp2)
			}
			if !deniedFor(err, action) {
				t.Fatalf("without %s: err = %v, want AccessDenied naming it", action, err)
			}
		})
	}

	// PassRole: the example of a needed permission. moto cannot see
	// it; this pins that, so the day moto checks it this test says so.
	t.Run("without iam:PassRole (not enforced by moto)", func(t *testing.T) {
		sp := e.spec("nopassrole", "example.com/agent:1", false)
		err := deploy(t, e.deployer(motoView(policyFor(sp), false).Without("iam:PassRole")), sp)
		if deniedFor(err, "iam:PassRole") {
			t.Fatalf("moto now enforces iam:PassRole: move it out of notCheckedByMoto and into the removal tests")
		}
		if err != nil {
			t.Fatalf("deploy: %v", err)
		}
		t.Logf("moto accepted the deploy without iam:PassRole: %s", notCheckedByMoto["iam:PassRole"])
	})
}

// TestMotoDeniesScopedResourcesOutsideIAM pins why the tests widen
// resources: the exact generated policy is refused by moto on the first
// non-IAM call, although AWS would allow it.
func TestMotoDeniesScopedResourcesOutsideIAM(t *testing.T) {
	e := startAuthEmulator(t)
	sp := e.spec("exact", "example.com/agent:1", false)
	err := deploy(t, e.deployer(policyFor(sp)), sp)
	if err == nil {
		t.Fatal("moto allowed the exactly scoped policy: it now checks resources beyond IAM; tighten motoView")
	}
	var re *smithyhttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusForbidden {
		t.Fatalf("err = %v, want moto's AccessDenied (HTTP 403)", err)
	}
	t.Logf("as expected, moto refuses scoped resources it evaluates against \"*\": %v", err)
}
