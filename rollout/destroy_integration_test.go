package rollout_test

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	"github.com/launchdeploy/launch/internal/emulator"
	"github.com/launchdeploy/launch/rollout"
	"github.com/launchdeploy/launch/spec"
)

// denied is the message of every fault the tests below inject: an error
// that carries it shows the cause was kept.
const denied = "denied by the test"

// deny makes the next call of action (of service svc) fail with
// AccessDenied as AWS answers it: AccessDeniedException for the JSON
// services, AccessDenied for IAM and STS.
func (e *env) deny(svc, action string) {
	e.t.Helper()
	code := "AccessDeniedException"
	if svc == "iam" || svc == "sts" {
		code = "AccessDenied"
	}
	e.h.InjectFault(e.t, emulator.Fault{Service: svc, Action: action, Code: code, Message: denied})
}

// wantDenied fails unless err starts with prefix, carries the injected
// AWS error (wrapped, not flattened into text) and its message.
func wantDenied(t *testing.T, err error, prefix string) {
	t.Helper()
	var ae smithy.APIError
	if err == nil || !strings.HasPrefix(err.Error(), prefix) || !errors.As(err, &ae) || ae.ErrorMessage() != denied {
		t.Errorf("err = %v\nwant it to start with %q and wrap the injected AccessDenied", err, prefix)
	}
}

// wantThrottled is wantDenied for a call SetThrottle refused.
func wantThrottled(t *testing.T, err error, prefix string) {
	t.Helper()
	var ae smithy.APIError
	if err == nil || !strings.HasPrefix(err.Error(), prefix) || !errors.As(err, &ae) || ae.ErrorCode() != "ThrottlingException" {
		t.Errorf("err = %v\nwant it to start with %q and wrap the ThrottlingException", err, prefix)
	}
}

// unthrottle lifts SetThrottle's bucket on action.
func (e *env) unthrottle(action string) { e.h.SetThrottle(e.t, action, 1e6, 1e6) }

// destroyOnce runs destroy with SDK retries off (an injected fault fails
// its call once) and keys the items by "kind name".
func (e *env) destroyOnce(sp *spec.Spec, withRoles bool) (map[string]rollout.DestroyItem, *recorder, error) {
	e.t.Helper()
	cfg := e.cfg.Copy()
	cfg.Retryer = faultsAtOnce
	rec := &recorder{t: e.t}
	items, err := rollout.Destroy(context.Background(), rollout.NewDestroyClients(cfg), sp, withRoles, rec)
	byName := map[string]rollout.DestroyItem{}
	for _, it := range items {
		byName[it.Kind+" "+it.Name] = it
	}
	return byName, rec, err
}

// writes are the requests of the emulator's log that change something.
func (e *env) writes() []string {
	e.t.Helper()
	var out []string
	for _, r := range e.h.Requests(e.t) {
		if r.Injected {
			continue
		}
		for _, p := range []string{"Create", "Update", "Delete", "Deregister", "Register", "Put", "Tag", "Untag", "Detach", "Attach"} {
			if strings.HasPrefix(r.Action, p) {
				out = append(out, r.Service+":"+r.Action)
				break
			}
		}
	}
	return out
}

func (e *env) logGroupTags(name string) (map[string]string, bool) {
	e.t.Helper()
	logs := cloudwatchlogs.NewFromConfig(e.cfg)
	out, err := logs.DescribeLogGroups(context.Background(), &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(name)})
	if err != nil {
		e.t.Fatalf("DescribeLogGroups %s: %v", name, err)
	}
	for _, g := range out.LogGroups {
		if aws.ToString(g.LogGroupName) == name {
			tags, err := logs.ListTagsForResource(context.Background(), &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: aws.String(strings.TrimSuffix(aws.ToString(g.Arn), ":*"))})
			if err != nil {
				e.t.Fatalf("ListTagsForResource %s: %v", name, err)
			}
			return tags.Tags, true
		}
	}
	return nil, false
}

