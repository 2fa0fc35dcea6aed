package main_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fleetSpec writes a spec of n agents sharing one network and secret; its
// cluster, roles and agents are named after name, so specs of different
// names share nothing in AWS.
func fleetSpec(t *testing.T, w *world, name string, n int, image string) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "cluster: {name: %[1]s, create: true}\ntaskRole: {name: %[1]s-task}\nexecutionRole: {name: %[1]s-exec}\n", name)
	fmt.Fprintf(&b, "secrets: {creds: matillion/streaming-agent/credentials}\n")
	fmt.Fprintf(&b, "defaults:\n  image: %s\n  network:\n    subnets: [%s]\n    securityGroups: [%s]\n", image, w.env["SUBNET_1"], w.env["SECURITY_GROUP"])
	fmt.Fprintf(&b, "  secrets:\n    OAUTH_CLIENT_ID: {secret: creds, key: client_id}\nagents:\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "  - name: %s-%02d\n", name, i)
	}
	path := filepath.Join(t.TempDir(), "fleet.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// injectedLatency makes every AWS request take at least this long, so a call
// that waited for another starts measurably after it ended, whatever the
// load on the machine: the levels counted are then the run's, not noise.
const injectedLatency = 100 * time.Millisecond

// A rerun with nothing to change proves it with one round of reads made
// together: no write, no permission simulation, no wait.
func TestNoOpDeployIsOneRoundOfReads(t *testing.T) {
	w := newWorld(t)
	if r := w.launch(rootSpec); r.code != 0 {
		t.Fatalf("first deploy: exit %d", r.code)
	}
	w.h.SetLatency(t, injectedLatency)
	r := w.launch(rootSpec, "--output", "json")
	c := r.report.Calls
	if r.code != 0 || c.TotalWrites != 0 {
		t.Fatalf("rerun: exit %d, writes %v; want 0 and none", r.code, c.Writes)
	}
	if n := c.Reads["iam:SimulatePrincipalPolicy"]; n != 0 {
		t.Errorf("%d permission simulations for a run that writes nothing, want 0", n)
	}
	if c.Levels > 2 {
		t.Errorf("%d dependent levels of calls, want at most 2 (every read at once; then only what needs a first answer)\nreads: %v", c.Levels, c.Reads)
	}
	if !strings.Contains(r.stderr, "already COMPLETED") {
		t.Errorf("the rerun should see from its reads that the deployment is done, without waiting:\n%s", r.stderr)
	}
}

// A cold fleet deploy writes as a graph, not a queue: the agents' chains
// (log group, task definition, service) run side by side, so its dependent
// levels do not grow with the number of agents. Its rerun reads in batches:
// ten services per DescribeServices, the log groups by their common prefix,
// launch's own inline policies by name.
func TestFleetDeployRunsSideBySideAndReadsInBatches(t *testing.T) {
	w := newWorld(t)
	w.h.SetLatency(t, injectedLatency)
	one := w.launch(fleetSpec(t, w, "solo", 1, "example.com/agent:1"), "--output", "json")
	spec := fleetSpec(t, w, "fleet", 12, "example.com/agent:1")
	cold := w.launch(spec, "--output", "json")
	if one.code != 0 || cold.code != 0 {
		t.Fatalf("cold deploys: exit %d and %d", one.code, cold.code)
	}
	if c := cold.report.Calls; c.Writes["ecs:RegisterTaskDefinition"] != 12 || c.Writes["ecs:CreateService"] != 12 {
		t.Fatalf("cold deploy of 12: writes %v", c.Writes)
	}
	l1, l12 := one.report.Calls.Levels, cold.report.Calls.Levels
	t.Logf("dependent levels of a cold deploy: 1 agent %d, 12 agents %d", l1, l12)
	if l12 > l1+3 {
		t.Errorf("12 agents took %d dependent levels against %d for one: their writes queue up instead of running side by side", l12, l1)
	}

	r := w.launch(spec, "--output", "json")
	c := r.report.Calls
	if r.code != 0 || c.TotalWrites != 0 {
		t.Fatalf("rerun: exit %d, writes %v; want 0 and none", r.code, c.Writes)
	}
	want := map[string]int{
		"sts:GetCallerIdentity": 1,
		// Each role: the role, its attached policies, the list of its
		// inline policies; the execution role's grant for this instance
		// and the legacy grant read by name.
		"iam:GetRole": 2, "iam:ListAttachedRolePolicies": 2, "iam:ListRolePolicies": 2, "iam:GetRolePolicy": 2,
		"secretsmanager:DescribeSecret": 1,
		"ecs:DescribeClusters":          1, "ecs:DescribeServices": 2, "ecs:DescribeTaskDefinition": 12,
		"cloudwatchlogs:DescribeLogGroups": 1,
		"ec2:DescribeSubnets":              1, "ec2:DescribeSecurityGroups": 1,
	}
	for action, n := range want {
		if c.Reads[action] != n {
			t.Errorf("%s ×%d, want ×%d", action, c.Reads[action], n)
		}
	}
	if c.TotalReads != 28 {
		t.Errorf("%d reads, want 28: %v", c.TotalReads, c.Reads)
	}
	if c.Levels > 2 {
		t.Errorf("%d dependent levels of calls, want at most 2", c.Levels)
	}
}
