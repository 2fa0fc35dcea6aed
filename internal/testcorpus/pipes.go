// Package testcorpus builds the parts of the bad-input corpus that git
// cannot hold, for the spec and cmd/launch tests.
package testcorpus

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// PipesDir is where the named-pipe cases live, relative to the spec
// package's directory.
const PipesDir = "testdata/invalid/pipes"

// Pipes copies the named-pipe cases from specDir/PipesDir into a new
// temporary directory, under the same relative path, and adds the named
// pipes they read: pipe.json (named by the specs there as a base task
// definition or policy file) and X.yaml for each X.err without an X.yaml
// (a spec that is itself a pipe). It returns the directory and each case's
// spec path relative to it; X.err holds what launch validate prints when
// run there on that path.
func Pipes(t testing.TB, specDir string) (root string, specs []string) {
	t.Helper()
	src := filepath.Join(specDir, PipesDir)
	root = t.TempDir()
	dst := filepath.Join(root, PipesDir)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mkfifo(t, filepath.Join(dst, "pipe.json"))
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".err")
		if !ok {
			continue
		}
		spec := filepath.Join(dst, name+".yaml")
		if _, err := os.Lstat(spec); os.IsNotExist(err) {
			mkfifo(t, spec)
		}
		specs = append(specs, filepath.Join(PipesDir, name+".yaml"))
	}
	if len(specs) < 3 {
		t.Fatalf("found %d named-pipe cases in %s, want at least 3", len(specs), src)
	}
	return root, specs
}
