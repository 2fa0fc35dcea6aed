package spec

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// Every line of the example specs moved 1–4 columns left or right: the
// mistake people make most with YAML. Whatever launch answers must be true
// of the file it read:
//   - a spec that still loads is the same spec (the move was one YAML allows);
//   - otherwise the first problem names a line;
//   - a hint's "sit with KEY: (line L)", "like KEY: on line L" and "line up
//     with the list item on line L" name a line L that holds KEY (or the
//     item's "-") at the column the hint gives;
//   - moving the line where the hint's first suggestion says changes the
//     parser's answer (the line is part of the problem).
func TestShiftedLinesGetTrueAnswers(t *testing.T) {
	files, err := filepath.Glob("testdata/valid/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, "../deploy.yaml")
	var (
		sitWith = regexp.MustCompile(`column (\d+) to sit with (\S+): \(line (\d+)\)`)
		like    = regexp.MustCompile(`indented more than (\S+): on line (\d+), .* start .* at column (\d+), like `)
		item    = regexp.MustCompile(`column (\d+) to line up with the list item on line (\d+)`)
		moveTo  = regexp.MustCompile(`(?:move it to|start \S+ at) column (\d+)`)
	)
	cases, hints := 0, 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Dir(f)
		want, err := Parse(f, data, dir, lookupTestEnv)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		lines := strings.Split(string(data), "\n")
		for i, line := range lines {
			content := strings.TrimLeft(line, " ")
			if content == "" || content[0] == '#' {
				continue
			}
			col := len(line) - len(content)
			for d := -4; d <= 4; d++ {
				if d == 0 || col+d < 0 {
					continue
				}
				cases++
				moved := withLineAt(lines, i, col+d)
				name := fmt.Sprintf("%s line %d moved %+d", filepath.Base(f), i+1, d)
				got, err := Parse(f, []byte(moved), dir, lookupTestEnv)
				if err == nil {
					if !reflect.DeepEqual(want, got) {
						t.Errorf("%s: loads, but as another spec", name)
					}
					continue
				}
				var errs Errors
				if !errors.As(err, &errs) {
					t.Fatalf("%s: error %T, want Errors: %v", name, err, err)
				}
				first := errs[0]
				if first.Line == 0 {
					if !hasLinelessMissing(errs) {
						t.Errorf("%s: the first problem names no line: %s", name, first)
					}
					continue
				}
				movedLines := strings.Split(moved, "\n")
				for _, m := range sitWith.FindAllStringSubmatch(first.Message, -1) {
					hints++
					checkKeyAt(t, name, movedLines, m[2], atoi(m[3]), atoi(m[1]))
				}
				for _, m := range item.FindAllStringSubmatch(first.Message, -1) {
					hints++
					if l, c := atoi(m[2]), atoi(m[1]); l > len(movedLines) || c > len(movedLines[l-1]) || movedLines[l-1][c-1] != '-' {
						t.Errorf("%s: the hint puts a list item at line %d, column %d, which holds none", name, l, c)
					}
				}
				if m := like.FindStringSubmatch(first.Message); m != nil {
					hints++
					checkKeyAt(t, name, movedLines, m[1], atoi(m[2]), atoi(m[3]))
				}
				if m := moveTo.FindStringSubmatch(first.Message); m != nil {
					fixed := withLineAt(movedLines, first.Line-1, atoi(m[1])-1)
					if _, again := Parse(f, []byte(fixed), dir, lookupTestEnv); again != nil && again.Error() == err.Error() {
						t.Errorf("%s: the hint says column %s, but moving line %d there changes nothing:\n%s", name, m[1], first.Line, first)
					}
				}
			}
		}
	}
	// 1514 and 1330 when written: fewer means fewer examples, or hints
	// that stopped naming where a line belongs.
	t.Logf("%d moved lines, %d located hints", cases, hints)
	if cases < 1400 || hints < 1200 {
		t.Errorf("%d moved lines, %d located hints: want at least 1400 and 1200", cases, hints)
	}
}

// withLineAt returns lines joined, line i starting at column col (0-based).
func withLineAt(lines []string, i, col int) string {
	out := make([]string, len(lines))
	copy(out, lines)
	out[i] = strings.Repeat(" ", col) + strings.TrimLeft(lines[i], " ")
	return strings.Join(out, "\n")
}

// checkKeyAt fails unless line (1-based) holds key at column col (1-based),
// after the "- " of a list item if any.
func checkKeyAt(t *testing.T, name string, lines []string, key string, line, col int) {
	t.Helper()
	if line < 1 || line > len(lines) {
		t.Errorf("%s: the hint names line %d of %d", name, line, len(lines))
		return
	}
	text := lines[line-1]
	if col < 1 || col > len(text) || !strings.HasPrefix(strings.Trim(text[col-1:], `"'`), key+":") && !strings.HasPrefix(text[col-1:], `"`+key+`":`) {
		t.Errorf("%s: the hint puts %s: at line %d, column %d, which holds %q", name, key, line, col, text)
	}
}

// hasLinelessMissing reports whether a lineless first problem is one of the
// "missing" kind, which has no line to name: the block is not there.
func hasLinelessMissing(errs Errors) bool {
	return strings.Contains(errs[0].Message, "is missing") || strings.Contains(errs[0].Message, "there are no agents")
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		panic(err)
	}
	return n
}
