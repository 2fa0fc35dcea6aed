package main_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/launchdeploy/launch/internal/emulator"
	"github.com/launchdeploy/launch/internal/testcorpus"
)

// TestInvalidSpecsExit2WithoutAWSCalls runs the binary on every broken spec
// under spec/testdata/invalid and spec/testdata/invalid/offline (specs that
// load but would register a task definition ECS or Fargate refuses), and on
// the named-pipe cases of spec/testdata/invalid/pipes (see testcorpus.Pipes):
// `validate` prints exactly the expected message and exits 2, and `plan`
// and `deploy` exit 2 too without sending a single request to AWS (the
// emulator's request log stays empty).
func TestInvalidSpecsExit2WithoutAWSCalls(t *testing.T) {
	h, specDir, env := corpusEnv(t)

	files, _ := filepath.Glob(filepath.Join(specDir, "testdata/invalid/*.yaml"))
	offline, _ := filepath.Glob(filepath.Join(specDir, "testdata/invalid/offline/*.yaml"))
	if len(files) < 40 || len(offline) < 6 {
		t.Fatalf("found %d broken specs and %d offline ones, want at least 40 and 6", len(files), len(offline))
	}
	files = append(files, offline...)
	type badSpec struct{ dir, rel string } // run in dir on rel
	var cases []badSpec
	for _, file := range files {
		rel, _ := filepath.Rel(specDir, file)
		cases = append(cases, badSpec{specDir, rel})
	}
	// Named pipes as the spec, a base or a policy file: refused at once.
	pipeRoot, pipeSpecs := testcorpus.Pipes(t, specDir)
	for _, rel := range pipeSpecs {
		cases = append(cases, badSpec{pipeRoot, rel})
	}
	for _, c := range cases {
		rel := c.rel
		want, err := os.ReadFile(filepath.Join(c.dir, strings.TrimSuffix(rel, ".yaml")+".err"))
		if err != nil {
			t.Fatalf("%s has no .err file", rel)
		}
		for _, cmdName := range []string{"validate", "plan", "deploy"} {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			cmd := exec.CommandContext(ctx, launchBin, cmdName, rel)
			cmd.Dir, cmd.Env = c.dir, env
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			timedOut := ctx.Err() != nil
			cancel()
			if timedOut {
				t.Errorf("launch %s %s: still running after 30s, want exit 2 at once", cmdName, rel)
				continue
			}
			ee, ok := err.(*exec.ExitError)
			if !ok || ee.ExitCode() != 2 {
				t.Errorf("launch %s %s: %v, want exit 2\n%s", cmdName, rel, err, stderr.String())
				continue
			}
			if cmdName == "validate" && strings.TrimSpace(stderr.String()) != strings.TrimSpace(string(want)) {
				t.Errorf("launch validate %s printed\n%s\nwant\n%s", rel, stderr.String(), want)
			}
		}
	}
	if reqs := h.Requests(t); len(reqs) != 0 {
		t.Errorf("invalid specs caused %d AWS requests, first %+v", len(reqs), reqs[0])
	}
}

// corpusEnv resets the emulator and returns the spec directory and the
// environment the testdata specs are written for, with the emulator.
func corpusEnv(t *testing.T) (*emulator.Harness, string, []string) {
	h := emulator.NewHarness(t)
	h.Reset(t)
	specDir, env := specEnv(t, emulator.Endpoint(t))
	return h, specDir, env
}

// specEnv returns the spec directory and the environment its testdata
// specs are written for, with AWS at endpoint.
func specEnv(t *testing.T, endpoint string) (string, []string) {
	specDir, err := filepath.Abs("../../spec")
	if err != nil {
		t.Fatal(err)
	}
	env := append(binaryEnv(), "HOME="+t.TempDir(),
		"AWS_ENDPOINT_URL="+endpoint, "AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test")
	envFile, err := os.ReadFile(filepath.Join(specDir, "testdata/test.env"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(envFile), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			env = append(env, line)
		}
	}
	return specDir, env
}

// TestInvalidFlagsExit2WithoutAWSCalls is the corpus of bad flag values on
// a valid spec: each exits 2 with exactly the expected message and sends
// no request to AWS.
func TestInvalidFlagsExit2WithoutAWSCalls(t *testing.T) {
	h, specDir, env := corpusEnv(t)
	const spec = "testdata/valid/minimal.yaml"
	region := `--region "moon-1" is not an AWS region name; write one such as eu-west-1, or leave --region out to use the spec's region`
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"deploy", spec, "--timeout", "-5s"}, "--timeout -5s is not positive; write a duration such as 15m"},
		{[]string{"--timeout=-5s", spec}, "--timeout -5s is not positive; write a duration such as 15m"},
		{[]string{"rollback", "--timeout", "0s", spec}, "--timeout 0s is not positive; write a duration such as 15m"},
		{[]string{"deploy", spec, "--poll-interval", "-2s"}, "--poll-interval -2s is not positive; write a duration such as 250ms"},
		{[]string{"deploy", spec, "--timeout", "soon"}, `invalid argument "soon" for "--timeout" flag: time: invalid duration "soon"` + "\nRun 'launch deploy --help' for usage."},
		{[]string{"deploy", spec, "--region", "moon-1"}, region},
		{[]string{"plan", "--region", "moon-1", spec}, region},
		{[]string{"policy", spec, "--region", "moon-1"}, region},
		{[]string{"destroy", spec, "--yes", "--region", "moon-1"}, region},
		{[]string{"rollback", spec, "--region", "Ireland"}, strings.Replace(region, "moon-1", "Ireland", 1)},
	}
	for _, tt := range tests {
		cmd := exec.Command(launchBin, tt.args...)
		cmd.Dir, cmd.Env = specDir, env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || strings.TrimSpace(stderr.String()) != tt.want {
			t.Errorf("launch %s: %v, want exit 2\n%s\nwant\n%s", strings.Join(tt.args, " "), err, stderr.String(), tt.want)
		}
	}
	if reqs := h.Requests(t); len(reqs) != 0 {
		t.Errorf("invalid flags caused %d AWS requests, first %+v", len(reqs), reqs[0])
	}
}
