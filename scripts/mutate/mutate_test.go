package main

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
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

func TestParseProfile(t *testing.T) {
	profile := `mode: set
example.com/m/p/a.go:8.24,9.11 1 0
example.com/m/p/a.go:9.11,11.3 2 1
example.com/other/b.go:1.1,2.2 1 1
`
	got, err := parseProfile(strings.NewReader(profile), "example.com/m")
	want := []profBlock{{File: "p/a.go", SL: 8, SC: 24, EL: 9, EC: 11, Count: 0}, {File: "p/a.go", SL: 9, SC: 11, EL: 11, EC: 3, Count: 1}}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("parseProfile = %+v, %v; want %+v (blocks of other modules dropped)", got, err, want)
	}
	for _, bad := range []string{"example.com/m/p/a.go:8.24,9.11 1\n", "example.com/m/p/a.go:8.x,9.11 1 0\n", "example.com/m/p/a.go:8.24,9.11 1 many\n"} {
		if _, err := parseProfile(strings.NewReader("mode: set\n"+bad), "example.com/m"); err == nil || !strings.Contains(err.Error(), "line 2") {
			t.Errorf("%q: err = %v, want one naming line 2", bad, err)
		}
	}
}

// Which tests a mutant runs, given which tests ran which blocks.
func TestTestsFor(t *testing.T) {
	var c coverMap
	c.Tests = []string{"TestA", "TestB", "TestC"}
	// f runs from 10:1 to 30:2: an outer block run by A and B, an inner
	// one (a function literal's body) run by B only, one run by none that
	// starts where the outer one ends (an if body at its opening brace),
	// and a gap between 20:1 and 22:1 (a case expression).
	c.addRun(0, []profBlock{{File: "p/a.go", SL: 10, SC: 20, EL: 19, EC: 5, Count: 1}, {File: "p/a.go", SL: 12, SC: 30, EL: 14, EC: 3, Count: 0}, {File: "p/a.go", SL: 19, SC: 5, EL: 20, EC: 1, Count: 0}, {File: "p/a.go", SL: 22, SC: 1, EL: 25, EC: 2, Count: 0}})
	c.addRun(1, []profBlock{{File: "p/a.go", SL: 10, SC: 20, EL: 19, EC: 5, Count: 1}, {File: "p/a.go", SL: 12, SC: 30, EL: 14, EC: 3, Count: 1}, {File: "p/a.go", SL: 19, SC: 5, EL: 20, EC: 1, Count: 0}, {File: "p/a.go", SL: 22, SC: 1, EL: 25, EC: 2, Count: 0}})
	c.addRun(2, []profBlock{{File: "p/b.go", SL: 1, SC: 1, EL: 5, EC: 2, Count: 1}})
	inF := func(line, col int) mutant {
		return mutant{File: "p/a.go", Line: line, Col: col, FuncLine: 10, FuncCol: 1, FuncEndLine: 30, FuncEndCol: 2}
	}
	tests := []struct {
		name    string
		m       mutant
		want    []string
		covered bool
	}{
		{"outer block", inF(11, 2), []string{"TestA", "TestB"}, true},
		{"the innermost block wins", inF(13, 3), []string{"TestB"}, true},
		{"a block no test runs", inF(23, 5), nil, false},
		{"an opening brace belongs to the block it opens", inF(19, 5), nil, false},
		{"outside every block: the function's tests", inF(21, 7), []string{"TestA", "TestB"}, true},
		{"package level: every test", mutant{File: "p/a.go", Line: 3, Col: 9}, c.Tests, true},
		{"a package-level name: the tests of its uses", mutant{File: "p/a.go", Line: 3, Col: 9, Names: []string{"x"}, Uses: []position{{"p/a.go", 13, 3, 10, 1, 30, 2}, {"p/b.go", 2, 1, 1, 1, 5, 2}}}, []string{"TestB", "TestC"}, true},
		{"a package-level name used by no test", mutant{File: "p/a.go", Line: 3, Col: 9, Names: []string{"x"}, Uses: []position{{"p/a.go", 23, 5, 10, 1, 30, 2}}}, nil, false},
		{"a package-level name another declaration uses: every test", mutant{File: "p/a.go", Line: 3, Col: 9, Names: []string{"x"}, Uses: []position{{"p/a.go", 23, 5, 10, 1, 30, 2}}, AllTests: true}, c.Tests, true},
		{"a file no test runs", mutant{File: "p/c.go", Line: 4, Col: 2, FuncLine: 1, FuncCol: 1, FuncEndLine: 9, FuncEndCol: 2}, nil, false},
	}
	for _, tc := range tests {
		got, covered := c.testsFor(tc.m)
		if !slices.Equal(got, tc.want) || covered != tc.covered {
			t.Errorf("%s: testsFor = %v, %t; want %v, %t", tc.name, got, covered, tc.want, tc.covered)
		}
	}
}

