package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// yaml.v3 reports a syntax error at the line where the enclosing block
// began, not at the line that broke it, and in words about the parser
// ("did not find expected key"). The helpers here look at the text to say
// what is wrong in the writer's terms.

// blockErrors are yaml.v3's words for a block that ends or goes on where
// it should not: what a wrongly indented line causes.
var blockErrors = []string{
	"mapping values are not allowed in this context",
	"did not find expected key",
	"did not find expected '-' indicator",
}

// misindent is a key or list item line that no block above it can hold.
type misindent struct {
	line, col int // 1-based
	hint      string
	fixCol    int // 0-based: where the hint's first suggestion puts the line
}

// indentLevel is a block mapping or sequence open at a column (0-based).
type indentLevel struct {
	col      int
	seq      bool
	lastKey  string // the mapping's latest key, for messages
	lastLine int
	itemLine int // the list's latest item, for messages
}

var (
	// keyLine matches "key:" or "key: value" after the indentation and any
	// "- " of a list item; the key is plain or quoted.
	keyLine = regexp.MustCompile(`^("[^"]*"|'[^']*'|[^\s#"'\[\]{},:-][^#]*?)\s*:(\s+(.*))?$`)
	// blockScalar is the | or > that starts a multi-line value.
	blockScalar = regexp.MustCompile(`^[|>][-+0-9]*\s*(#.*)?$`)
	// properties is an anchor or a tag written alone, before a node that
	// starts on the next line.
	properties = regexp.MustCompile(`^((&|!)\S*\s*)+$`)
	// flowVariable is an unquoted ${…} inside [ ] or { }: an item, or the
	// value of a key of a flow mapping.
	flowVariable = regexp.MustCompile(`[\[{,]\s*(?:[^\s\[\]{},:]+:\s+)?\$\{`)
)

// noCol is "no column" for findMisindent's column variables: every reader
// checks col >= 0 first.
const noCol = -1

