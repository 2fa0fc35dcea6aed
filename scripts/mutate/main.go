// Command mutate is launch's mutation tester: it makes small changes to the
// non-test Go files of the domain packages one at a time (negated
// conditions, swapped operators, dropped calls, changed literals) and runs
// the tests that cover each mutant, through `go test -c -overlay`, so the
// source tree is never touched. A mutant the tests do not notice points at
// behaviour no test pins down.
//
// Coverage decides which tests run: each package's test binary is built
// once with -cover and each top-level test is run alone to learn which
// blocks it runs. A mutant no test runs is "not covered" (a survivor) and
// is not built; the others run only the tests that cover them.
//
// Two lanes: by default only unit tests count (the emulator variables are
// removed from the environment, so integration tests skip). With -emulator
// the variables are kept, so integration tests run against the emulator
// and can kill mutants; mutants then run one at a time, and cmd/launch's
// end-to-end tests count too, against the binary built with the mutant
// (e2e.go).
//
//	go run ./scripts/mutate [-pkg ./secrets,./service] [-files secrets/grant.go] [-max 20] [-emulator] [-list]
package main

import (
	"bufio"
	"bytes"
	"cmp"
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
	"path"
	"path/filepath"
	"slices"
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
	files      []string // only mutants of these files (module-relative paths); nil: all
	equivalent string
	timeout    time.Duration
	emulator   bool   // keep the emulator variables: integration tests run
	e2e        string // emulator lane: the end-to-end tests' package ("": none)
	root       string
	ctx        context.Context // ends on Ctrl-C
}

// buildTimeout bounds one `go test -c` and the listing of tests.
const buildTimeout = 10 * time.Minute

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
	files := fs.String("files", "", "comma-separated files (module-relative, such as spec/yamlhint.go): only their mutants (\"\": every file of the packages)")
	equiv := fs.String("equivalent", "scripts/mutate/equivalent.txt", "list of equivalent mutants to skip")
	timeout := fs.Duration("timeout", 0, "time limit of one mutant's test run, a mutant that exceeds it counts as killed (0: 4 times the unmutated run of the same tests, at least 30s)")
	emulator := fs.Bool("emulator", false, "keep AWS_ENDPOINT_URL and LAUNCH_REQUIRE_* so integration tests run against the emulator (one mutant at a time)")
	e2e := fs.String("e2e", "./cmd/launch", "with -emulator: also run this package's end-to-end tests against its binary built with each mutant (\"\": none)")
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
		equivalent: *equiv, timeout: *timeout, emulator: *emulator, root: root}
	for _, f := range splitList(*files) {
		o.files = append(o.files, strings.TrimPrefix(filepath.ToSlash(filepath.Clean(f)), "./"))
	}
	if o.emulator && *e2e != "" {
		o.e2e = "./" + strings.TrimPrefix(filepath.ToSlash(filepath.Clean(*e2e)), "./")
	}
	if o.emulator && os.Getenv("AWS_ENDPOINT_URL") == "" {
		return errors.New("-emulator: AWS_ENDPOINT_URL is not set; start the emulator (make emulator-start) and export the variables it prints")
	}
	for _, op := range splitList(*opsFlag) {
		if !contains(allOperators, op) {
			return fmt.Errorf("-operators: unknown operator %q (known: %s)", op, strings.Join(allOperators, ", "))
		}
		o.ops[op] = true
	}
	for _, p := range splitList(*pkg) {
		p = filepath.ToSlash(filepath.Clean(p))
		if !filepath.IsAbs(p) && p != "." && !strings.HasPrefix(p, "../") {
			p = "./" + p // go test reads "secrets" as a standard-library path
		}
		o.pkgs = append(o.pkgs, p)
	}
	return mutate(o, stdout, stderr)
}

type pkgResult struct {
	pkg                                            string
	mutants, killed, survived, invalid, equivalent int
	timedOut, uncovered                            int
	survivors                                      []survivor
	skipped                                        []string
	interrupted                                    string        // says how far the run got before Ctrl-C
	tests                                          int           // top-level tests in the coverage map
	mapTook, mutantsTook                           time.Duration // building the coverage map, running the mutants
}

