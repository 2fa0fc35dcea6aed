package main_test

// End-to-end tests: the built launch binary against the emulator, exactly as
// a release pipeline runs it. Results are read back with the SDK.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/launchdeploy/launch/internal/emulator"
	"github.com/launchdeploy/launch/rollout"
)

var launchBin string

func TestMain(m *testing.M) {
	// scripts/mutate -emulator runs these tests against a launch binary it
	// built (with coverage, or with a mutant); GOCOVERDIR then reaches it
	// through binaryEnv.
	if bin := os.Getenv("LAUNCH_E2E_BINARY"); bin != "" {
		launchBin = bin
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "launch-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	launchBin = filepath.Join(dir, "launch")
	build := exec.Command("go", "build", "-o", launchBin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build launch:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// binaryEnv is the environment every run of the binary starts from: PATH,
// and GOCOVERDIR when set (a binary built with -cover warns on stderr
// without it).
func binaryEnv() []string {
	env := []string{"PATH=" + os.Getenv("PATH")}
	if d := os.Getenv("GOCOVERDIR"); d != "" {
		env = append(env, "GOCOVERDIR="+d)
	}
	return env
}

const rootSpec = "../../deploy.yaml"

// world is one test's emulator with what a real account already has: a
// VPC with two subnets, a security group and the agent's secret.
type world struct {
	t         *testing.T
	h         *emulator.Harness
	cfg       aws.Config
	env       map[string]string
	secretARN string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	h := emulator.NewHarness(t)
	h.Reset(t)
	h.SetDeploymentDuration(t, 300*time.Millisecond)
	cfg := emulator.Config(t)
	net := emulator.CreateNetwork(t, cfg)
	w := &world{t: t, h: h, cfg: cfg}
	w.secretARN = emulator.CreateSecret(t, cfg, "matillion/streaming-agent/credentials", `{"client_id":"id","client_secret":"s"}`, "")
	w.env = map[string]string{
		"AWS_ENDPOINT_URL": emulator.Endpoint(t), "AWS_REGION": cfg.Region,
		"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
		"AGENT_IMAGE": "public.ecr.aws/matillion/streaming-agent:1.0", "MATILLION_ACCOUNT_ID": "12345", "MATILLION_AGENT_ID": "agent-0001",
		"SUBNET_1": net.Subnets[0], "SUBNET_2": net.Subnets[1], "SECURITY_GROUP": net.SecurityGroups[0],
	}
	t.Cleanup(func() {
		if n := emulator.CountActions(h.Requests(t))["secretsmanager:GetSecretValue"]; n != 0 {
			t.Errorf("launch called GetSecretValue %d times", n)
		}
	})
	return w
}

type run struct {
	code           int
	stdout, stderr string
	report         *rollout.Report
	took           time.Duration
}

func (w *world) command(args ...string) *exec.Cmd {
	cmd := exec.Command(launchBin, args...)
	cmd.Env = append(binaryEnv(), "HOME="+w.t.TempDir())
	for k, v := range w.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return cmd
}

// launch runs the binary and decodes the JSON report when --output json.
func (w *world) launch(args ...string) run {
	w.t.Helper()
	cmd := w.command(args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := run{stdout: stdout.String(), stderr: stderr.String(), took: time.Since(start)}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		w.t.Fatalf("run launch: %v", err)
	}
	if slicesContains(args, "json") {
		r.report = &rollout.Report{}
		if err := json.Unmarshal(stdout.Bytes(), r.report); err != nil {
			w.t.Fatalf("stdout is not a JSON report: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
		}
	}
	w.t.Logf("launch %s → exit %d in %s\n%s", strings.Join(args, " "), r.code, r.took.Round(time.Millisecond), r.stderr)
	return r
}

func slicesContains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func (w *world) describeService(cluster, name string) ecstypes.Service {
	w.t.Helper()
	out, err := ecs.NewFromConfig(w.cfg).DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{name}})
	if err != nil || len(out.Services) != 1 {
		w.t.Fatalf("DescribeServices %s: %v %v", name, err, out)
	}
	return out.Services[0]
}

func primary(s ecstypes.Service) ecstypes.Deployment {
	for _, d := range s.Deployments {
		if aws.ToString(d.Status) == "PRIMARY" {
			return d
		}
	}
	return ecstypes.Deployment{}
}

func (w *world) activeRevisions(family string) []string {
	w.t.Helper()
	out, err := ecs.NewFromConfig(w.cfg).ListTaskDefinitions(context.Background(), &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(family), Status: ecstypes.TaskDefinitionStatusActive})
	if err != nil {
		w.t.Fatal(err)
	}
	return out.TaskDefinitionArns
}

func TestColdDeployOfTheRootSpec(t *testing.T) {
	w := newWorld(t)
	r := w.launch(rootSpec, "--output", "json")
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	rep := r.report
	if rep.Result != "succeeded" || len(rep.Agents) != 1 || len(rep.Roles) != 2 {
		t.Fatalf("report: %+v", rep)
	}
	for _, role := range rep.Roles {
		if role.Action != "created" {
			t.Errorf("role %s %s", role.Name, role.Action)
		}
		got, err := iam.NewFromConfig(w.cfg).GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String(role.Name)})
		if err != nil || aws.ToString(got.Role.Arn) != role.ARN {
			t.Errorf("role %s: report ARN %s, IAM says %v (%v)", role.Name, role.ARN, got, err)
		}
	}
	a := rep.Agents[0]
	if a.TaskDefinition.Action != "registered" || a.TaskDefinition.Revision != 1 || a.Service.Action != "created" || a.LogGroup.Action != "created" {
		t.Errorf("agent report: %+v", a)
	}
	if rep.Cluster.Action != "created" {
		t.Errorf("cluster %s", rep.Cluster.Action)
	}

	svc := w.describeService("matillion-streaming", "streaming-agent")
	p := primary(svc)
	if aws.ToString(svc.ServiceArn) != a.Service.ARN || aws.ToString(p.Id) != a.Service.DeploymentID {
		t.Errorf("report service %s/%s, ECS %s/%s", a.Service.ARN, a.Service.DeploymentID, aws.ToString(svc.ServiceArn), aws.ToString(p.Id))
	}
	if p.RolloutState != ecstypes.DeploymentRolloutStateCompleted || p.RunningCount != 1 || aws.ToString(p.TaskDefinition) != a.TaskDefinition.ARN {
		t.Errorf("PRIMARY deployment: %s running %d on %s; report says %s", p.RolloutState, p.RunningCount, aws.ToString(p.TaskDefinition), a.TaskDefinition.ARN)
	}
	if a.Service.RolloutState != "COMPLETED" || a.Service.RunningCount != 1 {
		t.Errorf("report rollout %s running %d", a.Service.RolloutState, a.Service.RunningCount)
	}

	td, err := ecs.NewFromConfig(w.cfg).DescribeTaskDefinition(context.Background(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(a.TaskDefinition.ARN)})
	if err != nil {
		t.Fatal(err)
	}
	c := td.TaskDefinition.ContainerDefinitions[0]
	secrets := map[string]string{}
	for _, s := range c.Secrets {
		secrets[aws.ToString(s.Name)] = aws.ToString(s.ValueFrom)
	}
	if secrets["OAUTH_CLIENT_ID"] != w.secretARN+":client_id::" || secrets["OAUTH_CLIENT_SECRET"] != w.secretARN+":client_secret::" {
		t.Errorf("container secrets = %v (secret %s)", secrets, w.secretARN)
	}
	if aws.ToString(c.Image) != w.env["AGENT_IMAGE"] || aws.ToString(td.TaskDefinition.Cpu) != "1024" || aws.ToString(td.TaskDefinition.Memory) != "4096" {
		t.Errorf("task definition image %s cpu %s memory %s", aws.ToString(c.Image), aws.ToString(td.TaskDefinition.Cpu), aws.ToString(td.TaskDefinition.Memory))
	}

	lg, err := cloudwatchlogs.NewFromConfig(w.cfg).DescribeLogGroups(context.Background(), &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/ecs/streaming-agent")})
	if err != nil || len(lg.LogGroups) != 1 || aws.ToInt32(lg.LogGroups[0].RetentionInDays) != 30 {
		t.Errorf("log group: %+v %v", lg, err)
	}
	if rep.Calls.TotalWrites == 0 || rep.Calls.Writes["ecs:CreateService"] != 1 || rep.Calls.Writes["ecs:RegisterTaskDefinition"] != 1 {
		t.Errorf("report calls: %+v", rep.Calls)
	}
}