// findMisindent returns the first block key line in lines whose
// indentation matches no mapping open above it, or nil. It follows block
// mappings and lists only; a block scalar (|, >) or a flow collection over
// several lines is skipped.
func findMisindent(lines [][]byte) *misindent {
	var (
		stack     []indentLevel
		opener    = noCol // the column of the key before, when its value is on the next lines
		prevKey   string
		prevCol   = noCol // that key's column, when its value was on its line
		prevLine  int
		skipAbove = noCol // skip lines indented more than this (a block scalar)
		flowDepth int     // skip lines until the [ or { open above closes
		quote     rune    // skip lines until this quote closes a value
		plainCol  = noCol // a line right of this may go on with a plain value
	)
	// startValue notes a value that goes on over the next lines.
	startValue := func(value string, col int) {
		switch {
		case blockScalar.MatchString(value):
			skipAbove = col
		case value[0] == '"' || value[0] == '\'':
			if !closesQuote(value[1:], rune(value[0])) {
				quote = rune(value[0])
			}
		default:
			flowDepth = max(bracketDepth(value), 0)
			if flowDepth == 0 {
				plainCol = col
			}
		}
	}
	for i, raw := range lines {
		text := strings.TrimRight(string(raw), " \t\r")
		content := strings.TrimLeft(text, " ")
		if content == "" || content[0] == '#' {
			continue
		}
		c := len(text) - len(content)
		if skipAbove >= 0 {
			if c > skipAbove {
				continue
			}
			skipAbove = noCol
		}
		if flowDepth > 0 {
			flowDepth += bracketDepth(content)
			continue
		}
		if quote != 0 {
			if closesQuote(content, quote) {
				quote = 0
			}
			continue
		}
		if c == 0 && (content == "---" || content == "...") {
			// A document marker (many specs begin with ---): what follows
			// is a document of its own.
			stack, opener, prevCol, plainCol = nil, noCol, noCol, noCol // prevKey is read only with prevCol or opener
			continue
		}

		// Split off the "- " of list items, and an anchor or tag alone
		// (- &base) whose node follows on the next lines.
		var dashCols []int
		for content == "-" || strings.HasPrefix(content, "- ") {
			dashCols = append(dashCols, len(text)-len(content))
			content = strings.TrimLeft(content[1:], " ")
		}
		dashes := len(dashCols)
		if properties.MatchString(content) {
			content = ""
		}
		m := keyLine.FindStringSubmatch(content)
		if m == nil && plainCol >= 0 && c > plainCol {
			continue // "- x" or "-" going on with the plain value above
		}
		if dashes == 0 && m == nil {
			if len(stack) == 0 {
				return nil // not a block mapping or list
			}
			continue // the continuation of a plain value over several lines
		}

		// Where does this line sit? Under the key before it when that key's
		// value follows, else beside a key of an open block.
		switch {
		case opener >= 0 && (c > opener || c == opener && dashes > 0):
			stack = append(stack, indentLevel{col: c}) // a list when a dash starts it: below
		default:
			var closed, closedList *indentLevel
			for len(stack) > 0 {
				top := stack[len(stack)-1]
				if top.col > c || top.col == c && top.seq && dashes == 0 {
					if top.lastKey != "" {
						closed = &top // the block nearest the line's column that has a key to name
					}
					if top.itemLine > 0 {
						closedList = &top // the list nearest it
					}
					stack = stack[:len(stack)-1]
					continue
				}
				break
			}
			if len(stack) == 0 {
				// The first line, or one left of it (which yaml.v3 takes).
				stack = append(stack, indentLevel{col: c})
				break
			}
			if stack[len(stack)-1].col != c {
				return misindentAt(i, c, m, dashes, stack, blocks{closed, closedList}, prevKey, prevCol, prevLine)
			}
			if top := stack[len(stack)-1]; dashes > 0 && !top.seq && top.lastKey != "" {
				// A list item among a mapping's keys: YAML has no place for
				// it. Right after a key whose value follows, it is that value.
				mi := &misindent{line: i + 1, col: c + 1, fixCol: c + 2,
					hint: fmt.Sprintf("this list item starts at column %d, among the keys of a mapping (%s: on line %d); a list belongs under a key: indent it under the key it belongs to", c+1, top.lastKey, top.lastLine)}
				if opener >= 0 {
					mi.fixCol = opener + 2
					mi.hint = fmt.Sprintf("this list item starts at column %d, among the keys of a mapping (%s: on line %d); move it to column %d, under %s: (line %d), whose value it is", c+1, top.lastKey, top.lastLine, opener+3, prevKey, prevLine)
				}
				return mi
			}
		}
		top := &stack[len(stack)-1]
		if dashes > 0 {
			top.seq, top.itemLine = true, i+1
			for _, dc := range dashCols[1:] { // - - x: a list in a list
				stack = append(stack, indentLevel{col: dc, seq: true, itemLine: i + 1})
			}
		}

		opener, prevCol, plainCol = noCol, noCol, noCol
		if m == nil {
			if v := strings.TrimSpace(stripComment(content)); v == "" {
				opener = dashCols[len(dashCols)-1] // "-" alone: the item follows
			} else {
				startValue(v, dashCols[len(dashCols)-1])
			}
			continue
		}
		key := strings.Trim(m[1], `"'`)
		keyCol := c
		if dashes > 0 {
			// The item's keys start after its "- ".
			keyCol = len(text) - len(content)
			stack = append(stack, indentLevel{col: keyCol})
			top = &stack[len(stack)-1]
		}
		top.lastKey, top.lastLine = key, i+1
		value := strings.TrimSpace(stripComment(m[3]))
		switch {
		case value == "" || properties.MatchString(value):
			opener = keyCol
		default:
			prevCol = keyCol
			startValue(value, keyCol)
		}
		prevKey, prevLine = key, i+1
	}
	return nil
}

