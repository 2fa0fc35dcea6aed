package preflight

// plural is noun for n == 1, else noun+"s".
func plural(n int, noun string) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}

// verb is one for n == 1, else many.
func verb(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
