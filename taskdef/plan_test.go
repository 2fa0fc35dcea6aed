package taskdef_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/google/go-cmp/cmp"

	"github.com/launchdeploy/launch/taskdef"
)

func desiredFromBase(t testing.TB) *ecs.RegisterTaskDefinitionInput {
	t.Helper()
	d, err := taskdef.Merge(agentInput(decodeFixture(t)))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// current returns desired as ECS would describe it after registering it as
// revision 3.
func current(desired *ecs.RegisterTaskDefinitionInput) *taskdef.Current {
	td, tags := registeredForm(desired, 3)
	return &taskdef.Current{Definition: &td, Tags: tags}
}

func TestPlanForReusesWhatECSReturnsForTheSameDefinition(t *testing.T) {
	scratch, err := taskdef.Merge(agentInput(nil))
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]*ecs.RegisterTaskDefinitionInput{
		"from scratch": scratch,
		"from base":    desiredFromBase(t),
	}
	for name, desired := range tests {
		t.Run(name, func(t *testing.T) {
			cur := current(desired)
			plan := taskdef.PlanFor(desired, cur)
			if plan.Action != taskdef.ActionReuse || plan.Diff != "" {
				t.Fatalf("Action = %s, want reuse; diff:\n%s", plan.Action, plan.Diff)
			}
			if plan.ARN() != tdARN("streaming-agent", 3) {
				t.Errorf("ARN() = %q", plan.ARN())
			}
		})
	}
}