func TestSecondRunChangesNothing(t *testing.T) {
	w := newWorld(t)
	if r := w.launch(rootSpec); r.code != 0 {
		t.Fatalf("first run exit %d", r.code)
	}
	r := w.launch(rootSpec, "--output", "json")
	if r.code != 0 {
		t.Fatalf("second run exit %d", r.code)
	}
	if r.report.Calls.TotalWrites != 0 {
		t.Errorf("second run wrote: %v", r.report.Calls.Writes)
	}
	if got := w.activeRevisions("streaming-agent"); len(got) != 1 {
		t.Errorf("revisions after two runs: %v", got)
	}
	a := r.report.Agents[0]
	if !a.TaskDefinition.Reused || a.TaskDefinition.Revision != 1 || a.Service.Action != "unchanged" || a.Service.Outcome != "completed" {
		t.Errorf("agent report: %+v", a)
	}
}

func TestImageChangeMakesOneRevisionAndOneUpdate(t *testing.T) {
	w := newWorld(t)
	if r := w.launch(rootSpec); r.code != 0 {
		t.Fatalf("first run exit %d", r.code)
	}
	w.env["AGENT_IMAGE"] = "public.ecr.aws/matillion/streaming-agent:1.1"
	r := w.launch(rootSpec, "--output", "json")
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	writes := r.report.Calls.Writes
	if writes["ecs:RegisterTaskDefinition"] != 1 || writes["ecs:UpdateService"] != 1 || r.report.Calls.TotalWrites != 2 {
		t.Errorf("writes = %v, want exactly one RegisterTaskDefinition and one UpdateService", writes)
	}
	a := r.report.Agents[0]
	if a.TaskDefinition.Revision != 2 {
		t.Errorf("revision %d, want 2", a.TaskDefinition.Revision)
	}
	p := primary(w.describeService("matillion-streaming", "streaming-agent"))
	if aws.ToString(p.TaskDefinition) != a.TaskDefinition.ARN || p.RolloutState != ecstypes.DeploymentRolloutStateCompleted {
		t.Errorf("PRIMARY on %s %s, want %s COMPLETED", aws.ToString(p.TaskDefinition), p.RolloutState, a.TaskDefinition.ARN)
	}
}

