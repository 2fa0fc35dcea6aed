package emulator_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/launchdeploy/launch/internal/emulator"
)

var ctx = context.Background()

const trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

func setup(t *testing.T) (*emulator.Harness, aws.Config) {
	t.Helper()
	h := emulator.NewHarness(t)
	h.Reset(t)
	return h, emulator.Config(t)
}

func noRetry(cfg aws.Config) aws.Config {
	cfg.Retryer = func() aws.Retryer { return aws.NopRetryer{} }
	return cfg
}

func TestCountActions(t *testing.T) {
	got := emulator.CountActions([]emulator.Request{
		{Service: "iam", Action: "CreateRole"}, {Service: "iam", Action: "CreateRole", Injected: true}, {Service: "ecs", Action: "UpdateService"},
	})
	if got["iam:CreateRole"] != 2 || got["ecs:UpdateService"] != 1 || len(got) != 2 {
		t.Fatalf("CountActions = %v", got)
	}
}

func TestHealth(t *testing.T) {
	h := emulator.NewHarness(t)
	// moto 5.2.5 on the moto lane; LocalStack 4.13.1 (with its own moto fork) on the other.
	if hl := h.Health(t); hl.Harness != "launch" || hl.Moto != "5.2.5" && hl.LocalStack != "4.13.1" {
		t.Fatalf("health = %+v", hl)
	}
}

func TestResetWipesState(t *testing.T) {
	h, cfg := setup(t)
	c := iam.NewFromConfig(cfg)
	if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("wipe-me"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	h.InjectFault(t, emulator.Fault{Action: "ListRoles", Count: 5, Code: "Throttling"})
	h.Reset(t)
	_, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("wipe-me")})
	var nse *iamtypes.NoSuchEntityException
	if !errors.As(err, &nse) {
		t.Fatalf("GetRole after reset: %v, want NoSuchEntity", err)
	}
	if _, err := c.ListRoles(ctx, &iam.ListRolesInput{}); err != nil {
		t.Fatalf("fault survived reset: %v", err)
	}
	if got := h.Requests(t); len(got) != 2 || got[0].Action != "GetRole" {
		t.Fatalf("request log after reset = %+v", got)
	}
}

func TestManagedPolicyAttach(t *testing.T) {
	_, cfg := setup(t)
	c := iam.NewFromConfig(cfg)
	if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("exec"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{
		RoleName:  aws.String("exec"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"),
	}); err != nil {
		t.Fatal(err)
	}
}

func TestLatency(t *testing.T) {
	h, cfg := setup(t)
	c := sts.NewFromConfig(cfg)
	const lat = 300 * time.Millisecond
	h.SetLatency(t, lat)
	start := time.Now()
	if _, err := c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < lat {
		t.Fatalf("call took %v, want >= %v", d, lat)
	}
	h.SetLatency(t, 0)
}

func checkAPIError(t *testing.T, err error, code string, status int) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want an API error %s", err, code)
	}
	if ae.ErrorCode() != code || ae.ErrorMessage() != "Rate exceeded" {
		t.Fatalf("API error = %q %q, want %q", ae.ErrorCode(), ae.ErrorMessage(), code)
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("StatusCode: %d", status)) {
		t.Fatalf("err = %v, want HTTP status %d", err, status)
	}
	// The SDK's standard retryer recognises it as retryable (throttle / transient).
	if retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) != aws.TrueTernary {
		t.Fatalf("standard retryer does not retry %v", err)
	}
}

func TestFaultQueryProtocol(t *testing.T) {
	h, cfg := setup(t)
	c := iam.NewFromConfig(noRetry(cfg))
	h.InjectFault(t, emulator.Fault{Action: "CreateRole", Count: 1, Status: 400, Code: "Throttling", Message: "Rate exceeded"})
	_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trust)})
	checkAPIError(t, err, "Throttling", 400)
	want := []emulator.Request{{Service: "iam", Action: "CreateRole", Injected: true}}
	if got := h.Requests(t); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("requests = %+v, want %+v", got, want)
	}
	// The fault is used up: the next call passes.
	if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
}

func TestFaultJSONProtocol(t *testing.T) {
	h, cfg := setup(t)
	cfg = noRetry(cfg)
	h.InjectFault(t, emulator.Fault{Action: "DescribeSecret", Code: "ThrottlingException", Message: "Rate exceeded"})
	_, err := secretsmanager.NewFromConfig(cfg).DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("x")})
	checkAPIError(t, err, "ThrottlingException", 400)

	h.InjectFault(t, emulator.Fault{Action: "ListClusters", Status: 503, Code: "ServiceUnavailable", Message: "Rate exceeded"})
	_, err = ecs.NewFromConfig(cfg).ListClusters(ctx, &ecs.ListClustersInput{})
	checkAPIError(t, err, "ServiceUnavailable", 503)

	reqs := h.Requests(t)
	if len(reqs) != 2 || !reqs[0].Injected || !reqs[1].Injected || reqs[0].Service != "secretsmanager" || reqs[1].Service != "ecs" {
		t.Fatalf("requests = %+v", reqs)
	}
}