func TestCanonicalEquivalences(t *testing.T) {
	type mod func(*ecs.RegisterTaskDefinitionInput)
	agent := func(d *ecs.RegisterTaskDefinitionInput) *types.ContainerDefinition { return &d.ContainerDefinitions[0] }
	tests := map[string]struct{ a, b mod }{
		"vCPU and GB units": {
			a: func(d *ecs.RegisterTaskDefinitionInput) { d.Cpu, d.Memory = aws.String("2 vCPU"), aws.String("8 GB") },
		},
		"runtimePlatform absent vs LINUX/X86_64": {
			a: func(d *ecs.RegisterTaskDefinitionInput) { d.RuntimePlatform = nil },
			b: func(d *ecs.RegisterTaskDefinitionInput) {
				d.RuntimePlatform = &types.RuntimePlatform{OperatingSystemFamily: "LINUX", CpuArchitecture: "X86_64"}
			},
		},
		"container order": {
			a: func(d *ecs.RegisterTaskDefinitionInput) {
				cs := d.ContainerDefinitions
				cs[0], cs[1] = cs[1], cs[0]
			},
		},
		"volume order": {
			a: func(d *ecs.RegisterTaskDefinitionInput) { d.Volumes[0], d.Volumes[1] = d.Volumes[1], d.Volumes[0] },
		},
		"aws: tags ignored": {
			a: func(d *ecs.RegisterTaskDefinitionInput) {
				d.Tags = append(d.Tags, types.Tag{Key: aws.String("aws:cloudformation:stack-name"), Value: aws.String("x")})
			},
		},
		"optional false booleans": {
			a: func(d *ecs.RegisterTaskDefinitionInput) {
				agent(d).Privileged = aws.Bool(false)
				agent(d).MountPoints[0].ReadOnly = nil
			},
		},
		"versionConsistency default": {
			a: func(d *ecs.RegisterTaskDefinitionInput) {
				agent(d).VersionConsistency = types.VersionConsistencyEnabled
			},
		},
		"healthCheck startPeriod 0": {
			a: func(d *ecs.RegisterTaskDefinitionInput) { agent(d).HealthCheck.StartPeriod = aws.Int32(0) },
			b: func(d *ecs.RegisterTaskDefinitionInput) { agent(d).HealthCheck.StartPeriod = nil },
		},
		"portMapping protocol and hostPort defaults": {
			a: func(d *ecs.RegisterTaskDefinitionInput) {
				agent(d).PortMappings = []types.PortMapping{{ContainerPort: aws.Int32(9090)}}
			},
			b: func(d *ecs.RegisterTaskDefinitionInput) {
				agent(d).PortMappings = []types.PortMapping{{ContainerPort: aws.Int32(9090), HostPort: aws.Int32(9090), Protocol: "tcp"}}
			},
		},
		"bind volume host {} vs absent": {
			a: func(d *ecs.RegisterTaskDefinitionInput) { d.Volumes[0].Host = nil },
		},
		"empty lists vs absent": {
			a: func(d *ecs.RegisterTaskDefinitionInput) {
				d.PlacementConstraints = nil
				d.ContainerDefinitions[1].Environment = nil
				d.ContainerDefinitions[1].MountPoints = nil
				agent(d).LogConfiguration.SecretOptions = nil
			},
		},
		"essential absent vs true": {
			a: func(d *ecs.RegisterTaskDefinitionInput) { agent(d).Essential = nil },
		},
		"the order of keyed lists": {
			a: func(d *ecs.RegisterTaskDefinitionInput) {
				c := agent(d)
				c.SystemControls = []types.SystemControl{{Namespace: aws.String("net.core.somaxconn"), Value: aws.String("1024")}, {Namespace: aws.String("net.ipv4.tcp_keepalive_time"), Value: aws.String("60")}}
				c.Ulimits = []types.Ulimit{{Name: types.UlimitNameCore, SoftLimit: 0, HardLimit: 0}, {Name: types.UlimitNameNofile, SoftLimit: 65536, HardLimit: 65536}}
				c.ResourceRequirements = []types.ResourceRequirement{{Type: types.ResourceTypeGpu, Value: aws.String("1")}, {Type: types.ResourceTypeInferenceAccelerator, Value: aws.String("device_1")}}
				c.DependsOn = []types.ContainerDependency{{ContainerName: aws.String("a"), Condition: types.ContainerConditionStart}, {ContainerName: aws.String("log-router"), Condition: types.ContainerConditionStart}}
				c.LogConfiguration.SecretOptions = []types.Secret{{Name: aws.String("a"), ValueFrom: aws.String("x")}, {Name: aws.String("b"), ValueFrom: aws.String("y")}}
				d.InferenceAccelerators = []types.InferenceAccelerator{{DeviceName: aws.String("device_1"), DeviceType: aws.String("eia2.medium")}, {DeviceName: aws.String("device_2"), DeviceType: aws.String("eia2.medium")}}
			},
			b: func(d *ecs.RegisterTaskDefinitionInput) {
				c := agent(d)
				c.SystemControls = []types.SystemControl{{Namespace: aws.String("net.ipv4.tcp_keepalive_time"), Value: aws.String("60")}, {Namespace: aws.String("net.core.somaxconn"), Value: aws.String("1024")}}
				c.Ulimits = []types.Ulimit{{Name: types.UlimitNameNofile, SoftLimit: 65536, HardLimit: 65536}, {Name: types.UlimitNameCore, SoftLimit: 0, HardLimit: 0}}
				c.ResourceRequirements = []types.ResourceRequirement{{Type: types.ResourceTypeInferenceAccelerator, Value: aws.String("device_1")}, {Type: types.ResourceTypeGpu, Value: aws.String("1")}}
				c.DependsOn = []types.ContainerDependency{{ContainerName: aws.String("log-router"), Condition: types.ContainerConditionStart}, {ContainerName: aws.String("a"), Condition: types.ContainerConditionStart}}
				c.LogConfiguration.SecretOptions = []types.Secret{{Name: aws.String("b"), ValueFrom: aws.String("y")}, {Name: aws.String("a"), ValueFrom: aws.String("x")}}
				d.InferenceAccelerators = []types.InferenceAccelerator{{DeviceName: aws.String("device_2"), DeviceType: aws.String("eia2.medium")}, {DeviceName: aws.String("device_1"), DeviceType: aws.String("eia2.medium")}}
				c.Environment[0], c.Environment[1] = c.Environment[1], c.Environment[0]
				c.Secrets[0], c.Secrets[1] = c.Secrets[1], c.Secrets[0]
				d.Tags[0], d.Tags[1] = d.Tags[1], d.Tags[0]
			},
		},
		"compatibilities duplicated": {
			a: func(d *ecs.RegisterTaskDefinitionInput) {
				d.RequiresCompatibilities = []types.Compatibility{"FARGATE", "FARGATE"}
			},
		},
		// A base that runs on both launch types lists them in either order.
		"compatibilities in another order": {
			a: func(d *ecs.RegisterTaskDefinitionInput) {
				d.RequiresCompatibilities = []types.Compatibility{"EC2", "FARGATE"}
			},
			b: func(d *ecs.RegisterTaskDefinitionInput) {
				d.RequiresCompatibilities = []types.Compatibility{"FARGATE", "EC2"}
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			a, b := desiredFromBase(t), desiredFromBase(t)
			if tc.a != nil {
				tc.a(a)
			}
			if tc.b != nil {
				tc.b(b)
			}
			if d := taskdef.Diff(a, b, "a"); d != "" {
				t.Errorf("Diff is not empty:\n%s", d)
			}
		})
	}
}

