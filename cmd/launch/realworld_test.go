package main_test

// The real-world corpus (issue #9): task definitions taken as found from AWS's
// documentation, peer tools' test data and public repositories, listed with
// their sources in taskdef/testdata/realworld/SOURCES.md and indexed in
// corpus.json. Each one is used as an agent's baseTaskDefinition with a spec
// that sets nothing but the image:
//   - a Fargate-valid base is deployed on the emulator and the registered
//     revision, read back with DescribeTaskDefinition, must equal the base
//     except for the differences listed in expectedRegistration;
//   - an EC2-only base is refused offline: validate and deploy exit 2 without
//     a single AWS request, and the message names the base file and the field
//     that makes it EC2-only.
//
// Run alone (about 5 minutes): go test -p 1 -count=1 -timeout 30m -run TestRealWorld ./cmd/launch/

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/launchdeploy/launch/internal/emulator"
)

const (
	realworldDir   = "../../taskdef/testdata/realworld"
	realworldImage = "public.ecr.aws/matillion/streaming-agent:realworld"
	realworldTask  = "realworld-agent-task"
	realworldExec  = "realworld-agent-execution"
)

// corpusEntry is one row of corpus.json.
type corpusEntry struct {
	File    string `json:"file"`
	Source  string `json:"source"`
	Fargate bool   `json:"fargate"`
	// Container is the container the agent patches when the base has several.
	Container string `json:"container,omitempty"`
	// Refusal is the field an EC2-only base is refused for; the offline
	// message must name it.
	Refusal string `json:"refusal,omitempty"`
	// Secrets maps a placeholder secret ARN the file carries (a docs
	// template's "arn:aws:secretsmanager:region:aws_account_id:…") to the name
	// of a secret the test creates: the test deploys a copy of the file with
	// the real ARN, as its user would, since preflight rightly refuses a
	// reference to a secret that does not exist.
	Secrets map[string]string `json:"secrets,omitempty"`
}

func loadCorpus(t *testing.T) []corpusEntry {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(realworldDir, "corpus.json"))
	if err != nil {
		t.Fatal(err)
	}
	var entries []corpusEntry
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&entries); err != nil {
		t.Fatalf("corpus.json: %v", err)
	}
	files, _ := filepath.Glob(filepath.Join(realworldDir, "*.json"))
	listed := map[string]bool{"corpus.json": true}
	for _, e := range entries {
		if listed[e.File] {
			t.Fatalf("corpus.json lists %s twice", e.File)
		}
		listed[e.File] = true
		if e.Source == "" || (!e.Fargate && e.Refusal == "") || (e.Fargate && e.Refusal != "") {
			t.Fatalf("corpus.json entry %+v: every file needs a source, and a refusal exactly when it is EC2-only", e)
		}
	}
	for _, f := range files {
		if !listed[filepath.Base(f)] {
			t.Fatalf("%s is not listed in corpus.json", f)
		}
	}
	if len(entries) < 30 {
		t.Fatalf("corpus has %d task definitions, want at least 30", len(entries))
	}
	return entries
}

func TestRealWorld(t *testing.T) {
	corpus := loadCorpus(t)
	// One emulator world for the whole corpus (a reset and a network per
	// file would double the run time): each file is its own agent, family
	// and service, all sharing launch's two roles.
	shared := newWorld(t)
	for _, e := range corpus {
		t.Run(strings.TrimSuffix(e.File, ".json"), func(t *testing.T) {
			w := *shared
			w.t = t
			if e.Fargate {
				realworldRoundTrip(t, &w, e)
			} else {
				realworldRefusedOffline(t, &w, e)
			}
		})
	}
}

// realworldSpec writes a spec whose one agent uses the entry's file as its
// base and sets only the image (and the container to patch, when the base
// has several). It returns the spec's path and the agent's name.
func realworldSpec(t *testing.T, e corpusEntry) (string, string) {
	t.Helper()
	base, err := filepath.Abs(filepath.Join(realworldDir, e.File))
	if err != nil {
		t.Fatal(err)
	}
	return realworldSpecWith(t, e, base)
}