type survivor struct {
	mutant
	uncovered bool // no test runs its position
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
		fmt.Fprintln(stdout, laneHeader(o))
	}
	work, err := os.MkdirTemp("", "mutate-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	var suite *e2eSuite
	var e2eLine string // the report's line on the end-to-end tests' map
	if o.e2e != "" && !o.list {
		start := time.Now()
		if suite, err = buildE2E(o, work, stderr); err != nil {
			return err
		}
		e2eLine = fmt.Sprintf("%s (end-to-end): coverage map of %d tests in %s", o.e2e, len(suite.cover.Tests), time.Since(start).Round(time.Second))
	}
	var results []pkgResult
	for _, pkg := range o.pkgs {
		all, err := packageMutants(o.root, pkg, o.ops)
		if err != nil {
			return err
		}
		if stale := staleEquivalents(equiv, pkg, o.ops, all); len(stale) > 0 {
			return fmt.Errorf("%s lists mutants that %s no longer has (did its lines move?); give each its new path:line:col or remove it:\n  %s",
				o.equivalent, pkg, strings.Join(stale, "\n  "))
		}
		if o.files != nil {
			all = slices.DeleteFunc(all, func(m mutant) bool { return !slices.Contains(o.files, m.File) })
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
		start := time.Now()
		cm, err := buildCoverMap(o, pkg, work, stderr)
		if err != nil {
			return err
		}
		r.tests, r.mapTook = len(cm.Tests), time.Since(start)
		start = time.Now()
		for i, m := range pool {
			tests, covered := cm.testsFor(m)
			var e2eTests []string
			if suite != nil {
				var byE2E bool
				e2eTests, byE2E = suite.cover.testsFor(m)
				covered = covered || byE2E
			}
			res := notCovered
			if covered {
				// Shortest first: a mutant is most often killed by a quick test.
				tests = shortestFirst(tests, cm)
				run := e2eRun{suite: suite}
				if suite != nil {
					run.tests = shortestFirst(e2eTests, suite.cover)
					run.limit = o.limitFor(run.tests, suite.cover)
				}
				if res, err = runMutant(o, pkg, m, tests, run, work, o.limitFor(tests, cm)); err != nil {
					if o.ctx != nil && o.ctx.Err() != nil {
						// Ctrl-C: report what ran so far.
						r.interrupted = fmt.Sprintf("interrupted: %d of %d sampled mutants of %s ran", i, len(pool), pkg)
						break
					}
					return err
				}
			}
			r.mutants++
			switch res {
			case killed:
				r.killed++
			case timedOut:
				r.killed++
				r.timedOut++
			case survived, notCovered:
				r.survived++
				r.survivors = append(r.survivors, survivor{m, res == notCovered})
				if res == notCovered {
					r.uncovered++
				}
			case invalid:
				r.invalid++
			}
			fmt.Fprintf(stderr, "%s [%d/%d] %s: %s (%d tests, %d end-to-end)\n", pkg, i+1, len(pool), m.ID(), res, len(tests), len(e2eTests))
		}
		r.mutantsTook = time.Since(start)
		results = append(results, r)
		if r.interrupted != "" {
			break
		}
	}
	if !o.list {
		report(stdout, results, e2eLine)
	}
	if o.ctx != nil && o.ctx.Err() != nil {
		return errors.New("interrupted; the report above covers the mutants that ran")
	}
	return nil
}

// limitFor bounds the run of tests against a mutant: -timeout, or 4 times
// their unmutated run, at least 30 s.
func (o options) limitFor(tests []string, cm *coverMap) time.Duration {
	if o.timeout > 0 {
		return o.timeout
	}
	var took time.Duration
	for _, t := range tests {
		took += cm.Durations[t]
	}
	return max(4*took, 30*time.Second)
}

// shortestFirst orders tests by their unmutated run's duration.
func shortestFirst(tests []string, cm *coverMap) []string {
	tests = slices.Clone(tests)
	slices.SortStableFunc(tests, func(a, b string) int { return cmp.Compare(cm.Durations[a], cm.Durations[b]) })
	return tests
}

// packageMutants lists the mutants of every non-test .go file in dir; a
// mutant of a package-level var or const learns where the package's
// functions use the names it declares.
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
	srcs := map[string][]byte{}
	var rels []string
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
		rel = filepath.ToSlash(rel)
		ms, err := generate(rel, src, ops)
		if err != nil {
			return nil, err
		}
		srcs[rel] = src
		rels = append(rels, rel)
		all = append(all, ms...)
	}
	names := map[string]bool{}
	for _, m := range all {
		for _, n := range m.Names {
			names[n] = true
		}
	}
	if len(names) == 0 {
		return all, nil
	}
	uses, shared := map[string][]position{}, map[string]bool{}
	for _, rel := range rels {
		if err := nameUses(rel, srcs[rel], names, uses, shared); err != nil {
			return nil, err
		}
	}
	for i, m := range all {
		for _, n := range m.Names {
			all[i].AllTests = all[i].AllTests || shared[n]
			all[i].Uses = append(all[i].Uses, uses[n]...)
		}
		if len(m.Names) > 0 && len(all[i].Uses) == 0 {
			all[i].AllTests = true
		}
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
	killed     outcome = "killed"
	survived   outcome = "survived"
	notCovered outcome = "not covered"
	invalid    outcome = "invalid"
	timedOut   outcome = "timed out"
)

func laneHeader(o options) string {
	if o.emulator && o.e2e != "" {
		return "lane: emulator: unit and integration tests against the emulator at " + os.Getenv("AWS_ENDPOINT_URL") + ", then " + o.e2e + "'s end-to-end tests against its binary built with the mutant, one mutant at a time"
	}
	if o.emulator {
		return "lane: emulator: unit and integration tests against the emulator at " + os.Getenv("AWS_ENDPOINT_URL") + ", one mutant at a time"
	}
	return "lane: unit: unit tests only; emulator variables are unset, so integration tests skip and kill nothing"
}

