// Package textdiff renders unified diffs for plans: task definitions,
// policies and service fields.
package textdiff

import (
	"strings"

	"github.com/pmezard/go-difflib/difflib"
)

// Unified returns the unified diff of a and b with 3 lines of context, or
// "" when they are equal.
func Unified(a, b, fromLabel, toLabel string) string {
	if a == b {
		return ""
	}
	// GetUnifiedDiffString only fails when writing to its own buffer does.
	out, _ := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: splitLines(a), B: splitLines(b), FromFile: fromLabel, ToFile: toLabel, Context: 3,
	})
	return out
}

// splitLines splits s after each newline, giving every line a newline so
// a missing final newline does not show as a change.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	if !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	return strings.SplitAfter(s, "\n")[:strings.Count(s, "\n")]
}
