package taskdef_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/launchdeploy/launch/taskdef"
)

// validFargate is a Fargate task definition that breaks no rule: an
// essential agent and a sidecar that starts first, within 1 vCPU / 2 GiB.
func validFargate() *ecs.RegisterTaskDefinitionInput {
	return &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("agent"), Cpu: aws.String("1024"), Memory: aws.String("2048"),
		NetworkMode: types.NetworkModeAwsvpc, PidMode: types.PidModeTask,
		RuntimePlatform:  &types.RuntimePlatform{OperatingSystemFamily: types.OSFamilyLinux, CpuArchitecture: types.CPUArchitectureArm64},
		EphemeralStorage: &types.EphemeralStorage{SizeInGiB: 21},
		Volumes:          []types.Volume{{Name: aws.String("scratch"), Host: &types.HostVolumeProperties{}}},
		ContainerDefinitions: []types.ContainerDefinition{
			{Name: aws.String("agent"), Image: aws.String("public.ecr.aws/matillion/etl-agent:current"), Cpu: 768, Memory: aws.Int32(1536), MemoryReservation: aws.Int32(1024),
				PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(8080), HostPort: aws.Int32(8080)}, {ContainerPort: aws.Int32(9090)}},
				DependsOn:    []types.ContainerDependency{{ContainerName: aws.String("log_router"), Condition: types.ContainerConditionStart}}},
			{Name: aws.String("log_router"), Image: aws.String("amazon/aws-for-fluent-bit:stable"), Essential: aws.Bool(false), Cpu: 256, MemoryReservation: aws.Int32(512)},
		},
	}
}

func TestCheckAcceptsAValidFargateTask(t *testing.T) {
	if ps := taskdef.Check(validFargate()); len(ps) != 0 {
		t.Errorf("Check found problems in a valid task: %v", ps)
	}
}

