package rollout_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/launchdeploy/launch/internal/awsconf"
	"github.com/launchdeploy/launch/internal/emulator"
	"github.com/launchdeploy/launch/internal/policy"
	"github.com/launchdeploy/launch/rollout"
	"github.com/launchdeploy/launch/spec"
)

// instanceSpec is a spec for one deployment instance: its cluster, its
// agent and image; every instance shares the roles app-task and app-exec.
func instanceSpec(cluster, agent, image string) string {
	return fmt.Sprintf(`region: ${REGION}
cluster: {name: %s, create: true}
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
  - name: %s
    image: %s
`, cluster, agent, image)
}

// regional is the test's view of one region: its SDK config and a network
// (moto keeps VPCs per region).
type regional struct {
	cfg  aws.Config
	vars map[string]string
}

func (e *env) regionalIn(name string) regional {
	e.t.Helper()
	cfg := e.cfg.Copy()
	cfg.Region = name
	net := e.net
	if name != e.cfg.Region {
		net = emulator.CreateNetwork(e.t, cfg)
	}
	return regional{cfg: cfg, vars: map[string]string{
		"SUBNET_1": net.Subnets[0], "SUBNET_2": net.Subnets[1], "SECURITY_GROUP": net.SecurityGroups[0], "REGION": name,
	}}
}

// load writes yaml under name in the test's directory and loads it with
// r's variables.
func (e *env) load(r regional, name, yaml string) *spec.Spec {
	e.t.Helper()
	path := filepath.Join(e.dir, name)
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		e.t.Fatal(err)
	}
	sp, err := spec.Load(path, func(k string) (string, bool) { v, ok := r.vars[k]; return v, ok })
	if err != nil {
		e.t.Fatalf("load %s: %v", name, err)
	}
	return sp
}

func (e *env) config(r regional) (aws.Config, *awsconf.Counter) {
	e.t.Helper()
	cfg, counter, err := awsconf.Load(context.Background(), awsconf.Options{Region: r.cfg.Region, EndpointURL: aws.ToString(e.cfg.BaseEndpoint)})
	if err != nil {
		e.t.Fatal(err)
	}
	return cfg, counter
}

func (e *env) deploySpecIn(r regional, sp *spec.Spec) awsconf.Calls {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cfg, counter := e.config(r)
	opts := rollout.Options{PollMin: 100 * time.Millisecond, PollMax: 500 * time.Millisecond}
	if err := rollout.Deploy(ctx, rollout.NewClients(cfg), sp, opts, quiet{e.t}, rollout.NewReport(sp.Path)); err != nil {
		e.t.Fatalf("deploy %s in %s: %v", sp.Path, r.cfg.Region, err)
	}
	return counter.Snapshot()
}

func (e *env) destroyIn(r regional, sp *spec.Spec, withRoles bool) map[string]rollout.DestroyItem {
	e.t.Helper()
	cfg, _ := e.config(r)
	items, err := rollout.Destroy(context.Background(), rollout.NewDestroyClients(cfg), sp, withRoles, quiet{e.t})
	if err != nil {
		e.t.Fatalf("destroy %s: %v", sp.Path, err)
	}
	byName := map[string]rollout.DestroyItem{}
	for _, it := range items {
		byName[it.Kind+" "+it.Name] = it
	}
	return byName
}