// realworldSpecWith is realworldSpec with the base file at base.
func realworldSpecWith(t *testing.T, e corpusEntry, base string) (string, string) {
	t.Helper()
	agent := "rw-" + strings.TrimSuffix(e.File, ".json")
	container := ""
	if e.Container != "" {
		container = "    container: " + e.Container + "\n"
	}
	spec := fmt.Sprintf(`region: ${AWS_REGION}
cluster:
  name: realworld
  create: true
taskRole:
  name: %s
executionRole:
  name: %s
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
%s    baseTaskDefinition: %s
`, realworldTask, realworldExec, agent, realworldImage, container, base)
	path := filepath.Join(t.TempDir(), "deploy.yaml")
	if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, agent
}

func realworldRefusedOffline(t *testing.T, w *world, e corpusEntry) {
	path, _ := realworldSpec(t, e)
	w.h.ClearRequests(t)
	// --no-wait only bounds the run while the refusal is missing: a refused
	// base never gets that far.
	for _, args := range [][]string{{"validate", path}, {"deploy", path, "--no-wait"}} {
		cmd := args[0]
		r := w.launch(args...)
		if r.code != 2 {
			t.Errorf("launch %s: exit %d, want 2 (EC2-only base: %s)", cmd, r.code, e.Refusal)
			continue
		}
		// The field must be named apart from the file names (which may
		// contain it, as firelens-emf-bridge-links.json contains "links").
		msg := strings.NewReplacer(filepath.Dir(path), "<dir>", e.File, "<base>").Replace(r.stderr)
		if !strings.Contains(msg, e.Refusal) || !strings.Contains(r.stderr, e.File) {
			t.Errorf("launch %s: message does not name the base file %s and the field %q:\n%s", cmd, e.File, e.Refusal, r.stderr)
		}
	}
	if reqs := w.h.Requests(t); len(reqs) != 0 {
		t.Errorf("an EC2-only base caused %d AWS requests (first %s:%s); it must be refused before any", len(reqs), reqs[0].Service, reqs[0].Action)
	}
}

func realworldRoundTrip(t *testing.T, w *world, e corpusEntry) {
	baseJSON, err := os.ReadFile(filepath.Join(realworldDir, e.File))
	if err != nil {
		t.Fatal(err)
	}
	for placeholder, name := range e.Secrets {
		arn := emulator.CreateSecret(t, w.cfg, name, "value", "")
		baseJSON = bytes.ReplaceAll(baseJSON, []byte(placeholder), []byte(arn))
	}
	basePath := filepath.Join(t.TempDir(), e.File)
	if err := os.WriteFile(basePath, baseJSON, 0o644); err != nil {
		t.Fatal(err)
	}
	path, agent := realworldSpecWith(t, e, basePath)
	r := w.launch("deploy", path, "--output", "json")
	if r.code != 0 {
		t.Fatalf("deploy: exit %d: %s", r.code, lastLine(r.stderr))
	}
	if len(r.report.Agents) != 1 || r.report.Agents[0].TaskDefinition.ARN == "" {
		t.Fatalf("report has no registered task definition: %+v", r.report.Agents)
	}
	got, gotTags := describeRaw(t, w, r.report.Agents[0].TaskDefinition.ARN)

	base, baseTags := unwrapBase(t, baseJSON)
	want, wantTags := expectedRegistration(base, baseTags, got, registration{
		family:    agent,
		container: agentContainer(base, e.Container),
		image:     realworldImage,
		instance:  strings.Split(roleARN(t, w, realworldTask), ":")[4] + "/" + w.cfg.Region + "/realworld",
		taskRole:  roleARN(t, w, realworldTask),
		execRole:  roleARN(t, w, realworldExec),
	})
	diffs := diffJSON("", normalizeJSON(want), normalizeJSON(without(got, readOnlyFields...)))
	diffs = append(diffs, diffJSON("tags", wantTags, gotTags)...)
	if len(diffs) > 0 {
		t.Errorf("registered revision differs from the base in %d place(s); first: %s\nall:\n  %s", len(diffs), diffs[0], strings.Join(diffs, "\n  "))
	}
}

// readOnlyFields are what DescribeTaskDefinition returns but
// RegisterTaskDefinition does not take (AWS sets them; FIELD-NOTES "ECS task
// definitions"). They are dropped from both the base and the read-back.
var readOnlyFields = []string{"taskDefinitionArn", "revision", "status", "requiresAttributes", "compatibilities",
	"registeredAt", "registeredBy", "deregisteredAt"}

