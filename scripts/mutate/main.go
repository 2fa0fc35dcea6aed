// Command mutate is launch's mutation tester: it makes small changes to the
// non-test Go files of the domain packages one at a time (negated
// conditions, swapped operators, dropped calls, changed literals) and runs
// the package's unit tests against each, through `go test -overlay`, so the
// source tree is never touched. A mutant the tests do not notice points at
// behaviour no test pins down.
//
// Only unit tests count: the emulator variables are removed from the
// environment, so integration tests skip.
//
//	go run ./scripts/mutate [-pkg ./secrets,./service] [-max 20] [-list]
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

var domainPackages = []string{"./spec", "./roles", "./secrets", "./taskdef", "./service", "./rollout"}

type options struct {
	pkgs       []string
	max        int
	seed       uint64
	ops        map[string]bool
	list       bool
	equivalent string
	timeout    time.Duration
	root       string
	ctx        context.Context // ends on Ctrl-C
}

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "mutate:", err)
		os.Exit(2)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("mutate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	pkg := fs.String("pkg", strings.Join(domainPackages, ","), "comma-separated package directories")
	max := fs.Int("max", 0, "mutants per package, a seeded sample (0: all)")
	seed := fs.Uint64("seed", 1, "seed of the sample")
	opsFlag := fs.String("operators", strings.Join(allOperators, ","), "comma-separated operators")
	list := fs.Bool("list", false, "print the mutants without running them")
	equiv := fs.String("equivalent", "scripts/mutate/equivalent.txt", "list of equivalent mutants to skip")
	timeout := fs.Duration("timeout", 0, "time limit of one mutant's test run, a mutant that exceeds it counts as killed (0: 4 times the unmutated run, at least 30s)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	o := options{ctx: ctx, max: *max, seed: *seed, ops: map[string]bool{}, list: *list,
		equivalent: *equiv, timeout: *timeout, root: root}
	for _, op := range splitList(*opsFlag) {
		if !contains(allOperators, op) {
			return fmt.Errorf("-operators: unknown operator %q (known: %s)", op, strings.Join(allOperators, ", "))
		}
		o.ops[op] = true
	}
	for _, p := range splitList(*pkg) {
		p = filepath.ToSlash(filepath.Clean(p))
		if !filepath.IsAbs(p) {
			p = "./" + p // go test reads "secrets" as a standard-library path
		}
		o.pkgs = append(o.pkgs, p)
	}
	return mutate(o, stdout, stderr)
}

type pkgResult struct {
	pkg                                            string
	mutants, killed, survived, invalid, equivalent int
	timedOut                                       int
	survivors                                      []mutant
	skipped                                        []string
}

func mutate(o options, stdout, stderr io.Writer) error {
	equiv := map[string]string{}
	if o.equivalent != "" {
		var err error
		if equiv, err = readEquivalent(filepath.Join(o.root, o.equivalent)); err != nil {
			return err
		}
	}
	if !o.list {
		fmt.Fprintln(stdout, "unit tests only: emulator variables are unset, so integration tests skip and kill nothing")
	}
	var results []pkgResult
	for _, pkg := range o.pkgs {
		all, err := packageMutants(o.root, pkg, o.ops)
		if err != nil {
			return err
		}
		r := pkgResult{pkg: pkg}
		// The sample is drawn from every mutant, so that listing one as
		// equivalent does not change which others a seed picks.
		var pool []mutant
		for _, m := range sample(all, o.max, o.seed) {
			if _, ok := equiv[m.ID()]; ok {
				r.equivalent++
				continue
			}
			pool = append(pool, m)
		}
		for _, m := range all {
			if why, ok := equiv[m.ID()]; ok {
				r.skipped = append(r.skipped, m.ID()+"  # "+why)
			}
		}
		if o.list {
			for _, m := range pool {
				fmt.Fprintf(stdout, "%s: %s → %s\n", m.ID(), short(m.Orig), short(m.Repl))
			}
			continue
		}
		took, err := baseline(o, pkg)
		if err != nil {
			return err
		}
		po := o
		if po.timeout == 0 {
			po.timeout = max(4*took, 30*time.Second)
		}
		for i, m := range pool {
			res, err := runMutant(po, pkg, m)
			if err != nil {
				return err
			}
			r.mutants++
			switch res {
			case killed:
				r.killed++
			case timedOut:
				r.killed++
				r.timedOut++
			case survived:
				r.survived++
				r.survivors = append(r.survivors, m)
			case invalid:
				r.invalid++
			}
			fmt.Fprintf(stderr, "%s [%d/%d] %s: %s\n", pkg, i+1, len(pool), m.ID(), res)
		}
		results = append(results, r)
	}
	if !o.list {
		report(stdout, results)
	}
	return nil
}

// packageMutants lists the mutants of every non-test .go file in dir.
func packageMutants(root, dir string, ops map[string]bool) ([]mutant, error) {
	abs := filepath.Join(root, dir)
	files, err := filepath.Glob(filepath.Join(abs, "*.go"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("-pkg %s: no Go files in %s", dir, abs)
	}
	sort.Strings(files)
	var all []mutant
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		rel, err := filepath.Rel(root, f)
		if err != nil {
			return nil, err
		}
		ms, err := generate(filepath.ToSlash(rel), src, ops)
		if err != nil {
			return nil, err
		}
		all = append(all, ms...)
	}
	return all, nil
}

// sample keeps n mutants chosen by a seeded shuffle, in source order, so
// one seed always picks the same ones.
func sample(ms []mutant, n int, seed uint64) []mutant {
	if n <= 0 || n >= len(ms) {
		return ms
	}
	idx := rand.New(rand.NewPCG(seed, seed)).Perm(len(ms))[:n]
	sort.Ints(idx)
	out := make([]mutant, n)
	for i, k := range idx {
		out[i] = ms[k]
	}
	return out
}