func TestFailingImageIsReportedAsRollback(t *testing.T) {
	w := newWorld(t)
	if r := w.launch(rootSpec); r.code != 0 {
		t.Fatalf("first run exit %d", r.code)
	}
	bad := "public.ecr.aws/matillion/streaming-agent:broken"
	w.h.MarkImageFailing(t, bad, "")
	w.env["AGENT_IMAGE"] = bad
	r := w.launch(rootSpec, "--output", "json")
	if r.code != 3 {
		t.Fatalf("exit %d, want 3", r.code)
	}
	for _, want := range []string{"rolled back", "streaming-agent:1", "ResourceInitializationError", "AccessDeniedException"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	if r.report.Result != "rollout failed" || r.report.Agents[0].Service.Outcome != "rolled back" {
		t.Errorf("report result %q outcome %q", r.report.Result, r.report.Agents[0].Service.Outcome)
	}
}

func TestWaitTimeout(t *testing.T) {
	w := newWorld(t)
	w.h.SetDeploymentDuration(t, time.Minute)
	const timeout, poll = 3 * time.Second, time.Second
	r := w.launch(rootSpec, "--output", "json", "--timeout", timeout.String(), "--poll-interval", poll.String())
	if r.code != 4 {
		t.Fatalf("exit %d, want 4", r.code)
	}
	if !strings.Contains(r.stderr, "did not complete within 3s") {
		t.Errorf("stderr does not explain the timeout")
	}
	// The wait ends within the timeout plus one poll interval (the last
	// DescribeServices call may take a moment on a loaded machine).
	if got := r.report.Agents[0].Service.WaitSeconds; got > (timeout+15*time.Second).Seconds() || got < timeout.Seconds() {
		t.Errorf("waited %.1fs for a %s timeout", got, timeout)
	}
}

func TestThreeAgentsShareOneRolePair(t *testing.T) {
	w := newWorld(t)
	other := emulator.CreateSecret(t, w.cfg, "fleet/other", `{"token":"t"}`, "")
	dir := t.TempDir()
	spec := `region: ${AWS_REGION}
cluster:
  name: fleet
  create: true
taskRole:
  name: fleet-task
executionRole:
  name: fleet-exec
secrets:
  creds: matillion/streaming-agent/credentials
  other: fleet/other
defaults:
  image: ${AGENT_IMAGE}
  network:
    subnets:
      - ${SUBNET_1}
    securityGroups:
      - ${SECURITY_GROUP}
  secrets:
    OAUTH_CLIENT_ID: {secret: creds, key: client_id}
agents:
  - name: agent-1
  - name: agent-2
  - name: agent-3
    secrets:
      TOKEN: {secret: other, key: token}
`
	path := filepath.Join(dir, "fleet.yaml")
	if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	r := w.launch(path, "--output", "json")
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	writes := r.report.Calls.Writes
	if writes["iam:CreateRole"] != 2 || writes["ecs:RegisterTaskDefinition"] != 3 || writes["ecs:CreateService"] != 3 || writes["iam:PutRolePolicy"] != 1 {
		t.Errorf("writes = %v", writes)
	}
	for _, name := range []string{"agent-1", "agent-2", "agent-3"} {
		if p := primary(w.describeService("fleet", name)); p.RolloutState != ecstypes.DeploymentRolloutStateCompleted {
			t.Errorf("%s: %s", name, p.RolloutState)
		}
	}
	doc, err := iam.NewFromConfig(w.cfg).GetRolePolicy(context.Background(), &iam.GetRolePolicyInput{RoleName: aws.String("fleet-exec"), PolicyName: aws.String("launch-secrets-" + w.cfg.Region + "-fleet")})
	if err != nil {
		t.Fatal(err)
	}
	for _, arn := range []string{w.secretARN, other} {
		if !strings.Contains(aws.ToString(doc.PolicyDocument), arn) && !strings.Contains(aws.ToString(doc.PolicyDocument), strings.ReplaceAll(arn, ":", "%3A")) {
			t.Errorf("secrets policy lacks %s", arn)
		}
	}
}

func TestInterruptDuringWaitThenRerunCompletes(t *testing.T) {
	w := newWorld(t)
	w.h.SetDeploymentDuration(t, 30*time.Second)
	cmd := w.command(rootSpec, "--poll-interval", "200ms")
	stderr := startUntil(t, cmd, 60*time.Second, "reached the wait", func(s string) bool { return strings.Contains(s, "IN_PROGRESS") })
	if code, _ := interrupt(t, cmd, 1); code != 130 {
		t.Fatalf("exit %d, want 130\n%s", code, stderr.String())
	}
	for _, want := range []string{"stopped following deployment", "rerun"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}

	w.h.SetDeploymentDuration(t, 300*time.Millisecond)
	r := w.launch(rootSpec, "--output", "json")
	if r.code != 0 || r.report.Calls.TotalWrites != 0 || r.report.Agents[0].Service.RolloutState != "COMPLETED" {
		t.Errorf("rerun: exit %d writes %v state %s", r.code, r.report.Calls.Writes, r.report.Agents[0].Service.RolloutState)
	}
}

func TestBaseTaskDefinitionKeepsWhatTheSpecDoesNotMention(t *testing.T) {
	w := newWorld(t)
	base, err := filepath.Abs("testdata/base-two-containers.json")
	if err != nil {
		t.Fatal(err)
	}
	root, err := os.ReadFile(rootSpec)
	if err != nil {
		t.Fatal(err)
	}
	// The root spec with a base task definition and an inline policy path
	// that still resolves from the temporary directory.
	spec := strings.Replace(string(root), "    image: ${AGENT_IMAGE}\n", "    image: ${AGENT_IMAGE}\n    baseTaskDefinition: "+base+"\n", 1)
	policyPath, _ := filepath.Abs("../../policies/read-config-bucket.json")
	spec = strings.Replace(spec, "file: policies/read-config-bucket.json", "file: "+policyPath, 1)
	path := filepath.Join(t.TempDir(), "deploy.yaml")
	if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	r := w.launch(path, "--output", "json")
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	out, err := ecs.NewFromConfig(w.cfg).DescribeTaskDefinition(context.Background(), &ecs.DescribeTaskDefinitionInput{
		TaskDefinition: aws.String(r.report.Agents[0].TaskDefinition.ARN), Include: []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags}})
	if err != nil {
		t.Fatal(err)
	}
	td := out.TaskDefinition
	if len(td.ContainerDefinitions) != 2 || len(td.Volumes) != 2 {
		t.Fatalf("containers %d volumes %d, want 2 and 2", len(td.ContainerDefinitions), len(td.Volumes))
	}
	byName := map[string]ecstypes.ContainerDefinition{}
	for _, c := range td.ContainerDefinitions {
		byName[aws.ToString(c.Name)] = c
	}
	agent, sidecar := byName["streaming-agent"], byName["cache-warmer"]
	// Patched: image, environment (spec wins, base-only entries kept), secrets, logs.
	if aws.ToString(agent.Image) != w.env["AGENT_IMAGE"] {
		t.Errorf("agent image %s", aws.ToString(agent.Image))
	}
	env := map[string]string{}
	for _, kv := range agent.Environment {
		env[aws.ToString(kv.Name)] = aws.ToString(kv.Value)
	}
	if env["AGENT_ID"] != w.env["MATILLION_AGENT_ID"] || env["LOG_LEVEL"] != "info" || env["CLOUD_PROVIDER"] != "AWS" {
		t.Errorf("agent environment %v", env)
	}
	if len(agent.Secrets) != 2 || agent.LogConfiguration == nil || agent.LogConfiguration.Options["awslogs-group"] != "/ecs/streaming-agent" {
		t.Errorf("agent secrets %v logs %+v", agent.Secrets, agent.LogConfiguration)
	}
	// Kept: everything the spec does not mention.
	if aws.ToString(agent.User) != "1000:1000" || !aws.ToBool(agent.ReadonlyRootFilesystem) || agent.HealthCheck == nil ||
		aws.ToInt32(agent.HealthCheck.StartPeriod) != 60 || len(agent.MountPoints) != 1 || len(agent.DependsOn) != 1 {
		t.Errorf("agent container lost base settings: %+v", agent)
	}
	if aws.ToString(sidecar.Image) != "public.ecr.aws/docker/library/busybox:1.36" || aws.ToBool(sidecar.Essential) || len(sidecar.Command) != 3 || len(sidecar.Environment) != 0 || sidecar.LogConfiguration != nil {
		t.Errorf("sidecar was changed: %+v", sidecar)
	}
	// And a second run reuses the revision: the base's own fields compare equal.
	again := w.launch(path, "--output", "json")
	if again.code != 0 || !again.report.Agents[0].TaskDefinition.Reused || again.report.Calls.TotalWrites != 0 {
		t.Errorf("second run: exit %d reused %v writes %v", again.code, again.report.Agents[0].TaskDefinition.Reused, again.report.Calls.Writes)
	}
}