type registration struct {
	family, container, image, instance, taskRole, execRole string
}

// expectedRegistration is the base as it must come back from
// DescribeTaskDefinition after launch registered it for a spec that sets only
// the image. These are ALL the differences allowed between the base and the
// registered revision; anything else the base states must come back equal.
//
//  1. family = the agent's name: the agent is the family (spec/REFERENCE.md).
//  2. The agent container's image = the spec's image: the one thing the spec sets.
//  3. taskRoleArn and executionRoleArn = launch's roles: the task and execution
//     roles are launch's job (issue #9: it grants what the task reads on the
//     execution role it owns), so they replace the base's.
//  4. requiresCompatibilities = [FARGATE]: launch deploys on Fargate, and AWS
//     checks a definition against the Fargate rules only when it lists FARGATE.
//  5. Fields the base does not state (absent or null) and Fargate requires,
//     filled with launch's defaults: networkMode awsvpc; task cpu and memory;
//     the runtimePlatform members the base leaves out; the agent container's
//     awslogs logConfiguration when that container has none. Explicit spec >
//     base > default (issue #9 "Precedence"): a value the base states is
//     never replaced, so these are filled only where the base is silent.
//  6. Tags: the base's tags plus launch's ownership tag (launch:managed-by),
//     which marks what launch may later change or delete (README "What launch
//     changes"), and its deployment-instance tag (launch:instance =
//     account/region/cluster, README "Deployment instances").
//  7. Defaults ECS itself writes on registration where a container leaves
//     them out: cpu 0 and essential true (the API reference's defaults; every
//     describe-task-definition output in the corpus shows them, e.g.
//     console-describe-hiringcandidate.json); versionConsistency "enabled"
//     (ContainerDefinition.versionConsistency: "the default value is
//     enabled"); a port mapping's hostPort equal to its containerPort (with
//     awsvpc "hostPort can be left blank or it must be the same value as the
//     containerPort"; describe output of awsvpc tasks shows it filled) and
//     its protocol "tcp" (PortMapping.protocol: "The default is tcp").
//
// Not differences: null, [] and {} equal an absent field (console exports
// write them, AWS omits them); an optional boolean written false equals its
// absence (every boolean of a task definition defaults to false, except
// essential, which is compared as written); task cpu/memory written in
// vCPU/GB ("1 vcpu", ".5 gb") equal the units AWS converts them to on
// registration; the order of containerDefinitions, and of a container's
// environment and secrets, is not compared (ECS starts containers by
// dependsOn, and looks variables up by name): they are matched by name.
func expectedRegistration(base map[string]any, baseTags map[string]string, got map[string]any, reg registration) (map[string]any, map[string]string) {
	want := normalizeJSON(without(base, readOnlyFields...)).(map[string]any)
	got = normalizeJSON(got).(map[string]any)
	if want == nil {
		want = map[string]any{}
	}
	want["family"] = reg.family                                                // 1
	want["taskRoleArn"], want["executionRoleArn"] = reg.taskRole, reg.execRole // 3
	want["requiresCompatibilities"] = []any{"FARGATE"}                         // 4
	fill := func(key string, defaultOK func(any) bool) {                       // 5
		if _, stated := want[key]; stated {
			return
		}
		if v, ok := got[key]; ok && defaultOK(v) {
			want[key] = v
		} else {
			want[key] = "<launch's default for " + key + ">"
		}
	}
	fill("networkMode", func(v any) bool { return v == "awsvpc" })
	fill("cpu", func(v any) bool { return v != "" })
	fill("memory", func(v any) bool { return v != "" })
	wantRP, _ := want["runtimePlatform"].(map[string]any)
	if wantRP == nil {
		wantRP = map[string]any{}
	}
	gotRP, _ := got["runtimePlatform"].(map[string]any)
	for _, k := range []string{"operatingSystemFamily", "cpuArchitecture"} {
		if _, stated := wantRP[k]; !stated && gotRP[k] != nil {
			wantRP[k] = gotRP[k]
		}
	}
	if len(wantRP) > 0 {
		want["runtimePlatform"] = wantRP
	}

	wantCs, _ := want["containerDefinitions"].([]any)
	gotCs, _ := got["containerDefinitions"].([]any)
	for _, c := range wantCs {
		c, _ := c.(map[string]any)
		if c == nil {
			continue
		}
		if _, stated := c["cpu"]; !stated { // 7
			c["cpu"] = float64(0)
		}
		if _, stated := c["essential"]; !stated {
			c["essential"] = true
		}
		if _, stated := c["versionConsistency"]; !stated {
			c["versionConsistency"] = "enabled"
		}
		pms, _ := c["portMappings"].([]any)
		for _, pm := range pms {
			if pm, _ := pm.(map[string]any); pm != nil {
				if pm["hostPort"] == nil && pm["containerPort"] != nil {
					pm["hostPort"] = pm["containerPort"]
				}
				if pm["protocol"] == nil && pm["containerPortRange"] == nil {
					pm["protocol"] = "tcp"
				}
			}
		}
		if c["name"] != reg.container {
			continue
		}
		c["image"] = reg.image                           // 2
		if _, stated := c["logConfiguration"]; !stated { // 5
			c["logConfiguration"] = "<launch's awslogs default>"
			for _, gc := range gotCs {
				if gc, _ := gc.(map[string]any); gc != nil && gc["name"] == c["name"] {
					if lc, _ := gc["logConfiguration"].(map[string]any); lc != nil && lc["logDriver"] == "awslogs" {
						c["logConfiguration"] = lc
					}
				}
			}
		}
	}

	wantTags := map[string]string{"launch:managed-by": "launch", "launch:instance": reg.instance} // 6
	for k, v := range baseTags {
		wantTags[k] = v
	}
	return want, wantTags
}

