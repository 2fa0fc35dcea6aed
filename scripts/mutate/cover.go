package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// A coverMap says which top-level tests of a package run each of its
// coverage blocks. It is built by running every test alone from a test
// binary built with -cover.
type coverMap struct {
	Tests     []string                 // in the order -test.list gives them
	Durations map[string]time.Duration // each test's run, alone
	Blocks    []block
}

// A block is one counted range of source: from (SL, SC) to (EL, EC).
type block struct {
	File           string // relative to the module root, slash-separated
	SL, SC, EL, EC int
	Tests          []int // indices into coverMap.Tests of the tests that ran it
}

// A profBlock is one line of a coverage profile.
type profBlock struct {
	File           string
	SL, SC, EL, EC int
	Count          int
}

// parseProfile reads a coverage profile (`go help testflag`, -coverprofile)
// and keeps the blocks of files under modPath, with paths made relative to
// the module root.
func parseProfile(r io.Reader, modPath string) ([]profBlock, error) {
	var out []profBlock
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "mode:") {
			continue
		}
		// path/file.go:SL.SC,EL.EC stmts count
		colon := strings.LastIndex(line, ":")
		fields := strings.Fields(line[colon+1:])
		if colon < 0 || len(fields) != 3 {
			return nil, fmt.Errorf("coverage profile line %d: cannot read %q", n, line)
		}
		var b profBlock
		var err error
		if _, err = fmt.Sscanf(fields[0], "%d.%d,%d.%d", &b.SL, &b.SC, &b.EL, &b.EC); err == nil {
			b.Count, err = strconv.Atoi(fields[2])
		}
		if err != nil {
			return nil, fmt.Errorf("coverage profile line %d: cannot read %q: %v", n, line, err)
		}
		rel, ok := strings.CutPrefix(line[:colon], modPath+"/")
		if !ok {
			continue
		}
		b.File = rel
		out = append(out, b)
	}
	return out, sc.Err()
}

// addRun merges the profile of one test's run into the map.
func (c *coverMap) addRun(test int, blocks []profBlock) {
	type key struct {
		f              string
		sl, sc, el, ec int
	}
	index := map[key]int{}
	for i, b := range c.Blocks {
		index[key{b.File, b.SL, b.SC, b.EL, b.EC}] = i
	}
	for _, p := range blocks {
		k := key{p.File, p.SL, p.SC, p.EL, p.EC}
		i, ok := index[k]
		if !ok {
			i = len(c.Blocks)
			index[k] = i
			c.Blocks = append(c.Blocks, block{File: p.File, SL: p.SL, SC: p.SC, EL: p.EL, EC: p.EC})
		}
		if p.Count > 0 && !containsInt(c.Blocks[i].Tests, test) {
			c.Blocks[i].Tests = append(c.Blocks[i].Tests, test)
		}
	}
}

// testsFor returns the tests that run the mutant's position, in list order,
// and whether any does.
//
// A position inside counted blocks takes the innermost one. A position in a
// function but outside every block (a case expression, the text after a
// function literal) takes every test that runs some block of that function.
// A package-level var or const takes the tests that run the functions'
// uses of the names it declares; every test if it has no such uses or
// another package-level declaration uses them.
func (c *coverMap) testsFor(m mutant) ([]string, bool) {
	if m.FuncLine == 0 && len(m.Names) > 0 && !m.AllTests && c.blockAt(m.File, m.Line, m.Col) == nil {
		var tests []string
		for _, u := range m.Uses {
			t, _ := c.testsFor(mutant{File: u.File, Line: u.Line, Col: u.Col, FuncLine: u.FuncLine, FuncCol: u.FuncCol, FuncEndLine: u.FuncEndLine, FuncEndCol: u.FuncEndCol})
			tests = append(tests, t...)
		}
		tests = c.inListOrder(tests)
		return tests, len(tests) > 0
	}
	inner := c.blockAt(m.File, m.Line, m.Col)
	var idx []int
	switch {
	case inner != nil:
		idx = inner.Tests
	case m.FuncLine > 0:
		fn := block{SL: m.FuncLine, SC: m.FuncCol, EL: m.FuncEndLine, EC: m.FuncEndCol}
		for _, b := range c.Blocks {
			if b.File == m.File && fn.contains(b.SL, b.SC) {
				for _, t := range b.Tests {
					if !containsInt(idx, t) {
						idx = append(idx, t)
					}
				}
			}
		}
	default:
		return c.Tests, len(c.Tests) > 0
	}
	sort.Ints(idx)
	var tests []string
	for _, i := range idx {
		tests = append(tests, c.Tests[i])
	}
	return tests, len(tests) > 0
}