func TestPlanForRegistersEachRealChange(t *testing.T) {
	agent := func(d *ecs.RegisterTaskDefinitionInput) *types.ContainerDefinition { return &d.ContainerDefinitions[0] }
	const registryLogin = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:registry-login-AbCdEf"
	tests := map[string]struct {
		change func(*ecs.RegisterTaskDefinitionInput)
		line   string // a line the diff must add
	}{
		"image": {
			change: func(d *ecs.RegisterTaskDefinitionInput) {
				agent(d).Image = aws.String("public.ecr.aws/matillion/streaming-agent:2.0.1")
			},
			line: `+            "image": "public.ecr.aws/matillion/streaming-agent:2.0.1",`,
		},
		"one environment value": {
			change: func(d *ecs.RegisterTaskDefinitionInput) { agent(d).Environment[1].Value = aws.String("eu1") },
			line:   `+                    "value": "eu1"`,
		},
		"one secret": {
			change: func(d *ecs.RegisterTaskDefinitionInput) {
				agent(d).Secrets[1].ValueFrom = aws.String(legacyARN + ":token::")
			},
			line: `+                    "valueFrom": "` + legacyARN + `:token::"`,
		},
		"task cpu": {
			change: func(d *ecs.RegisterTaskDefinitionInput) { d.Cpu = aws.String("4096") },
			line:   `+    "cpu": "4096",`,
		},
		"a tag": {
			change: func(d *ecs.RegisterTaskDefinitionInput) { d.Tags[0].Value = aws.String("ingest") },
			line:   `+            "value": "ingest"`,
		},
		"task role": {
			change: func(d *ecs.RegisterTaskDefinitionInput) {
				d.TaskRoleArn = aws.String("arn:aws:iam::123456789012:role/other")
			},
			line: `+    "taskRoleArn": "arn:aws:iam::123456789012:role/other",`,
		},
		"base-only healthCheck": {
			change: func(d *ecs.RegisterTaskDefinitionInput) { agent(d).HealthCheck.Retries = aws.Int32(5) },
			line:   `+                "retries": 5,`,
		},
		// Security settings of the base: each change is a new revision.
		"a capability added beside drop ALL": {
			change: func(d *ecs.RegisterTaskDefinitionInput) {
				agent(d).LinuxParameters.Capabilities.Add = []string{"SYS_PTRACE"}
			},
			line: `+                        "SYS_PTRACE"`,
		},
		"private registry credentials": {
			change: func(d *ecs.RegisterTaskDefinitionInput) {
				agent(d).RepositoryCredentials = &types.RepositoryCredentials{CredentialsParameter: aws.String(registryLogin)}
			},
			line: `+                "credentialsParameter": "` + registryLogin + `"`,
		},
		"essential false on the sidecar is kept apart from absent": {
			change: func(d *ecs.RegisterTaskDefinitionInput) { d.ContainerDefinitions[1].Essential = nil },
			line:   `+            "essential": true,`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			desired := desiredFromBase(t)
			cur := current(desired)
			tc.change(desired)
			plan := taskdef.PlanFor(desired, cur)
			if plan.Action != taskdef.ActionRegister {
				t.Fatalf("Action = %s, want register", plan.Action)
			}
			if !strings.HasPrefix(plan.Diff, "--- registered streaming-agent:3\n+++ desired\n") {
				t.Errorf("diff header wrong:\n%s", plan.Diff)
			}
			if !containsLine(plan.Diff, tc.line) {
				t.Errorf("diff has no line %q:\n%s", tc.line, plan.Diff)
			}
			if plan.ARN() != "" {
				t.Errorf("ARN() = %q for a register plan, want empty", plan.ARN())
			}
		})
	}
}