func TestFaultEC2Protocol(t *testing.T) {
	h, cfg := setup(t)
	h.InjectFault(t, emulator.Fault{Action: "DescribeVpcs", Status: 500, Code: "InternalError", Message: "Rate exceeded"})
	_, err := ec2.NewFromConfig(noRetry(cfg)).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	checkAPIError(t, err, "InternalError", 500)
}

func TestFaultRetriedBySDK(t *testing.T) {
	h, cfg := setup(t)
	// The default retryer (3 attempts) retries Throttling twice and then succeeds.
	h.InjectFault(t, emulator.Fault{Action: "CreateRole", Count: 2, Code: "Throttling", Message: "Rate exceeded"})
	if _, err := iam.NewFromConfig(cfg).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	reqs := h.Requests(t)
	if len(reqs) != 3 || !reqs[0].Injected || !reqs[1].Injected || reqs[2].Injected {
		t.Fatalf("requests = %+v", reqs)
	}
	if n := emulator.CountActions(reqs)["iam:CreateRole"]; n != 3 {
		t.Fatalf("CreateRole count = %d", n)
	}
}

func TestCreateSecretAndNetwork(t *testing.T) {
	_, cfg := setup(t)
	arn := emulator.CreateSecret(t, cfg, "agent/creds", `{"client_id":"a","client_secret":"b"}`, "")
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	prefix := "arn:aws:secretsmanager:" + cfg.Region + ":" + aws.ToString(id.Account) + ":secret:agent/creds-"
	if !strings.HasPrefix(arn, prefix) || len(arn) != len(prefix)+6 {
		t.Fatalf("secret ARN = %s", arn)
	}
	n := emulator.CreateNetwork(t, cfg)
	if n.VPCID == "" || len(n.Subnets) != 2 || len(n.SecurityGroups) != 1 {
		t.Fatalf("network = %+v", n)
	}
	out, err := ec2.NewFromConfig(cfg).DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: n.Subnets})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Subnets[0].AvailabilityZone) == aws.ToString(out.Subnets[1].AvailabilityZone) {
		t.Fatalf("subnets share an AZ")
	}
}

// ---------------------------------------------------------------- ECS

type ecsFixture struct {
	h   *emulator.Harness
	c   *ecs.Client
	net emulator.Network
}

func newECS(t *testing.T) *ecsFixture {
	h, cfg := setup(t)
	h.SetDeploymentDuration(t, 300*time.Millisecond)
	f := &ecsFixture{h: h, c: ecs.NewFromConfig(cfg), net: emulator.CreateNetwork(t, cfg)}
	if _, err := f.c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("c")}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *ecsFixture) register(t *testing.T, image string) string {
	t.Helper()
	out, err := f.c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family:                  aws.String("agent"),
		RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
		NetworkMode:             ecstypes.NetworkModeAwsvpc,
		Cpu:                     aws.String("1024"),
		Memory:                  aws.String("4096"),
		ContainerDefinitions:    []ecstypes.ContainerDefinition{{Name: aws.String("agent"), Image: aws.String(image), Essential: aws.Bool(true)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.TaskDefinition.TaskDefinitionArn)
}

func (f *ecsFixture) create(t *testing.T, td string, breaker bool) *ecstypes.Service {
	t.Helper()
	in := &ecs.CreateServiceInput{
		Cluster: aws.String("c"), ServiceName: aws.String("s"), TaskDefinition: aws.String(td),
		DesiredCount: aws.Int32(1), LaunchType: ecstypes.LaunchTypeFargate,
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
			Subnets: f.net.Subnets, SecurityGroups: f.net.SecurityGroups, AssignPublicIp: ecstypes.AssignPublicIpDisabled,
		}},
	}
	if breaker {
		in.DeploymentConfiguration = &ecstypes.DeploymentConfiguration{
			DeploymentCircuitBreaker: &ecstypes.DeploymentCircuitBreaker{Enable: true, Rollback: true},
			MaximumPercent:           aws.Int32(100), MinimumHealthyPercent: aws.Int32(0),
		}
	}
	out, err := f.c.CreateService(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	return out.Service
}

