// Package tiny is the mutation tool's test subject.
package tiny

// Max returns the larger of a and b.
func Max(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// Unused is not covered by any test: its mutants survive.
func Unused(s string) string {
	return s + "!"
}
