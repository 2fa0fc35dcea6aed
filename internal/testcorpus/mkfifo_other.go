//go:build !unix

package testcorpus

import "testing"

func mkfifo(t testing.TB, path string) {
	t.Helper()
	t.Fatalf("cannot make the named pipe %s: the named-pipe cases need a Unix system", path)
}