func TestRollbackReturnsToThePreviousRevision(t *testing.T) {
	w := newWorld(t)
	w.env["AGENT_IMAGE"] = "public.ecr.aws/matillion/streaming-agent:A"
	a := w.launch(rootSpec, "--output", "json")
	w.env["AGENT_IMAGE"] = "public.ecr.aws/matillion/streaming-agent:B"
	b := w.launch(rootSpec, "--output", "json")
	if a.code != 0 || b.code != 0 {
		t.Fatalf("deploys exit %d, %d", a.code, b.code)
	}
	r := w.launch("rollback", rootSpec, "--output", "json")
	if r.code != 0 {
		t.Fatalf("rollback exit %d", r.code)
	}
	revA := a.report.Agents[0].TaskDefinition.ARN
	p := primary(w.describeService("matillion-streaming", "streaming-agent"))
	if aws.ToString(p.TaskDefinition) != revA || p.RolloutState != ecstypes.DeploymentRolloutStateCompleted {
		t.Errorf("after rollback PRIMARY runs %s %s, want %s COMPLETED", aws.ToString(p.TaskDefinition), p.RolloutState, revA)
	}
	if w := r.report.Calls.Writes; w["ecs:UpdateService"] != 1 || w["ecs:TagResource"] != 1 || r.report.Calls.TotalWrites != 2 {
		t.Errorf("rollback writes %v, want one UpdateService and the rollback mark", w)
	}
	if r := w.launch("rollback", rootSpec, "--agent", "nope"); r.code != 2 {
		t.Errorf("rollback of an unknown agent: exit %d, want 2", r.code)
	}
}

