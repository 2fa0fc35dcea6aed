package rollout

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/launchdeploy/launch/loggroup"
	"github.com/launchdeploy/launch/spec"
	"github.com/launchdeploy/launch/taskdef"
)

// From deploy.yaml to the task definition: a spec value wins, else the base's
// (real AWS examples under taskdef/testdata/base), else launch's default.
func TestRenderPrecedenceFromTheSpec(t *testing.T) {
	base := func(f string) string {
		p, err := filepath.Abs(filepath.Join("..", "taskdef", "testdata", "base", f))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	type want struct {
		cpu, memory, os, arch, driver, group string
	}
	tests := map[string]struct {
		agent, defaults string
		want            want
		// retentionSet: the spec's logs (group or retentionDays) make
		// launch set an existing group's retention to its own.
		retentionSet bool
	}{
		"ARM64 256/512, image only": {
			agent: "baseTaskDefinition: " + base("arm64-testapp.json"),
			want:  want{"256", "512", "LINUX", "ARM64", "awslogs", "/ecs/agent"},
		},
		"Windows 2019 Core, image only": {
			agent: "baseTaskDefinition: " + base("windows-iis-2019-core.json"),
			want:  want{"2048", "4096", "WINDOWS_SERVER_2019_CORE", "X86_64", "awslogs", "/ecs/agent"},
		},
		"256/512 with its awslogs group, cpu only": {
			agent: "baseTaskDefinition: " + base("fargate-webserver-256.json") + "\n    cpu: 512",
			want:  want{"512", "512", "LINUX", "X86_64", "awslogs", "/ecs/fargate-task-definition"},
		},
		"FireLens app, image only": {
			agent: "baseTaskDefinition: " + base("firelens-cloudwatch.json") + "\n    container: app",
			want:  want{"1024", "4096", "LINUX", "X86_64", "awsfirelens", ""},
		},
		"FireLens app, the spec sets everything": {
			agent:        "baseTaskDefinition: " + base("firelens-cloudwatch.json") + "\n    container: app\n    cpu: 2048\n    memory: 8192\n    platform: {architecture: ARM64}\n    logs: {group: /launch/agent}",
			want:         want{"2048", "8192", "LINUX", "ARM64", "awslogs", "/launch/agent"},
			retentionSet: true,
		},
		"awslogs base, the spec sets retention": {
			agent:        "baseTaskDefinition: " + base("fargate-webserver-256.json") + "\n    logs: {retentionDays: 7}",
			want:         want{"256", "512", "LINUX", "X86_64", "awslogs", "/ecs/fargate-task-definition"},
			retentionSet: true,
		},
		"under defaults: counts as written": {
			agent:    "baseTaskDefinition: " + base("windows-iis-2019-core.json"),
			defaults: "  cpu: 4096\n",
			want:     want{"4096", "4096", "WINDOWS_SERVER_2019_CORE", "X86_64", "awslogs", "/ecs/agent"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			doc := fmt.Sprintf("cluster: {name: c}\ntaskRole: {name: t}\nexecutionRole: {name: e}\ndefaults:\n  network: {subnets: [subnet-1]}\n%sagents:\n  - name: agent\n    image: i:1\n    %s\n", tc.defaults, tc.agent)
			sp, err := spec.Parse("deploy.yaml", []byte(doc), t.TempDir(), nil)
			if err != nil {
				t.Fatal(err)
			}
			rendered, err := Render(sp, "eu-west-1")
			if err != nil {
				t.Fatal(err)
			}
			td := rendered[0].Input
			a := sp.Agents[0]
			c := td.ContainerDefinitions[0]
			for _, cd := range td.ContainerDefinitions {
				if aws.ToString(cd.Name) == a.Container {
					c = cd
				}
			}
			got := want{aws.ToString(td.Cpu), aws.ToString(td.Memory), string(td.RuntimePlatform.OperatingSystemFamily),
				string(td.RuntimePlatform.CpuArchitecture), string(c.LogConfiguration.LogDriver), taskdef.LogGroup(td, a.Container)}
			if got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
			// The group launch reads, creates, grants and deletes is the
			// final task definition's.
			if a.Logs.Group != tc.want.group {
				t.Errorf("spec's Logs.Group = %q, the task definition logs to %q", a.Logs.Group, tc.want.group)
			}
			lg := logGroupPlan(sp, Instance{}, a, td, loggroup.State{Exists: true, RetentionDays: a.Logs.RetentionDays})
			if lg.Name != tc.want.group || lg.Changed() {
				t.Errorf("log group plan %+v; want %q, unchanged", lg, tc.want.group)
			}
			// A base's existing group keeps its retention; launch's default
			// of 30 days is for the groups it creates.
			lg = logGroupPlan(sp, Instance{}, a, td, loggroup.State{Exists: true, RetentionDays: 90})
			if lg.Changed() != tc.retentionSet {
				t.Errorf("existing group with 90 days: plan %+v; want a retention change: %v", lg, tc.retentionSet)
			}
		})
	}
}
