package ghactions

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOutputsAndSummary(t *testing.T) {
	dir := t.TempDir()
	env := FromEnv(func(k string) string {
		return map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary"), "GITHUB_OUTPUT": filepath.Join(dir, "output")}[k]
	})
	if err := env.SetOutputs(map[string]string{"b": "2", "a": "1", "multi": "x\ny"}); err != nil {
		t.Fatal(err)
	}
	if err := env.AppendSummary("# hello"); err != nil {
		t.Fatal(err)
	}
	out, _ := os.ReadFile(filepath.Join(dir, "output"))
	lines := strings.Split(string(out), "\n")
	if lines[0] != "a=1" || lines[1] != "b=2" || !strings.HasPrefix(lines[2], "multi<<launch_") || lines[3] != "x" || lines[4] != "y" || lines[5] != strings.TrimPrefix(lines[2], "multi<<") {
		t.Errorf("outputs file:\n%s", out)
	}
	sum, _ := os.ReadFile(filepath.Join(dir, "summary"))
	if string(sum) != "# hello\n" {
		t.Errorf("summary %q", sum)
	}
}

func TestDisabledOutsideActions(t *testing.T) {
	dir := t.TempDir()
	env := FromEnv(func(k string) string {
		return map[string]string{"GITHUB_OUTPUT": filepath.Join(dir, "output")}[k]
	})
	if err := env.SetOutputs(map[string]string{"a": "1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "output")); !os.IsNotExist(err) {
		t.Error("wrote outputs outside GitHub Actions")
	}
}

func TestErrorCommandEscapes(t *testing.T) {
	if got := ErrorCommand("50% failed\nsee below"); got != "::error::50%25 failed%0Asee below" {
		t.Errorf("got %q", got)
	}
}
