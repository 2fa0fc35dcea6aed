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
	h := emulator.NewHarness(t)
	h.Reset(t)
	specDir, err := filepath.Abs("../../spec")
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
		"AWS_ENDPOINT_URL=" + emulator.Endpoint(t), "AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test"}
	envFile, err := os.ReadFile(filepath.Join(specDir, "testdata/test.env"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(envFile), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			env = append(env, line)
		}
	}

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
