package main_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode"

	"github.com/launchdeploy/launch/internal/emulator"
)

// Deploy's flags work before FILE, with or without the command name.
func TestDeployFlagsBeforeFile(t *testing.T) {
	w := newWorld(t)
	for _, args := range [][]string{
		{"deploy", "--output", "json", "--poll-interval", "100ms", rootSpec},
		{"--output", "json", rootSpec, "--poll-interval", "100ms"},
	} {
		if r := w.launch(args...); r.code != 0 || r.report.Result != "succeeded" {
			t.Errorf("launch %s: exit %d", strings.Join(args, " "), r.code)
		}
	}
}

// Under GitHub Actions an AWS error message cannot emit a workflow command:
// a newline and "::warning::" in it stay inside launch's one ::error::
// annotation or are escaped where the message is printed as progress.
func TestActionsModeEscapesAWSMessages(t *testing.T) {
	w := newWorld(t)
	w.env["GITHUB_ACTIONS"] = "true"
	tests := []struct {
		args   []string
		code   int
		errors []string // the ::error:: lines expected, in order
	}{
		{[]string{"deploy", rootSpec}, 1, []string{"::error::identify the caller (sts:GetCallerIdentity): operation error STS: GetCallerIdentity, "}},
		{[]string{"plan", rootSpec}, 1, []string{"::error::identify the caller (sts:GetCallerIdentity): operation error STS: GetCallerIdentity, "}},
		{[]string{"policy", rootSpec}, 0, nil}, // the error becomes a warning line
	}
	for _, tt := range tests {
		w.h.InjectFault(t, emulator.Fault{Action: "GetCallerIdentity", Count: 1, Code: "AccessDenied", Status: 403, Message: "bad\n::warning::pwned"})
		r := w.launch(tt.args...)
		if r.code != tt.code {
			t.Errorf("%v: exit %d, want %d", tt.args, r.code, tt.code)
		}
		if !strings.Contains(r.stderr, "bad%0A::warning::pwned") && !strings.Contains(r.stderr, "\n:%3Awarning::pwned") {
			t.Errorf("%v: the AWS message is not in the output, escaped:\n%s", tt.args, r.stderr)
		}
		var errs []string
		for _, line := range strings.FieldsFunc(r.stdout+"\n"+r.stderr, func(r rune) bool { return r == '\n' || r == '\r' }) {
			l := strings.TrimLeftFunc(line, unicode.IsSpace)
			switch {
			case strings.HasPrefix(l, "::error::"):
				errs = append(errs, l)
			case strings.HasPrefix(l, "::"), strings.Contains(l, "##["):
				t.Errorf("%v: a workflow command in the output: %q", tt.args, line)
			}
		}
		if len(errs) != len(tt.errors) {
			t.Errorf("%v: %d ::error:: lines, want %d:\n%s", tt.args, len(errs), len(tt.errors), strings.Join(errs, "\n"))
			continue
		}
		for i, e := range errs {
			if !strings.HasPrefix(e, tt.errors[i]) || !strings.HasSuffix(e, "bad%0A::warning::pwned") {
				t.Errorf("%v: annotation %q, want %q… ending in the escaped message", tt.args, e, tt.errors[i])
			}
		}
	}
}

// The first SIGINT cancels the run: an AWS call the emulator holds for 5s
// is abandoned and launch exits 130 within a second.
func TestSIGINTEndsARunWithinASecond(t *testing.T) {
	w := newWorld(t)
	w.h.SetLatency(t, 5*time.Second)
	t.Cleanup(func() { w.h.SetLatency(t, 0) })
	cmd := w.command("plan", rootSpec)
	stderr := startUntil(t, cmd, 30*time.Second, "connected", func(s string) bool { return strings.Contains(s, "using AWS endpoint") })
	time.Sleep(300 * time.Millisecond) // the first AWS call is in flight
	code, took := interrupt(t, cmd, 1)
	if code != 130 || took > time.Second {
		t.Errorf("exit %d after %s, want 130 within 1s\n%s", code, took, stderr.String())
	}
}

// A run blocked where the context does not reach (opening a named pipe no
// one writes to) still ends within a second of SIGINT, and at once on a
// second one. (A spec loader that refuses the pipe ends the run with exit 2
// before the signal.)
func TestSIGINTEndsABlockedRun(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fleet.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for signals, within := range map[int]time.Duration{1: time.Second, 2: 400 * time.Millisecond} {
		cmd := exec.Command(launchBin, "validate", fifo)
		var stderr syncBuffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second) // started and blocked: it prints nothing first
		code, took := interrupt(t, cmd, signals)
		if code != 130 && code != 2 || took > within {
			t.Errorf("%d SIGINT: exit %d after %s, want 130 within %s\n%s", signals, code, took, within, stderr.String())
		}
	}
}

// startUntil starts cmd with its stderr in a buffer and returns once ready
// holds (polled every 20 ms); it kills cmd and fails the test, showing
// stderr, when ready has not held within d. what says what was awaited.
func startUntil(t *testing.T, cmd *exec.Cmd, d time.Duration, what string, ready func(stderr string) bool) *syncBuffer {
	t.Helper()
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(d)
	for !ready(stderr.String()) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("launch never %s within %s:\n%s", what, d, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return &stderr
}

// interrupt sends n SIGINTs 50ms apart and returns the exit code and the
// time from the first signal to the exit.
func interrupt(t *testing.T, cmd *exec.Cmd, n int) (int, time.Duration) {
	t.Helper()
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- cmd.Wait() }()
	for i := 0; i < n; i++ {
		if i > 0 {
			time.Sleep(50 * time.Millisecond)
		}
		cmd.Process.Signal(syscall.SIGINT) // fails only when it has exited
	}
	select {
	case err := <-done:
		took := time.Since(start)
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), took
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, took
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("launch still runs 10s after SIGINT")
		return 0, 0
	}
}