func TestPlanForWithoutCurrent(t *testing.T) {
	desired := desiredFromBase(t)
	plan := taskdef.PlanFor(desired, nil)
	if plan.Action != taskdef.ActionRegister || plan.Current != nil {
		t.Fatalf("plan = %+v, want register with no current", plan)
	}
	canon := taskdef.Canonical(desired)
	if !strings.HasPrefix(plan.Diff, "--- (no active revision)\n+++ desired\n") {
		t.Errorf("diff header wrong:\n%.200s", plan.Diff)
	}
	for _, l := range strings.Split(strings.TrimSuffix(string(canon), "\n"), "\n") {
		if !containsLine(plan.Diff, "+"+l) {
			t.Fatalf("diff lacks added line %q", l)
		}
	}
}

func containsLine(text, line string) bool {
	for _, l := range strings.Split(text, "\n") {
		if l == line {
			return true
		}
	}
	return false
}

func TestFromDescribedCopiesEveryRegisterMember(t *testing.T) {
	var td types.TaskDefinition
	fill(reflectValue(&td), 0)
	tags := []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}
	got := taskdef.FromDescribed(&td, tags)
	for _, name := range zeroFields(got) {
		t.Errorf("FromDescribed left %s empty: add it to the conversion", name)
	}
	// The result shares nothing with td.
	got.ContainerDefinitions[0].Environment[0].Value = aws.String("changed")
	if aws.ToString(td.ContainerDefinitions[0].Environment[0].Value) == "changed" {
		t.Error("FromDescribed result shares memory with its argument")
	}
	if taskdef.FromDescribed(nil, nil) != nil {
		t.Error("FromDescribed(nil) is not nil")
	}
}

// In bridge mode a port mapping without hostPort gets a dynamic host port:
// the canonical form (what plan's diff shows of such a registered revision)
// does not pin it to the container port, as it does in awsvpc mode.
func TestCanonicalHostPortsByNetworkMode(t *testing.T) {
	bridge, err := taskdef.DecodeBase(readFixture(t, "realworld/samples-nginx-ec2-bridge.json"))
	if err != nil {
		t.Fatal(err)
	}
	awsvpc := taskdef.CloneInput(bridge)
	awsvpc.NetworkMode = types.NetworkModeAwsvpc
	for mode, want := range map[*ecs.RegisterTaskDefinitionInput]string{
		bridge: `"portMappings": [
                {
                    "containerPort": 80,
                    "protocol": "tcp"
                }
            ]`,
		awsvpc: `"portMappings": [
                {
                    "containerPort": 80,
                    "hostPort": 80,
                    "protocol": "tcp"
                }
            ]`,
	} {
		b := taskdef.Canonical(mode)
		if !strings.Contains(string(b), want) {
			t.Errorf("networkMode %s: canonical form lacks\n%s\nin\n%s", mode.NetworkMode, want, b)
		}
	}
}

// plan --json and the report print the action as these words.
func TestActionsAsPrinted(t *testing.T) {
	desired := desiredFromBase(t)
	if a := taskdef.PlanFor(desired, current(desired)).Action; a != "reuse" {
		t.Errorf("the same definition registered: action prints as %q, want reuse", a)
	}
	if a := taskdef.PlanFor(desired).Action; a != "register" {
		t.Errorf("nothing registered: action prints as %q, want register", a)
	}
}

