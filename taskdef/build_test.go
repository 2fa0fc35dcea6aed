package taskdef_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/google/go-cmp/cmp"

	"github.com/launchdeploy/launch/taskdef"
)

const (
	credsARN  = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:agent-creds-AbCdEf"
	legacyARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:legacy-token-XyZ123"
)

func agentInput(base *ecs.RegisterTaskDefinitionInput) taskdef.Input {
	return taskdef.Input{
		Family:       "streaming-agent",
		Image:        "public.ecr.aws/matillion/streaming-agent:2.0.0",
		CPU:          2048,
		Memory:       8192,
		OS:           "LINUX",
		Architecture: "ARM64",
		Environment: map[string]string{
			"MATILLION_REGION": "us1",
			"ACCOUNT_ID":       "acc-1",
			"AGENT_ID":         "agent-1",
		},
		Secrets: map[string]string{
			"OAUTH_CLIENT_ID":     credsARN + ":client_id::",
			"OAUTH_CLIENT_SECRET": credsARN + ":client_secret::",
			"LEGACY_TOKEN":        legacyARN,
		},
		TaskRoleARN:      "arn:aws:iam::123456789012:role/new-task",
		ExecutionRoleARN: "arn:aws:iam::123456789012:role/new-exec",
		Logs:             taskdef.Logs{Group: "/launch/streaming-agent", Region: "eu-west-1", StreamPrefix: "agent"},
		Tags:             map[string]string{"team": "streaming", "managed-by": "launch"},
		Base:             base,
	}
}

