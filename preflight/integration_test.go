package preflight

// Integration tests against the launch emulator (moto 5.2.5). They skip, or
// fail under LAUNCH_REQUIRE_EMULATOR=1, when it is not running. What moto
// answers, as observed:
//   - DescribeSubnets / DescribeSecurityGroups: InvalidSubnetID.NotFound /
//     InvalidGroup.NotFound (HTTP 400) for an unknown ID, as EC2 does; a
//     malformed subnet ID is also NotFound.
//   - ECR: CreateRepository + PutImage (with an imageManifest carrying a
//     mediaType) work; DescribeImages finds the tag, else answers
//     ImageNotFoundException or RepositoryNotFoundException (HTTP 400).
//   - iam:SimulatePrincipalPolicy is not implemented: moto answers HTTP 500
//     with an HTML page, which the SDK retries and then reports as a
//     deserialization error. preflight SKIPs the permissions check with one
//     short line naming the action and the HTTP status. sts:GetCallerIdentity says arn:aws:sts::123456789012:user/moto.

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/launchdeploy/launch/internal/emulator"
)

func emulatorSetup(t *testing.T) (*emulator.Harness, aws.Config, Clients, Input) {
	t.Helper()
	h := emulator.NewHarness(t)
	h.Reset(t)
	cfg := emulator.Config(t)
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	c := Clients{EC2: ec2.NewFromConfig(cfg), ECR: ecr.NewFromConfig(cfg), IAM: iam.NewFromConfig(cfg)}
	in := Input{Account: aws.ToString(id.Account), Partition: "aws", Region: cfg.Region, CallerARN: aws.ToString(id.Arn),
		Cluster: Cluster{Name: "c", WillCreate: true}}
	return h, cfg, c, in
}

func findCheck(t *testing.T, res Result, prefix string) Check {
	t.Helper()
	for _, c := range res.Checks {
		if strings.HasPrefix(c.Name, prefix) {
			return c
		}
	}
	t.Fatalf("no check %q in\n%s", prefix, res.Tree())
	return Check{}
}

func TestEmulatorNetwork(t *testing.T) {
	_, cfg, c, in := emulatorSetup(t)
	net := emulator.CreateNetwork(t, cfg)
	other := emulator.CreateNetwork(t, cfg)
	in.Agents = []Agent{
		{Name: "ok", Image: "nginx", Subnets: net.Subnets, SecurityGroups: net.SecurityGroups},
		{Name: "missing", Image: "nginx", Subnets: []string{net.Subnets[0], "subnet-0123456789abcdef0"}, SecurityGroups: net.SecurityGroups},
		{Name: "split", Image: "nginx", Subnets: net.Subnets, SecurityGroups: other.SecurityGroups},
	}
	res := Run(context.Background(), c, in)
	t.Log("\n" + res.Tree())
	want := []Check{
		{Name: "network of agent ok", Status: OK, Reason: "2 subnets and 1 security group in " + net.VPCID},
		{Name: "network of agent missing", Status: Fail, Reason: "subnet subnet-0123456789abcdef0 does not exist in " + cfg.Region},
		{Name: "network of agent split", Status: Fail, Reason: "subnets and security groups are in more than one VPC: "},
	}
	for i, w := range want {
		got := res.Checks[i]
		if got.Name != w.Name || got.Status != w.Status || !strings.HasPrefix(got.Reason, w.Reason) {
			t.Errorf("check %d = %+v, want %+v", i, got, w)
		}
	}
	for _, id := range []string{net.VPCID, other.VPCID, net.Subnets[0], other.SecurityGroups[0]} {
		if !strings.Contains(res.Checks[2].Reason, id) {
			t.Errorf("two-VPC reason %q does not name %s", res.Checks[2].Reason, id)
		}
	}
}

