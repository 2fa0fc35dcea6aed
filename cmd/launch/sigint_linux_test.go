package main_test

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// While destroy waits for its confirmation on a terminal (a read the
// context cannot end), SIGINT still ends launch within a second, with exit
// 130, and a second SIGINT ends it at once.
func TestSIGINTEndsDestroysQuestion(t *testing.T) {
	specDir, env := specEnv(t, "http://127.0.0.1:1") // no AWS call comes before the question
	for signals, within := range map[int]time.Duration{1: time.Second, 2: 300 * time.Millisecond} {
		tty := openTerminal(t)
		cmd := exec.Command(launchBin, "destroy", "testdata/valid/minimal.yaml")
		cmd.Dir, cmd.Env, cmd.Stdin = specDir, env, tty
		stderr := startUntil(t, cmd, 30*time.Second, "asked destroy's question", func(s string) bool { return strings.Contains(s, "Type yes:") })
		code, took := interrupt(t, cmd, signals)
		if code != 130 || took > within {
			t.Errorf("%d SIGINT: exit %d after %s, want 130 within %s\n%s", signals, code, took, within, stderr.String())
		}
	}
}

// openTerminal opens a new pseudo-terminal and returns its terminal end;
// its other end stays open, silent, until the test ends.
func openTerminal(t *testing.T) *os.File {
	t.Helper()
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ptmx.Close() })
	fd := int(ptmx.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	tty, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tty.Close() })
	return tty
}
