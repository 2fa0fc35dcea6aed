package release

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

type actionFile struct {
	Inputs  map[string]struct{ Default string }
	Outputs map[string]struct{ Value string }
	Runs    struct {
		Using string
		Steps []struct {
			ID  string
			Run string
			Env map[string]string
		}
	}
}

func readAction(t *testing.T) actionFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var a actionFile
	if err := yaml.Unmarshal(b, &a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	return a
}

// TestActionRunsTheTestedScripts ties action.yml to what action_test.go
// runs: the same two scripts, given the inputs through the variables the
// tests set, and outputs taken from the step that runs launch.
func TestActionRunsTheTestedScripts(t *testing.T) {
	a := readAction(t)
	if a.Runs.Using != "composite" || len(a.Runs.Steps) != 2 {
		t.Fatalf("action.yml: want a composite action of two steps, got %q with %d", a.Runs.Using, len(a.Runs.Steps))
	}
	install, run := a.Runs.Steps[0], a.Runs.Steps[1]
	if !strings.Contains(install.Run, "scripts/action/install.sh") || !strings.Contains(run.Run, "scripts/action/run.sh") {
		t.Errorf("action.yml steps run %q and %q, not the tested scripts", install.Run, run.Run)
	}
	wantEnv := map[string][]string{
		"install": {"LAUNCH_RELEASE_URL", "LAUNCH_VERSION"},
		"run":     {"LAUNCH_ARGS", "LAUNCH_BIN", "LAUNCH_COMMAND", "LAUNCH_SPEC"},
	}
	for _, s := range a.Runs.Steps {
		var got []string
		for k := range s.Env {
			got = append(got, k)
		}
		slices.Sort(got)
		if !slices.Equal(got, wantEnv[s.ID]) {
			t.Errorf("step %q passes %v, the tests set %v", s.ID, got, wantEnv[s.ID])
		}
	}
	if v := install.Env["LAUNCH_VERSION"]; !strings.Contains(v, "github.action_ref") {
		t.Errorf("LAUNCH_VERSION=%q: the version must default to the action's own ref", v)
	}
	for _, in := range []string{"spec", "version", "command", "args"} {
		if _, ok := a.Inputs[in]; !ok {
			t.Errorf("action.yml has no input %q", in)
		}
	}
	if d := a.Inputs["command"].Default; d != "deploy" {
		t.Errorf("command defaults to %q, want deploy", d)
	}
	for _, out := range []string{"task-definition-arn", "service-arn", "result", "changes"} {
		if got, want := a.Outputs[out].Value, "${{ steps.run.outputs."+out+" }}"; got != want {
			t.Errorf("output %s = %q, want %q", out, got, want)
		}
	}
}

// TestReadmeWorkflowUsesTheAction checks the README's pipeline example
// against action.yml: plan on pull requests, deploy on tags, only inputs
// and outputs the action has.
func TestReadmeWorkflowUsesTheAction(t *testing.T) {
	a := readAction(t)
	b, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var example string
	for _, m := range regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(b), -1) {
		if strings.Contains(m[1], "uses: launchdeploy/launch@") {
			example = m[1]
		}
	}
	if example == "" {
		t.Fatal("README.md has no yaml example using launchdeploy/launch")
	}
	var wf struct {
		On   map[string]any
		Jobs map[string]struct {
			If    string
			Steps []struct {
				ID   string
				Uses string
				With map[string]string
				Run  string
			}
		}
	}
	if err := yaml.Unmarshal([]byte(example), &wf); err != nil {
		t.Fatalf("README example: %v", err)
	}
	if _, ok := wf.On["pull_request"]; !ok {
		t.Error("README example does not run on pull_request")
	}
	if _, ok := wf.On["push"]; !ok {
		t.Error("README example does not run on push (tags)")
	}
	commands := map[string]string{}
	outputRef := regexp.MustCompile(`steps\.([a-z-]+)\.outputs\.([a-z-]+)`)
	for name, job := range wf.Jobs {
		for _, s := range job.Steps {
			if strings.HasPrefix(s.Uses, "launchdeploy/launch@") {
				for k := range s.With {
					if _, ok := a.Inputs[k]; !ok {
						t.Errorf("job %s: input %q is not in action.yml", name, k)
					}
				}
				commands[s.With["command"]] = job.If
			}
			for _, m := range outputRef.FindAllStringSubmatch(s.Run, -1) {
				if _, ok := a.Outputs[m[2]]; !ok {
					t.Errorf("job %s uses output %q, which action.yml does not have", name, m[2])
				}
			}
		}
	}
	if !strings.Contains(commands["plan"], "pull_request") {
		t.Errorf("README example: no plan job on pull requests (%v)", commands)
	}
	if !strings.Contains(commands["deploy"], "refs/tags/") {
		t.Errorf("README example: no deploy job on tags (%v)", commands)
	}
}
