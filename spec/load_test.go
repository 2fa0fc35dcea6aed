package spec

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestProblemString(t *testing.T) {
	tests := map[string]struct {
		p    Problem
		want string
	}{
		"full":        {Problem{"deploy.yaml", 12, 5, "agents[1].memory", "too much"}, "deploy.yaml:12:5: agents[1].memory: too much"},
		"no column":   {Problem{"deploy.yaml", 12, 0, "agents", "x"}, "deploy.yaml:12: agents: x"},
		"no position": {Problem{"deploy.yaml", 0, 0, "cluster.name", "x"}, "deploy.yaml: cluster.name: x"},
		"no path":     {Problem{"deploy.yaml", 3, 1, "", "x"}, "deploy.yaml:3:1: x"},
		"no file":     {Problem{"", 0, 0, "", "x"}, "x"},
	}
	for name, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("%s: String() = %q, want %q", name, got, tt.want)
		}
	}
}

func TestErrorsSortedOnePerLine(t *testing.T) {
	errs := Errors{
		{File: "f", Line: 9, Column: 1, Message: "c"},
		{File: "f", Line: 2, Column: 7, Message: "b"},
		{File: "f", Line: 2, Column: 3, Message: "a"},
		{File: "f", Line: 2, Column: 3, Message: "a", Path: "agents[1].x"}, // same place, same words
	}.sorted()
	if got, want := errs.Error(), "f:2:3: a\nf:2:7: b\nf:9:1: c"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestLoadUnreadableFileIsErrors(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"), nil)
	var errs Errors
	if !errors.As(err, &errs) || len(errs) != 1 || !strings.Contains(errs[0].Message, "does not exist") {
		t.Fatalf("Load(missing) = %v, want one Errors problem saying it does not exist", err)
	}
	dir := t.TempDir()
	_, err = Load(dir, nil)
	if !errors.As(err, &errs) || !strings.Contains(err.Error(), "is a directory, not a regular file; check the path") {
		t.Fatalf("Load(dir) = %v, want an Errors problem", err)
	}
}

// A spec of 1 MiB is read (its comment padding it out); one byte more is a
// problem, as spec/REFERENCE.md says.
func TestTooLargeIsAProblem(t *testing.T) {
	const mib = 1 << 20
	head := "cluster: {name: c}\n# "
	data := []byte(head + strings.Repeat("x", mib-len(head)-1) + "\n")
	_, err := Parse("big.yaml", data, "", nil)
	if err == nil || strings.Contains(err.Error(), "limit") {
		t.Fatalf("Parse(1 MiB) = %v, want the spec's own problems, not a size problem", err)
	}
	_, err = Parse("big.yaml", append(data, '\n'), "", nil)
	var errs Errors
	if !errors.As(err, &errs) || err.Error() != "big.yaml: the file is 1048577 bytes, more than the 1048576-byte limit; a spec is a short YAML file: check the path" {
		t.Fatalf("Parse(1 MiB + 1) = %v, want a size problem", err)
	}
}

const minimal = `
cluster: {name: c}
taskRole: {name: t}
executionRole: {name: e}
`

func mustParse(t *testing.T, yaml string) *Spec {
	t.Helper()
	s, err := Parse("t.yaml", []byte(yaml), t.TempDir(), nil)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return s
}

func TestBuiltInDefaults(t *testing.T) {
	s := mustParse(t, minimal+`
agents:
  - name: a
    image: i
    network: {subnets: [subnet-1]}
`)
	if !s.TaskRole.ConfusedDeputyProtection || s.Cluster.Create {
		t.Errorf("confusedDeputyProtection, cluster.create = %v, %v; want true, false", s.TaskRole.ConfusedDeputyProtection, s.Cluster.Create)
	}
	if diff := cmp.Diff([]string{"service-role/AmazonECSTaskExecutionRolePolicy"}, s.ExecutionRole.ManagedPolicies); diff != "" {
		t.Errorf("execution managed policies (-want +got):\n%s", diff)
	}
	want := Agent{
		Name: "a", Image: "i", CPU: 1024, Memory: 4096, Container: "a",
		Platform: Platform{OS: "LINUX", Architecture: "X86_64"},
		Logs:     Logs{Group: "/ecs/a", RetentionDays: 30, StreamPrefix: "ecs"},
		Network:  Network{Subnets: []string{"subnet-1"}},
		Service: Service{DesiredCount: 1, MinimumHealthyPercent: 0, MaximumPercent: 100,
			CircuitBreaker: CircuitBreaker{Enable: true, Rollback: true}},
		WaitTimeout: Duration{15 * time.Minute},
		Line:        7,
		// Only what the spec writes; everything else is launch's default,
		// which a base task definition's value would override.
		Explicit: map[string]bool{"name": true, "image": true, "network": true, "network.subnets": true},
	}
	if diff := cmp.Diff(want, s.Agents[0]); diff != "" {
		t.Errorf("agent (-want +got):\n%s", diff)
	}
}

func TestDefaultsAndMerging(t *testing.T) {
	tests := map[string]struct {
		defaults, agent string
		check           func(t *testing.T, a Agent)
	}{
		"defaults apply": {
			defaults: "cpu: 2048\nmemory: 8192", agent: "",
			check: func(t *testing.T, a Agent) {
				if a.CPU != 2048 || a.Memory != 8192 {
					t.Errorf("cpu/memory = %d/%d", a.CPU, a.Memory)
				}
			},
		},
		"agent overrides defaults": {
			defaults: "cpu: 2048\nmemory: 8192", agent: "cpu: 512\nmemory: 1024",
			check: func(t *testing.T, a Agent) {
				if a.CPU != 512 || a.Memory != 1024 {
					t.Errorf("cpu/memory = %d/%d", a.CPU, a.Memory)
				}
			},
		},
		"explicit zero beats built-in default": {
			agent: "service:\n  desiredCount: 0\n  circuitBreaker: {enable: false, rollback: false}",
			check: func(t *testing.T, a Agent) {
				if a.Service.DesiredCount != 0 || a.Service.CircuitBreaker.Enable || a.Service.CircuitBreaker.Rollback {
					t.Errorf("service = %+v", a.Service)
				}
			},
		},
		"explicit zero beats spec default": {
			defaults: "service: {desiredCount: 3, maximumPercent: 200}", agent: "service: {desiredCount: 0}",
			check: func(t *testing.T, a Agent) {
				if a.Service.DesiredCount != 0 || a.Service.MaximumPercent != 200 {
					t.Errorf("service = %+v", a.Service)
				}
			},
		},
		"maps merge key by key": {
			defaults: "environment: {A: da, B: db}", agent: "environment: {B: ab, C: ac}",
			check: func(t *testing.T, a Agent) {
				if diff := cmp.Diff(map[string]string{"A": "da", "B": "ab", "C": "ac"}, a.Environment); diff != "" {
					t.Errorf("environment (-want +got):\n%s", diff)
				}
			},
		},
		"secret entries replace whole": {
			defaults: "secrets: {X: {secret: s, key: k}}", agent: "secrets: {X: {secret: s}}",
			check: func(t *testing.T, a Agent) {
				if a.Secrets["X"] != (SecretRef{Secret: "s"}) {
					t.Errorf("secrets = %+v", a.Secrets)
				}
			},
		},
		"lists replace": {
			defaults: "network: {subnets: [subnet-1, subnet-2], securityGroups: [sg-1]}", agent: "network: {subnets: [subnet-3]}",
			check: func(t *testing.T, a Agent) {
				if diff := cmp.Diff(Network{Subnets: []string{"subnet-3"}, SecurityGroups: []string{"sg-1"}}, a.Network); diff != "" {
					t.Errorf("network (-want +got):\n%s", diff)
				}
			},
		},
		"log group follows name unless set": {
			defaults: "logs: {retentionDays: 7}", agent: "",
			check: func(t *testing.T, a Agent) {
				if a.Logs != (Logs{Group: "/ecs/a", RetentionDays: 7, StreamPrefix: "ecs"}) {
					t.Errorf("logs = %+v", a.Logs)
				}
			},
		},
		"null keeps default": {
			agent: "cpu:\nlogs:",
			check: func(t *testing.T, a Agent) {
				if a.CPU != 1024 || a.Logs.RetentionDays != 30 {
					t.Errorf("cpu %d, logs %+v", a.CPU, a.Logs)
				}
			},
		},
		"duration": {
			defaults: "waitTimeout: 1h30m", agent: "",
			check: func(t *testing.T, a Agent) {
				if a.WaitTimeout.Duration != 90*time.Minute {
					t.Errorf("waitTimeout = %v", a.WaitTimeout)
				}
			},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			net := "  network: {subnets: [subnet-1]}\n"
			if strings.Contains(tt.defaults, "network") {
				net = ""
			}
			y := minimal + "secrets: {s: name}\ndefaults:\n" + net + indent(tt.defaults, "  ") +
				"agents:\n  - name: a\n    image: i\n" + indent(tt.agent, "    ")
			s := mustParse(t, y)
			tt.check(t, s.Agents[0])
		})
	}
}

