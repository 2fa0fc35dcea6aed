// Package lib is a fixture of scripts/mutate's tests: no tests of its own,
// only the end-to-end tests of cmd/app, which run the binary.
package lib

// Larger returns the larger of a and b.
func Larger(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// Unused is run by no test.
func Unused() string {
	return "unused"
}
