package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Without --agent, render prints one object keyed by agent whose values are
// byte for byte what --agent prints for each (the canonical form deploy
// registers), with no HTML escaping.
func TestRenderAllAgentsIsEachAgentsDocument(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1") // nothing listens: any AWS call would fail
	base, err := filepath.Abs("../../taskdef/testdata/base/fargate-webserver-256.json")
	if err != nil {
		t.Fatal(err)
	}
	spec := `cluster: {name: c}
taskRole: {name: t}
executionRole: {name: e}
defaults:
  network: {subnets: [subnet-1]}
agents:
  - name: web
    image: httpd:2
    baseTaskDefinition: ` + base + `
  - name: other
    image: i:1
    environment: {HTML: "<p>a & b</p>"}
`
	path := filepath.Join(t.TempDir(), "deploy.yaml")
	if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	code, all, stderr := run("render", path, "--region", "eu-west-1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, esc := range []string{`\u003c`, `\u003e`, `\u0026`} {
		if bytes.Contains([]byte(all), []byte(esc)) {
			t.Errorf("render HTML-escapes (%s):\n%s", esc, all)
		}
	}
	var byAgent map[string]json.RawMessage
	if err := json.Unmarshal([]byte(all), &byAgent); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, all)
	}
	for _, name := range []string{"web", "other"} {
		code, one, stderr := run("render", path, "--region", "eu-west-1", "--agent", name)
		if code != 0 {
			t.Fatalf("--agent %s: exit %d: %s", name, code, stderr)
		}
		var a, b any
		if err := json.Unmarshal([]byte(one), &a); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(byAgent[name], &b); err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(a, b); d != "" {
			t.Errorf("agent %s: --agent output differs from its entry in the full output:\n%s", name, d)
		}
	}
	// The web agent keeps its base's 256/512 size (spec > base > default).
	var web struct{ Cpu, Memory string }
	if err := json.Unmarshal(byAgent["web"], &web); err != nil {
		t.Fatalf("web agent's entry: %v", err)
	}
	if web.Cpu != "256" || web.Memory != "512" {
		t.Errorf("web cpu/memory %s/%s, want the base's 256/512", web.Cpu, web.Memory)
	}
}