func TestGitHubActionsSummaryAndOutputs(t *testing.T) {
	w := newWorld(t)
	dir := t.TempDir()
	summary, outputs := filepath.Join(dir, "summary.md"), filepath.Join(dir, "outputs")
	w.env["GITHUB_ACTIONS"], w.env["GITHUB_STEP_SUMMARY"], w.env["GITHUB_OUTPUT"] = "true", summary, outputs
	r := w.launch(rootSpec, "--output", "json")
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	a := r.report.Agents[0]
	got, _ := os.ReadFile(outputs)
	for _, want := range []string{
		"task-definition-arn=" + a.TaskDefinition.ARN + "\n",
		"service-arn=" + a.Service.ARN + "\n",
		"streaming-agent-task-definition-arn=" + a.TaskDefinition.ARN + "\n",
		"result=succeeded\n",
	} {
		if !strings.Contains(string(got), want) {
			t.Errorf("outputs lack %q:\n%s", want, got)
		}
	}
	md, _ := os.ReadFile(summary)
	for _, want := range []string{"## ✅ launch", "| service | `streaming-agent` | created |", "| task definition | `streaming-agent:1` | registered |"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("summary lacks %q:\n%s", want, md)
		}
	}

	// A failing run annotates the error.
	w.env["AGENT_IMAGE"] = "bad:1"
	w.h.MarkImageFailing(t, "bad:1", "")
	r = w.launch(rootSpec)
	if r.code != 3 || !strings.Contains(r.stderr, "::error::service streaming-agent: deployment") {
		t.Errorf("exit %d; stderr lacks the ::error:: annotation", r.code)
	}
	if r := w.launch("plan", rootSpec); r.code != 0 {
		t.Errorf("plan exit %d", r.code)
	}
	md, _ = os.ReadFile(summary)
	if !strings.Contains(string(md), "## launch plan") || !strings.Contains(string(md), "```diff") {
		t.Errorf("plan summary missing:\n%s", md)
	}
}

