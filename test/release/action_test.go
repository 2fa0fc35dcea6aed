package release

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/launchdeploy/launch/internal/emulator"
)

// runner is the part of a GitHub Actions runner the action's scripts use:
// RUNNER_* and the files behind GITHUB_OUTPUT, GITHUB_PATH and
// GITHUB_STEP_SUMMARY.
type runner struct {
	t                     *testing.T
	temp                  string
	output, path, summary string
	env                   []string
	code                  int
	stdout, stderr        string
}

func newRunner(t *testing.T) *runner {
	dir := t.TempDir()
	arch := map[string]string{"amd64": "X64", "arm64": "ARM64"}[runtime.GOARCH]
	osName := map[string]string{"linux": "Linux", "darwin": "macOS"}[runtime.GOOS]
	r := &runner{t: t, temp: filepath.Join(dir, "runner-temp"), output: filepath.Join(dir, "output"),
		path: filepath.Join(dir, "path"), summary: filepath.Join(dir, "summary")}
	if err := os.Mkdir(r.temp, 0o755); err != nil {
		t.Fatal(err)
	}
	r.env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "GITHUB_ACTIONS=true",
		"RUNNER_OS=" + osName, "RUNNER_ARCH=" + arch, "RUNNER_TEMP=" + r.temp,
		"GITHUB_OUTPUT=" + r.output, "GITHUB_PATH=" + r.path, "GITHUB_STEP_SUMMARY=" + r.summary}
	return r
}

// step runs one of the action's scripts from the repository root (the
// workflow's working directory) with the runner's environment plus env.
func (r *runner) step(script string, env ...string) {
	r.t.Helper()
	if err := os.WriteFile(r.output, nil, 0o644); err != nil { // each step has its own
		r.t.Fatal(err)
	}
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		r.t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(root, "scripts", "action", script))
	cmd.Dir = repoRoot
	cmd.Env = append(append([]string{}, r.env...), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	r.code, r.stdout, r.stderr = 0, stdout.String(), stderr.String()
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		r.t.Fatal(err)
	}
}

// outputs parses the step's GITHUB_OUTPUT file (name=value and the heredoc
// form name<<DELIM … DELIM).
func (r *runner) outputs() map[string]string {
	r.t.Helper()
	b, err := os.ReadFile(r.output)
	if err != nil {
		r.t.Fatal(err)
	}
	out := map[string]string{}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		if k, delim, ok := strings.Cut(lines[i], "<<"); ok {
			var v []string
			for i++; i < len(lines) && lines[i] != delim; i++ {
				v = append(v, lines[i])
			}
			out[k] = strings.Join(v, "\n")
		} else if k, v, ok := strings.Cut(lines[i], "="); ok {
			out[k] = v
		}
	}
	return out
}