func TestEmulatorECRImage(t *testing.T) {
	_, cfg, c, in := emulatorSetup(t)
	ctx := context.Background()
	e := ecr.NewFromConfig(cfg)
	if _, err := e.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("team/agent")}); err != nil {
		t.Fatal(err)
	}
	const manifest = `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":7023,"digest":"sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7"},"layers":[]}`
	if _, err := e.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String("team/agent"), ImageTag: aws.String("v1"), ImageManifest: aws.String(manifest)}); err != nil {
		t.Fatal(err)
	}
	reg := in.Account + ".dkr.ecr." + in.Region + ".amazonaws.com/"
	in.Agents = []Agent{
		{Name: "a", Image: reg + "team/agent:v1"},
		{Name: "b", Image: reg + "team/agent:v2"},
		{Name: "c", Image: reg + "missing/repo:v1"},
		{Name: "d", Image: "public.ecr.aws/matillion/etl-agent:current"},
	}
	res := Run(context.Background(), Clients{ECR: c.ECR}, in)
	t.Log("\n" + res.Tree())
	for _, w := range []struct {
		image  string
		status Status
		reason string
	}{
		{reg + "team/agent:v1", OK, "found in ECR repository team/agent"},
		{reg + "team/agent:v2", Fail, "tag v2 not found in ECR repository team/agent"},
		{reg + "missing/repo:v1", Fail, "ECR repository missing/repo (account " + in.Account + ", " + in.Region + ") does not exist"},
		{"public.ecr.aws/matillion/etl-agent:current", Skip, "not in this account's ECR (public registry)"},
	} {
		got := findCheck(t, res, "image "+w.image)
		if got.Status != w.status || !strings.HasPrefix(got.Reason, w.reason) {
			t.Errorf("%s = %s %q, want %s %q…", w.image, got.Status, got.Reason, w.status, w.reason)
		}
	}
}

func TestEmulatorPermissions(t *testing.T) {
	h, _, c, in := emulatorSetup(t)
	in.RoleARNs = []string{"arn:aws:iam::" + in.Account + ":role/task"}
	in.Actions = []ActionCheck{{Action: "ecs:CreateCluster"}, {Action: "iam:GetRole", Resources: in.RoleARNs}}

	t.Run("moto does not implement SimulatePrincipalPolicy", func(t *testing.T) {
		h.ClearRequests(t)
		res := Run(context.Background(), c, in)
		t.Log("\n" + res.Tree())
		got := findCheck(t, res, "permissions")
		if h.Health(t).LocalStack != "" {
			// LocalStack's test credentials are the account root, which
			// preflight does not simulate (root may do everything).
			if got.Status != Skip || !strings.Contains(got.Reason, "root") {
				t.Fatalf("permissions = %+v; want SKIP for the account root", got)
			}
			return
		}
		if got.Name != "permissions of arn:aws:iam::"+in.Account+":user/moto" || got.Status != Skip ||
			!strings.HasPrefix(got.Reason, "iam:SimulatePrincipalPolicy failed: ") || !strings.Contains(got.Reason, "HTTP 500") || len(got.Reason) > 160 {
			t.Fatalf("permissions = %+v; want SKIP for moto's HTTP 500", got)
		}
		for _, r := range h.Requests(t) {
			if r.Service == "iam" && r.Action != "SimulatePrincipalPolicy" {
				t.Errorf("unexpected IAM call %s", r.Action)
			}
		}
	})
	t.Run("simulation denied", func(t *testing.T) {
		groups := len(actionGroups(in))
		h.InjectFault(t, emulator.Fault{Action: "SimulatePrincipalPolicy", Count: groups, Status: 403, Code: "AccessDenied",
			Message: "User: arn:aws:iam::123456789012:user/moto is not authorized to perform: iam:SimulatePrincipalPolicy"})
		h.ClearRequests(t)
		res := Run(context.Background(), c, in)
		t.Log("\n" + res.Tree())
		got := findCheck(t, res, "permissions")
		if h.Health(t).LocalStack != "" {
			// LocalStack's caller is the account root: preflight never gets
			// to simulate (the moto lane covers the denial).
			if got.Status != Skip || !strings.Contains(got.Reason, "root") || emulator.CountActions(h.Requests(t))["iam:SimulatePrincipalPolicy"] != 0 {
				t.Fatalf("permissions = %+v; want SKIP for the account root without a simulation", got)
			}
			return
		}
		if got.Status != Skip || !strings.HasPrefix(got.Reason, "the deploying identity may not call iam:SimulatePrincipalPolicy (") || len(got.Children) != 0 {
			t.Fatalf("permissions = %+v; want one SKIP saying the simulation is denied", got)
		}
		if n := emulator.CountActions(h.Requests(t))["iam:SimulatePrincipalPolicy"]; n != groups {
			t.Fatalf("%d SimulatePrincipalPolicy requests, want %d (each group at once, a denial not retried)", n, groups)
		}
	})
}

// createPolicy creates a customer-managed policy and returns its ARN.
func createPolicy(t *testing.T, cfg aws.Config, name string) string {
	t.Helper()
	out, err := iam.NewFromConfig(cfg).CreatePolicy(context.Background(), &iam.CreatePolicyInput{
		PolicyName:     aws.String(name),
		PolicyDocument: aws.String(`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.Policy.Arn)
}