func TestBuildFromScratch(t *testing.T) {
	got, err := taskdef.Merge(agentInput(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := &ecs.RegisterTaskDefinitionInput{
		Family:                  aws.String("streaming-agent"),
		Cpu:                     aws.String("2048"),
		Memory:                  aws.String("8192"),
		RuntimePlatform:         &types.RuntimePlatform{OperatingSystemFamily: types.OSFamilyLinux, CpuArchitecture: types.CPUArchitectureArm64},
		RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate},
		NetworkMode:             types.NetworkModeAwsvpc,
		TaskRoleArn:             aws.String("arn:aws:iam::123456789012:role/new-task"),
		ExecutionRoleArn:        aws.String("arn:aws:iam::123456789012:role/new-exec"),
		Tags: []types.Tag{
			{Key: aws.String("managed-by"), Value: aws.String("launch")},
			{Key: aws.String("team"), Value: aws.String("streaming")},
		},
		ContainerDefinitions: []types.ContainerDefinition{{
			Name:      aws.String("streaming-agent"),
			Essential: aws.Bool(true),
			Image:     aws.String("public.ecr.aws/matillion/streaming-agent:2.0.0"),
			Environment: []types.KeyValuePair{
				{Name: aws.String("ACCOUNT_ID"), Value: aws.String("acc-1")},
				{Name: aws.String("AGENT_ID"), Value: aws.String("agent-1")},
				{Name: aws.String("MATILLION_REGION"), Value: aws.String("us1")},
			},
			Secrets: []types.Secret{
				{Name: aws.String("LEGACY_TOKEN"), ValueFrom: aws.String(legacyARN)},
				{Name: aws.String("OAUTH_CLIENT_ID"), ValueFrom: aws.String(credsARN + ":client_id::")},
				{Name: aws.String("OAUTH_CLIENT_SECRET"), ValueFrom: aws.String(credsARN + ":client_secret::")},
			},
			LogConfiguration: &types.LogConfiguration{
				LogDriver: types.LogDriverAwslogs,
				Options: map[string]string{
					"awslogs-group": "/launch/streaming-agent", "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "agent",
				},
			},
		}},
	}
	if d := cmp.Diff(want, got, allExported); d != "" {
		t.Errorf("Build (-want +got):\n%s", d)
	}

	in := agentInput(nil)
	in.ContainerName = "agent"
	got, err = taskdef.Merge(in)
	if err != nil {
		t.Fatal(err)
	}
	if n := aws.ToString(got.ContainerDefinitions[0].Name); n != "agent" {
		t.Errorf("container name = %q, want the ContainerName %q", n, "agent")
	}
}

// The base's log router is essential: false, and Build keeps it so: left
// out, ECS would make it essential, and its exit would stop the agent's task.
func TestBuildKeepsASidecarNotEssential(t *testing.T) {
	got, err := taskdef.Build(agentInput(decodeFixture(t)))
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(got.ContainerDefinitions, func(c types.ContainerDefinition) bool { return aws.ToString(c.Name) == "log-router" })
	if i < 0 {
		t.Fatal("the base's log-router is gone")
	}
	if e := got.ContainerDefinitions[i].Essential; e == nil || *e {
		t.Errorf("log-router essential = %v, want false as in the base", aws.ToBool(e))
	}
}

// A size the spec writes wins over the base's even when Fargate has no such
// size (the spec checks memory beside a base only against cpu it also
// writes): the task's size check then names it, rather than launch quietly
// deploying the base's.
func TestBuildKeepsASpecSizeFargateRefuses(t *testing.T) {
	in := agentInput(decodeFixture(t))
	in.CPU, in.Memory = 0, 1
	got, err := taskdef.Build(in)
	if err != nil {
		t.Fatal(err)
	}
	if c, m := aws.ToString(got.Cpu), aws.ToString(got.Memory); c != "1024" || m != "1" {
		t.Errorf("cpu %q, memory %q; want the base's 1024 and the spec's 1", c, m)
	}
}

func TestBuildFromBase(t *testing.T) {
	base := decodeFixture(t)
	before := mustJSON(t, base)

	got, err := taskdef.Merge(agentInput(base))
	if err != nil {
		t.Fatal(err)
	}
	if after := mustJSON(t, base); after != before {
		t.Errorf("Build changed its base:\n%s", cmp.Diff(before, after))
	}

	// Everything the base had, with only launch's fields changed.
	want := fixtureInput()
	want.Cpu = aws.String("2048")
	want.Memory = aws.String("8192")
	want.RuntimePlatform.CpuArchitecture = types.CPUArchitectureArm64
	want.TaskRoleArn = aws.String("arn:aws:iam::123456789012:role/new-task")
	want.ExecutionRoleArn = aws.String("arn:aws:iam::123456789012:role/new-exec")
	want.Tags = []types.Tag{
		{Key: aws.String("team"), Value: aws.String("streaming")}, // replaced in place
		{Key: aws.String("cost-center"), Value: aws.String("1234")},
		{Key: aws.String("managed-by"), Value: aws.String("launch")}, // added
	}
	agent := &want.ContainerDefinitions[0]
	agent.Image = aws.String("public.ecr.aws/matillion/streaming-agent:2.0.0")
	agent.Environment = []types.KeyValuePair{
		{Name: aws.String("LOG_LEVEL"), Value: aws.String("info")},       // base only: kept
		{Name: aws.String("MATILLION_REGION"), Value: aws.String("us1")}, // replaced in place
		{Name: aws.String("ACCOUNT_ID"), Value: aws.String("acc-1")},     // added in name order
		{Name: aws.String("AGENT_ID"), Value: aws.String("agent-1")},
	}
	agent.Secrets = []types.Secret{
		{Name: aws.String("OAUTH_CLIENT_ID"), ValueFrom: aws.String(credsARN + ":client_id::")},
		{Name: aws.String("LEGACY_TOKEN"), ValueFrom: aws.String(legacyARN)},
		{Name: aws.String("OAUTH_CLIENT_SECRET"), ValueFrom: aws.String(credsARN + ":client_secret::")},
	}
	agent.LogConfiguration = &types.LogConfiguration{
		LogDriver: types.LogDriverAwslogs,
		Options: map[string]string{
			"awslogs-group": "/launch/streaming-agent", "awslogs-region": "eu-west-1",
			"awslogs-stream-prefix": "agent", "mode": "non-blocking", // the base's other option kept
		},
		SecretOptions: []types.Secret{},
	}
	if d := cmp.Diff(want, got, allExported); d != "" {
		t.Errorf("Build (-want +got):\n%s", d)
	}
}

// An input that names only the family changes nothing of the base but
// what Fargate needs: the image, the roles, the sizes, the platform, the
// variables and the log configuration stay the base's.
func TestBuildWithOnlyAFamilyKeepsTheBase(t *testing.T) {
	got, err := taskdef.Merge(taskdef.Input{Family: "streaming-agent", Base: decodeFixture(t)})
	if err != nil {
		t.Fatal(err)
	}
	want := fixtureInput()
	want.RequiresCompatibilities = []types.Compatibility{types.CompatibilityFargate}
	if d := cmp.Diff(want, got, allExported); d != "" {
		t.Errorf("Build (-want +got):\n%s", d)
	}
}

func TestBuildMovesVariablesBetweenLists(t *testing.T) {
	base := &ecs.RegisterTaskDefinitionInput{ContainerDefinitions: []types.ContainerDefinition{{
		Name:        aws.String("agent"),
		Environment: []types.KeyValuePair{{Name: aws.String("TOKEN"), Value: aws.String("plain")}, {Name: aws.String("KEEP"), Value: aws.String("1")}},
		Secrets:     []types.Secret{{Name: aws.String("MODE"), ValueFrom: aws.String(legacyARN)}},
	}}}
	got, err := taskdef.Merge(taskdef.Input{
		Family:      "agent",
		Environment: map[string]string{"MODE": "fast"},
		Secrets:     map[string]string{"TOKEN": credsARN + ":token::"},
		Base:        base,
	})
	if err != nil {
		t.Fatal(err)
	}
	c := got.ContainerDefinitions[0]
	wantEnv := []types.KeyValuePair{{Name: aws.String("KEEP"), Value: aws.String("1")}, {Name: aws.String("MODE"), Value: aws.String("fast")}}
	wantSecrets := []types.Secret{{Name: aws.String("TOKEN"), ValueFrom: aws.String(credsARN + ":token::")}}
	if d := cmp.Diff(wantEnv, c.Environment, allExported); d != "" {
		t.Errorf("environment (-want +got):\n%s", d)
	}
	if d := cmp.Diff(wantSecrets, c.Secrets, allExported); d != "" {
		t.Errorf("secrets (-want +got):\n%s", d)
	}
	if n := len(base.ContainerDefinitions[0].Environment); n != 2 {
		t.Errorf("base environment has %d entries after Build, want 2 (unchanged)", n)
	}
}

func TestBuildContainerSelection(t *testing.T) {
	named := func(names ...string) *ecs.RegisterTaskDefinitionInput {
		b := &ecs.RegisterTaskDefinitionInput{}
		for _, n := range names {
			b.ContainerDefinitions = append(b.ContainerDefinitions, types.ContainerDefinition{Name: aws.String(n), Image: aws.String("old")})
		}
		return b
	}
	tests := map[string]struct {
		base      *ecs.RegisterTaskDefinitionInput
		container string
		patched   string // name of the container that gets the new image
		count     int
		err       string
	}{
		"container named like the family": {base: named("sidecar", "agent"), patched: "agent", count: 2},
		"only container":                  {base: named("app"), patched: "app", count: 1},
		"explicit container":              {base: named("a", "b"), container: "b", patched: "b", count: 2},
		"base without containers":         {base: named(), patched: "agent", count: 1},
		"ambiguous": {
			base: named("a", "b"),
			err:  `build task definition agent: base task definition has containers "a", "b"; set container: to the one launch should patch`,
		},
		"explicit container missing": {
			base: named("a", "b"), container: "c",
			err: `build task definition agent: base task definition has no container "c"; it has "a", "b"`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := taskdef.Merge(taskdef.Input{Family: "agent", ContainerName: tc.container, Image: "new", Base: tc.base})
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("error = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got.ContainerDefinitions) != tc.count {
				t.Fatalf("%d containers, want %d", len(got.ContainerDefinitions), tc.count)
			}
			for _, c := range got.ContainerDefinitions {
				wantImage := "old"
				if aws.ToString(c.Name) == tc.patched {
					wantImage = "new"
				}
				if aws.ToString(c.Image) != wantImage {
					t.Errorf("container %s has image %q, want %q", aws.ToString(c.Name), aws.ToString(c.Image), wantImage)
				}
			}
		})
	}
}

