package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/launchdeploy/launch/service"
	"github.com/launchdeploy/launch/spec"
)

func run(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// Every command's --help exits 0 and prints its usage with every flag it
// takes on stdout; launch --help lists every command with its flags.
func TestHelpAndVersion(t *testing.T) {
	code, rootHelp, _ := run("--help")
	if code != 0 {
		t.Fatalf("--help: exit %d", code)
	}
	root := (&app{ctx: context.Background(), stdout: io.Discard, stderr: io.Discard}).root()
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		code, stdout, stderr := run(c.Name(), "--help")
		if code != 0 || !strings.Contains(stdout, "Usage:\n  launch "+c.Name()) || stderr != "" {
			t.Errorf("%s --help: exit %d\n%s%s", c.Name(), code, stdout, stderr)
		}
		if !strings.Contains(rootHelp, "\n  "+c.Name()+" ") {
			t.Errorf("launch --help does not list %s", c.Name())
		}
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if !strings.Contains(stdout, "--"+f.Name+" ") {
				t.Errorf("%s --help lacks --%s", c.Name(), f.Name)
			}
			if f.Name != "help" && !strings.Contains(rootHelp, "--"+f.Name) {
				t.Errorf("launch --help lacks %s's --%s", c.Name(), f.Name)
			}
		})
	}
	if code, stdout, _ := run("schema", "--help"); code != 0 || strings.Contains(stdout, "$schema") {
		t.Errorf("schema --help printed the schema")
	}
	if code, stdout, _ := run("policy", "--help"); code != 0 || !strings.Contains(stdout, "--account string") {
		t.Errorf("policy --help lacks --account:\n%s", stdout)
	}
	for _, args := range [][]string{{"--version"}, {"version"}} {
		if code, stdout, _ := run(args...); code != 0 || !strings.HasPrefix(stdout, "launch ") {
			t.Errorf("%v: exit %d %q", args, code, stdout)
		}
	}
}

// A usage error exits 2 and is printed once, with a pointer to --help and
// the command or flag meant, if any.
func TestUsageErrorsExit2(t *testing.T) {
	tests := []struct {
		args []string
		want string // the whole of stderr, "" to check only the exit code
	}{
		{[]string{"frobnicate"}, "unknown command \"frobnicate\"\nRun 'launch --help' for usage.\n"},
		{[]string{"polcy", "x.yaml"}, "unknown command \"polcy\"; did you mean policy?\nRun 'launch --help' for usage.\n"},
		{[]string{"plan", "--outptu", "json", "x.yaml"}, "unknown flag: --outptu; did you mean --output?\nRun 'launch plan --help' for usage.\n"},
		{[]string{"plan", "--bogus", "x.yaml"}, "unknown flag: --bogus\nRun 'launch plan --help' for usage.\n"},
		{[]string{"deploy", "-timeout", "5m", "x.yaml"}, "unknown flag -timeout; long flags take two dashes: --timeout\nRun 'launch deploy --help' for usage.\n"},
		{[]string{"validate", "--output", "json", "x.yaml"}, "unknown flag: --output\nRun 'launch validate --help' for usage.\n"},
		{[]string{"policy", "x.yaml", "--output", "text"}, "invalid argument \"text\" for \"--output\" flag: must be json\nRun 'launch policy --help' for usage.\n"},
		{[]string{"deploy", "x.yaml", "--output", "xml"}, "invalid argument \"xml\" for \"--output\" flag: must be text or json\nRun 'launch deploy --help' for usage.\n"},
		{[]string{"deploy"}, "expected one spec file, got 0 arguments\nRun 'launch deploy --help' for usage.\n"},
		{[]string{"deploy", "a.yaml", "b.yaml"}, ""},
		{[]string{"deploy", "x.yaml", "--if-in-progress", "maybe"}, ""},
		{[]string{}, ""},
	}
	for _, tt := range tests {
		code, _, stderr := run(tt.args...)
		if code != ExitUsage || tt.want != "" && stderr != tt.want {
			t.Errorf("%v: exit %d, want %d; stderr:\n%s", tt.args, code, ExitUsage, stderr)
		}
	}
	if _, _, stderr := run(); !strings.Contains(stderr, "Usage:") {
		t.Errorf("launch without arguments: no usage on stderr:\n%s", stderr)
	}
}

// Flags are read before and after FILE, and "launch FILE" is deploy with
// its flags in either place.
func TestFlagsBeforeAndAfterFile(t *testing.T) {
	setDeployEnv(t)
	_, want, _ := run("render", "../../deploy.yaml", "--agent", "streaming-agent", "--region", "eu-west-1")
	for _, args := range [][]string{
		{"render", "--agent", "streaming-agent", "--region", "eu-west-1", "../../deploy.yaml"},
		{"render", "--agent", "streaming-agent", "../../deploy.yaml", "--region", "eu-west-1"},
	} {
		if code, got, stderr := run(args...); code != 0 || got != want {
			t.Errorf("%v: exit %d, output differs from flags after FILE\n%s", args, code, stderr)
		}
	}
	// Without a command, flags before or after FILE are deploy's; the
	// checks below end the run before any AWS call.
	for _, args := range [][]string{
		{"../../deploy.yaml", "--timeout", "-5s"},
		{"--timeout", "-5s", "../../deploy.yaml"},
		{"deploy", "--output", "json", "--timeout", "-5s", "../../deploy.yaml"},
	} {
		if code, _, stderr := run(args...); code != ExitUsage || !strings.Contains(stderr, "--timeout -5s is not positive") {
			t.Errorf("%v: exit %d\n%s", args, code, stderr)
		}
	}
}