// Nothing registered, or nothing desired, is never equivalent.
func TestEquivalentWithoutARevision(t *testing.T) {
	desired := desiredFromBase(t)
	for name, tc := range map[string]struct {
		desired *ecs.RegisterTaskDefinitionInput
		current *taskdef.Current
	}{
		"no revision":            {desired, nil},
		"a revision without one": {desired, &taskdef.Current{}},
		"nothing desired":        {nil, current(desired)},
	} {
		if taskdef.Equivalent(tc.desired, tc.current) {
			t.Errorf("%s: Equivalent = true; want false", name)
		}
	}
}

// A health check that leaves its timings out is written with the values
// ECS stores (interval 30, timeout 5, retries 3), so it compares equal to
// the registered revision that shows them.
func TestCanonicalHealthCheckDefaults(t *testing.T) {
	in := &ecs.RegisterTaskDefinitionInput{ContainerDefinitions: []types.ContainerDefinition{{
		Name: aws.String("a"), HealthCheck: &types.HealthCheck{Command: []string{"CMD-SHELL", "curl -f http://localhost/ || exit 1"}},
	}}}
	b := taskdef.Canonical(in)
	want := `"healthCheck": {
                "command": [
                    "CMD-SHELL",
                    "curl -f http://localhost/ || exit 1"
                ],
                "interval": 30,
                "retries": 3,
                "timeout": 5
            }`
	if !strings.Contains(string(b), want) {
		t.Errorf("canonical form lacks\n%s\nin\n%s", want, b)
	}
}

// ECS Exec needs linuxParameters.initProcessEnabled (the AWS guide's exec
// example sets nothing else in linuxParameters). Turning it on in a base is
// a change the plan registers and shows; a revision without it is not
// reused.
func TestPlanForRegistersInitProcessEnabled(t *testing.T) {
	withExec, err := taskdef.DecodeBase(readFixture(t, "realworld/aws-docs-ecs-exec-vcpu-strings.json"))
	if err != nil {
		t.Fatal(err)
	}
	withoutExec := taskdef.CloneInput(withExec)
	withoutExec.ContainerDefinitions[0].LinuxParameters = nil

	plan := taskdef.PlanFor(withExec, current(withoutExec))
	if plan.Action != taskdef.ActionRegister {
		t.Fatalf("Action = %s, want register: the running revision has no init process for ECS Exec", plan.Action)
	}
	for _, line := range []string{`+            "linuxParameters": {`, `+                "initProcessEnabled": true`} {
		if !containsLine(plan.Diff, line) {
			t.Errorf("diff has no line %q:\n%s", line, plan.Diff)
		}
	}
	// Turned off again (false is the default): the revision without it serves.
	withExec.ContainerDefinitions[0].LinuxParameters.InitProcessEnabled = aws.Bool(false)
	if plan := taskdef.PlanFor(withExec, current(withoutExec)); plan.Action != taskdef.ActionReuse {
		t.Errorf("initProcessEnabled false: PlanFor = %s; want reuse", plan.Action)
	}
}

// `launch render` without --agent prints every agent's definition in one
// object keyed by agent name, in name order, each exactly as Canonical
// renders it (units converted, defaults written in); the definitions it is
// given are left as they were.
func TestCanonicalByName(t *testing.T) {
	exec, err := taskdef.DecodeBase(readFixture(t, "realworld/aws-docs-ecs-exec-vcpu-strings.json"))
	if err != nil {
		t.Fatal(err)
	}
	agent := desiredFromBase(t)
	defs := map[string]*ecs.RegisterTaskDefinitionInput{"streaming-agent": agent, "exec-debug": exec}
	got := taskdef.CanonicalByName(defs)
	var want strings.Builder
	want.WriteString("{\n")
	for i, name := range []string{"exec-debug", "streaming-agent"} {
		c := taskdef.Canonical(defs[name])
		if i > 0 {
			want.WriteString(",\n")
		}
		want.WriteString(`    "` + name + `": ` + strings.ReplaceAll(strings.TrimSuffix(string(c), "\n"), "\n", "\n    "))
	}
	want.WriteString("\n}\n")
	if d := cmp.Diff(want.String(), string(got)); d != "" {
		t.Errorf("CanonicalByName (-want +got):\n%s", d)
	}
	if !strings.Contains(string(got), `"cpu": "256",`) {
		t.Errorf("CanonicalByName left \".25 vcpu\" unconverted:\n%s", got)
	}
	if aws.ToString(exec.Cpu) != ".25 vcpu" || exec.ContainerDefinitions[0].VersionConsistency != "" {
		t.Errorf("CanonicalByName changed its argument: cpu %q", aws.ToString(exec.Cpu))
	}
}