// runMutant writes the mutated file to a temporary directory, maps it over
// the original with an overlay, builds the package's test binary and runs
// the given tests one at a time, stopping at the first failure; then, if it
// survived them, the end-to-end tests of e2e against a binary built with
// the mutant. limit bounds the package's tests, e2e.limit the others.
func runMutant(o options, pkg string, m mutant, tests []string, e2e e2eRun, work string, limit time.Duration) (outcome, error) {
	path := filepath.Join(o.root, filepath.FromSlash(m.File))
	src, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp(work, "mutant-")
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
	bin := filepath.Join(dir, "mutant.test")
	_, err = o.command(o.ctx, buildTimeout, o.root, nil, "go", "test", "-c", "-vet=off", "-overlay", overlayPath, "-o", bin, pkg)
	if o.ctx != nil && o.ctx.Err() != nil {
		return "", errors.New("interrupted")
	}
	if err != nil {
		return invalid, nil
	}
	// One test per run, in the order given, until one fails: the test
	// binary would run them in source order, whatever their cost.
	deadline := time.Now().Add(limit)
	for _, t := range tests {
		_, err = o.command(o.ctx, time.Until(deadline), filepath.Join(o.root, filepath.FromSlash(pkg)), nil, bin,
			"-test.run", runPattern([]string{t}), "-test.failfast", "-test.count=1")
		if o.ctx != nil && o.ctx.Err() != nil {
			return "", errors.New("interrupted")
		}
		if res := classify(err); res != survived {
			return res, nil
		}
	}
	if len(e2e.tests) > 0 {
		return e2e.suite.run(o, overlayPath, dir, e2e.tests, e2e.limit)
	}
	return survived, nil
}

func classify(err error) outcome {
	switch {
	case err == nil:
		return survived
	case errors.Is(err, context.DeadlineExceeded):
		return timedOut
	}
	return killed
}

// command runs name with args in dir, in the lane's environment plus env,
// and kills it with its children when limit passes (the error is then
// context.DeadlineExceeded).
func (o options) command(parent context.Context, limit time.Duration, dir string, env []string, name string, args ...string) ([]byte, error) {
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithTimeout(parent, limit)
	defer cancel()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = os.Environ()
	if !o.emulator {
		cmd.Env = unitEnv(cmd.Env)
	}
	cmd.Env = append(cmd.Env, env...)
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
		// Kill the command and whatever it started.
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

// staleEquivalents returns the entries of the equivalent list, for files of
// pkg and operators in ops, that match none of the package's mutants: an
// edit moved their lines, and the list would otherwise skip whatever mutant
// lands there next.
func staleEquivalents(equiv map[string]string, pkg string, ops map[string]bool, all []mutant) []string {
	dir := filepath.ToSlash(filepath.Clean(pkg))
	have := map[string]bool{}
	for _, m := range all {
		have[m.ID()] = true
	}
	var stale []string
	for id := range equiv {
		loc, op, _ := strings.Cut(id, " ")
		file, _, _ := strings.Cut(loc, ":")
		if path.Dir(file) == dir && ops[op] && !have[id] {
			stale = append(stale, id)
		}
	}
	sort.Strings(stale)
	return stale
}

func report(w io.Writer, results []pkgResult, e2eLine string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "package\tmutants\tkilled\ttimed out\tsurvived\tnot covered\tinvalid\tequivalent\tscore\t")
	var tot pkgResult
	tot.pkg = "total"
	row := func(r pkgResult) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t\n", r.pkg, r.mutants, r.killed, r.timedOut, r.survived, r.uncovered, r.invalid, r.equivalent, score(r))
	}
	for _, r := range results {
		row(r)
		tot.mutants += r.mutants
		tot.killed += r.killed
		tot.timedOut += r.timedOut
		tot.survived += r.survived
		tot.uncovered += r.uncovered
		tot.invalid += r.invalid
		tot.equivalent += r.equivalent
	}
	row(tot)
	tw.Flush()
	fmt.Fprintln(w, "score = killed / (killed + survived); timed-out mutants count as killed, not-covered ones (no test runs their line) as survived, invalid (not compiling) and equivalent ones are not counted")
	fmt.Fprintln(w, "equivalent: the sampled mutants listed in the equivalent file; all listed ones of the packages are shown below")
	if e2eLine != "" {
		fmt.Fprintln(w, e2eLine)
	}
	for _, r := range results {
		fmt.Fprintf(w, "%s: coverage map of %d tests in %s, mutants in %s\n", r.pkg, r.tests, r.mapTook.Round(time.Second), r.mutantsTook.Round(time.Second))
		if r.interrupted != "" {
			fmt.Fprintln(w, r.interrupted)
		}
	}
	for _, r := range results {
		for _, m := range r.survivors {
			note := ""
			if m.uncovered {
				note = "  (not covered)"
			}
			fmt.Fprintf(w, "survived %s:%d:%d %s: %s → %s%s\n", m.File, m.Line, m.Col, m.Op, short(m.Orig), short(m.Repl), note)
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
