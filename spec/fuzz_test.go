package spec

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzParse checks that no input panics or hangs Parse, and that every
// failure is an Errors value whose problems all say something.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*/*.yaml")
	seeds = append(seeds, "../deploy.yaml")
	for _, file := range seeds {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(strings.Repeat("[", 20000)))
	f.Add([]byte("a: &a [*a]"))
	f.Add([]byte("agents: [{baseTaskDefinition: /dev/zero}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data, "testdata/valid", lookupTestEnv)
		if err == nil {
			if s == nil {
				t.Fatal("Parse returned neither a spec nor an error")
			}
			return
		}
		var errs Errors
		if !errors.As(err, &errs) {
			t.Fatalf("error is %T, want Errors: %v", err, err)
		}
		if len(errs) == 0 {
			t.Fatal("empty Errors")
		}
		for _, p := range errs {
			if strings.TrimSpace(p.Message) == "" {
				t.Fatalf("problem without a message: %#v", p)
			}
		}
	})
}

// hostileInputs are inputs built to be slow: deep nesting, huge numbers of
// keys, long keys and values.
func hostileInputs() map[string]string {
	n := 9000
	return map[string]string{
		"deep flow lists":     "agents: " + strings.Repeat("[", n) + strings.Repeat("]", n),
		"too deep":            "agents: " + strings.Repeat("[", 20000),
		"deep flow maps":      "defaults: " + strings.Repeat("{a: ", n) + "1" + strings.Repeat("}", n),
		"many unknown keys":   "defaults:\n" + manyKeys(60000),
		"long unknown key":    "cluster: {" + strings.Repeat("n", MaxFileSize-100) + ": x}",
		"many variables":      "region: " + strings.Repeat("${UNSET_VARIABLE}", 50000),
		"many agents":         "agents:\n" + strings.Repeat("  - {name: a, image: i, memroy: 1}\n", 25000),
		"long scalar":         "region: " + strings.Repeat("x", MaxFileSize-20),
		"many duplicate keys": "secrets:\n" + strings.Repeat("  k: v\n", 100000),
	}
}

// TestHostileInputsFinish checks that each hostile input ends with problems
// instead of hanging. The bound catches a hang or a quadratic blow-up (which
// takes many minutes on these sizes), not slowness: this machine is shared,
// so speed is measured by BenchmarkHostileInputs, not asserted here.
func TestHostileInputsFinish(t *testing.T) {
	const limit = 90 * time.Second
	for name, in := range hostileInputs() {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			_, err := Parse("hostile.yaml", []byte(in), t.TempDir(), nil)
			if d := time.Since(start); d > limit {
				t.Errorf("took %v", d)
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error is %T, want Errors", err)
			}
		})
	}
}

func manyKeys(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "  key%d: 1\n", i)
	}
	return b.String()
}

// BenchmarkHostileInputs measures Parse on each hostile input
// (go test -run '^$' -bench HostileInputs ./spec/).
func BenchmarkHostileInputs(b *testing.B) {
	dir := b.TempDir()
	for name, in := range hostileInputs() {
		b.Run(strings.ReplaceAll(name, " ", "_"), func(b *testing.B) {
			for b.Loop() {
				_, _ = Parse("hostile.yaml", []byte(in), dir, nil)
			}
		})
	}
}
