package rollout_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/launchdeploy/launch/internal/emulator"
	"github.com/launchdeploy/launch/rollout"
)

// What launch leaves on a role it did not write is said aloud on every
// deploy and left as it is: a task role trusting ECS without the
// confused-deputy condition the spec asks for, and the execution role's
// grant of launch versions before per-instance grants.
func TestDeployWarnsOfWhatItLeavesOnTheRoles(t *testing.T) {
	e := newEnv(t)
	ecsTrust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	legacy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:us-east-1:123456789012:secret:old-AbCdEf"}]}`
	ctx := context.Background()
	for _, role := range []string{"app-task", "app-exec"} {
		if _, err := e.iam().CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role), AssumeRolePolicyDocument: aws.String(ecsTrust)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.iam().PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("app-exec"), PolicyName: aws.String("launch-secrets-access"), PolicyDocument: aws.String(legacy)}); err != nil {
		t.Fatal(err)
	}
	y := strings.Replace(specYAML(nil, ""), "  trustedServices: [ec2.amazonaws.com]\n", "  trustedServices: [ec2.amazonaws.com]\n  confusedDeputyProtection: true\n", 1)
	out := &hooked{t: t}
	if err := rollout.Deploy(ctx, rollout.NewClients(e.cfg), e.spec(y), rollout.Options{NoWait: true}, out, rollout.NewReport("deploy.yaml")); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"WARNING: role app-task: a statement trusts ecs-tasks.amazonaws.com without any condition, so tasks of any account and region may assume the role: " +
			"the confused-deputy condition launch would add cannot restrict that; launch never rewrites a statement it did not write: change that statement yourself",
		"WARNING: role app-exec still has launch-secrets-access, the grant of launch versions before per-instance grants: launch leaves it",
	} {
		if !slices.ContainsFunc(out.lines, func(l string) bool { return strings.HasPrefix(l, want) }) {
			t.Errorf("progress lacks a line starting %q", want)
		}
	}
	if got := e.inlinePolicy("app-exec", "launch-secrets-access"); got == "" {
		t.Error("the legacy grant was removed")
	}
	unconditioned := false
	for _, s := range e.trustOf("app-task").Statement {
		if strings.Contains(fmt.Sprint(s["Principal"]), "ecs-tasks.amazonaws.com") && s["Condition"] == nil {
			unconditioned = true
		}
	}
	if !unconditioned {
		t.Errorf("the statement trusting ECS without a condition was rewritten:\n%s", e.trustOf("app-task").JSON())
	}
}

// After a failed write no agent's chain starts: with more agents than run
// at once, the ones still queued when the roles failed write nothing, not
// even their log group.
func TestAFailedRoleWriteStartsNoQueuedAgent(t *testing.T) {
	e := newEnv(t)
	var b strings.Builder
	b.WriteString(`region: ${REGION}
cluster: {name: apps, create: true}
taskRole: {name: app-task}
executionRole: {name: app-exec}
defaults:
  network: {subnets: ["${SUBNET_1}"], securityGroups: ["${SECURITY_GROUP}"]}
agents:
`)
	const n = 21 // one more than run at once
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "  - {name: agent-%02d, image: example.com/agent:1}\n", i)
	}
	sp := e.spec(b.String())
	e.h.ClearRequests(t)
	e.deny("iam", "CreateRole")
	_, _, err := e.deploy(sp, rollout.Options{})
	if err == nil || !strings.Contains(err.Error(), denied) {
		t.Fatalf("deploy with CreateRole refused: %v, want the refusal", err)
	}
	calls := emulator.CountActions(e.h.Requests(t))
	if calls["logs:CreateLogGroup"] > n-1 || calls["ecs:RegisterTaskDefinition"] != 0 || calls["ecs:CreateService"] != 0 {
		t.Errorf("calls %v, want at most %d log groups (the agents already started) and no task definition or service", calls, n-1)
	}
	if _, ok := e.logGroupTags(fmt.Sprintf("/ecs/agent-%02d", n)); ok {
		t.Errorf("agent-%02d, queued when the roles failed, created its log group", n)
	}
}