func roleTags(t *testing.T, cfg aws.Config, role string) map[string]string {
	t.Helper()
	out, err := iam.NewFromConfig(cfg).ListRoleTags(context.Background(), &iam.ListRoleTagsInput{RoleName: aws.String(role)})
	if err != nil {
		t.Fatalf("ListRoleTags %s: %v", role, err)
	}
	tags := map[string]string{}
	for _, tg := range out.Tags {
		tags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	return tags
}

// sourceArns are the aws:SourceArn patterns of the ecs-tasks statements.
func sourceArns(doc *policy.Document) []string {
	var out []string
	for _, s := range doc.Statement {
		p, _ := s["Principal"].(map[string]any)
		if !slices.Contains(policy.Strings(p["Service"]), "ecs-tasks.amazonaws.com") {
			continue
		}
		c, _ := s["Condition"].(map[string]any)
		like, _ := c["ArnLike"].(map[string]any)
		out = append(out, policy.Strings(like["aws:SourceArn"])...)
	}
	slices.Sort(out)
	return out
}

func activeRevisions(t *testing.T, cfg aws.Config, family string) []string {
	t.Helper()
	out, err := ecs.NewFromConfig(cfg).ListTaskDefinitions(context.Background(), &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(family), Status: ecstypes.TaskDefinitionStatusActive})
	if err != nil {
		t.Fatal(err)
	}
	var revs []string
	for _, a := range out.TaskDefinitionArns {
		revs = append(revs, a[strings.LastIndex(a, "/")+1:])
	}
	return revs
}

// activeService returns the ACTIVE service, or nil when there is none or
// its cluster is gone. Any other error fails the test: a read that failed
// says nothing about whether the service is gone.
func activeService(t *testing.T, cfg aws.Config, cluster, name string) *ecstypes.Service {
	t.Helper()
	out, err := ecs.NewFromConfig(cfg).DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{name}})
	var noCluster *ecstypes.ClusterNotFoundException
	if errors.As(err, &noCluster) {
		return nil
	}
	if err != nil {
		t.Fatalf("DescribeServices %s/%s: %v", cluster, name, err)
	}
	for i, s := range out.Services {
		if aws.ToString(s.Status) == "ACTIVE" {
			return &out.Services[i]
		}
	}
	return nil
}

// roleExists tells a role that exists from one IAM does not have; any other
// error fails the test.
func roleExists(t *testing.T, cfg aws.Config, name string) bool {
	t.Helper()
	_, err := iam.NewFromConfig(cfg).GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String(name)})
	var noRole *iamtypes.NoSuchEntityException
	if errors.As(err, &noRole) {
		return false
	}
	if err != nil {
		t.Fatalf("GetRole %s: %v", name, err)
	}
	return true
}

func TestOneRoleServesTwoRegionsAndRerunsWriteNothing(t *testing.T) {
	e := newEnv(t)
	eu, us := e.regionalIn("eu-west-1"), e.regionalIn("us-east-1")
	euSpec := e.load(eu, "eu.yaml", instanceSpec("apps", "agent-a", "example.com/agent:1"))
	usSpec := e.load(us, "us.yaml", instanceSpec("apps", "agent-a", "example.com/agent:1"))

	e.deploySpecIn(eu, euSpec)
	e.deploySpecIn(us, usSpec)

	want := []string{"arn:aws:ecs:eu-west-1:" + e.account() + ":*", "arn:aws:ecs:us-east-1:" + e.account() + ":*"}
	if got := sourceArns(e.trustOf("app-task")); !slices.Equal(got, want) {
		t.Errorf("task role trust aws:SourceArn = %v, want %v (both regions)\n%s", got, want, e.trustOf("app-task").JSON())
	}
	for _, role := range []string{"app-task", "app-exec"} {
		tags := roleTags(t, e.cfg, role)
		for _, k := range []string{"launch:instance:eu-west-1/apps", "launch:instance:us-east-1/apps"} {
			if tags[k] != e.account() {
				t.Errorf("role %s: tag %s = %q, want the account; tags %v", role, k, tags[k], tags)
			}
		}
	}
	// Each region's task definition names its instance.
	for _, r := range []regional{eu, us} {
		td, err := ecs.NewFromConfig(r.cfg).DescribeTaskDefinition(context.Background(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("agent-a"), Include: []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags}})
		if err != nil {
			t.Fatal(err)
		}
		wantTag := e.account() + "/" + r.cfg.Region + "/apps"
		if !slices.ContainsFunc(td.Tags, func(tg ecstypes.Tag) bool {
			return aws.ToString(tg.Key) == "launch:instance" && aws.ToString(tg.Value) == wantTag
		}) {
			t.Errorf("%s: task definition tags %v lack launch:instance=%s", r.cfg.Region, td.Tags, wantTag)
		}
	}

	for _, rerun := range []struct {
		r  regional
		sp *spec.Spec
	}{{eu, euSpec}, {us, usSpec}, {eu, euSpec}} {
		e.h.ClearRequests(t)
		calls := e.deploySpecIn(rerun.r, rerun.sp)
		if n := calls.WritesTo("iam"); n != 0 {
			t.Errorf("rerun in %s: %d IAM writes %v", rerun.r.cfg.Region, n, calls.Writes)
		}
		for action, n := range emulator.CountActions(e.h.Requests(t)) {
			if strings.HasPrefix(action, "iam:") && !strings.HasPrefix(action, "iam:Get") && !strings.HasPrefix(action, "iam:List") && !strings.HasPrefix(action, "iam:Simulate") {
				t.Errorf("rerun in %s: the emulator saw %s ×%d", rerun.r.cfg.Region, action, n)
			}
		}
	}
	if got := sourceArns(e.trustOf("app-task")); !slices.Equal(got, want) {
		t.Errorf("after the reruns, aws:SourceArn = %v, want %v", got, want)
	}
}