func TestCheckRefusesWhatFargateRefuses(t *testing.T) {
	tests := map[string]struct {
		edit func(*ecs.RegisterTaskDefinitionInput)
		want []string // "path: message substring", every problem in order
	}{
		"bridge network mode": {func(in *ecs.RegisterTaskDefinitionInput) { in.NetworkMode = types.NetworkModeBridge },
			[]string{`networkMode: network mode "bridge" is for EC2 tasks`}},
		"ipc and host pid": {func(in *ecs.RegisterTaskDefinitionInput) {
			in.IpcMode, in.PidMode = types.IpcModeHost, types.PidModeHost
		},
			[]string{"ipcMode: Fargate does not support ipcMode", `pidMode: Fargate does not support pidMode "host"`}},
		"placement constraint": {func(in *ecs.RegisterTaskDefinitionInput) {
			in.PlacementConstraints = []types.TaskDefinitionPlacementConstraint{{Type: types.TaskDefinitionPlacementConstraintTypeMemberOf, Expression: aws.String("attribute:ecs.instance-type =~ t2.*")}}
		}, []string{"placementConstraints[0]: Fargate does not support placement constraints"}},
		"ephemeral storage too small": {func(in *ecs.RegisterTaskDefinitionInput) { in.EphemeralStorage.SizeInGiB = 20 },
			[]string{"ephemeralStorage.sizeInGiB: ephemeral storage of 20 GiB is outside what Fargate offers, 21–200 GiB"}},
		"ephemeral storage too large": {func(in *ecs.RegisterTaskDefinitionInput) { in.EphemeralStorage.SizeInGiB = 201 },
			[]string{"ephemeralStorage.sizeInGiB: ephemeral storage of 201 GiB is outside what Fargate offers, 21–200 GiB"}},
		"host sourcePath and docker volume": {func(in *ecs.RegisterTaskDefinitionInput) {
			in.Volumes = append(in.Volumes, types.Volume{Name: aws.String("docker"), Host: &types.HostVolumeProperties{SourcePath: aws.String("/var/run/docker.sock")}},
				types.Volume{Name: aws.String("d"), DockerVolumeConfiguration: &types.DockerVolumeConfiguration{Driver: aws.String("local")}})
		}, []string{"volumes[1].host.sourcePath: Fargate has no host paths", "volumes[2].dockerVolumeConfiguration: Fargate does not support Docker volume drivers"}},
		"links and privileged": {func(in *ecs.RegisterTaskDefinitionInput) {
			in.ContainerDefinitions[0].Links = []string{"log_router"}
			in.ContainerDefinitions[1].Privileged = aws.Bool(true)
		}, []string{
			"containerDefinitions[0].links: Fargate does not support links; remove links: containers in one awsvpc task reach each other on localhost",
			"containerDefinitions[1].privileged: Fargate does not support privileged; remove privileged (or set it to false)",
		}},
		"docker networking options": {func(in *ecs.RegisterTaskDefinitionInput) {
			c := &in.ContainerDefinitions[0]
			c.DisableNetworking = aws.Bool(true)
			c.DnsSearchDomains = []string{"corp.example"}
			c.DnsServers = []string{"10.0.0.2"}
			c.DockerSecurityOptions = []string{"no-new-privileges"}
			c.ExtraHosts = []types.HostEntry{{Hostname: aws.String("db"), IpAddress: aws.String("10.0.0.5")}}
		}, []string{
			"containerDefinitions[0].disableNetworking: Fargate does not support disableNetworking; remove it",
			"containerDefinitions[0].dnsSearchDomains: Fargate does not support dnsSearchDomains; remove it",
			"containerDefinitions[0].dnsServers: Fargate does not support dnsServers; remove it",
			"containerDefinitions[0].dockerSecurityOptions: Fargate does not support dockerSecurityOptions; remove it",
			"containerDefinitions[0].extraHosts: Fargate does not support extraHosts; remove it",
		}},
		// ECS converts "1 vCPU" and "2 GB" on registration (Build does the
		// same); "core" and "GiB" are not units it knows.
		"cpu and memory in units ECS does not know": {func(in *ecs.RegisterTaskDefinitionInput) {
			in.Cpu, in.Memory = aws.String("1 core"), aws.String("2 GiB")
		}, []string{
			`cpu: cpu "1 core" is not a number of CPU units; write one such as "1024" (1 vCPU)`,
			`memory: memory "2 GiB" is not a number of MiB; write one such as "4096"`,
		}},
		"swap settings": {func(in *ecs.RegisterTaskDefinitionInput) {
			in.ContainerDefinitions[0].LinuxParameters = &types.LinuxParameters{MaxSwap: aws.Int32(1024), Swappiness: aws.Int32(60)}
		}, []string{
			"containerDefinitions[0].linuxParameters.maxSwap: Fargate does not support maxSwap; remove it",
			"containerDefinitions[0].linuxParameters.swappiness: Fargate does not support swappiness; remove it",
		}},
		// fargate-tasks-services.html: of linuxParameters, Fargate takes only
		// SYS_PTRACE added, and no devices, sharedMemorySize or tmpfs.
		"linux parameters Fargate refuses": {func(in *ecs.RegisterTaskDefinitionInput) {
			in.ContainerDefinitions[0].LinuxParameters = &types.LinuxParameters{
				Capabilities:     &types.KernelCapabilities{Add: []string{"SYS_PTRACE", "NET_ADMIN", "CAP_SYS_PTRACE"}, Drop: []string{"ALL"}},
				Devices:          []types.Device{{HostPath: aws.String("/dev/net/tun")}},
				SharedMemorySize: aws.Int32(512),
				Tmpfs:            []types.Tmpfs{{ContainerPath: aws.String("/run"), Size: 64}},
			}
		}, []string{
			"containerDefinitions[0].linuxParameters.devices: Fargate does not support devices (no host devices to map); remove devices",
			"containerDefinitions[0].linuxParameters.sharedMemorySize: Fargate does not support sharedMemorySize; remove it",
			"containerDefinitions[0].linuxParameters.tmpfs: Fargate does not support tmpfs mounts; remove tmpfs (a bind mount, host {}, is task-scoped storage)",
			"containerDefinitions[0].linuxParameters.capabilities.add[1]: Fargate lets a container add only the SYS_PTRACE capability, not NET_ADMIN; remove it from capabilities.add",
		}},
		"a GPU": {func(in *ecs.RegisterTaskDefinitionInput) {
			in.ContainerDefinitions[0].ResourceRequirements = []types.ResourceRequirement{{Type: types.ResourceTypeGpu, Value: aws.String("1")}}
		}, []string{"containerDefinitions[0].resourceRequirements[0]: Fargate has no GPUs; remove the GPU resource requirement (GPU tasks run on EC2 container instances)"}},
		"hostPort differs": {func(in *ecs.RegisterTaskDefinitionInput) {
			in.ContainerDefinitions[0].PortMappings[0].HostPort = aws.Int32(80)
		},
			[]string{"containerDefinitions[0].portMappings[0].hostPort: hostPort 80 differs from containerPort 8080"}},
		// Two nameless containers are two missing names, not a duplicate.
		"empty, invalid and duplicate names": {func(in *ecs.RegisterTaskDefinitionInput) {
			in.ContainerDefinitions[1].Name = aws.String("agent")
			in.ContainerDefinitions = append(in.ContainerDefinitions, types.ContainerDefinition{Name: aws.String(""), Image: aws.String("busybox")},
				types.ContainerDefinition{Name: aws.String("a.b"), Image: aws.String("busybox")},
				types.ContainerDefinition{Image: aws.String("busybox")})
		}, []string{
			`containerDefinitions[1].name: container name "agent" is already used by containerDefinitions[0]`,
			`containerDefinitions[0].dependsOn[0].containerName: depends on container "log_router", which is not in this task definition`,
			"containerDefinitions[2].name: the container has no name",
			`containerDefinitions[3].name: "a.b" is not a valid container name`,
			"containerDefinitions[4].name: the container has no name",
		}},
		"container depends on itself": {func(in *ecs.RegisterTaskDefinitionInput) {
			in.ContainerDefinitions[1].DependsOn = []types.ContainerDependency{{ContainerName: aws.String("log_router"), Condition: types.ContainerConditionStart}}
		}, []string{`containerDefinitions[1].dependsOn[0].containerName: container "log_router" depends on itself; remove this dependency`}},
		"no essential container": {func(in *ecs.RegisterTaskDefinitionInput) { in.ContainerDefinitions[0].Essential = aws.Bool(false) },
			[]string{"containerDefinitions: no container is essential"}},
		"bad image": {func(in *ecs.RegisterTaskDefinitionInput) {
			in.ContainerDefinitions[1].Image = aws.String("MyOrg/Agent::latest")
		},
			[]string{`containerDefinitions[1].image: "MyOrg/Agent::latest" is not a valid image reference`}},
		"sidecar memory exceeds the task's": {func(in *ecs.RegisterTaskDefinitionInput) { in.ContainerDefinitions[1].Memory = aws.Int32(4096) },
			[]string{"containerDefinitions[1].memory: the container's memory, 4096 MiB, is more than the task's memory, 2048 MiB"}},
		"memory sum exceeds the task's": {func(in *ecs.RegisterTaskDefinitionInput) {
			in.ContainerDefinitions[1].MemoryReservation = aws.Int32(1024)
		},
			[]string{"memory: the containers' memory (memory, else memoryReservation) add up to 2560 MiB, more than the task's 2048 MiB"}},
		"cpu sum exceeds the task's": {func(in *ecs.RegisterTaskDefinitionInput) { in.ContainerDefinitions[1].Cpu = 512 },
			[]string{"cpu: the containers' cpu add up to 1280 units, more than the task's 1024"}},
		"sums beside another container's problem": {func(in *ecs.RegisterTaskDefinitionInput) {
			in.ContainerDefinitions[0].Links = []string{"log_router"}
			in.ContainerDefinitions[1].Cpu = 512
			in.ContainerDefinitions[1].MemoryReservation = aws.Int32(1024)
		}, []string{
			"containerDefinitions[0].links: Fargate does not support links",
			"cpu: the containers' cpu add up to 1280 units, more than the task's 1024",
			"memory: the containers' memory (memory, else memoryReservation) add up to 2560 MiB, more than the task's 2048 MiB",
		}},
		"reservation above hard limit": {func(in *ecs.RegisterTaskDefinitionInput) {
			in.ContainerDefinitions[0].MemoryReservation = aws.Int32(1600)
		},
			[]string{"containerDefinitions[0].memoryReservation: memoryReservation 1600 MiB is more than the container's hard limit, memory 1536 MiB"}},
		"windows on ARM64 with half a vCPU and pidMode": {func(in *ecs.RegisterTaskDefinitionInput) {
			in.RuntimePlatform.OperatingSystemFamily = types.OSFamilyWindowsServer2022Core
			in.Cpu = aws.String("512")
			in.ContainerDefinitions[0].Cpu, in.ContainerDefinitions[1].Cpu = 256, 0
		}, []string{
			"pidMode: pidMode is not supported for Windows containers",
			"runtimePlatform.cpuArchitecture: ARM64 runs only Linux tasks on Fargate",
			"cpu: Windows tasks on Fargate need at least 1 vCPU, not 512 CPU units",
		}},
		"agent cpu above the task's": {func(in *ecs.RegisterTaskDefinitionInput) { in.ContainerDefinitions[0].Cpu = 2048 },
			[]string{"containerDefinitions[0].cpu: the container's cpu, 2048 units, is more than the task's cpu, 1024; lower it or raise the task's cpu"}},
		"no containers": {func(in *ecs.RegisterTaskDefinitionInput) { in.ContainerDefinitions = nil },
			[]string{"containerDefinitions: the task definition has no containers; add one"}},
		"task cpu and memory missing": {func(in *ecs.RegisterTaskDefinitionInput) { in.Cpu, in.Memory = nil, nil },
			[]string{"cpu: a Fargate task needs a task-level cpu", "memory: a Fargate task needs a task-level memory"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			in := validFargate()
			tc.edit(in)
			ps := taskdef.Check(in)
			if len(ps) != len(tc.want) {
				t.Fatalf("Check found %d problems, want %d:\n%v", len(ps), len(tc.want), ps)
			}
			for i, w := range tc.want {
				if got := ps[i].String(); !strings.HasPrefix(got, w) {
					t.Errorf("problem %d is\n%s\nwant it to start with\n%s", i, got, w)
				}
			}
		})
	}
}