// unwrapBase returns the task definition in a base file and its tags: the
// file may be RegisterTaskDefinition input, or describe-task-definition
// output with its {"taskDefinition": …, "tags": […]} wrapper.
func unwrapBase(t *testing.T, data []byte) (map[string]any, map[string]string) {
	t.Helper()
	var raw map[string]any
	if err := json.Unmarshal(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), &raw); err != nil {
		t.Fatalf("base is not a JSON object: %v", err)
	}
	td := raw
	if inner, ok := raw["taskDefinition"].(map[string]any); ok {
		td = inner
	}
	tags := map[string]string{}
	for _, list := range []any{raw["tags"], td["tags"]} {
		items, _ := list.([]any)
		for _, it := range items {
			m, _ := it.(map[string]any)
			k, _ := m["key"].(string)
			v, _ := m["value"].(string)
			tags[k] = v
		}
	}
	return without(td, "tags", "ResponseMetadata"), tags
}

// agentContainer is the name of the container the agent patches.
func agentContainer(base map[string]any, named string) string {
	if named != "" {
		return named
	}
	cs, _ := base["containerDefinitions"].([]any)
	if len(cs) == 1 {
		if c, ok := cs[0].(map[string]any); ok {
			name, _ := c["name"].(string)
			return name
		}
	}
	return ""
}

func roleARN(t *testing.T, w *world, name string) string {
	t.Helper()
	out, err := iam.NewFromConfig(w.cfg).GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		t.Fatalf("GetRole %s: %v", name, err)
	}
	return aws.ToString(out.Role.Arn)
}

// describeRaw calls DescribeTaskDefinition (with TAGS) through the SDK and
// returns the task definition and tags exactly as the service answered, in
// AWS's JSON field names, so they compare with the base file as written.
func describeRaw(t *testing.T, w *world, arn string) (map[string]any, map[string]string) {
	t.Helper()
	rec := &bodyRecorder{next: http.DefaultClient}
	client := ecs.NewFromConfig(w.cfg, func(o *ecs.Options) { o.HTTPClient = rec })
	if _, err := client.DescribeTaskDefinition(context.Background(), &ecs.DescribeTaskDefinitionInput{
		TaskDefinition: aws.String(arn), Include: []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags}}); err != nil {
		t.Fatalf("DescribeTaskDefinition %s: %v", arn, err)
	}
	var out struct {
		TaskDefinition map[string]any `json:"taskDefinition"`
		Tags           []struct {
			Key   string `json:"key"`
			Value string `json:"value"`
		} `json:"tags"`
	}
	if err := json.Unmarshal(rec.body, &out); err != nil || out.TaskDefinition == nil {
		t.Fatalf("DescribeTaskDefinition answer %q: %v", rec.body, err)
	}
	tags := map[string]string{}
	for _, tag := range out.Tags {
		tags[tag.Key] = tag.Value
	}
	return out.TaskDefinition, tags
}

