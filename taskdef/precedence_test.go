package taskdef_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/google/go-cmp/cmp"

	"github.com/launchdeploy/launch/taskdef"
)

// The precedence tests run on real task definitions published by AWS
// (testdata/base/SOURCES.md): explicit spec value > base > launch's default.

// launchDefaults are the values launch uses where neither the spec nor the
// base says anything (spec/defaults.go).
var launchDefaults = taskdef.Defaults{
	CPU: 1024, Memory: 4096, OS: "LINUX", Architecture: "X86_64",
	Logs: taskdef.Logs{Group: "/ecs/agent", Region: "eu-west-1", StreamPrefix: "ecs"},
}

const (
	newImage = "public.ecr.aws/matillion/streaming-agent:2.0.0"
	taskRole = "arn:aws:iam::123456789012:role/agent-task"
	execRole = "arn:aws:iam::123456789012:role/agent-execution"
)

func realBase(t *testing.T, file string) *ecs.RegisterTaskDefinitionInput {
	t.Helper()
	base, err := taskdef.DecodeBase(readFixture(t, "base/"+file))
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return base
}

// baseInput is a spec that sets only the image: everything else is the
// base's or, where the base has nothing, launch's default.
func baseInput(base *ecs.RegisterTaskDefinitionInput, container string) taskdef.Input {
	return taskdef.Input{
		Family: "agent", ContainerName: container, Image: newImage,
		TaskRoleARN: taskRole, ExecutionRoleARN: execRole,
		Tags:     map[string]string{"launch:managed-by": "launch"},
		Defaults: launchDefaults,
		Base:     base,
	}
}

// kept is what Build must return for a spec that sets only the image: the
// base with the fields launch always sets (family, FARGATE, awsvpc, roles,
// tags, the agent's image) and nothing else of launch's, plus fill for the
// values the base lacks.
func kept(t *testing.T, file, container string, fill func(d *ecs.RegisterTaskDefinitionInput, agent *types.ContainerDefinition)) *ecs.RegisterTaskDefinitionInput {
	t.Helper()
	d := realBase(t, file)
	d.Family = aws.String("agent")
	d.RequiresCompatibilities = []types.Compatibility{types.CompatibilityFargate}
	d.NetworkMode = types.NetworkModeAwsvpc
	d.TaskRoleArn, d.ExecutionRoleArn = aws.String(taskRole), aws.String(execRole)
	d.Tags = []types.Tag{{Key: aws.String("launch:managed-by"), Value: aws.String("launch")}}
	agent := containerNamed(t, d, container)
	agent.Image = aws.String(newImage)
	if fill != nil {
		fill(d, agent)
	}
	return d
}

func containerNamed(t *testing.T, d *ecs.RegisterTaskDefinitionInput, name string) *types.ContainerDefinition {
	t.Helper()
	for i := range d.ContainerDefinitions {
		if aws.ToString(d.ContainerDefinitions[i].Name) == name {
			return &d.ContainerDefinitions[i]
		}
	}
	t.Fatalf("no container %q", name)
	return nil
}