// Destroy stops at the first call that fails, says which and why, and
// writes nothing after it; a rerun goes on from what the failed run left.
// Without --roles it keeps the roles and log groups and says so. A read
// that fails is never taken for "absent".
func TestDestroyStopsAtAFailedCallAndARerunFinishes(t *testing.T) {
	e := newEnv(t)
	emulator.CreateSecret(t, e.cfg, "agent/creds", `{"client_id":"x"}`, "")
	sp := e.spec(specYAML(map[string]string{"creds": "agent/creds"}, "      ID: {secret: creds, key: client_id}\n"))
	if _, _, err := e.deploy(sp, rollout.Options{}); err != nil {
		t.Fatal(err)
	}
	region, acct := e.cfg.Region, e.account()
	grant := grantName(region, "apps")
	record := "launch:instance:" + region + "/apps"
	td := "arn:aws:ecs:" + region + ":" + acct + ":task-definition/agent-a:1"
	svc := activeService(t, e.cfg, "apps", "agent-a")
	if svc == nil || svc.DesiredCount != 1 {
		t.Fatalf("after the deploy: %+v", svc)
	}

	// Reads before any write: a failure leaves everything as it was.
	e.h.ClearRequests(t)
	for _, f := range []struct{ svc, action, prefix string }{
		{"sts", "GetCallerIdentity", "identify the caller (sts:GetCallerIdentity): "},
		{"ecs", "ListClusters", "list the clusters of " + region + ": "},
		{"ecs", "ListServices", "list the services of cluster apps: "},
		{"ecs", "DescribeServices", "describe the services of cluster apps: "},
	} {
		e.deny(f.svc, f.action)
		items, _, err := e.destroyOnce(sp, false)
		wantDenied(t, err, f.prefix)
		if len(items) != 0 {
			t.Errorf("%s failed: items %v, want none", f.action, items)
		}
	}
	if w := e.writes(); len(w) != 0 {
		t.Errorf("destroy wrote %v before it knew what the region runs", w)
	}

	// The scale-down fails: the service is not deleted at full size.
	e.h.ClearRequests(t)
	e.deny("ecs", "UpdateService")
	_, _, err := e.destroyOnce(sp, false)
	wantDenied(t, err, "scale service agent-a to 0: ")
	if w := e.writes(); len(w) != 0 {
		t.Errorf("writes after the failed scale-down: %v", w)
	}
	if s := activeService(t, e.cfg, "apps", "agent-a"); s == nil || s.DesiredCount != 1 {
		t.Errorf("service after the failed scale-down: %+v", s)
	}

	e.h.ClearRequests(t)
	e.deny("ecs", "DeleteService")
	_, _, err = e.destroyOnce(sp, false)
	wantDenied(t, err, "delete service agent-a: ")
	if w := e.writes(); !slices.Equal(w, []string{"ecs:UpdateService"}) {
		t.Errorf("writes %v, want only the scale-down before the failed delete", w)
	}
	if s := activeService(t, e.cfg, "apps", "agent-a"); s == nil || s.DesiredCount != 0 {
		t.Errorf("service after the failed delete: %+v, want ACTIVE at 0", s)
	}

	// The service goes; then each step of the revisions and the cluster fails once.
	for _, f := range []struct{ action, prefix string }{
		{"ListTaskDefinitions", "list task definitions agent-a: "},
		{"DescribeTaskDefinition", "describe task definition " + td + ": "},
		{"DeregisterTaskDefinition", "deregister task definition " + td + ": "},
		{"DescribeClusters", "describe cluster apps: "},
	} {
		e.deny("ecs", f.action)
		_, _, err := e.destroyOnce(sp, false)
		wantDenied(t, err, f.prefix)
	}
	// The survey's ListServices and DescribeServices pass (one cluster, one
	// service), the cluster's own check of them fails.
	for _, f := range []struct{ action, prefix string }{
		{"ListServices", "list services of cluster apps: "},
		{"DescribeServices", "describe services of cluster apps: "},
	} {
		e.h.SetThrottle(t, f.action, 1, 0.001)
		got, _, err := e.destroyOnce(sp, false)
		e.unthrottle(f.action)
		wantThrottled(t, err, f.prefix)
		if it := got["cluster apps"]; it.Action == rollout.DestroyDeleted {
			t.Errorf("%s failed, and the cluster is %+v", f.action, it)
		}
	}
	e.deny("ecs", "DeleteCluster")
	_, _, err = e.destroyOnce(sp, false)
	wantDenied(t, err, "delete cluster apps: ")
	if activeService(t, e.cfg, "apps", "agent-a") != nil {
		t.Error("the service survived its delete")
	}

	// Without --roles: the roles, their records, the grant and the log group stay.
	e.h.ClearRequests(t)
	got, rec, err := e.destroyOnce(sp, false)
	if err != nil {
		t.Fatal(err)
	}
	if it := got["service agent-a"]; it.Action != rollout.DestroyAbsent || it.Reason != "" {
		t.Errorf("service deleted by an earlier run: %+v, want absent", it)
	}
	if it := got["cluster apps"]; it.Action != rollout.DestroyDeleted {
		t.Errorf("cluster: %+v", it)
	}
	if len(got) != 2 {
		t.Errorf("items %v, want the service and the cluster only", got)
	}
	if w := e.writes(); !slices.Equal(w, []string{"ecs:DeleteCluster"}) {
		t.Errorf("writes %v, want the cluster's delete only", w)
	}
	if !strings.Contains(rec.text(), "roles and log groups kept: pass --roles to delete the ones launch created") {
		t.Errorf("progress does not say the roles were kept:\n%s", rec.text())
	}
	for _, role := range []string{"app-task", "app-exec"} {
		if _, ok := roleTags(t, e.cfg, role)[record]; !ok {
			t.Errorf("role %s lost the record %s without --roles", role, record)
		}
	}
	if e.inlinePolicy("app-exec", grant) == "" {
		t.Error("the grant was deleted without --roles")
	}
	if _, ok := e.logGroupTags("/ecs/agent-a"); !ok {
		t.Error("the log group was deleted without --roles")
	}

	// With --roles, each failing call stops the run.
	for _, f := range []struct{ svc, action, prefix string }{
		{"logs", "DescribeLogGroups", "describe log group /ecs/agent-a: "},
		{"logs", "ListTagsForResource", "list tags of log group /ecs/agent-a: "},
		{"logs", "DeleteLogGroup", "delete log group /ecs/agent-a: "},
		{"iam", "GetRole", "read role app-task: "},
		{"iam", "DetachRolePolicy", "detach arn:aws:iam::aws:policy/ReadOnlyAccess from role app-task: "},
		{"iam", "DeleteRole", "delete role app-task: "},
	} {
		e.deny(f.svc, f.action)
		got, _, err := e.destroyOnce(sp, true)
		wantDenied(t, err, f.prefix)
		if it, ok := got["log group /ecs/agent-a"]; f.svc == "logs" && ok && it.Action != "" {
			t.Errorf("%s failed, and destroy says the log group is %s", f.action, it.Action)
		}
	}
	if _, ok := e.logGroupTags("/ecs/agent-a"); ok {
		t.Error("the log group survived")
	}
	if !roleExists(t, e.cfg, "app-task") || len(e.attached("app-task")) != 0 {
		t.Errorf("app-task after its failed delete: exists %v, attached %v; want it there, detached", roleExists(t, e.cfg, "app-task"), e.attached("app-task"))
	}

	// IAM says app-task is gone (deleted meanwhile): destroy takes it as
	// deleted and goes on to app-exec, whose grant cannot be deleted.
	e.h.InjectFault(t, emulator.Fault{Service: "iam", Action: "DeleteRole", Status: 404, Code: "NoSuchEntity", Message: "gone"})
	e.deny("iam", "DeleteRolePolicy")
	got, _, err = e.destroyOnce(sp, true)
	wantDenied(t, err, "delete inline policy "+grant+" of role app-exec: ")
	if it := got["role app-task"]; it.Action != rollout.DestroyDeleted {
		t.Errorf("role app-task that IAM no longer has: %+v, want deleted", it)
	}
	if !roleExists(t, e.cfg, "app-exec") || len(e.attached("app-exec")) != 0 || e.inlinePolicy("app-exec", grant) == "" {
		t.Errorf("app-exec after the failed DeleteRolePolicy: want it there, detached, its grant kept")
	}

	got, _, err = e.destroyOnce(sp, true)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]rollout.DestroyItem{
		"service agent-a":        {Kind: "service", Name: "agent-a", Action: rollout.DestroyAbsent},
		"cluster apps":           {Kind: "cluster", Name: "apps", Action: rollout.DestroyAbsent},
		"log group /ecs/agent-a": {Kind: "log group", Name: "/ecs/agent-a", Action: rollout.DestroyAbsent},
		"role app-task": {Kind: "role", Name: "app-task", Action: rollout.DestroyDeleted,
			Reason: "no other instance uses it; with 0 managed policy attachment(s) and 0 inline policy(ies)"},
		"role app-exec": {Kind: "role", Name: "app-exec", Action: rollout.DestroyDeleted,
			Reason: "no other instance uses it; with 0 managed policy attachment(s) and 1 inline policy(ies)"},
	}
	if !maps.Equal(got, want) {
		t.Errorf("the last run:\n got %v\nwant %v", got, want)
	}
	if roleExists(t, e.cfg, "app-task") || roleExists(t, e.cfg, "app-exec") {
		t.Error("a role survived")
	}

	// Nothing left: a rerun finds everything absent and writes nothing.
	e.h.ClearRequests(t)
	got, _, err = e.destroyOnce(sp, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"service agent-a", "cluster apps", "log group /ecs/agent-a", "role app-task", "role app-exec"} {
		want[k] = rollout.DestroyItem{Kind: k[:strings.LastIndex(k, " ")], Name: k[strings.LastIndex(k, " ")+1:], Action: rollout.DestroyAbsent}
	}
	if !maps.Equal(got, want) {
		t.Errorf("rerun:\n got %v\nwant %v, all absent", got, want)
	}
	if w := e.writes(); len(w) != 0 {
		t.Errorf("rerun wrote %v", w)
	}

	// A cluster of that name made since by hand, then tagged by another
	// instance: destroy leaves it.
	ecsc := ecs.NewFromConfig(e.cfg)
	cl, err := ecsc.CreateCluster(context.Background(), &ecs.CreateClusterInput{ClusterName: aws.String("apps")})
	if err != nil {
		t.Fatal(err)
	}
	elsewhere := acct + "/" + region + "/elsewhere"
	for _, c := range []struct {
		tags   []ecstypes.Tag
		reason string
	}{
		{nil, "not created by launch: no launch:managed-by=launch tag"},
		{[]ecstypes.Tag{{Key: aws.String("launch:managed-by"), Value: aws.String("launch")}, {Key: aws.String("launch:instance"), Value: aws.String(elsewhere)}},
			"created by deployment instance " + elsewhere},
	} {
		if c.tags != nil {
			if _, err := ecsc.TagResource(context.Background(), &ecs.TagResourceInput{ResourceArn: cl.Cluster.ClusterArn, Tags: c.tags}); err != nil {
				t.Fatal(err)
			}
		}
		got, _, err := e.destroyOnce(sp, false)
		if it := got["cluster apps"]; err != nil || it.Action != rollout.DestroySkipped || it.Reason != c.reason {
			t.Errorf("cluster apps: %+v, %v; want skipped (%s)", it, err, c.reason)
		}
		out, err := ecsc.DescribeClusters(context.Background(), &ecs.DescribeClustersInput{Clusters: []string{"apps"}})
		if err != nil || len(out.Clusters) != 1 || aws.ToString(out.Clusters[0].Status) != "ACTIVE" {
			t.Errorf("cluster apps after destroy: %+v %v", out, err)
		}
	}
}