func (f *ecsFixture) describe(t *testing.T) ecstypes.Service {
	t.Helper()
	out, err := f.c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("c"), Services: []string{"s"}})
	if err != nil || len(out.Services) != 1 {
		t.Fatalf("DescribeServices: %v %+v", err, out)
	}
	return out.Services[0]
}

func (f *ecsFixture) waitFor(t *testing.T, what string, ok func(ecstypes.Service) bool) ecstypes.Service {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		s := f.describe(t)
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; service = %+v", what, s.Deployments)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func primary(s ecstypes.Service) ecstypes.Deployment {
	for _, d := range s.Deployments {
		if aws.ToString(d.Status) == "PRIMARY" {
			return d
		}
	}
	return ecstypes.Deployment{}
}

func completed(s ecstypes.Service) bool {
	return len(s.Deployments) == 1 && primary(s).RolloutState == ecstypes.DeploymentRolloutStateCompleted
}

func TestECSCreateServiceDeploys(t *testing.T) {
	f := newECS(t)
	td := f.register(t, "repo/agent:1")
	svc := f.create(t, "agent", false)
	if aws.ToString(svc.TaskDefinition) != td {
		t.Fatalf("service taskDefinition = %s, want %s", aws.ToString(svc.TaskDefinition), td)
	}
	d := primary(*svc)
	if d.RolloutState != ecstypes.DeploymentRolloutStateInProgress || d.RunningCount != 0 || d.PendingCount != 1 ||
		aws.ToString(d.TaskDefinition) != td || !strings.HasPrefix(aws.ToString(d.Id), "ecs-svc/") {
		t.Fatalf("new deployment = %+v", d)
	}
	s := f.waitFor(t, "COMPLETED", completed)
	d = primary(s)
	if d.RunningCount != 1 || d.PendingCount != 0 || s.RunningCount != 1 || s.PendingCount != 0 {
		t.Fatalf("completed deployment = %+v, service running %d pending %d", d, s.RunningCount, s.PendingCount)
	}
	if got := aws.ToString(d.RolloutStateReason); got != "ECS deployment "+aws.ToString(d.Id)+" completed." {
		t.Fatalf("rolloutStateReason = %q", got)
	}
	if msg := aws.ToString(s.Events[0].Message); msg != "(service s) has reached a steady state." {
		t.Fatalf("newest event = %q", msg)
	}
	// The SDK's waiter agrees.
	w := ecs.NewServicesStableWaiter(f.c, func(o *ecs.ServicesStableWaiterOptions) { o.MinDelay = 100 * time.Millisecond })
	if err := w.Wait(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("c"), Services: []string{"s"}}, 10*time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestECSUpdateServiceNewTaskDefinition(t *testing.T) {
	f := newECS(t)
	td1 := f.register(t, "repo/agent:1")
	td2 := f.register(t, "repo/agent:2")
	f.create(t, td1, false)
	f.waitFor(t, "first deployment", completed)
	out, err := f.c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("c"), Service: aws.String("s"), TaskDefinition: aws.String("agent:2")})
	if err != nil {
		t.Fatal(err)
	}
	s := *out.Service
	if aws.ToString(s.TaskDefinition) != td2 {
		t.Fatalf("service taskDefinition = %q, want the ARN %q", aws.ToString(s.TaskDefinition), td2)
	}
	if len(s.Deployments) != 2 || aws.ToString(s.Deployments[0].Status) != "PRIMARY" || aws.ToString(s.Deployments[0].TaskDefinition) != td2 ||
		s.Deployments[0].RolloutState != ecstypes.DeploymentRolloutStateInProgress ||
		aws.ToString(s.Deployments[1].Status) != "ACTIVE" || aws.ToString(s.Deployments[1].TaskDefinition) != td1 {
		t.Fatalf("deployments after UpdateService = %+v", s.Deployments)
	}
	s = f.waitFor(t, "second deployment", completed)
	if aws.ToString(primary(s).TaskDefinition) != td2 || aws.ToString(s.TaskDefinition) != td2 {
		t.Fatalf("completed on %s", aws.ToString(primary(s).TaskDefinition))
	}
}

