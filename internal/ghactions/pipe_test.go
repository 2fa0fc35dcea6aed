//go:build unix

package ghactions

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A named pipe as $GITHUB_STEP_SUMMARY is refused at once, with or
// without a reader, instead of blocking the step.
func TestSummaryNamedPipeRefused(t *testing.T) {
	pipe := filepath.Join(t.TempDir(), "summary")
	if err := syscall.Mkfifo(pipe, 0o644); err != nil {
		t.Fatal(err)
	}
	env := Env{Enabled: true, SummaryPath: pipe}
	done := make(chan error, 1)
	go func() { done <- env.AppendSummary("# hello") }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "is not a regular file") {
			t.Errorf("AppendSummary(pipe) = %v, want an error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("AppendSummary(pipe) still blocked after 5s")
	}
}