// A role launch did not create (here the execution role, made by hand
// before the first deploy) stays with its trust and policies; only the
// instance's record and grant go. Failing to remove either stops destroy.
func TestDestroyLeavesARoleLaunchDidNotCreate(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	if _, err := e.iam().CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("app-exec"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	emulator.CreateSecret(t, e.cfg, "agent/creds", `{"client_id":"x"}`, "")
	sp := e.spec(specYAML(map[string]string{"creds": "agent/creds"}, "      ID: {secret: creds, key: client_id}\n"))
	if _, _, err := e.deploy(sp, rollout.Options{}); err != nil {
		t.Fatal(err)
	}
	region := e.cfg.Region
	record, grant := "launch:instance:"+region+"/apps", grantName(region, "apps")
	trustBefore := e.trustOf("app-exec").JSON()
	attachedBefore := e.attached("app-exec")
	if _, ok := roleTags(t, e.cfg, "app-exec")[record]; !ok || e.inlinePolicy("app-exec", grant) == "" || len(attachedBefore) == 0 {
		t.Fatalf("the deploy did not record the instance, grant the secret and attach the execution policy on app-exec")
	}

	// app-task, launch's, goes first; then removing the record fails.
	e.deny("iam", "UntagRole")
	first, _, err := e.destroyOnce(sp, true)
	wantDenied(t, err, "remove tag "+record+" of role app-exec: ")
	if it := first["role app-task"]; it.Action != rollout.DestroyDeleted || it.Reason != "no other instance uses it; with 1 managed policy attachment(s) and 0 inline policy(ies)" {
		t.Errorf("role app-task: %+v", it)
	}
	e.deny("iam", "DeleteRolePolicy")
	_, _, err = e.destroyOnce(sp, true)
	wantDenied(t, err, "delete inline policy "+grant+" of role app-exec: ")

	e.h.ClearRequests(t)
	got, _, err := e.destroyOnce(sp, true)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]rollout.DestroyItem{
		"role app-exec": {Kind: "role", Name: "app-exec", Action: rollout.DestroySkipped,
			Reason: "not created by launch: no launch:managed-by=launch tag; its trust and policies are left as they are"},
		"inline policy app-exec/" + grant: {Kind: "inline policy", Name: "app-exec/" + grant, Action: rollout.DestroyDeleted, Reason: "launch's own secrets grant"},
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %+v\nwant %+v", k, got[k], w)
		}
	}
	if _, ok := got["role tag app-exec/"+record]; ok {
		t.Errorf("the record, removed by the run before, was removed again: %+v", got["role tag app-exec/"+record])
	}
	if w := e.writes(); !slices.Equal(w, []string{"iam:DeleteRolePolicy"}) {
		t.Errorf("writes %v, want app-exec's grant's delete only", w)
	}
	if !roleExists(t, e.cfg, "app-exec") {
		t.Fatal("the role made by hand was deleted")
	}
	if got := e.trustOf("app-exec").JSON(); got != trustBefore {
		t.Errorf("app-exec's trust changed:\n%s\nwas\n%s", got, trustBefore)
	}
	if got := e.attached("app-exec"); !slices.Equal(got, attachedBefore) {
		t.Errorf("app-exec's managed policies %v, were %v", got, attachedBefore)
	}
	if _, ok := roleTags(t, e.cfg, "app-exec")[record]; ok || e.inlinePolicy("app-exec", grant) != "" {
		t.Error("app-exec keeps the destroyed instance's record or grant")
	}
}