// AWS's own Fargate examples pass as published: a Linux task of a quarter
// vCPU (the 1 vCPU minimum is Windows's alone), on X86_64 and on ARM64, and
// the Windows IIS task.
func TestCheckAcceptsPublishedFargateBases(t *testing.T) {
	for _, name := range []string{"base/fargate-webserver-256.json", "base/arm64-testapp.json", "base/windows-iis-2019-core.json"} {
		in, err := taskdef.DecodeBase(readFixture(t, name))
		if err != nil {
			t.Fatal(err)
		}
		if ps := taskdef.Check(in); len(ps) != 0 {
			t.Errorf("%s: Check found %v", name, ps)
		}
	}
}

// The smallest Windows task Fargate runs, 1 vCPU, breaks no rule.
func TestCheckAcceptsAOneVCPUWindowsTask(t *testing.T) {
	in := validFargate()
	in.Cpu, in.Memory, in.PidMode = aws.String("1024"), aws.String("2048"), ""
	in.RuntimePlatform = &types.RuntimePlatform{OperatingSystemFamily: types.OSFamilyWindowsServer2022Core, CpuArchitecture: types.CPUArchitectureX8664}
	if ps := taskdef.Check(in); len(ps) != 0 {
		t.Errorf("Check refused a 1 vCPU Windows task: %v", ps)
	}
}

// Each limit itself is allowed: 200 GiB of ephemeral storage (21 is in
// validFargate), a memoryReservation equal to the hard limit, a container
// using all of the task's memory and cpu.
func TestCheckAcceptsTheLimitsThemselves(t *testing.T) {
	in := validFargate()
	in.EphemeralStorage.SizeInGiB = 200
	in.ContainerDefinitions = in.ContainerDefinitions[:1]
	in.ContainerDefinitions[0].DependsOn = nil
	in.ContainerDefinitions[0].Cpu, in.ContainerDefinitions[0].Memory, in.ContainerDefinitions[0].MemoryReservation = 1024, aws.Int32(2048), aws.Int32(2048)
	if ps := taskdef.Check(in); len(ps) != 0 {
		t.Errorf("Check refused a task at its limits: %v", ps)
	}
}