func TestBuildErrors(t *testing.T) {
	tests := map[string]struct {
		in   taskdef.Input
		want string
	}{
		"no family": {in: taskdef.Input{}, want: "build task definition: family is empty"},
		"name in environment and secrets": {
			in:   taskdef.Input{Family: "agent", Environment: map[string]string{"X": "1"}, Secrets: map[string]string{"X": credsARN}},
			want: "build task definition agent: X is both an environment variable and a secret",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := taskdef.Build(tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.want) || got != nil {
				t.Fatalf("Build = %v, %v; want no definition and %q", got, err, tc.want)
			}
		})
	}
}

func TestBuildReplacesOtherLogDriver(t *testing.T) {
	base := &ecs.RegisterTaskDefinitionInput{ContainerDefinitions: []types.ContainerDefinition{{
		Name: aws.String("agent"),
		LogConfiguration: &types.LogConfiguration{
			LogDriver: types.LogDriverAwsfirelens,
			Options:   map[string]string{"Name": "cloudwatch"},
		},
	}}}
	got, err := taskdef.Merge(taskdef.Input{Family: "agent", Logs: taskdef.Logs{Group: "g", Region: "r", StreamPrefix: "p"}, Base: base})
	if err != nil {
		t.Fatal(err)
	}
	want := &types.LogConfiguration{
		LogDriver: types.LogDriverAwslogs,
		Options:   map[string]string{"awslogs-group": "g", "awslogs-region": "r", "awslogs-stream-prefix": "p"},
	}
	if d := cmp.Diff(want, got.ContainerDefinitions[0].LogConfiguration, allExported); d != "" {
		t.Errorf("logConfiguration (-want +got):\n%s", d)
	}
}

