package main_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMissingManagedPolicyStopsDeployBeforeAnyWrite: a managed policy ARN
// that does not exist (a typo in the account or the name) used to be found
// by AttachRolePolicy after the roles were created. Preflight now reads it
// with iam:GetPolicy: deploy fails naming the ARN and writes nothing.
func TestMissingManagedPolicyStopsDeployBeforeAnyWrite(t *testing.T) {
	w := newWorld(t)
	root, err := os.ReadFile(rootSpec)
	if err != nil {
		t.Fatal(err)
	}
	policies, err := filepath.Abs("../../policies")
	if err != nil {
		t.Fatal(err)
	}
	const missing = "arn:aws:iam::123456789012:policy/streaming-sourcess"
	spec := strings.Replace(string(root), "file: policies/", "file: "+policies+"/", 1)
	spec = strings.Replace(spec, "executionRole:\n  name: matillion-streaming-agent-execution\n",
		"executionRole:\n  name: matillion-streaming-agent-execution\n  managedPolicies: [service-role/AmazonECSTaskExecutionRolePolicy, '"+missing+"']\n", 1)
	if !strings.Contains(spec, missing) || !strings.Contains(spec, policies) {
		t.Fatal("could not edit the root spec; update this test")
	}
	path := filepath.Join(t.TempDir(), "deploy.yaml")
	if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	r := w.launch(path, "--output", "json")
	if r.code == 0 || !strings.Contains(r.stderr, "IAM has no policy "+missing) {
		t.Fatalf("deploy: exit %d, want a failure naming %s", r.code, missing)
	}
	if n := r.report.Calls.TotalWrites; n != 0 {
		t.Errorf("deploy wrote %d times (%v) before failing; want none", n, r.report.Calls.Writes)
	}
}
