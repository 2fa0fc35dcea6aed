package rollout_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/launchdeploy/launch/rollout"
	"github.com/launchdeploy/launch/spec"
)

// twoAgents is the cluster apps with agent-a on imageA and agent-b on
// image 1, plus more agents.
func twoAgents(imageA string, more ...string) string {
	y := `region: ${REGION}
cluster: {name: apps, create: true}
taskRole: {name: app-task}
executionRole: {name: app-exec}
defaults:
  network:
    subnets:
      - ${SUBNET_1}
      - ${SUBNET_2}
    securityGroups:
      - ${SECURITY_GROUP}
agents:
  - name: agent-a
    image: ` + imageA + `
  - name: agent-b
    image: example.com/agent:1
`
	for _, a := range more {
		y += "  - name: " + a + "\n    image: example.com/agent:1\n"
	}
	return y
}

// rollback runs launch rollback in-process (SDK retries off, so an
// injected fault fails its call once).
func (e *env) rollback(sp *spec.Spec, ro rollout.RollbackOptions, noWait bool) (*rollout.Report, *recorder, error) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg := e.cfg.Copy()
	cfg.Retryer = faultsAtOnce
	rec := &recorder{t: e.t}
	rep := rollout.NewReport(sp.Path)
	opts := rollout.Options{NoWait: noWait, PollMin: 100 * time.Millisecond, PollMax: 300 * time.Millisecond}
	err := rollout.Rollback(ctx, rollout.NewClients(cfg), sp, ro, opts, rec, rep)
	return rep, rec, err
}

// runs is the revision ("agent-a:2") the service runs, read with the SDK.
func runs(t *testing.T, e *env, name string) string {
	t.Helper()
	s := activeService(t, e.cfg, "apps", name)
	if s == nil {
		t.Fatalf("service %s is gone", name)
	}
	td := aws.ToString(s.TaskDefinition)
	return td[strings.LastIndex(td, "/")+1:]
}

func rolledBackFrom(t *testing.T, e *env, name string) string {
	t.Helper()
	s := activeService(t, e.cfg, "apps", name)
	out, err := ecs.NewFromConfig(e.cfg).ListTagsForResource(context.Background(), &ecs.ListTagsForResourceInput{ResourceArn: s.ServiceArn})
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range out.Tags {
		if aws.ToString(tg.Key) == "launch:rolled-back-from" {
			td := aws.ToString(tg.Value)
			return td[strings.LastIndex(td, "/")+1:]
		}
	}
	return ""
}