// bodyRecorder keeps the body of the last response it passed on.
type bodyRecorder struct {
	next *http.Client
	body []byte
}

func (b *bodyRecorder) Do(req *http.Request) (*http.Response, error) {
	resp, err := b.next.Do(req)
	if err != nil {
		return nil, err
	}
	b.body, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b.body))
	return resp, err
}

func without(m map[string]any, keys ...string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	for _, k := range keys {
		delete(out, k)
	}
	return out
}

// normalizeJSON drops null, [] and {} (an absent field), recursively, and
// writes task-level cpu/memory given in vCPU/GB as the units AWS stores.
func normalizeJSON(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range v {
			x = normalizeJSON(x)
			if isEmptyJSON(x) {
				continue
			}
			if b, ok := x.(bool); ok && !b && k != "essential" {
				continue
			}
			if s, ok := x.(string); ok && (k == "cpu" || k == "memory") {
				x = taskSizeUnits(s)
			}
			if k == "containerDefinitions" || k == "environment" || k == "secrets" {
				x = sortedByName(x)
			}
			out[k] = x
		}
		return out
	case []any:
		out := make([]any, 0, len(v))
		for _, x := range v {
			out = append(out, normalizeJSON(x))
		}
		return out
	}
	return v
}

func isEmptyJSON(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case map[string]any:
		return len(v) == 0
	case []any:
		return len(v) == 0
	}
	return false
}

// taskSizeUnits converts "1 vcpu", ".25 vCPU", "2 gb", ".5 GB" to CPU units
// or MiB as RegisterTaskDefinition does; other strings are returned as is.
func taskSizeUnits(s string) string {
	f := strings.Fields(strings.ToLower(s))
	if len(f) != 2 || (f[1] != "vcpu" && f[1] != "gb") {
		return s
	}
	n, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return s
	}
	return strconv.Itoa(int(n * 1024))
}

// diffJSON lists every place where got differs from want, as
// "path: want X, got Y", in path order.
func diffJSON(path string, want, got any) []string {
	if reflect.DeepEqual(want, got) {
		return nil
	}
	switch w := want.(type) {
	case map[string]any:
		if g, ok := got.(map[string]any); ok {
			return diffMaps(path, w, g)
		}
	case map[string]string:
		if g, ok := got.(map[string]string); ok {
			wm, gm := map[string]any{}, map[string]any{}
			for k, v := range w {
				wm[k] = v
			}
			for k, v := range g {
				gm[k] = v
			}
			return diffMaps(path, wm, gm)
		}
	case []any:
		if g, ok := got.([]any); ok && len(g) == len(w) {
			var out []string
			for i := range w {
				out = append(out, diffJSON(fmt.Sprintf("%s[%d]", path, i), w[i], g[i])...)
			}
			return out
		}
	}
	return []string{fmt.Sprintf("%s: base %s, registered %s", orRoot(path), compactJSON(want), compactJSON(got))}
}

func diffMaps(path string, w, g map[string]any) []string {
	keys := map[string]bool{}
	for k := range w {
		keys[k] = true
	}
	for k := range g {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	var out []string
	for _, k := range sorted {
		p := k
		if path != "" {
			p = path + "." + k
		}
		wv, inW := w[k]
		gv, inG := g[k]
		switch {
		case !inG:
			out = append(out, fmt.Sprintf("%s: base %s, registered: missing", p, compactJSON(wv)))
		case !inW:
			out = append(out, fmt.Sprintf("%s: not in base, registered %s", p, compactJSON(gv)))
		default:
			out = append(out, diffJSON(p, wv, gv)...)
		}
	}
	return out
}

func orRoot(path string) string {
	if path == "" {
		return "(task definition)"
	}
	return path
}

func compactJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	return s[strings.LastIndexByte(s, '\n')+1:]
}

// sortedByName sorts a list of objects by their "name" member, so lists
// whose order carries no meaning compare item by item.
func sortedByName(v any) any {
	list, ok := v.([]any)
	if !ok {
		return v
	}
	list = slices.Clone(list)
	slices.SortStableFunc(list, func(a, b any) int {
		an, _ := a.(map[string]any)["name"].(string)
		bn, _ := b.(map[string]any)["name"].(string)
		return strings.Compare(an, bn)
	})
	return list
}