func TestAgentsGetTheirOwnCopies(t *testing.T) {
	s := mustParse(t, minimal+`
defaults:
  environment: {A: a}
  secrets: {S: {secret: x}}
  network: {subnets: [subnet-1]}
secrets: {x: name}
agents:
  - {name: one, image: i}
  - {name: two, image: i}
`)
	s.Agents[0].Environment["A"] = "changed"
	s.Agents[0].Secrets["S"] = SecretRef{Secret: "changed"}
	s.Agents[0].Network.Subnets[0] = "changed"
	two := s.Agents[1]
	if two.Environment["A"] != "a" || two.Secrets["S"].Secret != "x" || two.Network.Subnets[0] != "subnet-1" {
		t.Errorf("agents share maps or slices: second agent is %+v", two)
	}
	if s.Defaults.Environment["A"] != "a" {
		t.Errorf("defaults share maps with agents")
	}
}

func TestExplicitEmptyManagedPolicies(t *testing.T) {
	s := mustParse(t, `
cluster: {name: c}
taskRole: {name: t}
executionRole: {name: e, managedPolicies: []}
agents: [{name: a, image: i, network: {subnets: [subnet-1]}}]
`)
	if s.ExecutionRole.ManagedPolicies == nil || len(s.ExecutionRole.ManagedPolicies) != 0 {
		t.Errorf("managedPolicies = %#v, want an empty list", s.ExecutionRole.ManagedPolicies)
	}
}

func TestPathsAndDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "p.json"), []byte(`{"Statement": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "deploy.yaml")
	y := minimal + "agents: [{name: a, image: i, network: {subnets: [subnet-1]}}]\n"
	y = strings.Replace(y, "taskRole: {name: t}", "taskRole: {name: t, inlinePolicies: [{name: p, file: p.json}]}", 1)
	if err := os.WriteFile(path, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Path != path || s.Dir != dir {
		t.Errorf("Path, Dir = %q, %q; want %q, %q", s.Path, s.Dir, path, dir)
	}
	if got := s.TaskRole.InlinePolicies[0]; got.Document != `{"Statement": []}` || got.Line != 3 {
		t.Errorf("inline policy = %+v", got)
	}
}

func indent(s, prefix string) string {
	if s == "" {
		return ""
	}
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix) + "\n"
}

// The YAML core schema's tags, and the non-specific "!", are read as the
// plain values they tag (unlike other tags, see testdata/invalid/72-*).
func TestCoreTagsReadAsPlainValues(t *testing.T) {
	s := mustParse(t, minimal+`
tags:
  build: !!str 0042
  batch: ! 0042
agents:
  - name: a
    image: i
    cpu: !!int 2048
    memory: !!int 8192
    network: {subnets: !!seq [subnet-1], assignPublicIp: !!bool true}
    service: !!map {desiredCount: 2}
    waitTimeout: !!str 20m
    container: !!null
`)
	if want := map[string]string{"build": "0042", "batch": "0042"}; !cmp.Equal(s.Tags, want) {
		t.Errorf("tags = %v, want %v", s.Tags, want)
	}
	a := s.Agents[0]
	if a.CPU != 2048 || a.Memory != 8192 || !a.Network.AssignPublicIP || a.Service.DesiredCount != 2 || a.WaitTimeout.Duration != 20*time.Minute || a.Container != "a" {
		t.Errorf("agent = %+v", a)
	}
}

// A missing base file's hint says where relative paths start: the spec's
// directory, named unless it is the working directory.
func TestMissingFileHintNamesTheSpecsDirectory(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.Mkdir("team", 0o755); err != nil {
		t.Fatal(err)
	}
	spec := []byte(minimal + "agents:\n  - name: a\n    image: busybox\n    baseTaskDefinition: base.json\n    network: {subnets: [subnet-1]}\n")
	for _, file := range []string{"deploy.yaml", filepath.Join("team", "deploy.yaml")} {
		if err := os.WriteFile(file, spec, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for file, want := range map[string]string{
		"deploy.yaml":                        "deploy.yaml:8:25: agents[0].baseTaskDefinition: base task definition base.json does not exist; check the path (relative paths start at the spec's directory)",
		filepath.Join("team", "deploy.yaml"): "team/deploy.yaml:8:25: agents[0].baseTaskDefinition: base task definition team/base.json does not exist; check the path (relative paths start at the spec's directory, team)",
	} {
		if _, err := Load(file, nil); err == nil || err.Error() != want {
			t.Errorf("Load(%s):\n%v\nwant\n%s", file, err, want)
		}
	}
}

// A YAML error launch has no hint for still reaches the user: in yaml.v3's
// words without its "yaml: " prefix, at the spec (no line is known).
func TestYAMLErrorWithoutAHint(t *testing.T) {
	for _, msg := range []string{"yaml: input error: the disk went away", "short"} {
		l := &loader{file: "t.yaml"}
		l.yamlProblem(errors.New(msg))
		want := Errors{{File: "t.yaml", Message: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ") + "; check the indentation and quoting"}}
		if diff := cmp.Diff(want, l.problems); diff != "" {
			t.Errorf("yamlProblem(%q) (-want +got):\n%s", msg, diff)
		}
	}
}

// U+0080, the first C1 control, is named with the likely cause (text of
// Windows-1252 read as Latin-1), as the rest of the C1 range is.
func TestFirstC1ControlIsNamed(t *testing.T) {
	_, err := Parse("t.yaml", []byte("cluster:\n  name: a\u0080b\n"), t.TempDir(), nil)
	if err == nil || err.Error() != "t.yaml:2:10: invalid YAML: the control character U+0080 is not allowed (YAML allows only tab and line breaks); remove it — curly quotes and dashes of Windows-1252 text read as Latin-1 turn into such codes: retype the character" {
		t.Errorf("Parse = %v", err)
	}
}

// The controls YAML refuses are found where they are: DEL and the last C1
// control; a non-breaking space (pasted from a web page) and NEL before
// them are text, not the culprit.
func TestControlCharactersAtTheirEdges(t *testing.T) {
	for in, want := range map[string]string{
		"cluster:\n  name: a\u007fb\n":                   "t.yaml:2:10: invalid YAML: the control character U+007F",
		"cluster:\n  name: a\u00a0b\u009f\n":             "t.yaml:2:12: invalid YAML: the control character U+009F",
		"cluster:\n  name: \u0085a\ntags: {x: \u0001}\n": "t.yaml:3:11: invalid YAML: the control character U+0001",
	} {
		_, err := Parse("t.yaml", []byte(in), t.TempDir(), nil)
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want %s…", in, err, want)
		}
	}
}