// Rollback finds every target before it writes: a failed read, an agent
// with nothing to roll back to or without a service stops it with nothing
// changed. It marks the service, then points it at the previous revision in
// one UpdateService; a rerun follows that rollback instead of going back
// further, and --to names a revision (ACTIVE only).
func TestRollbackFindsEveryTargetFirstAndARerunFollowsIt(t *testing.T) {
	e := newEnv(t)
	r := e.regionalIn(e.cfg.Region)
	v1 := e.load(r, "v1.yaml", twoAgents("example.com/agent:1"))
	v2 := e.load(r, "v2.yaml", twoAgents("example.com/agent:2"))
	e.deploySpecIn(r, v1)
	e.deploySpecIn(r, v2)
	if runs(t, e, "agent-a") != "agent-a:2" || runs(t, e, "agent-b") != "agent-b:1" {
		t.Fatalf("after two deploys: agent-a runs %s, agent-b %s", runs(t, e, "agent-a"), runs(t, e, "agent-b"))
	}
	only := func(agent string) rollout.RollbackOptions { return rollout.RollbackOptions{Agent: agent} }
	unchanged := func(step string) {
		t.Helper()
		if w := e.writes(); len(w) != 0 {
			t.Errorf("%s: wrote %v", step, w)
		}
		if a, b := runs(t, e, "agent-a"), runs(t, e, "agent-b"); a != "agent-a:2" || b != "agent-b:1" {
			t.Errorf("%s: agent-a runs %s, agent-b %s", step, a, b)
		}
	}

	e.h.ClearRequests(t)
	_, _, err := e.rollback(v2, only("agent-x"), false)
	if err == nil || err.Error() != `no agent named "agent-x" in `+v2.Path {
		t.Errorf("unknown agent: %v", err)
	}
	// agent-b has no older revision: agent-a is not touched either.
	_, _, err = e.rollback(v2, rollout.RollbackOptions{}, false)
	if err == nil || err.Error() != "service agent-b runs agent-b:1 and the family has no older ACTIVE revision of this deployment instance to roll back to (use --to REVISION to name one)" {
		t.Errorf("agent-b without an older revision: %v", err)
	}
	// agent-c has no service.
	_, _, err = e.rollback(e.load(r, "abc.yaml", twoAgents("example.com/agent:2", "agent-c")), only("agent-c"), false)
	if err == nil || err.Error() != "service agent-c does not exist in cluster apps: nothing to roll back" {
		t.Errorf("agent-c without a service: %v", err)
	}
	for _, f := range []struct{ svc, action, prefix string }{
		{"sts", "GetCallerIdentity", "identify the caller (sts:GetCallerIdentity): "},
		{"ecs", "DescribeServices", "describe service agent-a: "},
		{"ecs", "ListTaskDefinitions", "list task definitions agent-a: "},
		{"ecs", "DescribeTaskDefinition", "describe task definition agent-a:2: "},
	} {
		e.deny(f.svc, f.action)
		_, _, err := e.rollback(v2, only("agent-a"), false)
		wantDenied(t, err, f.prefix)
	}
	unchanged("failed reads")

	// The mark fails: no UpdateService.
	e.deny("ecs", "TagResource")
	_, _, err = e.rollback(v2, only("agent-a"), false)
	wantDenied(t, err, "mark service agent-a as rolled back: ")
	unchanged("failed mark")
	// The mark is made, the UpdateService fails: a rerun rolls back as if
	// nothing happened.
	e.deny("ecs", "UpdateService")
	_, _, err = e.rollback(v2, only("agent-a"), false)
	wantDenied(t, err, "update service agent-a in cluster apps: ")
	if runs(t, e, "agent-a") != "agent-a:2" || rolledBackFrom(t, e, "agent-a") != "agent-a:2" {
		t.Errorf("after the failed UpdateService: runs %s, marked %q", runs(t, e, "agent-a"), rolledBackFrom(t, e, "agent-a"))
	}

	e.h.ClearRequests(t)
	rep, rec, err := e.rollback(v2, only("agent-a"), true)
	if err != nil {
		t.Fatal(err)
	}
	if w := e.writes(); !slices.Equal(w, []string{"ecs:TagResource", "ecs:UpdateService"}) {
		t.Errorf("writes %v, want the mark, then one UpdateService", w)
	}
	if runs(t, e, "agent-a") != "agent-a:1" || runs(t, e, "agent-b") != "agent-b:1" || rolledBackFrom(t, e, "agent-a") != "agent-a:2" {
		t.Errorf("after the rollback: agent-a runs %s (marked %q), agent-b %s", runs(t, e, "agent-a"), rolledBackFrom(t, e, "agent-a"), runs(t, e, "agent-b"))
	}
	if !strings.Contains(rec.text(), "service agent-a: rolling back from agent-a:2 to agent-a:1") {
		t.Errorf("progress:\n%s", rec.text())
	}
	ar := rep.Agents[0]
	if len(rep.Agents) != 1 || ar.Name != "agent-a" || !slices.Equal(ar.Service.Changes, []string{"taskDefinition: agent-a:2 → agent-a:1"}) ||
		ar.Service.Action != "updated" || ar.Service.Outcome != "" || ar.TaskDefinition.Revision != 1 || !ar.TaskDefinition.Reused || ar.TaskDefinition.Action != "reused" {
		t.Errorf("report with --no-wait: %+v", rep.Agents)
	}

	// The rerun follows the rollback: no write, a word on what it does.
	e.h.ClearRequests(t)
	rep, rec, err = e.rollback(v2, only("agent-a"), false)
	if err != nil {
		t.Fatal(err)
	}
	if w := e.writes(); len(w) != 0 {
		t.Errorf("rerun wrote %v", w)
	}
	if !strings.Contains(rec.text(), "service agent-a already runs agent-a:1, rolled back from agent-a:2 by an earlier launch rollback; following it (use --to REVISION to go further back)") {
		t.Errorf("progress:\n%s", rec.text())
	}
	if ar := rep.Agents[0]; ar.Service.Action != "unchanged" || ar.Service.Outcome != "completed" || ar.Service.DeploymentID == "" || len(ar.Service.Changes) != 0 {
		t.Errorf("rerun's report: %+v", ar.Service)
	}

	// A deploy of v2 reuses agent-a:2 (the mark stays): rolling back again
	// goes to agent-a:1, it does not follow the old rollback.
	e.deploySpecIn(r, v2)
	if runs(t, e, "agent-a") != "agent-a:2" {
		t.Fatalf("the redeploy runs %s", runs(t, e, "agent-a"))
	}
	if _, _, err := e.rollback(v2, only("agent-a"), false); err != nil || runs(t, e, "agent-a") != "agent-a:1" {
		t.Errorf("rollback after a redeploy: %v, runs %s", err, runs(t, e, "agent-a"))
	}

	// --to: forward to agent-a:2, then again (already there: followed).
	to := func(rev int) rollout.RollbackOptions {
		return rollout.RollbackOptions{Agent: "agent-a", ToRevision: rev}
	}
	if _, rec, err := e.rollback(v2, to(2), false); err != nil || runs(t, e, "agent-a") != "agent-a:2" || !strings.Contains(rec.text(), "rolling back from agent-a:1 to agent-a:2") {
		t.Errorf("--to 2: %v, runs %s", err, runs(t, e, "agent-a"))
	}
	e.h.ClearRequests(t)
	if _, rec, err := e.rollback(v2, to(2), false); err != nil || len(e.writes()) != 0 || !strings.Contains(rec.text(), "service agent-a already runs agent-a:2, the revision --to names; following it") {
		t.Errorf("--to 2 again: %v, writes %v", err, e.writes())
	}
	// agent-b was never rolled back: --to its own revision says just that.
	if _, rec, err := e.rollback(v2, rollout.RollbackOptions{Agent: "agent-b", ToRevision: 1}, false); err != nil ||
		!strings.Contains(rec.text(), "service agent-b already runs agent-b:1, the revision --to names; following it") || strings.Contains(rec.text(), "rolled back from") {
		t.Errorf("--to agent-b's own revision: %v\n%s", err, rec.text())
	}
	_, _, err = e.rollback(v2, to(9), false)
	if err == nil || !strings.HasPrefix(err.Error(), "revision agent-a:9: ") {
		t.Errorf("--to 9: %v", err)
	}
	if _, err := ecs.NewFromConfig(e.cfg).DeregisterTaskDefinition(context.Background(), &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String("agent-a:1")}); err != nil {
		t.Fatal(err)
	}
	e.h.ClearRequests(t)
	_, _, err = e.rollback(v2, to(1), false)
	if err == nil || err.Error() != "revision agent-a:1 is INACTIVE; roll back to an ACTIVE revision" {
		t.Errorf("--to an INACTIVE revision: %v", err)
	}
	if w := e.writes(); len(w) != 0 || runs(t, e, "agent-a") != "agent-a:2" {
		t.Errorf("--to an INACTIVE revision wrote %v; runs %s", w, runs(t, e, "agent-a"))
	}
}
