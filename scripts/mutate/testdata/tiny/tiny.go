// Package tiny is the mutation tool's test subject, a module of its own.
package tiny

// greeting is package-level: every test counts as covering it.
var greeting = "hello"

// Max returns the larger of a and b.
func Max(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// Sign names the sign of n.
func Sign(n int) string {
	switch {
	case n < 0:
		return "negative"
	}
	return "not negative"
}

// Greet greets name.
func Greet(name string) string {
	return greeting + ", " + name
}

// Unused is not covered by any test: its mutants survive.
func Unused(s string) string {
	return s + "!"
}

// Clamp limits n to at most 10.
func Clamp(n int) int {
	if n > 10 {
		return 10
	}
	return n
}
