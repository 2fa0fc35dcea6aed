// Package jsonpos finds where each member of a JSON document is written, so
// a message about "containerDefinitions[1].links" can say "12:7".
package jsonpos

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// Index maps paths in one JSON document to the byte offset where each is
// written: an object member at its key's opening quote, an array element at
// its first byte, the document itself ("") at its first byte. Paths join
// member names with "." and array indexes with "[i]", as in
// "containerDefinitions[1].portMappings[0].hostPort".
type Index struct {
	data []byte
	at   map[string]int
}

// New indexes data. It is best-effort: on a syntax error it keeps what it
// indexed before the error (the caller reports the error itself).
func New(data []byte) *Index {
	s := &scanner{data: data, at: map[string]int{}}
	s.ws()
	func() {
		defer func() { _ = recover() }() // a syntax error ends the scan
		s.value("")
	}()
	return &Index{data: data, at: s.at}
}

// Offset returns where path is written.
func (ix *Index) Offset(path string) (int, bool) {
	off, ok := ix.at[path]
	return off, ok
}

// Position returns the 1-based line and column (in characters) of path.
func (ix *Index) Position(path string) (line, col int, ok bool) {
	off, ok := ix.at[path]
	if !ok {
		return 0, 0, false
	}
	line, col = LineCol(ix.data, off)
	return line, col, true
}

// LineCol converts a byte offset in data to a 1-based line and column; the
// column counts characters, not bytes.
func LineCol(data []byte, off int) (line, col int) {
	if off > len(data) {
		off = len(data)
	}
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	start := bytes.LastIndexByte(before, '\n') + 1
	return line, utf8.RuneCount(before[start:]) + 1
}

// Member joins an object path and a member name.
func Member(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// Element joins an array path and an index.
func Element(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

type scanner struct {
	data  []byte
	i     int
	at    map[string]int
	depth int
}

// maxDepth bounds nesting as encoding/json does, so a hostile document
// cannot exhaust the stack.
const maxDepth = 10000

type syntaxError struct{}

func (s *scanner) fail() { panic(syntaxError{}) }

func (s *scanner) ws() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\r', '\n':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) peek() byte {
	if s.i >= len(s.data) {
		s.fail()
	}
	return s.data[s.i]
}

// value scans the value at s.i (whitespace already skipped) and records it
// under path unless path was recorded by its key.
func (s *scanner) value(path string) {
	s.depth++
	defer func() { s.depth-- }()
	if s.depth > maxDepth {
		s.fail()
	}
	if _, ok := s.at[path]; !ok {
		s.at[path] = s.i
	}
	switch s.peek() {
	case '{':
		s.i++
		s.ws()
		if s.peek() == '}' {
			s.i++
			return
		}
		for {
			s.ws()
			keyAt := s.i
			key := s.str()
			p := Member(path, key)
			s.at[p] = keyAt
			s.ws()
			if s.peek() != ':' {
				s.fail()
			}
			s.i++
			s.ws()
			s.value(p)
			s.ws()
			switch s.peek() {
			case ',':
				s.i++
			case '}':
				s.i++
				return
			default:
				s.fail()
			}
		}
	case '[':
		s.i++
		s.ws()
		if s.peek() == ']' {
			s.i++
			return
		}
		for n := 0; ; n++ {
			s.ws()
			s.value(Element(path, n))
			s.ws()
			switch s.peek() {
			case ',':
				s.i++
			case ']':
				s.i++
				return
			default:
				s.fail()
			}
		}
	case '"':
		s.str()
	default:
		for s.i < len(s.data) && !bytes.ContainsRune([]byte(" \t\r\n,]}"), rune(s.data[s.i])) {
			s.i++
		}
	}
}

// str scans a string at s.i and returns its decoded value.
func (s *scanner) str() string {
	if s.peek() != '"' {
		s.fail()
	}
	start := s.i
	s.i++
	escaped := false
	for {
		c := s.peek()
		s.i++
		switch c {
		case '\\':
			escaped = true
			s.i++
		case '"':
			raw := s.data[start:s.i]
			if !escaped {
				return string(raw[1 : len(raw)-1])
			}
			var v string
			if json.Unmarshal(raw, &v) != nil {
				s.fail()
			}
			return v
		}
	}
}

// Paths returns every indexed path, in no particular order.
func (ix *Index) Paths() []string {
	out := make([]string, 0, len(ix.at))
	for p := range ix.at {
		out = append(out, p)
	}
	return out
}
