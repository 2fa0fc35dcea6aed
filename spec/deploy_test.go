package spec

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestRootDeployYAML loads the example at the repository root the way the
// demo does, with the variables it sets and without the optional ones.
func TestRootDeployYAML(t *testing.T) {
	env := map[string]string{
		"AGENT_IMAGE":          "public.ecr.aws/matillion/streaming-agent:2.1.0",
		"MATILLION_ACCOUNT_ID": "12345",
		"MATILLION_AGENT_ID":   "0f3c2a9e-agent",
		"SUBNET_1":             "subnet-0a1b2c3d",
		"SUBNET_2":             "subnet-0e1f2a3b",
		"SECURITY_GROUP":       "sg-0a1b2c3d",
	}
	s, err := Load("../deploy.yaml", func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if s.Region != "eu-west-1" || s.Cluster != (Cluster{Name: "matillion-streaming", Create: true}) {
		t.Errorf("region %q, cluster %+v", s.Region, s.Cluster)
	}
	if s.TaskRole.Name != "matillion-streaming-agent-task" || !s.TaskRole.ConfusedDeputyProtection ||
		!cmp.Equal(s.TaskRole.TrustedServices, []string{"ec2.amazonaws.com"}) {
		t.Errorf("task role %+v", s.TaskRole)
	}
	if len(s.TaskRole.InlinePolicies) != 1 || !strings.Contains(s.TaskRole.InlinePolicies[0].Document, "s3:GetObject") {
		t.Errorf("inline policies %+v", s.TaskRole.InlinePolicies)
	}
	if s.ExecutionRole.Name != "matillion-streaming-agent-execution" ||
		!cmp.Equal(s.ExecutionRole.ManagedPolicies, []string{DefaultExecutionPolicy}) || s.ExecutionRole.GrantAllSecrets {
		t.Errorf("execution role %+v", s.ExecutionRole)
	}
	if diff := cmp.Diff(map[string]string{"agent-credentials": "matillion/streaming-agent/credentials"}, s.Secrets); diff != "" {
		t.Errorf("secrets (-want +got):\n%s", diff)
	}
	if len(s.Agents) != 1 {
		t.Fatalf("%d agents, want 1", len(s.Agents))
	}
	want := Agent{
		Name:      "streaming-agent",
		Image:     env["AGENT_IMAGE"],
		CPU:       1024,
		Memory:    4096,
		Platform:  Platform{OS: "LINUX", Architecture: "X86_64"},
		Container: "streaming-agent",
		Environment: map[string]string{
			"ACCOUNT_ID":       "12345",
			"AGENT_ID":         "0f3c2a9e-agent",
			"MATILLION_REGION": "eu1",
			"CLOUD_PROVIDER":   "AWS",
		},
		Secrets: map[string]SecretRef{
			"OAUTH_CLIENT_ID":     {Secret: "agent-credentials", Key: "client_id"},
			"OAUTH_CLIENT_SECRET": {Secret: "agent-credentials", Key: "client_secret"},
		},
		Logs:    Logs{Group: "/ecs/streaming-agent", RetentionDays: 30, StreamPrefix: "ecs"},
		Network: Network{Subnets: []string{"subnet-0a1b2c3d", "subnet-0e1f2a3b"}, SecurityGroups: []string{"sg-0a1b2c3d"}},
		Service: Service{DesiredCount: 1, MinimumHealthyPercent: 0, MaximumPercent: 100,
			CircuitBreaker: CircuitBreaker{Enable: true, Rollback: true}},
		WaitTimeout: Duration{15 * time.Minute},
	}
	got := s.Agents[0]
	got.Line = 0
	// deploy.yaml writes the size, platform and retention out; the group and
	// stream prefix are launch's defaults.
	for path, want := range map[string]bool{"cpu": true, "memory": true, "platform.os": true, "platform.architecture": true, "logs.retentionDays": true, "logs.group": false, "logs.streamPrefix": false} {
		if got.IsSet(path) != want {
			t.Errorf("IsSet(%q) = %v, want %v", path, !want, want)
		}
	}
	got.Explicit = nil
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("agent (-want +got):\n%s", diff)
	}

	// The optional variables change what they should.
	env["AWS_REGION"], env["AGENT_SECRET_NAME"], env["MATILLION_REGION"] = "us-east-1", "other/creds", "us1"
	s, err = Load("../deploy.yaml", func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if s.Region != "us-east-1" || s.Secrets["agent-credentials"] != "other/creds" || s.Agents[0].Environment["MATILLION_REGION"] != "us1" {
		t.Errorf("region %q, secrets %v, environment %v", s.Region, s.Secrets, s.Agents[0].Environment)
	}

	// Without the required variables, each is named.
	_, err = Load("../deploy.yaml", nil)
	for _, v := range []string{"AGENT_IMAGE", "MATILLION_ACCOUNT_ID", "MATILLION_AGENT_ID", "SUBNET_1", "SUBNET_2", "SECURITY_GROUP"} {
		if err == nil || !strings.Contains(err.Error(), "environment variable "+v+" is not set") {
			t.Errorf("without %s: error %v does not name it", v, err)
		}
	}
}