// A reply of RegisterTaskDefinition lost on the network makes the SDK
// register the definition twice: the deploy runs the first revision,
// reports it reused and deregisters the duplicate. When that deregistration
// fails, the deploy still runs the first and says the duplicate stays.
func TestALostRegistrationReplyRunsOneRevision(t *testing.T) {
	e := newEnv(t)
	y := applyYAML(0, false, "")
	y = strings.Replace(y, "secrets: {a: agent/a, b: agent/b}\n", "", 1)
	y = strings.Replace(y, "    secrets:\n      A: {secret: a}\n", "", 1)
	td := func(rev int) string {
		return fmt.Sprintf("arn:aws:ecs:%s:%s:task-definition/agent-0:%d", e.cfg.Region, e.account(), rev)
	}
	running := func() string {
		out, err := ecs.NewFromConfig(e.cfg).DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String("apps-0"), Services: []string{"agent-0"}})
		if err != nil || len(out.Services) != 1 {
			t.Fatalf("DescribeServices: %v %+v", err, out)
		}
		return aws.ToString(out.Services[0].TaskDefinition)
	}

	e.h.DropAfterResponse(t, "RegisterTaskDefinition", 1)
	out := &hooked{t: t}
	rep := rollout.NewReport("deploy.yaml")
	if err := rollout.Deploy(context.Background(), rollout.NewClients(e.cfg), e.spec(y), rollout.Options{NoWait: true}, out, rep); err != nil {
		t.Fatal(err)
	}
	if got := rep.Agents[0].TaskDefinition; got.ARN != td(1) || got.Action != "reused" || !got.Reused || got.Revision != 1 {
		t.Errorf("report: %+v, want revision 1 reused", got)
	}
	if want := "task definition agent-0: an identical agent-0:1 was registered meanwhile (a retried call or another run); using it, duplicate agent-0:2 deregistered"; !out.printed(want) {
		t.Errorf("progress lacks %q", want)
	}
	if revs := activeRevisions(t, e.cfg, "agent-0"); !slices.Equal(revs, []string{"agent-0:1"}) {
		t.Errorf("ACTIVE revisions %v, want agent-0:1 only", revs)
	}
	if got := running(); got != td(1) {
		t.Errorf("service runs %s, want %s", got, td(1))
	}

	// A new image: revisions 3 and 4, and 4 cannot be deregistered.
	e.h.DropAfterResponse(t, "RegisterTaskDefinition", 1)
	e.deny("ecs", "DeregisterTaskDefinition")
	out = &hooked{t: t}
	rep = rollout.NewReport("deploy.yaml")
	if err := rollout.Deploy(context.Background(), rollout.NewClients(e.cfg), e.spec(strings.Replace(y, "agent:1", "agent:2", 1)), rollout.Options{NoWait: true}, out, rep); err != nil {
		t.Fatal(err)
	}
	if got := rep.Agents[0].TaskDefinition; got.ARN != td(3) || !got.Reused {
		t.Errorf("report: %+v, want revision 3 reused", got)
	}
	if want := "WARNING: task definition agent-0: deregister the duplicate agent-0:4 of agent-0:3: "; !slices.ContainsFunc(out.lines, func(l string) bool { return strings.HasPrefix(l, want) && strings.Contains(l, denied) }) {
		t.Errorf("progress lacks a line starting %q with the refusal", want)
	}
	if revs := activeRevisions(t, e.cfg, "agent-0"); !slices.Contains(revs, "agent-0:3") || !slices.Contains(revs, "agent-0:4") {
		t.Errorf("ACTIVE revisions %v, want 3 run and 4 left", revs)
	}
	if got := running(); got != td(3) {
		t.Errorf("service runs %s, want %s", got, td(3))
	}
}