// A mutant of a package-level var or const knows the names it declares and
// where functions use them.
func TestPackageLevelUses(t *testing.T) {
	dir := t.TempDir()
	src := `package p

const (
	a = 1 << iota
	b
)

var greeting = "hi"
var shared = "x"
var both = shared + "!"
var unused = "u"

func F() string { return greeting }

func G(n int) bool {
	switch n {
	case b:
		return true
	}
	return false
}
`
	if err := os.WriteFile(filepath.Join(dir, "p.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	ms, err := packageMutants(dir, ".", map[string]bool{opIntInc: true, opString: true})
	if err != nil {
		t.Fatal(err)
	}
	type summary struct {
		Orig     string
		Names    []string
		Uses     []position
		AllTests bool
	}
	var got []summary
	for _, m := range ms {
		got = append(got, summary{m.Orig, m.Names, m.Uses, m.AllTests})
	}
	want := []summary{
		{"1", []string{"a", "b"}, []position{{"p.go", 17, 7, 15, 1, 21, 2}}, false},
		{`"hi"`, []string{"greeting"}, []position{{"p.go", 13, 26, 13, 1, 13, 36}}, false},
		{`"x"`, []string{"shared"}, nil, true},
		{`"!"`, []string{"both"}, nil, true},
		{`"u"`, []string{"unused"}, nil, true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("mutants\n%+v\nwant\n%+v", got, want)
	}
}

func TestRunPatternAndTestList(t *testing.T) {
	if got := runPattern([]string{"TestA", "TestB_c"}); got != "^(TestA|TestB_c)$" {
		t.Errorf("runPattern = %q", got)
	}
	out := "TestA\nBenchmarkB\nFuzzC\nExampleD\nwarning: GOCOVERDIR not set\nok  \n"
	if got := parseTestList([]byte(out)); !slices.Equal(got, []string{"TestA", "FuzzC", "ExampleD"}) {
		t.Errorf("parseTestList = %v", got)
	}
}

func TestCacheKeyFollowsSourcesAndLane(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list on a copy of testdata/tiny")
	}
	root := copyTiny(t)
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(root, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	key := func(emulator bool) string {
		k, err := cacheKey(options{root: root, emulator: emulator}, ".")
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	unit := key(false)
	if key(true) == unit {
		t.Error("both lanes share a key")
	}
	write("README.md", "not a source")
	if err := os.Mkdir(filepath.Join(root, "tool"), 0o755); err != nil {
		t.Fatal(err)
	}
	write("tool/main.go", "package main\n\nfunc main() {}\n")
	if key(false) != unit {
		t.Error("a file the tests do not depend on changed the key")
	}
	write("tiny_test.go", "package tiny\n")
	if key(false) == unit {
		t.Error("a changed test file kept the key: the cached map would be stale")
	}
	if err := os.Mkdir(filepath.Join(root, "testdata"), 0o755); err != nil {
		t.Fatal(err)
	}
	before := key(false)
	write("testdata/in.json", "{}")
	if key(false) == before {
		t.Error("a new testdata file kept the key")
	}
}

// copyTiny copies the testdata/tiny module into a temporary directory,
// where the test may change it.
func copyTiny(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"go.mod", "tiny.go", "tiny_test.go"} {
		data, err := os.ReadFile(filepath.Join("testdata", "tiny", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// On the testdata/tiny module: the coverage map says which test runs which
// function; a mutant runs only its covering tests and is killed, survives,
// times out or does not compile; one that no test runs is not covered; the
// map is cached and rebuilt when a source changes; the source is never
// written.
func TestCoverageGuidedRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the tests of testdata/tiny")
	}
	t.Setenv("TMPDIR", t.TempDir()) // the cache of coverage maps
	root := copyTiny(t)
	o := options{root: root}
	var log bytes.Buffer
	cm, err := buildCoverMap(o, ".", t.TempDir(), &log)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"TestMax", "TestSign", "TestGreet", "TestClamp"}; !slices.Equal(cm.Tests, want) {
		t.Fatalf("tests %v, want %v", cm.Tests, want)
	}
	ms, err := packageMutants(root, ".", map[string]bool{opGreater: true, opLess: true, opString: true, opIntInc: true})
	if err != nil {
		t.Fatal(err)
	}
	byOrig := func(line int, op string) mutant {
		for _, m := range ms {
			if m.Line == line && m.Op == op {
				return m
			}
		}
		t.Fatalf("no %s mutant on line %d of %+v", op, line, ms)
		return mutant{}
	}
	hang := byOrig(9, opGreater)
	hang.Op, hang.Start, hang.End, hang.Repl = "test", hang.Start-2, hang.End+2, "func() bool { for {} }()"
	broken := byOrig(9, opGreater)
	broken.Op, broken.Repl = "test", "+"
	tests := []struct {
		name    string
		m       mutant
		tests   []string // the covering tests
		run     []string // the tests run, if not those
		want    outcome
		covered bool
	}{
		{"Max's a > b", byOrig(9, opGreater), []string{"TestMax"}, nil, killed, true},
		{"Max's a > b, run with a test of something else", byOrig(9, opGreater), []string{"TestMax"}, []string{"TestGreet"}, survived, true},
		{"a case expression of Sign", byOrig(18, opLess), []string{"TestSign"}, nil, killed, true},
		{"the package-level greeting, used by Greet", byOrig(5, opString), []string{"TestGreet"}, nil, killed, true},
		{"Clamp's untried limit", byOrig(36, opIntInc), []string{"TestClamp"}, nil, survived, true},
		{"Unused", byOrig(31, opString), nil, nil, notCovered, false},
		{"a mutant that hangs", hang, []string{"TestMax"}, nil, timedOut, true},
		{"a mutant that does not compile", broken, []string{"TestMax"}, nil, invalid, true},
	}
	before, err := os.ReadFile(filepath.Join(root, "tiny.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		got, covered := cm.testsFor(tc.m)
		if !slices.Equal(got, tc.tests) || covered != tc.covered {
			t.Errorf("%s: covering tests %v, %t; want %v, %t", tc.name, got, covered, tc.tests, tc.covered)
			continue
		}
		if !covered {
			continue
		}
		run := tc.run
		if run == nil {
			run = got
		}
		res, err := runMutant(o, ".", tc.m, run, e2eRun{}, t.TempDir(), 5*time.Second)
		if err != nil || res != tc.want {
			t.Errorf("%s (%s → %s): %s, %v; want %s", tc.name, tc.m.Orig, tc.m.Repl, res, err, tc.want)
		}
	}
	if after, _ := os.ReadFile(filepath.Join(root, "tiny.go")); !bytes.Equal(before, after) {
		t.Error("the source file was changed")
	}

	log.Reset()
	if _, err := buildCoverMap(o, ".", t.TempDir(), &log); err != nil || !strings.Contains(log.String(), "coverage map from") {
		t.Errorf("second map of unchanged sources: %v, log %q; want it read from the cache", err, log.String())
	}
	f, err := os.OpenFile(filepath.Join(root, "tiny_test.go"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.WriteString("\nfunc TestUnused(t *testing.T) {\n\tif Unused(\"a\") != \"a!\" {\n\t\tt.Error(\"Unused\")\n\t}\n}\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	cm, err = buildCoverMap(o, ".", t.TempDir(), &log)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := cm.testsFor(byOrig(31, opString)); !slices.Equal(got, []string{"TestUnused"}) {
		t.Errorf("after a test of Unused was added, Unused is covered by %v; want [TestUnused] (a stale map?)", got)
	}
}

// An entry whose line moved matches no mutant any more: the tool names it
// instead of silently skipping whatever mutant lands on that line next.
func TestStaleEquivalentsAreNamed(t *testing.T) {
	all := []mutant{{File: "secrets/grant.go", Line: 14, Col: 28, Op: opString}}
	equiv := map[string]string{
		"secrets/grant.go:14:28 string-star": "still there",
		"secrets/grant.go:99:1 string-star":  "its line moved",
		"secrets/grant.go:99:1 drop-call":    "an operator not run this time",
		"service/follow.go:1:1 string-star":  "another package",
	}
	got := staleEquivalents(equiv, "./secrets", map[string]bool{opString: true}, all)
	if want := []string{"secrets/grant.go:99:1 string-star"}; !slices.Equal(got, want) {
		t.Errorf("stale = %v, want %v", got, want)
	}
}

// The repository's own list stays true: an edit that moves a listed
// mutant's line must move its entry too, or `make mutate` stops.
func TestRepositoryEquivalentListMatchesTheCode(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	equiv, err := readEquivalent(filepath.Join(root, "scripts/mutate/equivalent.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(equiv) == 0 {
		t.Fatal("scripts/mutate/equivalent.txt lists no mutant")
	}
	ops := map[string]bool{}
	for _, op := range allOperators {
		ops[op] = true
	}
	matched := 0
	for _, pkg := range domainPackages {
		all, err := packageMutants(root, pkg, ops)
		if err != nil {
			t.Fatal(err)
		}
		if stale := staleEquivalents(equiv, pkg, ops, all); len(stale) > 0 {
			t.Errorf("scripts/mutate/equivalent.txt lists mutants %s no longer has (a line moved?): %v", pkg, stale)
		}
		for _, m := range all {
			if _, ok := equiv[m.ID()]; ok {
				matched++
			}
		}
	}
	if matched != len(equiv) {
		t.Errorf("%d of the %d listed mutants are in the domain packages; every entry must name one", matched, len(equiv))
	}
}

// On the testdata/tinye2e module, whose lib package has no tests of its own
// and is run only by cmd/app's end-to-end tests through the binary: the
// end-to-end coverage map names the test that runs the binary, a mutant of
// lib is killed by it (the binary is rebuilt with the mutant), and a line
// the binary never runs stays not covered.
func TestEndToEndTestsCountThroughTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs testdata/tinye2e")
	}
	t.Setenv("TMPDIR", t.TempDir())
	root := t.TempDir()
	if err := os.CopyFS(root, os.DirFS(filepath.Join("testdata", "tinye2e"))); err != nil {
		t.Fatal(err)
	}
	o := options{root: root, pkgs: []string{"./lib"}, e2e: "./cmd/app"}
	var log bytes.Buffer
	suite, err := buildE2E(o, t.TempDir(), &log)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if want := []string{"TestLarger", "TestNoBinary"}; !slices.Equal(suite.cover.Tests, want) {
		t.Fatalf("end-to-end tests %v, want %v", suite.cover.Tests, want)
	}
	ms, err := packageMutants(root, "./lib", map[string]bool{opGreater: true, opString: true})
	if err != nil {
		t.Fatal(err)
	}
	var larger, unused mutant
	for _, m := range ms {
		switch {
		case m.Op == opGreater && m.Line == 7:
			larger = m
		case m.Op == opString && m.Line == 15:
			unused = m
		}
	}
	if larger.File == "" || unused.File == "" {
		t.Fatalf("mutants of lib: %+v", ms)
	}
	tests, covered := suite.cover.testsFor(larger)
	if !covered || !slices.Equal(tests, []string{"TestLarger"}) {
		t.Fatalf("Larger's a > b is covered by %v (%t); want [TestLarger]", tests, covered)
	}
	res, err := runMutant(o, "./lib", larger, nil, e2eRun{suite: suite, tests: tests, limit: time.Minute}, t.TempDir(), time.Minute)
	if err != nil || res != killed {
		t.Errorf("lib.Larger %s → %s, run only by the binary: %s, %v; want killed", larger.Orig, larger.Repl, res, err)
	}
	if tests, covered := suite.cover.testsFor(unused); covered {
		t.Errorf("Unused is covered by %v; no test runs it", tests)
	}

	log.Reset()
	if _, err := buildE2E(o, t.TempDir(), &log); err != nil || !strings.Contains(log.String(), "coverage map from") {
		t.Errorf("second map of unchanged sources: %v, log %q; want it read from the cache", err, log.String())
	}
}