// Flag values are checked as the spec's own: a duration must be positive
// and a region must look like one, before any file is read or AWS called.
func TestBadFlagValuesExit2(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1") // nothing listens: any AWS call would fail
	tests := map[string][]string{
		"--timeout -5s is not positive; write a duration such as 15m\n":                                                                   {"deploy", "missing.yaml", "--timeout", "-5s"},
		"--timeout 0s is not positive; write a duration such as 15m\n":                                                                    {"rollback", "missing.yaml", "--timeout", "0"},
		"--poll-interval -1s is not positive; write a duration such as 250ms\n":                                                           {"deploy", "--poll-interval=-1s", "missing.yaml"},
		`--region "moon-1" is not an AWS region name; write one such as eu-west-1, or leave --region out to use the spec's region` + "\n": {"plan", "missing.yaml", "--region", "moon-1"},
	}
	for want, args := range tests {
		if code, _, stderr := run(args...); code != ExitUsage || stderr != want {
			t.Errorf("%v: exit %d, stderr %q, want %q", args, code, stderr, want)
		}
	}
	for _, cmd := range []string{"policy", "render", "destroy", "rollback"} {
		if code, _, stderr := run(cmd, "missing.yaml", "--region", "moon-1"); code != ExitUsage || !strings.Contains(stderr, `--region "moon-1" is not an AWS region name`) {
			t.Errorf("%s --region moon-1: exit %d\n%s", cmd, code, stderr)
		}
	}
}

// launch completion SHELL prints the script; the scripts ask launch itself
// for FILE (YAML files) and for flag values.
func TestCompletion(t *testing.T) {
	for shell, want := range map[string]string{
		"bash": "complete -o default -F __start_launch launch",
		"zsh":  "#compdef launch",
		"fish": "complete -c launch ",
	} {
		code, stdout, stderr := run("completion", shell)
		if code != 0 || !strings.Contains(stdout, want) || stderr != "" {
			t.Errorf("completion %s: exit %d, script lacks %q\n%s", shell, code, want, stderr)
		}
	}
	for args, want := range map[string]string{
		"deploy|":                  "yaml\nyml\n:8\n", // only YAML files
		"plan|--output|":           "text\njson\n:4\n",
		"deploy|--if-in-progress|": "wait\nfail\n:4\n",
	} {
		_, stdout, _ := run(append([]string{"__complete"}, strings.Split(args, "|")...)...)
		if stdout != want {
			t.Errorf("__complete %s: %q, want %q", args, stdout, want)
		}
	}
	if _, stdout, _ := run("__complete", "pol"); !strings.HasPrefix(stdout, "policy\t") {
		t.Errorf("__complete pol: %q", stdout)
	}
}

// Under GitHub Actions each spec problem is one ::error:: annotation at its
// file, line and column, for validate, plan and deploy alike, and nothing
// else is printed for it.
func TestActionsAnnotatesEachSpecProblem(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	t.Setenv("GITHUB_ACTIONS", "true")
	dir := t.TempDir()
	t.Setenv("GITHUB_WORKSPACE", dir)
	path := filepath.Join(dir, "fleet.yaml")
	if err := os.WriteFile(path, []byte(`region: moon-1
cluster: {name: c}
taskRole: {name: t}
executionRole: {name: e}
agents:
  - name: web
    image: httpd:2
    cpu: 300
    network: {subnets: [subnet-1]}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	want := "::error file=fleet.yaml,line=1,col=9::region: \"moon-1\" is not an AWS region name; write one such as eu-west-1, or leave region out to use the AWS SDK's default\n" +
		"::error file=fleet.yaml,line=8,col=10::agents[0].cpu: cpu 300 is not a Fargate task size; use one of 256, 512, 1024, 2048, 4096, 8192, 16384 (CPU units, 1024 = 1 vCPU)\n"
	for _, cmd := range []string{"validate", "plan", "deploy"} {
		code, stdout, stderr := run(cmd, path)
		if code != ExitUsage || stderr != want || stdout != "" {
			t.Errorf("%s: exit %d\nstderr:\n%s\nwant:\n%s", cmd, code, stderr, want)
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

// setDeployEnv sets what ../../deploy.yaml interpolates, and an endpoint
// where nothing listens, so any AWS call would fail.
func setDeployEnv(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	for k, v := range map[string]string{"AGENT_IMAGE": "img:1", "MATILLION_ACCOUNT_ID": "1", "MATILLION_AGENT_ID": "a",
		"SUBNET_1": "subnet-1", "SUBNET_2": "subnet-2", "SECURITY_GROUP": "sg-1", "AWS_REGION": "eu-west-1"} {
		t.Setenv(k, v)
	}
}

func TestRenderIsOffline(t *testing.T) {
	setDeployEnv(t)
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
	setDeployEnv(t)
	code, stdout, stderr := run("policy", "../../deploy.yaml", "--account", "123456789012", "--output", "json")
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