const splunkBase = `{
  "family": "agent-s",
  "requiresCompatibilities": ["FARGATE"],
  "networkMode": "awsvpc",
  "cpu": "256",
  "memory": "512",
  "containerDefinitions": [{
    "name": "agent-s",
    "image": "placeholder",
    "essential": true,
    "logConfiguration": {"logDriver": "splunk", "options": {"splunk-url": "https://splunk.example.com:8088"}}
  }]
}`

// ownershipSpec is the cluster apps with agent-a (reading a secret) and
// agent-s (no service tasks, logging to splunk), plus more agents.
func ownershipSpec(more ...string) string {
	y := `region: ${REGION}
cluster: {name: apps, create: true}
taskRole: {name: app-task}
executionRole: {name: app-exec}
secrets:
  creds: agent/creds
defaults:
  network:
    subnets:
      - ${SUBNET_1}
      - ${SUBNET_2}
    securityGroups:
      - ${SECURITY_GROUP}
agents:
  - name: agent-a
    image: example.com/agent:1
    secrets:
      ID: {secret: creds, key: client_id}
  - name: agent-s
    image: example.com/agent:1
    baseTaskDefinition: splunk.json
    service: {desiredCount: 0}
`
	for _, a := range more {
		y += "  - name: " + a + "\n    image: example.com/agent:1\n"
	}
	return y
}

