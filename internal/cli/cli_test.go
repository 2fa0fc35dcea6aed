package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/launchdeploy/launch/service"
	"github.com/launchdeploy/launch/spec"
)

func run(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestHelpAndVersion(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"deploy", "--help"}, {"plan", "--help"}, {"rollback", "--help"}, {"destroy", "--help"}, {"render", "--help"}, {"validate", "--help"}} {
		code, stdout, stderr := run(args...)
		if code != 0 || !strings.Contains(stdout+stderr, "Usage") && !strings.Contains(stdout+stderr, "usage") {
			t.Errorf("%v: exit %d\n%s%s", args, code, stdout, stderr)
		}
	}
	if code, stdout, _ := run("--version"); code != 0 || !strings.HasPrefix(stdout, "launch ") {
		t.Errorf("--version: exit %d %q", code, stdout)
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	for _, args := range [][]string{{}, {"frobnicate"}, {"deploy"}, {"deploy", "a.yaml", "b.yaml"}, {"deploy", "x.yaml", "--output", "xml"}, {"plan", "--bogus", "x.yaml"}} {
		if code, _, _ := run(args...); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, ExitUsage)
		}
	}
}

func TestMissingSpecFileIsExit2(t *testing.T) {
	code, _, stderr := run("validate", "does-not-exist.yaml")
	if code != ExitUsage || !strings.Contains(stderr, "does-not-exist.yaml") {
		t.Errorf("exit %d: %s", code, stderr)
	}
}

func TestExitCodeMapping(t *testing.T) {
	tests := map[int]error{
		ExitOK:          nil,
		ExitFailed:      errors.New("AccessDenied"),
		ExitUsage:       fmt.Errorf("load: %w", spec.Errors{{Message: "bad"}}),
		ExitRollout:     fmt.Errorf("wait: %w", &service.RolloutError{Service: "s"}),
		ExitTimeout:     errors.Join(&service.TimeoutError{Service: "s"}),
		ExitInterrupted: &service.InterruptedError{Err: context.Canceled},
	}
	for want, err := range tests {
		if got := exitCode(err); got != want {
			t.Errorf("exitCode(%v) = %d, want %d", err, got, want)
		}
	}
	// Several agents: the worst outcome decides, wherever it sits.
	if got := exitCode(errors.Join(&service.TimeoutError{}, &service.RolloutError{})); got != ExitRollout {
		t.Errorf("timeout + rollback: exit %d, want %d", got, ExitRollout)
	}
	if got := exitCode(errors.Join(&service.RolloutError{}, &service.InterruptedError{Err: context.Canceled})); got != ExitInterrupted {
		t.Errorf("rollback + interrupt: exit %d, want %d", got, ExitInterrupted)
	}
	if got := exitCode(fmt.Errorf("describe: %w", context.Canceled)); got != ExitInterrupted {
		t.Errorf("a cancelled AWS call: exit %d", got)
	}
}

func TestSchemaMatchesTheCommittedFile(t *testing.T) {
	code, stdout, _ := run("schema")
	want, err := os.ReadFile("../../deploy.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if code != 0 || stdout != string(want) {
		t.Errorf("launch schema (exit %d) differs from deploy.schema.json", code)
	}
}

func TestRenderIsOffline(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1") // nothing listens: any AWS call would fail
	for k, v := range map[string]string{"AGENT_IMAGE": "img:1", "MATILLION_ACCOUNT_ID": "1", "MATILLION_AGENT_ID": "a",
		"SUBNET_1": "subnet-1", "SUBNET_2": "subnet-2", "SECURITY_GROUP": "sg-1", "AWS_REGION": "eu-west-1"} {
		t.Setenv(k, v)
	}
	code, stdout, stderr := run("render", "../../deploy.yaml", "--agent", "streaming-agent")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{`"family": "streaming-agent"`, `"valueFrom": "matillion/streaming-agent/credentials:client_id::"`,
		`"taskRoleArn": "matillion-streaming-agent-task"`, `"awslogs-region": "eu-west-1"`, `"requiresCompatibilities": [`} {
		if !strings.Contains(stdout, want) {
			t.Errorf("render output lacks %s:\n%s", want, stdout)
		}
	}
}

func TestPolicyOffline(t *testing.T) {
	for k, v := range map[string]string{"AGENT_IMAGE": "img:1", "MATILLION_ACCOUNT_ID": "1", "MATILLION_AGENT_ID": "a",
		"SUBNET_1": "subnet-1", "SUBNET_2": "subnet-2", "SECURITY_GROUP": "sg-1", "AWS_REGION": "eu-west-1"} {
		t.Setenv(k, v)
	}
	code, stdout, stderr := run("policy", "../../deploy.yaml", "--account", "123456789012")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var doc struct {
		Version   string
		Statement []struct {
			Action   []string
			Resource []string
		}
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil || doc.Version != "2012-10-17" {
		t.Fatalf("not an IAM policy: %v\n%s", err, stdout)
	}
	passes := map[string]bool{}
	for _, s := range doc.Statement {
		for _, a := range s.Action {
			if a == "iam:PassRole" {
				for _, r := range s.Resource {
					passes[r] = true
				}
			}
			if a == "secretsmanager:GetSecretValue" {
				t.Error("the deploying identity must never get GetSecretValue")
			}
		}
	}
	for _, role := range []string{"matillion-streaming-agent-task", "matillion-streaming-agent-execution"} {
		if !passes["arn:aws:iam::123456789012:role/"+role] {
			t.Errorf("no iam:PassRole on %s: %v", role, passes)
		}
	}
	if len(passes) != 2 {
		t.Errorf("iam:PassRole on %v, want exactly the two roles", passes)
	}
}