// A service another run created between this run's plan and its
// CreateService is taken as it is and converged on, not failed on.
func TestAServiceCreatedMeanwhileIsConvergedOn(t *testing.T) {
	e := newEnv(t)
	sp := e.spec(applyYAMLWithoutSecrets())
	c := rollout.NewClients(e.cfg)
	ctx := context.Background()
	p, err := rollout.MakePlan(ctx, c, sp)
	if err != nil {
		t.Fatal(err)
	}
	if p.Agents[0].Service != nil || !p.CreateCluster {
		t.Fatalf("plan of a fresh account: service %+v, create cluster %v", p.Agents[0].Service, p.CreateCluster)
	}
	// Another run creates the cluster and the service now, at 3 tasks of
	// its own task definition.
	ecsc := ecs.NewFromConfig(e.cfg)
	if _, err := ecsc.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("apps-0")}); err != nil {
		t.Fatal(err)
	}
	other, err := ecsc.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("other"), NetworkMode: ecstypes.NetworkModeAwsvpc,
		RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate}, Cpu: aws.String("256"), Memory: aws.String("512"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("main"), Image: aws.String("example.com/other:1")}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ecsc.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("apps-0"), ServiceName: aws.String("agent-0"),
		TaskDefinition: other.TaskDefinition.TaskDefinitionArn, DesiredCount: aws.Int32(3), LaunchType: ecstypes.LaunchTypeFargate,
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
			Subnets: []string{e.net.Subnets[0]}, SecurityGroups: []string{e.net.SecurityGroups[0]}}}}); err != nil {
		t.Fatal(err)
	}
	out := &hooked{t: t}
	rep := rollout.NewReport("deploy.yaml")
	if err := rollout.Apply(ctx, c, p, rollout.Options{NoWait: true}, out, rep); err != nil {
		t.Fatal(err)
	}
	if !out.printed("service agent-0 was created by another run meanwhile: converged on it") {
		t.Errorf("progress does not say the service was created meanwhile")
	}
	if got := rep.Agents[0].Service.Action; got != "updated" {
		t.Errorf("report: service %s, want updated", got)
	}
	svc := activeService(t, e.cfg, "apps-0", "agent-0")
	if svc == nil || svc.DesiredCount != 1 || aws.ToString(svc.TaskDefinition) != rep.Agents[0].TaskDefinition.ARN {
		t.Errorf("service after the converge: %+v, want 1 task of %s as the spec says", svc, rep.Agents[0].TaskDefinition.ARN)
	}
}

// untilRegistered is a retry backoff that waits until the emulator has
// seen a RegisterTaskDefinition (at most 10 s), so the call it delays fails
// only after the agent's task definition is registered.
type untilRegistered struct{ e *env }

func (u untilRegistered) BackoffDelay(int, error) (time.Duration, error) {
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if emulator.CountActions(u.e.h.Requests(u.e.t))["ecs:RegisterTaskDefinition"] > 0 {
			break
		}
	}
	return 0, nil
}

// A cluster that fails to be created after the agent's task definition is
// registered still gets no service: CreateService never runs against a
// cluster that does not exist, and the error is the cluster's.
func TestNoServiceAfterTheClusterFailed(t *testing.T) {
	e := newEnv(t)
	sp := e.spec(applyYAMLWithoutSecrets())
	cfg := e.cfg.Copy()
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = 2; o.Backoff = untilRegistered{e} })
	}
	e.h.ClearRequests(t)
	e.h.InjectFault(t, emulator.Fault{Service: "ecs", Action: "CreateCluster", Count: 2, Status: 500, Code: "ServerException", Message: "cluster refused by the test"})
	err := rollout.Deploy(context.Background(), rollout.NewClients(cfg), sp, rollout.Options{NoWait: true}, &hooked{t: t}, rollout.NewReport(sp.Path))
	if err == nil || !strings.HasPrefix(err.Error(), "create cluster apps-0: ") || !strings.Contains(err.Error(), "cluster refused by the test") {
		t.Errorf("deploy: %v, want the cluster's error", err)
	}
	calls := emulator.CountActions(e.h.Requests(t))
	if calls["ecs:RegisterTaskDefinition"] != 1 || calls["ecs:CreateService"] != 0 {
		t.Errorf("calls %v, want the task definition registered and no CreateService", calls)
	}
}

// applyYAMLWithoutSecrets is applyYAML's one-agent spec with no secret, so
// nothing needs creating in Secrets Manager first.
func applyYAMLWithoutSecrets() string {
	y := applyYAML(0, false, "")
	y = strings.Replace(y, "secrets: {a: agent/a, b: agent/b}\n", "", 1)
	return strings.Replace(y, "    secrets:\n      A: {secret: a}\n", "", 1)
}
