package spec

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/launchdeploy/launch/internal/testcorpus"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// testEnv is the only environment the testdata specs see; cmd/launch's
// tests read the same file.
var testEnv = readEnvFile("testdata/test.env")

// readEnvFile reads KEY=VALUE lines; # starts a comment line.
func readEnvFile(path string) map[string]string {
	data, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	env := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		env[k] = v
	}
	return env
}

func lookupTestEnv(name string) (string, bool) {
	v, ok := testEnv[name]
	return v, ok
}

func checkGolden(t *testing.T, golden string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./spec -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", golden, diff)
	}
}

// TestInvalidSpecs loads every testdata/invalid/*.yaml and compares the
// complete error output with the .err file next to it.
func TestInvalidSpecs(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 45 {
		t.Fatalf("found %d broken specs, want at least 45", len(files))
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			s, err := Load(file, lookupTestEnv)
			if err == nil {
				t.Fatalf("Load succeeded, want errors; got %+v", s)
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error is %T, want Errors: %v", err, err)
			}
			if s != nil {
				t.Errorf("Load returned a spec with its errors")
			}
			for _, p := range errs {
				if p.File != file {
					t.Errorf("problem names file %q, want %q: %s", p.File, file, p)
				}
			}
			checkGolden(t, strings.TrimSuffix(file, ".yaml")+".err", []byte(err.Error()+"\n"))
		})
	}
}

// TestInvalidNamedPipes loads the named-pipe cases (a spec, a base task
// definition or a policy file that is a named pipe; see testcorpus.Pipes):
// each fails at once with the .err file's message instead of waiting for
// a writer.
func TestInvalidNamedPipes(t *testing.T) {
	root, specs := testcorpus.Pipes(t, ".")
	for _, rel := range specs {
		t.Run(filepath.Base(rel), func(t *testing.T) {
			file := filepath.Join(root, rel)
			done := make(chan error, 1)
			go func() {
				_, err := Load(file, lookupTestEnv)
				done <- err
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Fatalf("Load(%s) still waiting after 10s", rel)
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error is %T, want Errors: %v", err, err)
			}
			want, rerr := os.ReadFile(strings.TrimSuffix(file, ".yaml") + ".err")
			if rerr != nil {
				t.Fatal(rerr)
			}
			got := strings.ReplaceAll(err.Error(), root+string(filepath.Separator), "")
			if got != strings.TrimSpace(string(want)) {
				t.Errorf("Load(%s):\n%s\nwant\n%s", rel, got, want)
			}
		})
	}
}

// TestValidSpecs loads every testdata/valid/*.yaml and compares the loaded
// model, as JSON, with the .golden file next to it.
func TestValidSpecs(t *testing.T) {
	files, err := filepath.Glob("testdata/valid/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 3 {
		t.Fatalf("found %d valid specs, want at least 3", len(files))
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			s, err := Load(file, lookupTestEnv)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			checkGolden(t, strings.TrimSuffix(file, ".yaml")+".golden", dumpSpec(t, s))
		})
	}
}

// dumpSpec renders a loaded spec as indented JSON, with base task
// definitions shown as JSON rather than base64.
func dumpSpec(t *testing.T, s *Spec) []byte {
	t.Helper()
	type agent struct {
		Agent
		BaseTaskDefinitionJSON json.RawMessage `json:",omitempty"`
	}
	out := struct {
		*Spec
		Agents []agent
	}{Spec: s}
	for _, a := range s.Agents {
		out.Agents = append(out.Agents, agent{Agent: a, BaseTaskDefinitionJSON: a.BaseTaskDefinitionJSON})
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}
