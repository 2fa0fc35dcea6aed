package textdiff

import (
	"strings"
	"testing"
)

func TestUnified(t *testing.T) {
	if got := Unified("a\nb\n", "a\nb", "x", "y"); got != "" {
		t.Errorf("equal texts (but for a final newline) gave a diff:\n%s", got)
	}
	got := Unified("a\nb\nc\n", "a\nB\nc\n", "registered", "desired")
	for _, want := range []string{"--- registered", "+++ desired", "-b\n", "+B\n", " a\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("diff lacks %q:\n%s", want, got)
		}
	}
	if got := Unified("", "new\n", "(none)", "desired"); !strings.Contains(got, "+new") {
		t.Errorf("creation diff:\n%s", got)
	}
}
