package spec

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong with a spec, located as precisely as the loader
// can: File is the spec's name, Line and Column are 1-based (0 when unknown)
// and Path is the field, like "agents[1].memory".
type Problem struct {
	File    string
	Line    int
	Column  int
	Path    string
	Message string
}

// String formats the problem as "file:line:col: path: message", leaving out
// the position when it is unknown and the path when it is empty.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
		if p.Column > 0 {
			fmt.Fprintf(&b, ":%d", p.Column)
		}
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Errors is every problem found in a spec, sorted by line then column. Load
// and Parse return all their errors as an Errors value, so a caller can tell
// a bad spec (exit code 2) from any other failure with errors.As.
type Errors []Problem

// Error prints one problem per line.
func (e Errors) Error() string {
	lines := make([]string, len(e))
	for i, p := range e {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// sorted returns the problems ordered by line then column, keeping the order
// in which they were found for equal positions, without duplicates.
func (e Errors) sorted() Errors {
	out := make(Errors, 0, len(e))
	// A value inherited from defaults: is wrong for every agent alike; say
	// so once, at the defaults line.
	type key struct {
		file, msg string
		line, col int
	}
	seen := make(map[key]bool, len(e))
	for _, p := range e {
		k := key{p.File, p.Message, p.Line, p.Column}
		if !seen[k] {
			seen[k] = true
			out = append(out, p)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Line != out[j].Line {
			return out[i].Line < out[j].Line
		}
		return out[i].Column < out[j].Column
	})
	return out
}