func TestDestroyRemovesExactlyWhatDeployCreated(t *testing.T) {
	w := newWorld(t)
	iamc := iam.NewFromConfig(w.cfg)
	ctx := context.Background()
	// The task role exists before launch, with a policy of its own.
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	if _, err := iamc.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("matillion-streaming-agent-task"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	if _, err := iamc.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("matillion-streaming-agent-task"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}); err != nil {
		t.Fatal(err)
	}
	if r := w.launch(rootSpec); r.code != 0 {
		t.Fatalf("deploy exit %d", r.code)
	}
	if r := w.launch("destroy", rootSpec, "--roles"); r.code != 2 || !strings.Contains(r.stderr, "--yes") {
		t.Errorf("destroy without --yes off a terminal: exit %d", r.code)
	}
	r := w.launch("destroy", rootSpec, "--roles", "--yes")
	if r.code != 0 {
		t.Fatalf("destroy exit %d", r.code)
	}

	ecsc := ecs.NewFromConfig(w.cfg)
	if out, _ := ecsc.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("matillion-streaming"), Services: []string{"streaming-agent"}}); out != nil {
		for _, s := range out.Services {
			if aws.ToString(s.Status) == "ACTIVE" {
				t.Error("service still ACTIVE")
			}
		}
	}
	if got := w.activeRevisions("streaming-agent"); len(got) != 0 {
		t.Errorf("task definitions still ACTIVE: %v", got)
	}
	if cl, _ := ecsc.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{"matillion-streaming"}}); cl != nil {
		for _, c := range cl.Clusters {
			if aws.ToString(c.Status) == "ACTIVE" {
				t.Error("the cluster launch created is still ACTIVE")
			}
		}
	}
	if _, err := iamc.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("matillion-streaming-agent-execution")}); err == nil {
		t.Error("the execution role launch created still exists")
	}
	lg, _ := cloudwatchlogs.NewFromConfig(w.cfg).DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/ecs/streaming-agent")})
	if lg != nil && len(lg.LogGroups) != 0 {
		t.Error("the log group launch created still exists")
	}
	// The pre-existing role and its own policy are intact.
	if _, err := iamc.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("matillion-streaming-agent-task")}); err != nil {
		t.Fatalf("the pre-existing task role was deleted: %v", err)
	}
	att, _ := iamc.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("matillion-streaming-agent-task")})
	if att == nil || len(att.AttachedPolicies) != 1 {
		t.Errorf("pre-existing role's managed policies: %+v", att)
	}
	if !strings.Contains(r.stderr, "role matillion-streaming-agent-task: skipped (not created by launch") {
		t.Errorf("destroy does not say why it skipped the pre-existing role")
	}
	// Running it again finds nothing left to delete.
	if again := w.launch("destroy", rootSpec, "--roles", "--yes"); again.code != 0 || strings.Contains(again.stderr, ": deleted") {
		t.Errorf("second destroy: exit %d\n%s", again.code, again.stderr)
	}
}