func (e *env) account() string {
	e.t.Helper()
	out, err := sts.NewFromConfig(e.cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		e.t.Fatal(err)
	}
	return aws.ToString(out.Account)
}

func TestDestroyOfOneInstanceKeepsTheSharedRoles(t *testing.T) {
	e := newEnv(t)
	r := e.regionalIn(e.cfg.Region)
	a := e.load(r, "a.yaml", instanceSpec("cluster-a", "agent-a", "example.com/agent:1"))
	b := e.load(r, "b.yaml", instanceSpec("cluster-b", "agent-b", "example.com/agent:1"))
	e.deploySpecIn(r, a)
	e.deploySpecIn(r, b)

	got := e.destroyIn(r, b, true)
	for _, k := range []string{"service agent-b", "task definition agent-b:1", "log group /ecs/agent-b", "cluster cluster-b"} {
		if got[k].Action != rollout.DestroyDeleted {
			t.Errorf("%s: %+v, want deleted", k, got[k])
		}
	}
	for _, role := range []string{"app-task", "app-exec"} {
		it := got["role "+role]
		if it.Action != rollout.DestroyKept || !strings.Contains(it.Reason, "cluster-a") {
			t.Errorf("role %s: %+v, want kept for instance cluster-a", role, it)
		}
		if !roleExists(t, e.cfg, role) {
			t.Fatalf("role %s was deleted while A still uses it", role)
		}
		tags := roleTags(t, e.cfg, role)
		if _, ok := tags["launch:instance:"+e.cfg.Region+"/cluster-b"]; ok {
			t.Errorf("role %s still records the destroyed instance: %v", role, tags)
		}
		if _, ok := tags["launch:instance:"+e.cfg.Region+"/cluster-a"]; !ok {
			t.Errorf("role %s lost A's record: %v", role, tags)
		}
	}
	if activeService(t, e.cfg, "cluster-a", "agent-a") == nil {
		t.Error("A's service is gone")
	}
	if revs := activeRevisions(t, e.cfg, "agent-a"); len(revs) != 1 {
		t.Errorf("A's revisions: %v", revs)
	}
	if activeService(t, e.cfg, "cluster-b", "agent-b") != nil || len(activeRevisions(t, e.cfg, "agent-b")) != 0 {
		t.Error("B's service or revision survived")
	}

	// The last instance takes the roles with it.
	got = e.destroyIn(r, a, true)
	for _, role := range []string{"app-task", "app-exec"} {
		if got["role "+role].Action != rollout.DestroyDeleted || roleExists(t, e.cfg, role) {
			t.Errorf("role %s after destroying the last instance: %+v", role, got["role "+role])
		}
	}
}

