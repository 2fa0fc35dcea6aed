package spec

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// realBase is the absolute path of one of the real task definitions under
// taskdef/testdata/base (see SOURCES.md there).
func realBase(t *testing.T, file string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "taskdef", "testdata", "base", file))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func parseAgent(t *testing.T, agentYAML string) (*Agent, error) {
	t.Helper()
	doc := `cluster: {name: c}
taskRole: {name: t}
executionRole: {name: e}
defaults:
  network: {subnets: [subnet-1]}
agents:
  - name: agent
    image: i
` + agentYAML
	s, err := Parse("deploy.yaml", []byte(doc), t.TempDir(), nil)
	if err != nil {
		return nil, err
	}
	return &s.Agents[0], nil
}

func TestExplicitRecordsWhatTheSpecWrites(t *testing.T) {
	doc := `cluster: {name: c}
taskRole: {name: t}
executionRole: {name: e}
defaults:
  network: {subnets: [subnet-1]}
  memory: 8192
  logs: {retentionDays: 7}
agents:
  - name: a
    image: i
    cpu: 2048
    platform: {architecture: ARM64}
    logs: {streamPrefix: ~}
  - name: b
    image: i
    memory: ~
`
	s, err := Parse("deploy.yaml", []byte(doc), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]map[string]bool{
		// defaults: count as written for every agent; a null value does not.
		"a": {"cpu": true, "memory": true, "platform.architecture": true, "platform.os": false, "logs.retentionDays": true, "logs.streamPrefix": false, "logs.group": false},
		"b": {"cpu": false, "memory": true, "platform.architecture": false, "logs.retentionDays": true},
	}
	for i, name := range []string{"a", "b"} {
		for path, want := range tests[name] {
			if got := s.Agents[i].IsSet(path); got != want {
				t.Errorf("agent %s: IsSet(%q) = %v, want %v", name, path, got, want)
			}
		}
	}
	if s.Agents[1].Memory != 8192 {
		t.Errorf("memory: ~ under the agent must leave the defaults' 8192, got %d", s.Agents[1].Memory)
	}
}

// The agent's log group follows the task definition taskdef.Build makes:
// the spec's group, else the base's awslogs group, else /ecs/<name>; none
// when the base's container uses another driver and the spec sets no logs.
func TestLogGroupFollowsTheBase(t *testing.T) {
	tests := map[string]struct {
		agent string
		group string
	}{
		"awslogs base: its group": {
			agent: "    baseTaskDefinition: " + realBase(t, "fargate-webserver-256.json") + "\n",
			group: "/ecs/fargate-task-definition",
		},
		"awslogs base, spec group wins": {
			agent: "    baseTaskDefinition: " + realBase(t, "fargate-webserver-256.json") + "\n    logs: {group: /launch/agent}\n",
			group: "/launch/agent",
		},
		"awslogs base, an empty spec group (${LOG_GROUP:-}): the base's group": {
			agent: "    baseTaskDefinition: " + realBase(t, "fargate-webserver-256.json") + "\n    logs: {group: \"\"}\n",
			group: "/ecs/fargate-task-definition",
		},
		"awslogs base, retention only: still the base's group": {
			agent: "    baseTaskDefinition: " + realBase(t, "fargate-webserver-256.json") + "\n    logs: {retentionDays: 7}\n",
			group: "/ecs/fargate-task-definition",
		},
		"base container without logConfiguration: launch's default": {
			agent: "    baseTaskDefinition: " + realBase(t, "windows-iis-2019-core.json") + "\n",
			group: "/ecs/agent",
		},
		"FireLens container: no group": {
			agent: "    baseTaskDefinition: " + realBase(t, "firelens-cloudwatch.json") + "\n    container: app\n",
			group: "",
		},
		"FireLens container, retention only: still no group": {
			agent: "    baseTaskDefinition: " + realBase(t, "firelens-cloudwatch.json") + "\n    container: app\n    logs: {retentionDays: 7}\n",
			group: "",
		},
		"FireLens container, spec stream prefix switches to awslogs": {
			agent: "    baseTaskDefinition: " + realBase(t, "firelens-cloudwatch.json") + "\n    container: app\n    logs: {streamPrefix: app}\n",
			group: "/ecs/agent",
		},
		"FireLens base, its awslogs sidecar patched": {
			agent: "    baseTaskDefinition: " + realBase(t, "firelens-cloudwatch.json") + "\n    container: log_router\n",
			group: "firelens-container",
		},
		"no base": {group: "/ecs/agent"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			a, err := parseAgent(t, tc.agent)
			if err != nil {
				t.Fatal(err)
			}
			if a.Logs.Group != tc.group {
				t.Errorf("Logs.Group = %q, want %q", a.Logs.Group, tc.group)
			}
		})
	}
}

// With a base, the size the spec leaves out is the base's, not launch's
// default: the spec-level cpu/memory pair check must not complain about a
// value the user did not write. What the spec writes is still checked.
func TestSizeChecksOnlyWhatTheSpecWritesWithABase(t *testing.T) {
	arm := realBase(t, "arm64-testapp.json")
	tests := map[string]struct {
		agent string
		err   string // "" for none
	}{
		"base 256/512, spec cpu 256 only":    {agent: "    baseTaskDefinition: " + arm + "\n    cpu: 256\n"},
		"base 256/512, spec memory 512 only": {agent: "    baseTaskDefinition: " + arm + "\n    memory: 512\n"},
		"base, spec writes a bad pair": {
			agent: "    baseTaskDefinition: " + arm + "\n    cpu: 256\n    memory: 4096\n",
			err:   "agents[0].memory: memory 4096 does not fit cpu 256 on Fargate",
		},
		"base, spec writes a cpu Fargate lacks": {
			agent: "    baseTaskDefinition: " + arm + "\n    cpu: 300\n",
			err:   "agents[0].cpu: cpu 300 is not a Fargate task size",
		},
		"no base: the pair is checked with the default": {
			agent: "    cpu: 256\n",
			err:   "agents[0].memory: memory 4096 does not fit cpu 256 on Fargate",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := parseAgent(t, tc.agent)
			switch {
			case tc.err == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Errorf("error = %v, want one containing %q", err, tc.err)
			}
		})
	}
}

func TestBaseLogConfigurationShapes(t *testing.T) {
	wrapped := []byte("\xef\xbb\xbf" + `{"taskDefinition": {"containerDefinitions": [{"name": "a", "logConfiguration": {"logDriver": "splunk", "options": {"splunk-url": "u"}}}]}, "ResponseMetadata": {}}`)
	got := baseLogConfiguration(wrapped, "a")
	if d := cmp.Diff(&logConfiguration{LogDriver: "splunk", Options: map[string]string{"splunk-url": "u"}}, got); d != "" {
		t.Errorf("describe-task-definition output with a BOM (-want +got):\n%s", d)
	}
	if baseLogConfiguration(wrapped, "other") != nil || baseLogConfiguration([]byte("not json"), "a") != nil {
		t.Error("a missing container or unreadable JSON must give nil")
	}
}