func launchAwslogs() *types.LogConfiguration {
	return &types.LogConfiguration{LogDriver: types.LogDriverAwslogs, Options: map[string]string{
		"awslogs-group": "/ecs/agent", "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "ecs"}}
}

func canonical(t *testing.T, d *ecs.RegisterTaskDefinitionInput) string {
	t.Helper()
	return string(taskdef.Canonical(d))
}

type realCase struct {
	file, container string
	// fill adds launch's defaults for what this base lacks.
	fill func(d *ecs.RegisterTaskDefinitionInput, agent *types.ContainerDefinition)
}

var realCases = map[string]realCase{
	"256/512 Linux webserver with its own awslogs group": {
		file: "fargate-webserver-256.json", container: "sample-fargate-app",
		fill: func(d *ecs.RegisterTaskDefinitionInput, _ *types.ContainerDefinition) {
			d.RuntimePlatform.CpuArchitecture = "X86_64" // the base states only the OS
		},
	},
	"Windows Server 2019 Core": {
		file: "windows-iis-2019-core.json", container: "sample_windows_app",
		fill: func(d *ecs.RegisterTaskDefinitionInput, agent *types.ContainerDefinition) {
			d.RuntimePlatform.CpuArchitecture = "X86_64"
			agent.LogConfiguration = launchAwslogs() // the base has none
		},
	},
	"ARM64 256/512": {
		file: "arm64-testapp.json", container: "arm-container",
		fill: func(_ *ecs.RegisterTaskDefinitionInput, agent *types.ContainerDefinition) {
			agent.LogConfiguration = launchAwslogs()
		},
	},
	"FireLens app with a fluent-bit sidecar": {
		file: "firelens-cloudwatch.json", container: "app",
		fill: func(d *ecs.RegisterTaskDefinitionInput, _ *types.ContainerDefinition) {
			// The base has no task size and no runtimePlatform; the app's
			// awsfirelens driver stays.
			d.Cpu, d.Memory = aws.String("1024"), aws.String("4096")
			d.RuntimePlatform = &types.RuntimePlatform{OperatingSystemFamily: "LINUX", CpuArchitecture: "X86_64"}
		},
	},
}

func TestBuildKeepsEveryBaseValueTheSpecDoesNotSet(t *testing.T) {
	for name, tc := range realCases {
		t.Run(name, func(t *testing.T) {
			got, err := taskdef.Build(baseInput(realBase(t, tc.file), tc.container))
			if err != nil {
				t.Fatal(err)
			}
			want := kept(t, tc.file, tc.container, tc.fill)
			if d := cmp.Diff(canonical(t, want), canonical(t, got)); d != "" {
				t.Errorf("a spec that sets only the image changed more than launch's own fields (-want +got):\n%s", d)
			}
		})
	}
}

func TestBuildSpecCPUOnlyKeepsTheRest(t *testing.T) {
	for name, tc := range realCases {
		t.Run(name, func(t *testing.T) {
			in := baseInput(realBase(t, tc.file), tc.container)
			in.CPU = 2048
			got, err := taskdef.Build(in)
			if err != nil {
				t.Fatal(err)
			}
			want := kept(t, tc.file, tc.container, tc.fill)
			want.Cpu = aws.String("2048")
			if d := cmp.Diff(canonical(t, want), canonical(t, got)); d != "" {
				t.Errorf("a spec that sets only cpu changed more than cpu (-want +got):\n%s", d)
			}
		})
	}
}

func TestBuildSpecValuesOverrideExactlyThose(t *testing.T) {
	for name, tc := range realCases {
		t.Run(name, func(t *testing.T) {
			in := baseInput(realBase(t, tc.file), tc.container)
			in.CPU, in.Memory, in.OS, in.Architecture = 4096, 8192, "LINUX", "ARM64"
			in.Logs = taskdef.Logs{Group: "/launch/agent", StreamPrefix: "agent"}
			got, err := taskdef.Build(in)
			if err != nil {
				t.Fatal(err)
			}
			want := kept(t, tc.file, tc.container, tc.fill)
			want.Cpu, want.Memory = aws.String("4096"), aws.String("8192")
			want.RuntimePlatform = &types.RuntimePlatform{OperatingSystemFamily: "LINUX", CpuArchitecture: "ARM64"}
			agent := containerNamed(t, want, tc.container)
			// The spec's group and prefix; the region launch creates its
			// group in (the base's region went with the base's group).
			agent.LogConfiguration = &types.LogConfiguration{LogDriver: types.LogDriverAwslogs, Options: map[string]string{
				"awslogs-group": "/launch/agent", "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "agent"}}
			if d := cmp.Diff(canonical(t, want), canonical(t, got)); d != "" {
				t.Errorf("spec values (-want +got):\n%s", d)
			}
		})
	}
}

// Each runtimePlatform member follows the precedence on its own: a spec that
// sets only the architecture keeps a base's Windows OS family, and one that
// sets only the OS keeps a base's ARM64.
func TestBuildPlatformMembersIndependently(t *testing.T) {
	in := baseInput(realBase(t, "arm64-testapp.json"), "arm-container")
	in.OS = "LINUX"
	got, err := taskdef.Build(in)
	if err != nil {
		t.Fatal(err)
	}
	if a := got.RuntimePlatform.CpuArchitecture; a != types.CPUArchitectureArm64 {
		t.Errorf("spec sets platform.os only: architecture %q, want the base's ARM64", a)
	}
	in = baseInput(realBase(t, "windows-iis-2019-core.json"), "sample_windows_app")
	in.Architecture = "X86_64"
	got, err = taskdef.Build(in)
	if err != nil {
		t.Fatal(err)
	}
	if os := got.RuntimePlatform.OperatingSystemFamily; os != types.OSFamilyWindowsServer2019Core {
		t.Errorf("spec sets platform.architecture only: OS %q, want the base's WINDOWS_SERVER_2019_CORE", os)
	}
}

func TestBuildLogConfigurationPrecedence(t *testing.T) {
	firelens := &types.LogConfiguration{LogDriver: types.LogDriverAwsfirelens, Options: map[string]string{"Name": "cloudwatch"}}
	splunk := &types.LogConfiguration{LogDriver: types.LogDriverSplunk, Options: map[string]string{"splunk-url": "https://splunk:8080"},
		SecretOptions: []types.Secret{{Name: aws.String("splunk-token"), ValueFrom: aws.String(credsARN)}}}
	baseAwslogs := &types.LogConfiguration{LogDriver: types.LogDriverAwslogs, Options: map[string]string{
		"awslogs-group": "/team/app", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "app", "mode": "non-blocking"}}
	tests := map[string]struct {
		base *types.LogConfiguration
		spec taskdef.Logs
		want *types.LogConfiguration
	}{
		"FireLens kept":                           {base: firelens, want: firelens},
		"splunk with secretOptions kept":          {base: splunk, want: splunk},
		"base awslogs group kept with its region": {base: baseAwslogs, want: baseAwslogs},
		"no logConfiguration: launch's awslogs":   {want: launchAwslogs()},
		"base awslogs without group: launch's fills in": {
			base: &types.LogConfiguration{LogDriver: types.LogDriverAwslogs, Options: map[string]string{"awslogs-stream-prefix": "web"}},
			want: &types.LogConfiguration{LogDriver: types.LogDriverAwslogs, Options: map[string]string{
				"awslogs-group": "/ecs/agent", "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "web"}},
		},
		// The group is launch's, so it is in launch's region: the base's
		// region names where no such group is.
		"base awslogs region without group: launch's group and region": {
			base: &types.LogConfiguration{LogDriver: types.LogDriverAwslogs, Options: map[string]string{"awslogs-region": "us-east-1", "awslogs-stream-prefix": "web"}},
			want: &types.LogConfiguration{LogDriver: types.LogDriverAwslogs, Options: map[string]string{
				"awslogs-group": "/ecs/agent", "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "web"}},
		},
		// ECS requires awslogs-region; a base that leaves it out runs in the
		// deployment's region, as launch's own group does.
		"base awslogs group without region: kept, in launch's region": {
			base: &types.LogConfiguration{LogDriver: types.LogDriverAwslogs, Options: map[string]string{"awslogs-group": "/team/app", "awslogs-stream-prefix": "app"}},
			want: &types.LogConfiguration{LogDriver: types.LogDriverAwslogs, Options: map[string]string{
				"awslogs-group": "/team/app", "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "app"}},
		},
		"spec group replaces FireLens": {
			base: firelens, spec: taskdef.Logs{Group: "/launch/agent"},
			want: &types.LogConfiguration{LogDriver: types.LogDriverAwslogs, Options: map[string]string{
				"awslogs-group": "/launch/agent", "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "ecs"}},
		},
		"spec prefix only keeps the base's group and region": {
			base: baseAwslogs, spec: taskdef.Logs{StreamPrefix: "agent"},
			want: &types.LogConfiguration{LogDriver: types.LogDriverAwslogs, Options: map[string]string{
				"awslogs-group": "/team/app", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "agent", "mode": "non-blocking"}},
		},
		"spec group takes launch's region, keeps other options": {
			base: baseAwslogs, spec: taskdef.Logs{Group: "/launch/agent"},
			want: &types.LogConfiguration{LogDriver: types.LogDriverAwslogs, Options: map[string]string{
				"awslogs-group": "/launch/agent", "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "app", "mode": "non-blocking"}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			base := &ecs.RegisterTaskDefinitionInput{ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("agent"), Image: aws.String("x"), LogConfiguration: tc.base}}}
			in := baseInput(base, "agent")
			in.Logs = tc.spec
			got, err := taskdef.Build(in)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got.ContainerDefinitions[0].LogConfiguration, allExported); d != "" {
				t.Errorf("logConfiguration (-want +got):\n%s", d)
			}
			if g, w := taskdef.LogGroup(got, "agent"), tc.want.Options["awslogs-group"]; tc.want.LogDriver == types.LogDriverAwslogs && g != w || tc.want.LogDriver != types.LogDriverAwslogs && g != "" {
				t.Errorf("LogGroup = %q; want the final definition's awslogs group (\"\" for another driver)", g)
			}
		})
	}
}

// Build's result is in canonical form: render prints it with JSON, plan's
// diff shows Canonical, and RegisterTaskDefinition sends it, so all three must
// be the same bytes.
func TestBuildResultIsCanonical(t *testing.T) {
	for name, tc := range realCases {
		t.Run(name, func(t *testing.T) {
			got, err := taskdef.Build(baseInput(realBase(t, tc.file), tc.container))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(canonical(t, got), mustJSON(t, got)); d != "" {
				t.Errorf("JSON(Build) differs from Canonical(Build):\n%s", d)
			}
		})
	}
}

// Without defaults (the zero Defaults), Build adds only what the spec and
// the base say: no awslogs option and no platform of its own. The platform
// left out is what ECS assumes, LINUX on X86_64.
func TestBuildWithoutDefaultsInventsNothing(t *testing.T) {
	base := &ecs.RegisterTaskDefinitionInput{ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("agent"), Image: aws.String("x"),
		LogConfiguration: &types.LogConfiguration{LogDriver: types.LogDriverAwslogs, Options: map[string]string{"awslogs-group": "/team/app"}}}}}
	got, err := taskdef.Build(taskdef.Input{Family: "agent", Image: newImage, Base: base})
	if err != nil {
		t.Fatal(err)
	}
	want := &types.LogConfiguration{LogDriver: types.LogDriverAwslogs, Options: map[string]string{"awslogs-group": "/team/app"}}
	if d := cmp.Diff(want, got.ContainerDefinitions[0].LogConfiguration, allExported); d != "" {
		t.Errorf("logConfiguration (-want +got):\n%s", d)
	}
	wantPlatform := &types.RuntimePlatform{OperatingSystemFamily: types.OSFamilyLinux, CpuArchitecture: types.CPUArchitectureX8664}
	if d := cmp.Diff(wantPlatform, got.RuntimePlatform, allExported); d != "" {
		t.Errorf("runtimePlatform (-want +got):\n%s", d)
	}
}