// misindentAt describes line i, at column c, which lines up with no open
// block: stack is what is open left of it, closed the nearest blocks right
// of it, and prevKey the key before it when that key's value is on its line
// (at prevCol, on prevLine).
func misindentAt(i, c int, m []string, dashes int, stack []indentLevel, closed blocks, prevKey string, prevCol, prevLine int) *misindent {
	what := "this list item"
	if m != nil && dashes == 0 {
		what = strings.Trim(m[1], `"'`) + ":"
	}
	mi := &misindent{line: i + 1, col: c + 1}
	// A key the spec has only at the top level: whatever it lines up
	// with, it belongs beside the top-level keys.
	if root := stack[0]; m != nil && dashes == 0 && root.lastKey != "" && slices.Equal(keyHomes()[what[:len(what)-1]], []string{""}) {
		mi.hint = fmt.Sprintf("%s is a top-level key; move it to column %d to sit with %s: (line %d)", what, root.col+1, root.lastKey, root.lastLine)
		mi.fixCol = root.col
		return mi
	}
	if prevCol >= 0 && c > prevCol {
		mi.hint = fmt.Sprintf("%s is indented more than %s: on line %d, which has its value on that line and so cannot hold keys; start %s at column %d, like %s:", what, prevKey, prevLine, what, prevCol+1, prevKey)
		mi.fixCol = prevCol
		return mi
	}
	var places []string
	var cols []int
	place := func(col int, format string, args ...any) {
		if slices.Contains(cols, col) {
			return // one column, one suggestion: the first says why
		}
		places = append(places, fmt.Sprintf("column %d to ", col+1)+fmt.Sprintf(format, args...))
		cols = append(cols, col)
	}
	top := stack[len(stack)-1]
	if dashes > 0 {
		// A list item most likely belongs to a list: the nearest one.
		switch {
		case closed.list != nil:
			place(closed.list.col, "line up with the list item on line %d", closed.list.itemLine)
		case top.itemLine > 0:
			place(top.col, "line up with the list item on line %d", top.itemLine)
		}
	}
	if closed.keyed != nil {
		place(closed.keyed.col, "sit with %s: (line %d)", closed.keyed.lastKey, closed.keyed.lastLine)
	}
	if top.lastKey != "" {
		place(top.col, "sit with %s: (line %d)", top.lastKey, top.lastLine)
	}
	mi.fixCol = top.col
	if len(cols) > 0 {
		mi.fixCol = cols[0]
	}
	if len(places) == 0 {
		mi.hint = fmt.Sprintf("%s starts at column %d, which lines up with no key above it; indent it like the keys it belongs with", what, c+1)
		return mi
	}
	mi.hint = fmt.Sprintf("%s starts at column %d, which lines up with no key above it; move it to %s", what, c+1, strings.Join(places, ", or to "))
	return mi
}

// keyValue splits a "key: value" line (after any "- " of a list item)
// into its key, its value without a comment, and the value's column
// (1-based); ok is false for other lines and for a key without a value.
func keyValue(line []byte) (key, value string, col int, ok bool) {
	text := strings.TrimRight(string(line), " \t\r")
	content := strings.TrimLeft(text, " ")
	for content == "-" || strings.HasPrefix(content, "- ") {
		content = strings.TrimLeft(content[1:], " ")
	}
	m := keyLine.FindStringSubmatch(content)
	if m == nil {
		return "", "", 0, false
	}
	value = strings.TrimSpace(stripComment(m[3]))
	if value == "" {
		return "", "", 0, false
	}
	return strings.Trim(m[1], `"'`), value, len(text) - len(content) + strings.Index(content, m[3]) + 1, true
}

// plainWithColon reports whether value is a plain (unquoted) scalar that
// holds ": ", which YAML reads as the start of another key.
func plainWithColon(value string) bool {
	return !strings.ContainsRune(`"'[{|>&!*`, rune(value[0])) && strings.Contains(value, ": ")
}

// blocks are the nearest blocks a misindented line closed: the nearest
// with a key to name, and the nearest list.
type blocks struct{ keyed, list *indentLevel }

// bracketDepth counts [ and { opened and not closed in s, outside quotes.
func bracketDepth(s string) int {
	depth := 0
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '"' || r == '\'':
			quote = r
		case r == '[' || r == '{':
			depth++
		case r == ']' || r == '}':
			depth--
		case r == '#':
			return depth
		}
	}
	return depth
}

// stripComment drops a " #" comment from a value, outside quotes.
func stripComment(s string) string {
	var quote rune
	for i, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '"' || r == '\'':
			quote = r
		case r == '#' && (i == 0 || s[i-1] == ' '):
			return s[:i]
		}
	}
	return s
}

// closesQuote reports whether s holds the quote that ends a quoted value.
func closesQuote(s string, quote rune) bool {
	for i := 0; i < len(s); i++ {
		switch {
		case quote == '"' && s[i] == '\\':
			i++
		case quote == '\'' && s[i] == '\'' && i+1 < len(s) && s[i+1] == '\'':
			i++
		case rune(s[i]) == quote:
			return true
		}
	}
	return false
}

// confirmed reports whether moving the line where the hint says changes
// the parser's first error (yamlErr): the line is then part of the problem,
// and the hint is worth showing.
func (mi *misindent) confirmed(lines [][]byte, yamlErr error) bool {
	fixed := make([][]byte, len(lines))
	copy(fixed, lines)
	line := bytes.TrimLeft(lines[mi.line-1], " ")
	fixed[mi.line-1] = append(bytes.Repeat([]byte(" "), mi.fixCol), line...)
	err := firstYAMLError(bytes.Join(fixed, []byte("\n")))
	return err == nil || err.Error() != yamlErr.Error()
}

// firstYAMLError is the first syntax error in any document of data.
func firstYAMLError(data []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}