func TestBuildDropsReservedTagsOfTheBase(t *testing.T) {
	base := &ecs.RegisterTaskDefinitionInput{
		Family:               aws.String("streaming-agent"),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("streaming-agent"), Image: aws.String("x")}},
		Tags: []types.Tag{
			{Key: aws.String("aws:cloudformation:stack-name"), Value: aws.String("agents")},
			{Key: aws.String("owner"), Value: aws.String("platform")},
		},
	}
	got, err := taskdef.Merge(agentInput(base))
	if err != nil {
		t.Fatal(err)
	}
	// The base's own tag first and unchanged, then the spec's in key order;
	// never the aws: one.
	want := []types.Tag{
		{Key: aws.String("owner"), Value: aws.String("platform")},
		{Key: aws.String("managed-by"), Value: aws.String("launch")},
		{Key: aws.String("team"), Value: aws.String("streaming")},
	}
	if d := cmp.Diff(want, got.Tags, allExported); d != "" {
		t.Errorf("tags (-want +got):\n%s", d)
	}
}

// A spec with only environment variables, or only one secret, still sets
// them on the agent's container of a real base that has neither.
func TestBuildVariablesWithoutTheOtherKind(t *testing.T) {
	for name, tc := range map[string]struct {
		env, secrets map[string]string
		wantEnv      []types.KeyValuePair
		wantSecrets  []types.Secret
	}{
		"environment only": {
			env:     map[string]string{"LOG_LEVEL": "debug", "MATILLION_REGION": "eu1"},
			wantEnv: []types.KeyValuePair{{Name: aws.String("LOG_LEVEL"), Value: aws.String("debug")}, {Name: aws.String("MATILLION_REGION"), Value: aws.String("eu1")}},
		},
		"one environment variable only": {
			env:     map[string]string{"MATILLION_REGION": "eu1"},
			wantEnv: []types.KeyValuePair{{Name: aws.String("MATILLION_REGION"), Value: aws.String("eu1")}},
		},
		"one secret only": {
			secrets:     map[string]string{"OAUTH_CLIENT_SECRET": credsARN + ":client_secret::"},
			wantSecrets: []types.Secret{{Name: aws.String("OAUTH_CLIENT_SECRET"), ValueFrom: aws.String(credsARN + ":client_secret::")}},
		},
	} {
		t.Run(name, func(t *testing.T) {
			in := baseInput(realBase(t, "fargate-webserver-256.json"), "")
			in.Environment, in.Secrets = tc.env, tc.secrets
			got, err := taskdef.Build(in)
			if err != nil {
				t.Fatal(err)
			}
			c := got.ContainerDefinitions[0]
			if d := cmp.Diff(tc.wantEnv, c.Environment, allExported); d != "" {
				t.Errorf("environment (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.wantSecrets, c.Secrets, allExported); d != "" {
				t.Errorf("secrets (-want +got):\n%s", d)
			}
		})
	}
}