// copyRelease copies the release's checksums.txt and host archive into a
// new directory.
func copyRelease(t *testing.T, r release) string {
	dir := t.TempDir()
	for _, name := range []string{"checksums.txt", r.archive} {
		b, err := os.ReadFile(filepath.Join(r.dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestInstallRefusesTamperedArchive(t *testing.T) {
	rel := hostRelease(t)
	dir := copyRelease(t, rel)
	archive := filepath.Join(dir, rel.archive)
	b, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(archive, b, 0o644); err != nil {
		t.Fatal(err)
	}
	r := newRunner(t)
	installDir := filepath.Join(t.TempDir(), "bin")
	r.step("install.sh", "LAUNCH_RELEASE_URL=file://"+dir, "LAUNCH_INSTALL_DIR="+installDir)
	if r.code == 0 {
		t.Fatalf("install accepted a tampered archive:\n%s%s", r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "::error::launch install: "+rel.archive+": SHA-256") || !strings.Contains(r.stderr, "does not match checksums.txt") {
		t.Errorf("stderr does not say the checksum did not match:\n%s", r.stderr)
	}
	if _, err := os.Stat(filepath.Join(installDir, "launch")); !os.IsNotExist(err) {
		t.Errorf("a binary was installed from the tampered archive (stat: %v)", err)
	}
	if b, _ := os.ReadFile(r.path); len(b) != 0 {
		t.Errorf("GITHUB_PATH was written: %q", b)
	}
}

func TestInstallNamesMissingPlatform(t *testing.T) {
	rel := hostRelease(t)
	r := newRunner(t)
	r.env = append(r.env, "RUNNER_OS=Windows") // the release under test has no windows archive
	r.step("install.sh", "LAUNCH_RELEASE_URL=file://"+copyRelease(t, rel))
	if r.code == 0 || !strings.Contains(r.stderr, "no windows/") {
		t.Errorf("exit %d; want a failure naming the missing windows archive:\n%s", r.code, r.stderr)
	}
	r.step("install.sh", "LAUNCH_VERSION=main")
	if r.code == 0 || !strings.Contains(r.stderr, "version 'main' is not a release tag") {
		t.Errorf("exit %d; want a failure naming the version input:\n%s", r.code, r.stderr)
	}
}

// TestActionInstallsAndDeploys runs the action's two steps as action.yml
// does: install from a release served over HTTP (checksum verified), then
// launch deploy.yaml against the emulator, then plan (the pull-request job).
func TestActionInstallsAndDeploys(t *testing.T) {
	rel := hostRelease(t)
	h := emulator.NewHarness(t)
	h.Reset(t)
	h.SetDeploymentDuration(t, 300*time.Millisecond)
	cfg := emulator.Config(t)
	net := emulator.CreateNetwork(t, cfg)
	emulator.CreateSecret(t, cfg, "matillion/streaming-agent/credentials", `{"client_id":"id","client_secret":"s"}`, "")

	srv := httptest.NewServer(http.FileServer(http.Dir(copyRelease(t, rel))))
	defer srv.Close()

	r := newRunner(t)
	r.step("install.sh", "LAUNCH_VERSION=v"+rel.version, "LAUNCH_RELEASE_URL="+srv.URL)
	if r.code != 0 {
		t.Fatalf("install: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, rel.archive+" matches checksums.txt") {
		t.Errorf("install did not report the verified checksum:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, "launch "+rel.version+" (commit ") {
		t.Errorf("the installed binary's --version does not carry the stamped version %s and commit:\n%s", rel.version, r.stdout)
	}
	bin := r.outputs()["path"]
	if want := filepath.Join(r.temp, "launch", "launch"); bin != want {
		t.Fatalf("install output path=%q, want %q", bin, want)
	}
	if b, _ := os.ReadFile(r.path); strings.TrimSpace(string(b)) != filepath.Dir(bin) {
		t.Errorf("GITHUB_PATH = %q, want %s", b, filepath.Dir(bin))
	}

	r.env = append(r.env, "AWS_ENDPOINT_URL="+emulator.Endpoint(t), "AWS_REGION="+cfg.Region,
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		"AGENT_IMAGE=public.ecr.aws/matillion/streaming-agent:1.0", "MATILLION_ACCOUNT_ID=12345", "MATILLION_AGENT_ID=agent-0001",
		"SUBNET_1="+net.Subnets[0], "SUBNET_2="+net.Subnets[1], "SECURITY_GROUP="+net.SecurityGroups[0],
		"LAUNCH_BIN="+bin, "LAUNCH_SPEC=deploy.yaml")
	r.step("run.sh", "LAUNCH_COMMAND=deploy", "LAUNCH_ARGS=--timeout 2m --poll-interval 200ms")
	if r.code != 0 {
		t.Fatalf("deploy: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	out := r.outputs()
	svc, err := ecs.NewFromConfig(cfg).DescribeServices(context.Background(), &ecs.DescribeServicesInput{
		Cluster: aws.String("matillion-streaming"), Services: []string{"streaming-agent"}})
	if err != nil || len(svc.Services) != 1 {
		t.Fatalf("DescribeServices: %v (%d services)", err, len(svc.Services))
	}
	if out["result"] != "succeeded" {
		t.Errorf("output result=%q, want succeeded", out["result"])
	}
	if got, want := out["service-arn"], aws.ToString(svc.Services[0].ServiceArn); got != want || want == "" {
		t.Errorf("output service-arn=%q, want %q", got, want)
	}
	if got, want := out["task-definition-arn"], aws.ToString(svc.Services[0].TaskDefinition); got != want || want == "" {
		t.Errorf("output task-definition-arn=%q, want the service's %q", got, want)
	}
	if b, _ := os.ReadFile(r.summary); !bytes.Contains(b, []byte("streaming-agent")) {
		t.Errorf("the job summary does not mention the agent:\n%s", b)
	}

	// The pull-request job: plan, its summary and the changes output.
	r.step("run.sh", "LAUNCH_COMMAND=plan", "LAUNCH_ARGS=")
	if r.code != 0 {
		t.Fatalf("plan: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := r.outputs()["changes"]; got != "false" {
		t.Errorf("plan after deploy: output changes=%q, want false", got)
	}
}
