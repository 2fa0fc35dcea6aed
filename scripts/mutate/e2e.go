package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// The end-to-end tests (cmd/launch) run the launch binary, not the domain
// packages' code in their own process, so a package's test binary never
// counts them. In the emulator lane the tool counts them too: the binary is
// built with -cover for the coverage map and with the mutant's overlay for
// each mutant, and the tests, built once and unmutated, find it through
// LAUNCH_E2E_BINARY (cmd/launch/e2e_test.go).

// e2eSuite is the end-to-end tests ready to run: their test binary, built
// once, and the coverage map of the domain packages they run.
type e2eSuite struct {
	pkg   string // the end-to-end tests' package, e.g. ./cmd/launch, which is also the binary's
	tests string // its test binary
	cover *coverMap
}

// e2eRun is the end-to-end part of one mutant's run: the tests that cover
// it, shortest first, and their time limit. A zero e2eRun runs none.
type e2eRun struct {
	suite *e2eSuite
	tests []string
	limit time.Duration
}

// buildE2E builds the end-to-end tests' binary and their coverage map of
// the domain packages (cached like a package's, keyed by every file
// cmd/launch's tests depend on).
func buildE2E(o options, work string, stderr io.Writer) (*e2eSuite, error) {
	s := &e2eSuite{pkg: o.e2e, tests: filepath.Join(work, "e2e.test")}
	if out, err := o.command(o.ctx, buildTimeout, o.root, nil, "go", "test", "-c", "-vet=off", "-o", s.tests, s.pkg); err != nil {
		return nil, fmt.Errorf("%s: building the end-to-end tests: %v\n%s", s.pkg, err, out)
	}
	modPath, err := modulePath(o.root)
	if err != nil {
		return nil, err
	}
	// Coverage of the packages under mutation, the only ones the map is
	// read for, and of the binary's own main package: a binary whose main
	// package is not instrumented writes no coverage data at all.
	coverPkgs := []string{path.Join(modPath, s.pkg)}
	for _, p := range o.pkgs {
		coverPkgs = append(coverPkgs, path.Join(modPath, p))
	}
	key, err := cacheKey(o, s.pkg)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(strings.Join(coverPkgs, ",")))
	cached := filepath.Join(os.TempDir(), "launch-mutate-cover", "e2e-"+key+"-"+hex.EncodeToString(sum[:4])+".json")
	if data, err := os.ReadFile(cached); err == nil {
		var c coverMap
		if json.Unmarshal(data, &c) == nil {
			fmt.Fprintf(stderr, "%s: coverage map from %s\n", s.pkg, cached)
			s.cover = &c
			return s, nil
		}
	}
	bin := filepath.Join(work, "launch.cover")
	if out, err := o.command(o.ctx, buildTimeout, o.root, nil, "go", "build", "-cover", "-covermode=set",
		"-coverpkg="+strings.Join(coverPkgs, ","), "-o", bin, s.pkg); err != nil {
		return nil, fmt.Errorf("%s: building the binary with coverage: %v\n%s", s.pkg, err, out)
	}
	dir := filepath.Join(o.root, filepath.FromSlash(s.pkg))
	out, err := o.command(o.ctx, buildTimeout, dir, nil, s.tests, "-test.list", ".*")
	if err != nil {
		return nil, fmt.Errorf("%s: listing the tests: %v\n%s", s.pkg, err, out)
	}
	c := &coverMap{Tests: parseTestList(out), Durations: map[string]time.Duration{}}
	limit := o.timeout
	if limit == 0 {
		limit = 10 * time.Minute
	}
	for i, t := range c.Tests {
		covDir, err := os.MkdirTemp(work, "covdata-")
		if err != nil {
			return nil, err
		}
		start := time.Now()
		out, err := o.command(o.ctx, limit, dir, []string{"LAUNCH_E2E_BINARY=" + bin, "GOCOVERDIR=" + covDir},
			s.tests, "-test.run", runPattern([]string{t}), "-test.count=1")
		c.Durations[t] = time.Since(start)
		if err != nil {
			return nil, fmt.Errorf("%s: the unmutated tests must pass first: %s: %v\n%s", s.pkg, t, err, out)
		}
		blocks, err := covdataBlocks(o, covDir, modPath)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %v", s.pkg, t, err)
		}
		os.RemoveAll(covDir)
		c.addRun(i, blocks)
		fmt.Fprintf(stderr, "%s coverage [%d/%d] %s (%s)\n", s.pkg, i+1, len(c.Tests), t, c.Durations[t].Round(time.Millisecond))
	}
	if data, err := json.Marshal(c); err == nil && os.MkdirAll(filepath.Dir(cached), 0o755) == nil {
		_ = os.WriteFile(cached, data, 0o644) // a cache that cannot be written only costs time
	}
	s.cover = c
	return s, nil
}

// covdataBlocks converts the coverage data the binary's runs wrote to dir
// into profile blocks (`go tool covdata textfmt`). A test that never ran
// the binary leaves dir empty: no blocks.
func covdataBlocks(o options, dir, modPath string) ([]profBlock, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		return nil, nil
	}
	profile := filepath.Join(dir, "profile.txt")
	if out, err := o.command(o.ctx, buildTimeout, o.root, nil, "go", "tool", "covdata", "textfmt", "-i", dir, "-o", profile); err != nil {
		return nil, fmt.Errorf("go tool covdata: %v\n%s", err, out)
	}
	f, err := os.Open(profile)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseProfile(f, modPath)
}

// run builds the launch binary with the mutant's overlay and runs the
// given end-to-end tests against it, one at a time, until one fails.
func (s *e2eSuite) run(o options, overlayPath, dir string, tests []string, limit time.Duration) (outcome, error) {
	bin := filepath.Join(dir, "launch")
	_, err := o.command(o.ctx, buildTimeout, o.root, nil, "go", "build", "-overlay", overlayPath, "-o", bin, s.pkg)
	if o.ctx != nil && o.ctx.Err() != nil {
		return "", errors.New("interrupted")
	}
	if err != nil {
		return invalid, nil
	}
	deadline := time.Now().Add(limit)
	for _, t := range tests {
		_, err = o.command(o.ctx, time.Until(deadline), filepath.Join(o.root, filepath.FromSlash(s.pkg)), []string{"LAUNCH_E2E_BINARY=" + bin},
			s.tests, "-test.run", runPattern([]string{t}), "-test.failfast", "-test.count=1")
		if o.ctx != nil && o.ctx.Err() != nil {
			return "", errors.New("interrupted")
		}
		if res := classify(err); res != survived {
			return res, nil
		}
	}
	return survived, nil
}
