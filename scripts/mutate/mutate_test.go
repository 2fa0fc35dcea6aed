package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const header = "package p\n\nimport \"fmt\"\n\ntype T struct {\n\tA int `json:\"a\"`\n}\n\nfunc f(a, b int, err error) (int, error) {\n"

// Each operator turns a small function body into the expected mutant, and
// touches nothing else (imports, struct tags).
func TestOperators(t *testing.T) {
	tests := []struct {
		name, op, body, want string
	}{
		{"if condition", opNegate, "if a > b {\n\treturn a, nil\n}", "if !(a > b) {\n\treturn a, nil\n}"},
		{"for condition", opNegate, "for a < b {\n\ta++\n}", "for !(a < b) {\n\ta++\n}"},
		{"==", opEq, "_ = a == b", "_ = a != b"},
		{"!=", opEq, "_ = a != b", "_ = a == b"},
		{"<", opLess, "_ = a < b", "_ = a >= b"},
		{">=", opLess, "_ = a >= b", "_ = a < b"},
		{">", opGreater, "_ = a > b", "_ = a <= b"},
		{"<=", opGreater, "_ = a <= b", "_ = a > b"},
		{"&&", opAndOr, "_ = a > 0 && b > 0", "_ = a > 0 || b > 0"},
		{"||", opAndOr, "_ = a > 0 || b > 0", "_ = a > 0 && b > 0"},
		{"call statement", opDropCall, "fmt.Println(a)", ""},
		{"err =", opDropErr, "err = fmt.Errorf(\"x\")", ""},
		{"x, err :=", opDropErr, "n, err := fmt.Println()", "n, _ := fmt.Println()"},
		{"err :=", opDropErr, "{ err := fmt.Errorf(\"x\"); _ = err }", "{ _ = fmt.Errorf(\"x\"); _ = err }"},
		{"decimal", opIntInc, "_ = 41", "_ = 42"},
		{"hex", opIntInc, "_ = 0x10", "_ = 17"},
		{"true", opBool, "_ = true", "_ = false"},
		{"false", opBool, "_ = false", "_ = true"},
		{"string", opString, "_ = \"a\"", "_ = \"*\""},
		{"raw string", opString, "_ = `a`", "_ = \"*\""},
		{"return err", opDropRetEr, "if err != nil {\n\treturn 0, fmt.Errorf(\"x: %w\", err)\n}", "if err != nil {}"},
		{"return err after a condition", opDropRetEr, "if a > 0 && err != nil {\n\treturn 0, err\n}", "if a > 0 && err != nil {}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := header + tc.body + "\nreturn a, err\n}\n"
			ms, err := generate("p.go", []byte(src), map[string]bool{tc.op: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(ms) != 1 {
				t.Fatalf("%d mutants, want 1: %+v", len(ms), ms)
			}
			want := header + tc.want + "\nreturn a, err\n}\n"
			if got := string(ms[0].apply([]byte(src))); got != want {
				t.Errorf("mutant:\n%s\nwant:\n%s", got, want)
			}
			if ms[0].Line != 10 || ms[0].Op != tc.op {
				t.Errorf("mutant at line %d op %s, want line 10 op %s", ms[0].Line, ms[0].Op, tc.op)
			}
		})
	}
}

// Cases that must produce no mutant of the given operator.
func TestOperatorsLeaveAlone(t *testing.T) {
	tests := []struct{ name, op, body string }{
		{"a return that does not pass the error on", opDropRetEr, "if err != nil {\n\treturn 0, nil\n}"},
		{"a condition on something else than an error", opDropRetEr, "if a != 0 {\n\treturn 0, err\n}"},
		{"already a star", opString, "_ = \"*\""},
		{"a for without condition", opNegate, "for {\n\tbreak\n}"},
		{"an assignment to another variable", opDropErr, "a = b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := header + tc.body + "\nreturn a, err\n}\n"
			ms, err := generate("p.go", []byte(src), map[string]bool{tc.op: true})
			if err != nil || len(ms) != 0 {
				t.Errorf("mutants %+v, %v; want none", ms, err)
			}
		})
	}
	// The import path and the struct tag are the only strings of header.
	ms, err := generate("p.go", []byte(header+"return a, err\n}\n"), map[string]bool{opString: true})
	if err != nil || len(ms) != 0 {
		t.Errorf("import path or struct tag mutated: %+v, %v", ms, err)
	}
}

func TestSampleIsSeededAndInSourceOrder(t *testing.T) {
	var ms []mutant
	for i := range 50 {
		ms = append(ms, mutant{File: "f.go", Line: i + 1, Op: opEq})
	}
	a, b := sample(ms, 10, 7), sample(ms, 10, 7)
	if len(a) != 10 || !slices.EqualFunc(a, b, func(x, y mutant) bool { return x.Line == y.Line }) {
		t.Fatalf("same seed, different samples: %v %v", a, b)
	}
	if !slices.IsSortedFunc(a, func(x, y mutant) int { return x.Line - y.Line }) {
		t.Errorf("sample not in source order: %v", a)
	}
	if c := sample(ms, 10, 8); slices.EqualFunc(a, c, func(x, y mutant) bool { return x.Line == y.Line }) {
		t.Errorf("another seed picked the same sample")
	}
	if all := sample(ms, 0, 7); len(all) != 50 {
		t.Errorf("-max 0 kept %d of 50", len(all))
	}
}

func TestReadEquivalent(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "equivalent.txt")
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("# comment\n\nsecrets/grant.go:10:5 swap-eq  # both sides are sorted the same way\n")
	got, err := readEquivalent(path)
	if err != nil || len(got) != 1 || got["secrets/grant.go:10:5 swap-eq"] != "both sides are sorted the same way" {
		t.Errorf("readEquivalent = %v, %v", got, err)
	}
	for _, bad := range []string{"secrets/grant.go:10:5 swap-eq\n", "secrets/grant.go:10:5 no-such-op # why\n"} {
		write(bad)
		if _, err := readEquivalent(path); err == nil || !strings.Contains(err.Error(), "equivalent.txt:1") {
			t.Errorf("%q: err = %v, want one naming the line", bad, err)
		}
	}
}

// A mutant of testdata/tiny that its test notices is killed, one of an
// untested function survives, one that does not compile is invalid, and
// the source file is left as it was.
func TestRunMutantThroughOverlay(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test on testdata/tiny")
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	o := options{root: root, timeout: 2 * time.Minute}
	pkg := "./scripts/mutate/testdata/tiny"
	file := filepath.Join(root, "scripts/mutate/testdata/tiny/tiny.go")
	before, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := packageMutants(root, pkg, map[string]bool{opGreater: true, opString: true})
	if err != nil || len(ms) != 2 {
		t.Fatalf("mutants %+v, %v; want the > of Max and the \"!\" of Unused", ms, err)
	}
	broken := ms[0]
	broken.Op, broken.Repl = "test", "+"
	for _, tc := range []struct {
		m    mutant
		want outcome
	}{{ms[0], killed}, {ms[1], survived}, {broken, invalid}} {
		got, err := runMutant(o, pkg, tc.m)
		if err != nil || got != tc.want {
			t.Errorf("%s (%s → %s): %s, %v; want %s", tc.m.ID(), tc.m.Orig, tc.m.Repl, got, err, tc.want)
		}
	}
	if after, _ := os.ReadFile(file); !bytes.Equal(before, after) {
		t.Error("the source file was changed")
	}
}