// Destroy deletes only what this instance created and nothing another
// service runs, and names the reason for everything it leaves: services and
// revisions made by hand or by another instance, a revision and log group a
// service of another cluster still runs (the log group is handed over to
// that service's instance), the roles that service runs (only this
// instance's record and grant go), the cluster that still has services.
func TestDestroyDeletesOnlyThisInstancesAndSaysWhyOfTheRest(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r := e.regionalIn(e.cfg.Region)
	region, acct := e.cfg.Region, e.account()
	if err := os.WriteFile(filepath.Join(e.dir, "splunk.json"), []byte(splunkBase), 0o644); err != nil {
		t.Fatal(err)
	}
	emulator.CreateSecret(t, e.cfg, "agent/creds", `{"client_id":"x"}`, "")
	e.deploySpecIn(r, e.load(r, "deploy.yaml", ownershipSpec()))
	sp := e.load(r, "all.yaml", ownershipSpec("agent-b", "agent-c", "agent-d"))

	// launch logs cannot read an agent logging with another driver.
	_, err := rollout.Logs(ctx, rollout.NewClients(e.cfg), sp, "agent-s", 0, 0)
	if !errors.Is(err, rollout.ErrNoAWSLogs) || err.Error() != "agent agent-s (agent-s:1): container agent-s does not log to CloudWatch Logs (awslogs driver)" {
		t.Errorf("logs of agent-s: %v", err)
	}

	// By hand: a service of another instance's cluster running agent-a:1;
	// agent-b's service and revision without launch's tags; agent-c's,
	// tagged by another instance, and its log group without tags.
	ecsc := ecs.NewFromConfig(e.cfg)
	other, elsewhere := acct+"/"+region+"/other", acct+"/"+region+"/elsewhere"
	tags := func(inst string) []ecstypes.Tag {
		if inst == "" {
			return nil
		}
		return []ecstypes.Tag{{Key: aws.String("launch:managed-by"), Value: aws.String("launch")}, {Key: aws.String("launch:instance"), Value: aws.String(inst)}}
	}
	register := func(family, inst string) string {
		t.Helper()
		out, err := ecsc.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
			Family: aws.String(family), RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
			NetworkMode: ecstypes.NetworkModeAwsvpc, Cpu: aws.String("256"), Memory: aws.String("512"),
			ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String(family), Image: aws.String("example.com/agent:1")}},
			Tags:                 tags(inst),
		})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.TaskDefinition.TaskDefinitionArn)
	}
	create := func(cluster, name, td, inst string) {
		t.Helper()
		if _, err := ecsc.CreateService(ctx, &ecs.CreateServiceInput{
			Cluster: aws.String(cluster), ServiceName: aws.String(name), TaskDefinition: aws.String(td),
			DesiredCount: aws.Int32(1), LaunchType: ecstypes.LaunchTypeFargate, Tags: tags(inst),
			NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
				Subnets: e.net.Subnets, SecurityGroups: e.net.SecurityGroups}},
		}); err != nil {
			t.Fatalf("create service %s: %v", name, err)
		}
	}
	if _, err := ecsc.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("other")}); err != nil {
		t.Fatal(err)
	}
	create("other", "borrower", "arn:aws:ecs:"+region+":"+acct+":task-definition/agent-a:1", other)
	create("apps", "agent-b", register("agent-b", ""), "")
	create("apps", "agent-c", register("agent-c", elsewhere), elsewhere)
	if _, err := cloudwatchlogs.NewFromConfig(e.cfg).CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/ecs/agent-c")}); err != nil {
		t.Fatal(err)
	}

	// A revision another instance registered, which no service runs.
	register("agent-d", elsewhere)

	// The first run fails to hand the log group over: the services and
	// revisions are done by then.
	e.h.ClearRequests(t)
	e.deny("logs", "TagResource")
	first, rec, err := e.destroyOnce(sp, true)
	wantDenied(t, err, "hand log group /ecs/agent-a over to deployment instance "+other+": ")
	// Each item is a progress line; the words are what scripts read.
	for _, line := range []string{
		"destroying deployment instance " + acct + "/" + region + "/apps",
		"service agent-a: deleted",
		"task definition agent-a:1: kept (run by service borrower in cluster other)",
		"service agent-b: skipped (not created by launch: no launch:managed-by=launch tag)",
		"service agent-d: absent",
	} {
		if !slices.Contains(strings.Split(rec.text(), "\n"), line) {
			t.Errorf("progress lacks the line %q:\n%s", line, rec.text())
		}
	}
	// agent-a is scaled to 0 before its delete; agent-s runs no task and is
	// deleted as it is.
	wantWrites := []string{"ecs:UpdateService", "ecs:DeleteService", "ecs:DeleteService", "ecs:DeregisterTaskDefinition"}
	if w := e.writes(); !slices.Equal(w, wantWrites) {
		t.Errorf("writes\n %v\nwant %v", w, wantWrites)
	}
	e.h.ClearRequests(t)
	got, _, err := e.destroyOnce(sp, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"service agent-a", "service agent-s", "task definition agent-s:1"} {
		got[k] = first[k] // the rerun finds them gone
	}
	record, grant := "launch:instance:"+region+"/apps", grantName(region, "apps")
	borrower := "service borrower in cluster other"
	want := map[string]rollout.DestroyItem{
		"service agent-a":           {Action: rollout.DestroyDeleted},
		"task definition agent-a:1": {Action: rollout.DestroyKept, Reason: "run by " + borrower},
		"service agent-s":           {Action: rollout.DestroyDeleted},
		"task definition agent-s:1": {Action: rollout.DestroyDeleted, Reason: "deregistered"},
		"service agent-b":           {Action: rollout.DestroySkipped, Reason: "not created by launch: no launch:managed-by=launch tag"},
		"task definition agent-b:1": {Action: rollout.DestroySkipped, Reason: "not created by launch: no launch:managed-by=launch tag"},
		"service agent-c":           {Action: rollout.DestroySkipped, Reason: "created by deployment instance " + elsewhere},
		"task definition agent-c:1": {Action: rollout.DestroyKept, Reason: "run by service agent-c in cluster apps"},
		"service agent-d":           {Action: rollout.DestroyAbsent},
		"task definition agent-d:1": {Action: rollout.DestroySkipped, Reason: "registered by deployment instance " + elsewhere},
		"cluster apps":              {Action: rollout.DestroyKept, Reason: "still runs 2 other service(s)"},
		"log group /ecs/agent-a": {Action: rollout.DestroyKept,
			Reason: "named by the task definition that " + borrower + " runs; handed over to deployment instance " + other},
		"log group /ecs/agent-b":      {Action: rollout.DestroyAbsent},
		"log group /ecs/agent-c":      {Action: rollout.DestroySkipped, Reason: "not created by launch: no launch:managed-by=launch tag"},
		"log group /ecs/agent-d":      {Action: rollout.DestroyAbsent},
		"role app-task":               {Action: rollout.DestroyKept, Reason: "run by " + borrower + " (deployed by a launch without instance records, or by hand)"},
		"role tag app-task/" + record: {Action: rollout.DestroyDeleted, Reason: "this instance no longer uses the role"},
		"role app-exec":               {Action: rollout.DestroyKept, Reason: "run by " + borrower + " (deployed by a launch without instance records, or by hand)"},
		"role tag app-exec/" + record: {Action: rollout.DestroyDeleted, Reason: "this instance no longer uses the role"},
		// agent-a:1 stays for the borrower, whose tasks fetch agent/creds
		// through this instance's grant.
		"inline policy app-exec/" + grant: {Action: rollout.DestroyKept, Reason: "the tasks of task definition agent-a:1, run by " + borrower + ", fetch their secrets through it"},
	}
	for k, w := range want {
		if g := got[k]; g.Action != w.Action || g.Reason != w.Reason {
			t.Errorf("%s: %s (%s)\n                want %s (%s)", k, g.Action, g.Reason, w.Action, w.Reason)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected item %s: %+v", k, got[k])
		}
	}
	wantWrites = []string{"logs:TagResource", "iam:UntagRole", "iam:UntagRole"}
	if w := e.writes(); !slices.Equal(w, wantWrites) {
		t.Errorf("writes\n %v\nwant %v", w, wantWrites)
	}

	// Read back: what is not this instance's is all there.
	for _, s := range [][2]string{{"other", "borrower"}, {"apps", "agent-b"}, {"apps", "agent-c"}} {
		if activeService(t, e.cfg, s[0], s[1]) == nil {
			t.Errorf("service %s of cluster %s is gone", s[1], s[0])
		}
	}
	for _, s := range []string{"agent-a", "agent-s"} {
		if activeService(t, e.cfg, "apps", s) != nil {
			t.Errorf("service %s survived", s)
		}
	}
	for fam, revs := range map[string][]string{"agent-a": {"agent-a:1"}, "agent-s": nil, "agent-b": {"agent-b:1"}, "agent-c": {"agent-c:1"}, "agent-d": {"agent-d:1"}} {
		if got := activeRevisions(t, e.cfg, fam); !slices.Equal(got, revs) {
			t.Errorf("ACTIVE revisions of %s: %v, want %v", fam, got, revs)
		}
	}
	if tg, ok := e.logGroupTags("/ecs/agent-a"); !ok || tg["launch:instance"] != other || tg["launch:managed-by"] != "launch" {
		t.Errorf("log group /ecs/agent-a: exists %v, tags %v; want it handed over to %s", ok, tg, other)
	}
	if _, ok := e.logGroupTags("/ecs/agent-c"); !ok {
		t.Error("the log group made by hand is gone")
	}
	for _, role := range []string{"app-task", "app-exec"} {
		if !roleExists(t, e.cfg, role) {
			t.Fatalf("role %s, which borrower runs, was deleted", role)
		}
		if _, ok := roleTags(t, e.cfg, role)[record]; ok {
			t.Errorf("role %s still records the destroyed instance", role)
		}
	}
	if doc := e.inlinePolicy("app-exec", grant); !strings.Contains(doc, ":secret:agent/creds-") {
		t.Errorf("the grant borrower's tasks fetch agent/creds through is %q, want it kept", doc)
	}
	if a := e.attached("app-exec"); !slices.Equal(a, []string{"arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"}) {
		t.Errorf("app-exec's managed policies: %v, want them left as they are", a)
	}

	// The rerun: a failed read of a revision another service runs stops it
	// before the log groups (deregisterOwned reads agent-a:1, agent-b:1,
	// agent-c:1 and agent-d:1 first).
	e.h.SetThrottle(t, "DescribeTaskDefinition", 4, 0.001)
	_, _, err = e.destroyOnce(sp, true)
	e.unthrottle("DescribeTaskDefinition")
	wantThrottled(t, err, "describe task definition agent-a:1 (run by "+borrower+"): ")
	// Then it writes nothing: the log group is the other instance's now.
	e.h.ClearRequests(t)
	got, _, err = e.destroyOnce(sp, true)
	if err != nil {
		t.Fatal(err)
	}
	if w := e.writes(); len(w) != 0 {
		t.Errorf("rerun wrote %v", w)
	}
	if it := got["log group /ecs/agent-a"]; it.Action != rollout.DestroySkipped || it.Reason != "created by deployment instance "+other {
		t.Errorf("rerun: the handed-over log group %+v", it)
	}

	// Once borrower is gone, a rerun deletes the revision, the grant and the
	// roles launch created.
	if _, err := ecsc.DeleteService(ctx, &ecs.DeleteServiceInput{Cluster: aws.String("other"), Service: aws.String("borrower"), Force: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	got, _, err = e.destroyOnce(sp, true)
	if err != nil {
		t.Fatal(err)
	}
	for k, w := range map[string]rollout.DestroyItem{
		"task definition agent-a:1": {Action: rollout.DestroyDeleted, Reason: "deregistered"},
		"role app-exec":             {Action: rollout.DestroyDeleted, Reason: "no other instance uses it; with 1 managed policy attachment(s) and 1 inline policy(ies)"},
	} {
		if g := got[k]; g.Action != w.Action || g.Reason != w.Reason {
			t.Errorf("after borrower: %s: %s (%s), want %s (%s)", k, g.Action, g.Reason, w.Action, w.Reason)
		}
	}
	if roleExists(t, e.cfg, "app-exec") {
		t.Error("role app-exec outlived the last service that ran it")
	}
}