func TestDestroyStagingKeepsProdOfTheSameFamily(t *testing.T) {
	e := newEnv(t)
	r := e.regionalIn(e.cfg.Region)
	prod := e.load(r, "prod.yaml", instanceSpec("prod", "agent", "example.com/agent:1"))
	stg := e.load(r, "stg.yaml", instanceSpec("staging", "agent", "example.com/agent:2"))
	e.deploySpecIn(r, prod)
	e.deploySpecIn(r, stg)
	prodRuns := aws.ToString(activeService(t, e.cfg, "prod", "agent").TaskDefinition)
	stgRuns := aws.ToString(activeService(t, e.cfg, "staging", "agent").TaskDefinition)
	if prodRuns == stgRuns {
		t.Fatalf("both clusters run %s: the test needs two revisions", prodRuns)
	}

	// A revision of the family registered by a launch older than instance
	// tags: whose it is cannot be told, and prod runs the family.
	legacy, err := ecs.NewFromConfig(e.cfg).RegisterTaskDefinition(context.Background(), &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("agent"), RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
		NetworkMode: ecstypes.NetworkModeAwsvpc, Cpu: aws.String("256"), Memory: aws.String("512"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("agent"), Image: aws.String("example.com/agent:0")}},
		Tags:                 []ecstypes.Tag{{Key: aws.String("launch:managed-by"), Value: aws.String("launch")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	legacyRev := fmt.Sprintf("agent:%d", legacy.TaskDefinition.Revision)

	got := e.destroyIn(r, stg, true)
	if it := got["task definition "+legacyRev]; it.Action != rollout.DestroyKept || !strings.Contains(it.Reason, "cluster prod") {
		t.Errorf("a revision of an older launch in a family prod runs: %+v", it)
	}
	if svc := activeService(t, e.cfg, "prod", "agent"); svc == nil || aws.ToString(svc.TaskDefinition) != prodRuns {
		t.Fatalf("prod's service after destroying staging: %+v", svc)
	}
	short := func(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }
	if revs := activeRevisions(t, e.cfg, "agent"); !slices.Equal(revs, []string{short(prodRuns), legacyRev}) {
		t.Errorf("ACTIVE revisions of agent: %v, want prod's %s and the older launch's %s", revs, short(prodRuns), legacyRev)
	}
	if it := got["task definition "+short(prodRuns)]; it.Action == rollout.DestroyDeleted {
		t.Errorf("prod's revision: %+v", it)
	}
	if it := got["task definition "+short(stgRuns)]; it.Action != rollout.DestroyDeleted {
		t.Errorf("staging's revision: %+v", it)
	}
	// prod created the family's log group; it stays, and says why.
	if it := got["log group /ecs/agent"]; it.Action != rollout.DestroySkipped || !strings.Contains(it.Reason, "/prod") {
		t.Errorf("log group: %+v", it)
	}
	lg, err := cloudwatchlogs.NewFromConfig(e.cfg).DescribeLogGroups(context.Background(), &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/ecs/agent")})
	if err != nil || len(lg.LogGroups) != 1 {
		t.Errorf("log group /ecs/agent after destroying staging: %v %v", lg, err)
	}
	if !roleExists(t, e.cfg, "app-exec") || !roleExists(t, e.cfg, "app-task") {
		t.Error("a role prod uses was deleted")
	}
}

// Two specs in one cluster share the instance: destroying one keeps the
// roles, the instance's record and its grant, which the other still uses.
func TestDestroyKeepsWhatAnotherSpecOfTheSameClusterUses(t *testing.T) {
	e := newEnv(t)
	r := e.regionalIn(e.cfg.Region)
	a := e.load(r, "a.yaml", instanceSpec("shared", "agent-a", "example.com/agent:1"))
	c := e.load(r, "c.yaml", instanceSpec("shared", "agent-c", "example.com/agent:1"))
	e.deploySpecIn(r, a)
	e.deploySpecIn(r, c)

	got := e.destroyIn(r, c, true)
	if got["service agent-c"].Action != rollout.DestroyDeleted {
		t.Errorf("service agent-c: %+v, want deleted", got["service agent-c"])
	}
	record := "launch:instance:" + e.cfg.Region + "/shared"
	for _, role := range []string{"app-task", "app-exec"} {
		if it := got["role "+role]; it.Action != rollout.DestroyKept || !strings.Contains(it.Reason, "agent-a") {
			t.Errorf("role %s: %+v, want kept for agent-a in the same cluster", role, it)
		}
		if _, ok := roleTags(t, e.cfg, role)[record]; !ok {
			t.Errorf("role %s lost the record %s that agent-a's spec still needs", role, record)
		}
	}
	if activeService(t, e.cfg, "shared", "agent-a") == nil {
		t.Error("agent-a's service is gone")
	}
}

// launch-secrets-access is the grant of launch versions before deployment
// instances: deployments no record tells of may use it, so destroying the
// last recorded instance keeps it and the role.
func TestDestroyKeepsTheLegacyGrant(t *testing.T) {
	e := newEnv(t)
	r := e.regionalIn(e.cfg.Region)
	a := e.load(r, "a.yaml", instanceSpec("cluster-a", "agent-a", "example.com/agent:1"))
	e.deploySpecIn(r, a)
	legacy := `{"Version":"2012-10-17","Statement":[{"Sid":"ReadAgentSecrets","Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:eu-west-1:` + e.account() + `:secret:old-AbCdEf"}]}`
	if _, err := iam.NewFromConfig(e.cfg).PutRolePolicy(context.Background(), &iam.PutRolePolicyInput{
		RoleName: aws.String("app-exec"), PolicyName: aws.String("launch-secrets-access"), PolicyDocument: aws.String(legacy)}); err != nil {
		t.Fatal(err)
	}

	got := e.destroyIn(r, a, true)
	if it := got["role app-exec"]; it.Action != rollout.DestroyKept || !strings.Contains(it.Reason, "launch-secrets-access") {
		t.Errorf("role app-exec: %+v, want kept for its legacy grant", it)
	}
	if _, err := iam.NewFromConfig(e.cfg).GetRolePolicy(context.Background(), &iam.GetRolePolicyInput{
		RoleName: aws.String("app-exec"), PolicyName: aws.String("launch-secrets-access")}); err != nil {
		t.Errorf("the legacy grant is gone: %v", err)
	}
	if it := got["role app-task"]; it.Action != rollout.DestroyDeleted {
		t.Errorf("role app-task (no legacy grant, no other instance): %+v, want deleted", it)
	}
}

// prod and staging share the family (one region): rolling prod back skips
// the revision staging registered, and lands on prod's own previous one.
func TestRollbackSkipsAnotherInstancesRevision(t *testing.T) {
	e := newEnv(t)
	r := e.regionalIn(e.cfg.Region)
	prod1 := e.load(r, "prod1.yaml", instanceSpec("prod", "agent", "example.com/agent:1"))
	stg := e.load(r, "stg.yaml", instanceSpec("staging", "agent", "example.com/agent:2"))
	prod3 := e.load(r, "prod3.yaml", instanceSpec("prod", "agent", "example.com/agent:3"))
	e.deploySpecIn(r, prod1)
	e.deploySpecIn(r, stg)
	e.deploySpecIn(r, prod3)
	if revs := activeRevisions(t, e.cfg, "agent"); len(revs) != 3 {
		t.Fatalf("ACTIVE revisions %v, want prod's, staging's and prod's again", revs)
	}

	cfg, _ := e.config(r)
	opts := rollout.Options{PollMin: 100 * time.Millisecond, PollMax: 500 * time.Millisecond}
	if err := rollout.Rollback(context.Background(), rollout.NewClients(cfg), prod3, rollout.RollbackOptions{}, opts, quiet{e.t}, rollout.NewReport(prod3.Path)); err != nil {
		t.Fatalf("rollback prod: %v", err)
	}
	if got := aws.ToString(activeService(t, e.cfg, "prod", "agent").TaskDefinition); !strings.HasSuffix(got, "agent:1") {
		t.Errorf("prod rolled back to %s, want agent:1 (agent:2 is staging's)", got)
	}
	if got := aws.ToString(activeService(t, e.cfg, "staging", "agent").TaskDefinition); !strings.HasSuffix(got, "agent:2") {
		t.Errorf("staging runs %s, want its agent:2 untouched", got)
	}
}
