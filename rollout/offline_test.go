package rollout_test

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/launchdeploy/launch/rollout"
	"github.com/launchdeploy/launch/spec"
)

var update = flag.Bool("update", false, "rewrite the .err goldens under spec/testdata/invalid/offline")

// specTestEnv is the environment the spec testdata is written for.
func specTestEnv(t *testing.T) func(string) (string, bool) {
	t.Helper()
	data, err := os.ReadFile("testdata/test.env")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			k, v, _ := strings.Cut(line, "=")
			env[k] = v
		}
	}
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

// TestOfflineChecksRefuseWhatAWSRefuses loads every spec under
// spec/testdata/invalid/offline (each loads: the problem is in what it
// would register) and compares CheckOffline's complete error with the .err
// file next to it. Paths are as the CLI prints them when run from spec/.
func TestOfflineChecksRefuseWhatAWSRefuses(t *testing.T) {
	t.Chdir("../spec")
	env := specTestEnv(t)
	files, _ := filepath.Glob("testdata/invalid/offline/*.yaml")
	if len(files) < 6 {
		t.Fatalf("found %d specs, want at least 6", len(files))
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			sp, err := spec.Load(file, env)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			err = rollout.CheckOffline(sp)
			var errs spec.Errors
			if !errors.As(err, &errs) {
				t.Fatalf("CheckOffline = %v, want spec.Errors", err)
			}
			got := err.Error() + "\n"
			golden := strings.TrimSuffix(file, ".yaml") + ".err"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./rollout -run TestOfflineChecks -update)", err)
			}
			if d := cmp.Diff(string(want), got); d != "" {
				t.Errorf("%s differs (-want +got):\n%s", golden, d)
			}
		})
	}
}

// TestOfflineChecksPassValidSpecs: every valid spec (with and without base
// task definitions, a BOM, boto3 output) passes the offline checks.
func TestOfflineChecksPassValidSpecs(t *testing.T) {
	t.Chdir("../spec")
	env := specTestEnv(t)
	files, _ := filepath.Glob("testdata/valid/*.yaml")
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			sp, err := spec.Load(file, env)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if err := rollout.CheckOffline(sp); err != nil {
				t.Errorf("CheckOffline:\n%v", err)
			}
		})
	}
}