type outcome string

const (
	killed   outcome = "killed"
	survived outcome = "survived"
	invalid  outcome = "invalid"
	timedOut outcome = "timed out"
)

// baseline runs the unmutated tests, which must pass, and returns how long
// they took.
func baseline(o options, pkg string) (time.Duration, error) {
	if o.timeout == 0 {
		o.timeout = 10 * time.Minute
	}
	start := time.Now()
	out, err := goTest(o, pkg, "")
	if err != nil {
		return 0, fmt.Errorf("%s: the unmutated tests must pass first: %v\n%s", pkg, err, out)
	}
	return time.Since(start), nil
}

// runMutant writes the mutated file to a temporary directory, maps it over
// the original with an overlay and runs the package's tests.
func runMutant(o options, pkg string, m mutant) (outcome, error) {
	path := filepath.Join(o.root, filepath.FromSlash(m.File))
	src, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "mutate-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	mutated := filepath.Join(dir, filepath.Base(path))
	if err := os.WriteFile(mutated, m.apply(src), 0o644); err != nil {
		return "", err
	}
	overlay, err := json.Marshal(map[string]map[string]string{"Replace": {path: mutated}})
	if err != nil {
		return "", err
	}
	overlayPath := filepath.Join(dir, "overlay.json")
	if err := os.WriteFile(overlayPath, overlay, 0o644); err != nil {
		return "", err
	}
	out, err := goTest(o, pkg, overlayPath)
	if o.ctx != nil && o.ctx.Err() != nil {
		return "", errors.New("interrupted")
	}
	return classify(out, err), nil
}

func classify(out []byte, err error) outcome {
	switch {
	case err == nil:
		return survived
	case errors.Is(err, context.DeadlineExceeded):
		return timedOut
	case bytes.Contains(out, []byte("[build failed]")), bytes.Contains(out, []byte("[setup failed]")):
		return invalid
	}
	return killed
}

// goTest runs the unit tests of pkg, with an overlay if one is given. vet is
// off: a mutant is judged by the tests alone.
func goTest(o options, pkg, overlay string) ([]byte, error) {
	parent := o.ctx
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithTimeout(parent, o.timeout)
	defer cancel()
	args := []string{"test", "-count=1", "-failfast", "-vet=off"}
	if overlay != "" {
		args = append(args, "-overlay", overlay)
	}
	args = append(args, pkg)
	cmd := exec.Command("go", args...)
	cmd.Dir = o.root
	cmd.Env = unitEnv(os.Environ())
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return out.Bytes(), err
	case <-ctx.Done():
		// Kill go test and the test binary it started.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		if parent.Err() != nil {
			return out.Bytes(), errors.New("interrupted")
		}
		return out.Bytes(), ctx.Err()
	}
}

// unitEnv drops the variables that point tests at the emulator.
func unitEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if k == "AWS_ENDPOINT_URL" || strings.HasPrefix(k, "AWS_ENDPOINT_URL_") || strings.HasPrefix(k, "LAUNCH_REQUIRE_") {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// readEquivalent reads lines `path:line:col operator  # why`.
func readEquivalent(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		spec, why, _ := strings.Cut(line, "#")
		fields := strings.Fields(spec)
		why = strings.TrimSpace(why)
		if len(fields) != 2 || why == "" {
			return nil, fmt.Errorf("%s:%d: want `path:line:col operator  # why it cannot change behaviour`", path, n)
		}
		if !contains(allOperators, fields[1]) {
			return nil, fmt.Errorf("%s:%d: unknown operator %q", path, n, fields[1])
		}
		out[fields[0]+" "+fields[1]] = why
	}
	return out, sc.Err()
}

func report(w io.Writer, results []pkgResult) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "package\tmutants\tkilled\tsurvived\tinvalid\tequivalent\tscore\t")
	var tot pkgResult
	tot.pkg = "total"
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%s\t\n", r.pkg, r.mutants, r.killed, r.survived, r.invalid, r.equivalent, score(r))
		tot.mutants += r.mutants
		tot.killed += r.killed
		tot.survived += r.survived
		tot.invalid += r.invalid
		tot.equivalent += r.equivalent
	}
	fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%s\t\n", tot.pkg, tot.mutants, tot.killed, tot.survived, tot.invalid, tot.equivalent, score(tot))
	tw.Flush()
	fmt.Fprintln(w, "score = killed / (killed + survived); timed-out mutants count as killed, invalid (not compiling) and equivalent ones are not counted")
	fmt.Fprintln(w, "equivalent: the sampled mutants listed in the equivalent file; all listed ones of the packages are shown below")
	for _, r := range results {
		if r.timedOut > 0 {
			fmt.Fprintf(w, "%s: %d mutant(s) timed out\n", r.pkg, r.timedOut)
		}
	}
	for _, r := range results {
		for _, m := range r.survivors {
			fmt.Fprintf(w, "survived %s:%d:%d %s: %s → %s\n", m.File, m.Line, m.Col, m.Op, short(m.Orig), short(m.Repl))
		}
	}
	for _, r := range results {
		for _, s := range r.skipped {
			fmt.Fprintf(w, "equivalent %s\n", s)
		}
	}
}

func score(r pkgResult) string {
	if r.killed+r.survived == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(r.killed)/float64(r.killed+r.survived))
}

// short puts a snippet on one line and bounds its length.
func short(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "(nothing)"
	}
	if r := []rune(s); len(r) > 80 {
		return string(r[:77]) + "..."
	}
	return s
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod in this directory or above")
		}
		dir = parent
	}
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