// contains reports whether the position is in the block. The end is
// exclusive: an if's condition block ends where its body's block starts, at
// the opening brace, and that brace belongs to the body.
// blockAt returns the innermost block holding the position, or nil.
func (c *coverMap) blockAt(file string, line, col int) *block {
	var inner *block
	for i := range c.Blocks {
		b := &c.Blocks[i]
		if b.File == file && b.contains(line, col) && (inner == nil || inner.contains(b.SL, b.SC) && before(b.EL, b.EC, inner.EL, inner.EC)) {
			inner = b
		}
	}
	return inner
}

// inListOrder removes duplicates from tests and puts them in list order.
func (c *coverMap) inListOrder(tests []string) []string {
	var out []string
	for _, t := range c.Tests {
		if slices.Contains(tests, t) {
			out = append(out, t)
		}
	}
	return out
}

func (b block) contains(line, col int) bool {
	return before(b.SL, b.SC, line, col) && !before(b.EL, b.EC, line, col)
}

// before reports whether position (l1, c1) is at or before (l2, c2).
func before(l1, c1, l2, c2 int) bool {
	return l1 < l2 || l1 == l2 && c1 <= c2
}

// runPattern is the -test.run pattern that matches exactly these top-level
// tests (and their subtests).
func runPattern(tests []string) string {
	quoted := make([]string, len(tests))
	for i, t := range tests {
		quoted[i] = regexp.QuoteMeta(t)
	}
	return "^(" + strings.Join(quoted, "|") + ")$"
}

var testName = regexp.MustCompile(`^(Test|Fuzz|Example)[\p{L}\p{N}_]*$`)

// parseTestList keeps the test, fuzz and example names of -test.list's
// output; benchmarks are not run.
func parseTestList(out []byte) []string {
	var tests []string
	for _, line := range strings.Split(string(out), "\n") {
		if line = strings.TrimSpace(line); testName.MatchString(line) {
			tests = append(tests, line)
		}
	}
	return tests
}

// buildCoverMap builds pkg's test binary with coverage, lists its tests and
// runs each alone. The result is cached under the temporary directory,
// keyed by the lane, the package and the content of the module's sources,
// so a changed file means a new map.
func buildCoverMap(o options, pkg, work string, stderr io.Writer) (*coverMap, error) {
	key, err := cacheKey(o, pkg)
	if err != nil {
		return nil, err
	}
	cacheDir := filepath.Join(os.TempDir(), "launch-mutate-cover")
	cached := filepath.Join(cacheDir, key+".json")
	if data, err := os.ReadFile(cached); err == nil {
		var c coverMap
		if json.Unmarshal(data, &c) == nil {
			fmt.Fprintf(stderr, "%s: coverage map from %s\n", pkg, cached)
			return &c, nil
		}
	}
	modPath, err := modulePath(o.root)
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(work, "cover.test")
	if out, err := o.command(o.ctx, buildTimeout, o.root, nil, "go", "test", "-c", "-vet=off", "-cover", "-covermode=set", "-o", bin, pkg); err != nil {
		return nil, fmt.Errorf("%s: building the test binary with coverage: %v\n%s", pkg, err, out)
	}
	if _, err := os.Stat(bin); errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(stderr, "%s: no test files: every mutant is not covered\n", pkg)
		return &coverMap{}, nil
	}
	dir := filepath.Join(o.root, filepath.FromSlash(pkg))
	out, err := o.command(o.ctx, buildTimeout, dir, nil, bin, "-test.list", ".*")
	if err != nil {
		return nil, fmt.Errorf("%s: listing the tests: %v\n%s", pkg, err, out)
	}
	c := &coverMap{Tests: parseTestList(out), Durations: map[string]time.Duration{}}
	if len(c.Tests) == 0 {
		fmt.Fprintf(stderr, "%s: no tests: every mutant is not covered\n", pkg)
	}
	limit := o.timeout
	if limit == 0 {
		limit = 10 * time.Minute
	}
	for i, t := range c.Tests {
		profile := filepath.Join(work, "cover.out")
		start := time.Now()
		out, err := o.command(o.ctx, limit, dir, nil, bin, "-test.run", runPattern([]string{t}),
			"-test.count=1", "-test.coverprofile="+profile)
		c.Durations[t] = time.Since(start)
		if err != nil {
			return nil, fmt.Errorf("%s: the unmutated tests must pass first: %s: %v\n%s", pkg, t, err, out)
		}
		f, err := os.Open(profile)
		if err != nil {
			return nil, fmt.Errorf("%s: %s wrote no coverage profile: %v", pkg, t, err)
		}
		blocks, err := parseProfile(f, modPath)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %v", pkg, t, err)
		}
		c.addRun(i, blocks)
		fmt.Fprintf(stderr, "%s coverage [%d/%d] %s (%s)\n", pkg, i+1, len(c.Tests), t, c.Durations[t].Round(time.Millisecond))
	}
	if data, err := json.Marshal(c); err == nil && os.MkdirAll(cacheDir, 0o755) == nil {
		_ = os.WriteFile(cached, data, 0o644) // a cache that cannot be written only costs time
	}
	return c, nil
}

