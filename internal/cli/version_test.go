package cli

import "testing"

func TestVersionLine(t *testing.T) {
	defer func(v, c, d string) { Version, Commit, Date = v, c, d }(Version, Commit, Date)
	Version, Commit, Date = "1.2.3", "", ""
	if got := versionLine(); got != "launch 1.2.3" {
		t.Errorf("version only: %q", got)
	}
	Commit, Date = "0123abc", "2026-01-02T03:04:05Z"
	if got, want := versionLine(), "launch 1.2.3 (commit 0123abc, built 2026-01-02T03:04:05Z)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