func TestECSFailingImageRollsBack(t *testing.T) {
	f := newECS(t)
	td1 := f.register(t, "repo/agent:1")
	td2 := f.register(t, "repo/agent:broken")
	f.h.MarkImageFailing(t, "repo/agent:broken", "")
	// Long enough that polling sees the FAILED deployment before the rollback completes.
	f.h.SetDeploymentDuration(t, 1500*time.Millisecond)
	f.create(t, td1, true)
	good := primary(f.waitFor(t, "first deployment", completed))
	out, err := f.c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("c"), Service: aws.String("s"), TaskDefinition: aws.String(td2)})
	if err != nil {
		t.Fatal(err)
	}
	badID := aws.ToString(out.Service.Deployments[0].Id)

	s := f.waitFor(t, "FAILED deployment", func(s ecstypes.Service) bool {
		for _, d := range s.Deployments {
			if aws.ToString(d.Id) == badID && d.RolloutState == ecstypes.DeploymentRolloutStateFailed {
				return true
			}
		}
		return false
	})
	for _, d := range s.Deployments {
		if aws.ToString(d.Id) == badID && (d.FailedTasks != 3 || aws.ToString(d.RolloutStateReason) != "ECS deployment circuit breaker: tasks failed to start.") {
			t.Fatalf("failed deployment = %+v", d)
		}
	}
	if aws.ToString(primary(s).TaskDefinition) != td1 || aws.ToString(s.TaskDefinition) != td1 {
		t.Fatalf("rollback PRIMARY on %s, service on %s, want %s", aws.ToString(primary(s).TaskDefinition), aws.ToString(s.TaskDefinition), td1)
	}
	var msgs []string
	for _, e := range s.Events {
		msgs = append(msgs, aws.ToString(e.Message))
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{
		"(service s) deployment " + badID + " deployment failed: tasks failed to start.",
		"(service s) rolling back to deployment " + aws.ToString(good.Id) + ".",
	} {
		if !strings.Contains(all, want) {
			t.Fatalf("events lack %q:\n%s", want, all)
		}
	}
	s = f.waitFor(t, "rollback COMPLETED", completed)
	if aws.ToString(primary(s).TaskDefinition) != td1 {
		t.Fatalf("after rollback PRIMARY on %s", aws.ToString(primary(s).TaskDefinition))
	}

	lt, err := f.c.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("c"), ServiceName: aws.String("s"), DesiredStatus: ecstypes.DesiredStatusStopped})
	if err != nil {
		t.Fatal(err)
	}
	dt, err := f.c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("c"), Tasks: lt.TaskArns})
	if err != nil {
		t.Fatal(err)
	}
	var failed int
	for _, task := range dt.Tasks {
		if aws.ToString(task.StartedBy) != badID {
			continue
		}
		failed++
		if aws.ToString(task.LastStatus) != "STOPPED" || task.StopCode != ecstypes.TaskStopCodeTaskFailedToStart ||
			!strings.HasPrefix(aws.ToString(task.StoppedReason), "ResourceInitializationError: unable to pull secrets") ||
			!strings.Contains(aws.ToString(task.StoppedReason), "AccessDeniedException") ||
			aws.ToString(task.TaskDefinitionArn) != td2 || aws.ToString(task.Group) != "service:s" ||
			len(task.Containers) != 1 || aws.ToInt32(task.Containers[0].ExitCode) != 1 || task.StoppedAt == nil {
			t.Fatalf("stopped task = %+v", task)
		}
	}
	if failed != 3 {
		t.Fatalf("%d stopped tasks from the failed deployment, want 3", failed)
	}
}

func TestECSUpdateServiceFamilyRevIsARN(t *testing.T) {
	f := newECS(t)
	td1 := f.register(t, "repo/agent:1")
	f.register(t, "repo/agent:2")
	f.create(t, td1, false)
	out, err := f.c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("c"), Service: aws.String("s"), TaskDefinition: aws.String("agent:1")})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.Service.TaskDefinition); got != td1 {
		t.Fatalf("taskDefinition = %q, want %q", got, td1)
	}
	// Same task definition, no force: no new deployment.
	if len(out.Service.Deployments) != 1 {
		t.Fatalf("deployments = %d, want 1", len(out.Service.Deployments))
	}
	if got := aws.ToString(f.describe(t).TaskDefinition); got != td1 {
		t.Fatalf("described taskDefinition = %q", got)
	}
}

func TestDropAfterResponseRetriedBySDK(t *testing.T) {
	h, cfg := setup(t)
	// The backend creates the role, the reply is lost, the Go SDK retries the
	// call (a dropped connection is retryable) and meets the role it made.
	h.DropAfterResponse(t, "CreateRole", 1)
	_, err := iam.NewFromConfig(cfg).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trust)})
	var exists *iamtypes.EntityAlreadyExistsException
	if !errors.As(err, &exists) {
		t.Fatalf("CreateRole after a lost reply: err = %v, want the retry's EntityAlreadyExists", err)
	}
	reqs := h.Requests(t)
	if len(reqs) != 2 || !reqs[0].Injected || reqs[1].Injected {
		t.Fatalf("requests = %+v", reqs)
	}
}