// cacheKey hashes the lane, the package and the files its tests can
// depend on: the Go files (and embedded files) of every package of the
// module the tests import, go.mod and go.sum, every testdata file of the
// module and, in the emulator lane, the emulator harness's Python files.
// A change to any of them means a new map.
func cacheKey(o options, pkg string) (string, error) {
	out, err := o.command(o.ctx, buildTimeout, o.root, nil, "go", "list", "-deps", "-test", "-json=Dir,Module,GoFiles,CgoFiles,TestGoFiles,XTestGoFiles,EmbedFiles,TestEmbedFiles,XTestEmbedFiles", pkg)
	if err != nil {
		return "", fmt.Errorf("%s: go list: %v\n%s", pkg, err, out)
	}
	files := map[string]bool{filepath.Join(o.root, "go.mod"): true, filepath.Join(o.root, "go.sum"): true}
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p struct {
			Dir    string
			Module *struct{ Main bool }
			GoFiles, CgoFiles, TestGoFiles, XTestGoFiles,
			EmbedFiles, TestEmbedFiles, XTestEmbedFiles []string
		}
		if err := dec.Decode(&p); err != nil {
			return "", fmt.Errorf("%s: go list: %v", pkg, err)
		}
		if p.Module == nil || !p.Module.Main {
			continue
		}
		for _, list := range [][]string{p.GoFiles, p.CgoFiles, p.TestGoFiles, p.XTestGoFiles, p.EmbedFiles, p.TestEmbedFiles, p.XTestEmbedFiles} {
			for _, f := range list {
				files[filepath.Join(p.Dir, f)] = true
			}
		}
	}
	err = filepath.WalkDir(o.root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != o.root && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		rel, _ := filepath.Rel(o.root, path)
		if d.Type().IsRegular() && (strings.Contains("/"+filepath.ToSlash(rel), "/testdata/") || o.emulator && strings.HasSuffix(path, ".py")) {
			files[path] = true
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	names := make([]string, 0, len(files))
	for f := range files {
		names = append(names, f)
	}
	sort.Strings(names)
	h := sha256.New()
	fmt.Fprintf(h, "lane emulator=%t\npkg %s\n", o.emulator, pkg)
	for _, f := range names {
		data, err := os.ReadFile(f)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
		rel, _ := filepath.Rel(o.root, f)
		fmt.Fprintf(h, "%s %d\n", filepath.ToSlash(rel), len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil))[:32], nil
}

// modulePath reads the module line of root/go.mod.
func modulePath(root string) (string, error) {
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return "", err
	}
	for _, line := range bytes.Split(data, []byte("\n")) {
		if rest, ok := bytes.CutPrefix(bytes.TrimSpace(line), []byte("module")); ok {
			if p := strings.Trim(strings.TrimSpace(string(rest)), `"`); p != "" {
				return p, nil
			}
		}
	}
	return "", errors.New(filepath.Join(root, "go.mod") + ": no module line")
}

func containsInt(list []int, n int) bool {
	for _, x := range list {
		if x == n {
			return true
		}
	}
	return false
}