func TestRerunAfterAFailedFirstDeploymentRetries(t *testing.T) {
	w := newWorld(t)
	// The very first deployment fails: nothing to roll back to, so the
	// service keeps our revision with a FAILED deployment.
	w.h.MarkImageFailing(t, w.env["AGENT_IMAGE"], "")
	if r := w.launch(rootSpec); r.code != 3 {
		t.Fatalf("first deploy: exit %d, want 3", r.code)
	}
	// The cause is fixed outside the spec (say, a KMS key policy): the same
	// spec again must start a new deployment, not follow the failed one.
	w.h.ClearFailingImages(t)
	r := w.launch(rootSpec, "--output", "json")
	if r.code != 0 {
		t.Fatalf("rerun: exit %d, want 0", r.code)
	}
	if r.report.Calls.Writes["ecs:UpdateService"] != 1 || r.report.Calls.Writes["ecs:RegisterTaskDefinition"] != 0 {
		t.Errorf("rerun writes %v, want one UpdateService (forceNewDeployment) and no new revision", r.report.Calls.Writes)
	}
}

func TestRollbackRerunFollowsTheRollbackInFlight(t *testing.T) {
	w := newWorld(t)
	w.env["AGENT_IMAGE"] = "public.ecr.aws/matillion/streaming-agent:A"
	a := w.launch(rootSpec, "--output", "json")
	w.env["AGENT_IMAGE"] = "public.ecr.aws/matillion/streaming-agent:B"
	if b := w.launch(rootSpec); a.code != 0 || b.code != 0 {
		t.Fatalf("deploys exit %d, %d", a.code, b.code)
	}
	w.h.SetDeploymentDuration(t, 3*time.Second)
	if r := w.launch("rollback", rootSpec, "--no-wait"); r.code != 0 {
		t.Fatalf("rollback --no-wait exit %d", r.code)
	}
	// Rerun while the rollback to A is still in progress: follow it, do not
	// go back another revision (there is none: that would be an error).
	r := w.launch("rollback", rootSpec, "--output", "json", "--poll-interval", "200ms")
	if r.code != 0 || r.report.Calls.TotalWrites != 0 || !strings.Contains(r.stderr, "by an earlier launch rollback; following it") {
		t.Fatalf("rerun: exit %d, writes %v", r.code, r.report.Calls.Writes)
	}
	p := primary(w.describeService("matillion-streaming", "streaming-agent"))
	if aws.ToString(p.TaskDefinition) != a.report.Agents[0].TaskDefinition.ARN || p.RolloutState != ecstypes.DeploymentRolloutStateCompleted {
		t.Errorf("PRIMARY on %s %s", aws.ToString(p.TaskDefinition), p.RolloutState)
	}
	// Once it completed, the same command still does not go further back.
	again := w.launch("rollback", rootSpec, "--output", "json")
	if again.code != 0 || again.report.Calls.TotalWrites != 0 {
		t.Errorf("rollback after a completed rollback: exit %d writes %v", again.code, again.report.Calls.Writes)
	}
	// --to picks a revision explicitly (here: forward again to B).
	w.h.SetDeploymentDuration(t, 300*time.Millisecond)
	to := w.launch("rollback", rootSpec, "--to", "2", "--output", "json")
	p = primary(w.describeService("matillion-streaming", "streaming-agent"))
	if to.code != 0 || !strings.HasSuffix(aws.ToString(p.TaskDefinition), ":2") {
		t.Errorf("rollback --to 2: exit %d, PRIMARY on %s", to.code, aws.ToString(p.TaskDefinition))
	}
}

func TestARunThatFailsHalfwayConvergesOnRerun(t *testing.T) {
	w := newWorld(t)
	// CreateService fails once with an error the SDK does not retry: the
	// roles, log group and task definition exist, the service does not.
	w.h.InjectFault(t, emulator.Fault{Action: "CreateService", Count: 1, Status: 400, Code: "ClientException", Message: "injected: the service could not be created"})
	if r := w.launch(rootSpec); r.code != 1 || !strings.Contains(r.stderr, "create service streaming-agent") {
		t.Fatalf("first run: exit %d, want 1 naming the service", r.code)
	}
	r := w.launch(rootSpec, "--output", "json")
	if r.code != 0 {
		t.Fatalf("rerun: exit %d", r.code)
	}
	writes := r.report.Calls.Writes
	if writes["ecs:CreateService"] != 1 || r.report.Calls.TotalWrites != 1 {
		t.Errorf("rerun writes %v, want only the missing CreateService", writes)
	}
	if a := r.report.Agents[0]; !a.TaskDefinition.Reused || a.Service.RolloutState != "COMPLETED" {
		t.Errorf("rerun: %+v", a)
	}
}
