package main_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var bin string

// TestMain runs the binary scripts/mutate built, as cmd/launch's tests do.
func TestMain(m *testing.M) {
	if bin = os.Getenv("LAUNCH_E2E_BINARY"); bin == "" {
		bin = filepath.Join(os.TempDir(), "tinye2e-app")
		if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
			panic(string(out))
		}
	}
	os.Exit(m.Run())
}

func TestLarger(t *testing.T) {
	out, err := exec.Command(bin, "3", "5").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "5" {
		t.Fatalf("app 3 5: %q, %v; want 5", out, err)
	}
}

func TestNoBinary(t *testing.T) {
	if strings.Repeat("a", 2) != "aa" {
		t.Fatal("Repeat")
	}
}