// Nothing in, an error or null out, and never a call to ECS.
func TestNothingToPlanOrRegister(t *testing.T) {
	f := &fakeECS{}
	if td, err := taskdef.Register(context.Background(), f, nil); err == nil || err.Error() != "register task definition: no definition" {
		t.Errorf("Register(nil) = %v, %v", td, err)
	}
	if cur, err := taskdef.Latest(context.Background(), f, ""); err == nil || err.Error() != "describe task definition: family is empty" {
		t.Errorf(`Latest("") = %v, %v`, cur, err)
	}
	if len(f.calls) != 0 {
		t.Errorf("calls to ECS: %v", f.calls)
	}
	if b := taskdef.Canonical(nil); string(b) != "null\n" {
		t.Errorf("Canonical(nil) = %q", b)
	}
	if g := taskdef.LogGroup(nil, "agent"); g != "" {
		t.Errorf("LogGroup(nil) = %q", g)
	}
}

// LogGroup reads the named container's awslogs group only: not another
// container's, and nothing for a container logging elsewhere or not at all.
func TestLogGroupOfOneContainer(t *testing.T) {
	awslogs := func(group string) *types.LogConfiguration {
		return &types.LogConfiguration{LogDriver: types.LogDriverAwslogs, Options: map[string]string{"awslogs-group": group}}
	}
	td := &ecs.RegisterTaskDefinitionInput{ContainerDefinitions: []types.ContainerDefinition{
		{Name: aws.String("log_router"), LogConfiguration: awslogs("/ecs/firelens")},
		{Name: aws.String("agent"), LogConfiguration: &types.LogConfiguration{LogDriver: types.LogDriverAwsfirelens, Options: map[string]string{"Name": "cloudwatch"}}},
		{Name: aws.String("quiet")},
		{Name: aws.String("web"), LogConfiguration: awslogs("/ecs/web")},
	}}
	for container, want := range map[string]string{"log_router": "/ecs/firelens", "agent": "", "quiet": "", "web": "/ecs/web", "absent": ""} {
		if got := taskdef.LogGroup(td, container); got != want {
			t.Errorf("LogGroup(%s) = %q, want %q", container, got, want)
		}
	}
}

// ARN is safe on any Plan value: a plan names a revision to run only when
// it reuses a described one, and otherwise returns "" rather than panic.
func TestPlanARNWithoutARevision(t *testing.T) {
	for name, p := range map[string]taskdef.Plan{
		"zero plan":                {},
		"reuse without a revision": {Action: taskdef.ActionReuse},
		"reuse of an undescribed":  {Action: taskdef.ActionReuse, Current: &taskdef.Current{}},
	} {
		if got := p.ARN(); got != "" {
			t.Errorf("%s: ARN() = %q, want empty", name, got)
		}
	}
}

// A nil desired definition is a caller's mistake (Build returns one or an
// error), and an unrenderable member a broken invariant: both panic with a
// message naming it, never a plan or bytes that look fine.
func TestProgrammingErrorsPanic(t *testing.T) {
	for name, tc := range map[string]struct {
		call func()
		want string
	}{
		"PlanFor(nil)":       {func() { taskdef.PlanFor(nil) }, "taskdef.PlanFor: nil desired definition"},
		"a map keyed by int": {func() { taskdef.PlainJSON(map[int]string{1: "a"}) }, "taskdef: a task definition member is not plain data (see TestTaskDefinitionMembersArePlainData): render json: unsupported map key type int"},
	} {
		func() {
			defer func() {
				if got := recover(); got != tc.want {
					t.Errorf("%s: panic %v, want %q", name, got, tc.want)
				}
			}()
			tc.call()
		}()
	}
}
