package taskdef

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/launchdeploy/launch/internal/imageref"
)

// The rules below are what ECS refuses at RegisterTaskDefinition (or what
// Fargate refuses at run time) for a Fargate task, from the ECS developer
// guide: "Amazon ECS task definition differences for the Fargate launch type"
// (fargate-tasks-services.html: parameters not valid on Fargate — gpu among
// them —, linuxParameters limits: only SYS_PTRACE added, no devices,
// sharedMemorySize or tmpfs; cpu ≥ 1 vCPU for Windows), "Amazon ECS task definition parameters" (container name,
// image, memory, dependsOn, hostPort, pidMode), and the API reference's
// EphemeralStorage (21–200 GiB). See FIELD-NOTES.md, "ECS task definitions".

var containerNameRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)

// CheckBase returns the problems of a base task definition that Build
// would hide by setting the value itself: a networkMode other than awsvpc
// (Build sets awsvpc, but a base written for bridge or host networking
// relies on it: its ports, links and DNS do not work the same way).
func CheckBase(base *ecs.RegisterTaskDefinitionInput) []Problem {
	if base.NetworkMode != "" && base.NetworkMode != types.NetworkModeAwsvpc {
		return []Problem{{Path: "networkMode", Message: fmt.Sprintf(`network mode %q is for EC2 tasks; Fargate runs only "awsvpc": set networkMode to "awsvpc" (and check ports and links) or remove it`, base.NetworkMode)}}
	}
	return nil
}

// Check returns every rule of ECS and Fargate that in breaks, each with the
// JSON path of the offending value (relative to the task definition) and what
// to change. It reads in only. Task cpu/memory pairs are the caller's to
// check (the spec package owns that table).
func Check(in *ecs.RegisterTaskDefinitionInput) []Problem {
	var ps []Problem
	add := func(path, format string, args ...any) {
		ps = append(ps, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
	}

	ps = append(ps, CheckBase(in)...)
	if in.IpcMode != "" {
		add("ipcMode", "Fargate does not support ipcMode; remove it")
	}
	windows := in.RuntimePlatform != nil && strings.HasPrefix(string(in.RuntimePlatform.OperatingSystemFamily), "WINDOWS")
	switch {
	case in.PidMode == types.PidModeHost:
		add("pidMode", `Fargate does not support pidMode "host"; use "task" (Linux platform 1.4.0 or later) or remove it`)
	case in.PidMode != "" && windows:
		add("pidMode", "pidMode is not supported for Windows containers; remove it")
	}
	for i := range in.PlacementConstraints {
		add(fmt.Sprintf("placementConstraints[%d]", i), "Fargate does not support placement constraints; remove placementConstraints")
	}
	if es := in.EphemeralStorage; es != nil && (es.SizeInGiB < 21 || es.SizeInGiB > 200) {
		add("ephemeralStorage.sizeInGiB", "ephemeral storage of %d GiB is outside what Fargate offers, 21–200 GiB; set sizeInGiB in that range, or remove ephemeralStorage for the default 20 GiB", es.SizeInGiB)
	}
	if windows && in.RuntimePlatform.CpuArchitecture == types.CPUArchitectureArm64 {
		add("runtimePlatform.cpuArchitecture", "ARM64 runs only Linux tasks on Fargate, not %s; use X86_64 or a LINUX task", in.RuntimePlatform.OperatingSystemFamily)
	}
	taskCPU, cpuErr := strconv.Atoi(aws.ToString(in.Cpu))
	taskMem, memErr := strconv.Atoi(aws.ToString(in.Memory))
	switch {
	case in.Cpu == nil:
		add("cpu", "a Fargate task needs a task-level cpu; set cpu")
	case cpuErr != nil:
		add("cpu", "cpu %q is not a number of CPU units; write one such as \"1024\" (1 vCPU)", aws.ToString(in.Cpu))
	case windows && taskCPU < 1024:
		add("cpu", "Windows tasks on Fargate need at least 1 vCPU, not %d CPU units; set cpu to 1024 or more", taskCPU)
	}
	switch {
	case in.Memory == nil:
		add("memory", "a Fargate task needs a task-level memory; set memory")
	case memErr != nil:
		add("memory", "memory %q is not a number of MiB; write one such as \"4096\"", aws.ToString(in.Memory))
	}

	for i, v := range in.Volumes {
		p := fmt.Sprintf("volumes[%d]", i)
		if v.Host != nil && v.Host.SourcePath != nil {
			add(p+".host.sourcePath", "Fargate has no host paths to mount; remove sourcePath (host {} alone is a task-scoped bind mount) or use an EFS volume")
		}
		if v.DockerVolumeConfiguration != nil {
			add(p+".dockerVolumeConfiguration", "Fargate does not support Docker volume drivers; use a bind mount (host {}) or an EFS volume instead")
		}
	}

	names := map[string]int{}
	essential := false
	var sumCPU, sumMem int
	for i, c := range in.ContainerDefinitions {
		name := aws.ToString(c.Name)
		if first, dup := names[name]; dup { // "" is never recorded: nameless containers are no duplicates
			add(fmt.Sprintf("containerDefinitions[%d].name", i), "container name %q is already used by containerDefinitions[%d]; give each container its own name", name, first)
		} else if name != "" {
			names[name] = i
		}
	}
	for i, c := range in.ContainerDefinitions {
		p := fmt.Sprintf("containerDefinitions[%d]", i)
		name := aws.ToString(c.Name)
		switch {
		case name == "":
			add(p+".name", "the container has no name; set name to 1–255 letters, digits, hyphens and underscores")
		case !containerNameRe.MatchString(name):
			add(p+".name", "%q is not a valid container name; use 1–255 letters, digits, hyphens and underscores", name)
		}
		if c.Essential == nil || *c.Essential {
			essential = true
		}
		if msg := imageref.Check(aws.ToString(c.Image)); msg != "" {
			add(p+".image", "%s", msg)
		}
		for _, bad := range []struct {
			set  bool
			name string
		}{
			{len(c.Links) > 0, "links"},
			{c.Privileged != nil && *c.Privileged, "privileged"},
			{c.DisableNetworking != nil && *c.DisableNetworking, "disableNetworking"},
			{len(c.DnsSearchDomains) > 0, "dnsSearchDomains"},
			{len(c.DnsServers) > 0, "dnsServers"},
			{len(c.DockerSecurityOptions) > 0, "dockerSecurityOptions"},
			{len(c.ExtraHosts) > 0, "extraHosts"},
		} {
			if !bad.set {
				continue
			}
			fix := "remove it"
			switch bad.name {
			case "links":
				fix = "remove links: containers in one awsvpc task reach each other on localhost"
			case "privileged":
				fix = "remove privileged (or set it to false)"
			}
			add(p+"."+bad.name, "Fargate does not support %s; %s", bad.name, fix)
		}
		if lp := c.LinuxParameters; lp != nil {
			if lp.MaxSwap != nil {
				add(p+".linuxParameters.maxSwap", "Fargate does not support maxSwap; remove it")
			}
			if lp.Swappiness != nil {
				add(p+".linuxParameters.swappiness", "Fargate does not support swappiness; remove it")
			}
			if len(lp.Devices) > 0 {
				add(p+".linuxParameters.devices", "Fargate does not support devices (no host devices to map); remove devices")
			}
			if aws.ToInt32(lp.SharedMemorySize) != 0 {
				add(p+".linuxParameters.sharedMemorySize", "Fargate does not support sharedMemorySize; remove it")
			}
			if len(lp.Tmpfs) > 0 {
				add(p+".linuxParameters.tmpfs", "Fargate does not support tmpfs mounts; remove tmpfs (a bind mount, host {}, is task-scoped storage)")
			}
			if lp.Capabilities != nil {
				for j, capName := range lp.Capabilities.Add {
					if capName != "SYS_PTRACE" && capName != "CAP_SYS_PTRACE" {
						add(fmt.Sprintf("%s.linuxParameters.capabilities.add[%d]", p, j), "Fargate lets a container add only the SYS_PTRACE capability, not %s; remove it from capabilities.add", capName)
					}
				}
			}
		}
		for j, rr := range c.ResourceRequirements {
			if rr.Type == types.ResourceTypeGpu {
				add(fmt.Sprintf("%s.resourceRequirements[%d]", p, j), "Fargate has no GPUs; remove the GPU resource requirement (GPU tasks run on EC2 container instances)")
			}
		}
		for j, pm := range c.PortMappings {
			if pm.HostPort != nil && *pm.HostPort != 0 && (pm.ContainerPort == nil || *pm.HostPort != *pm.ContainerPort) {
				add(fmt.Sprintf("%s.portMappings[%d].hostPort", p, j), "hostPort %d differs from containerPort %d; in awsvpc mode they are the same port: remove hostPort or set it to %d",
					*pm.HostPort, aws.ToInt32(pm.ContainerPort), aws.ToInt32(pm.ContainerPort))
			}
		}
		for j, d := range c.DependsOn {
			dn := aws.ToString(d.ContainerName)
			if _, ok := names[dn]; !ok {
				add(fmt.Sprintf("%s.dependsOn[%d].containerName", p, j), "depends on container %q, which is not in this task definition; name one of its containers", dn)
			} else if dn == name {
				add(fmt.Sprintf("%s.dependsOn[%d].containerName", p, j), "container %q depends on itself; remove this dependency", dn)
			}
		}

		if c.Memory != nil && c.MemoryReservation != nil && *c.MemoryReservation > *c.Memory {
			add(p+".memoryReservation", "memoryReservation %d MiB is more than the container's hard limit, memory %d MiB; lower memoryReservation or raise memory", *c.MemoryReservation, *c.Memory)
		}
		mem := int(aws.ToInt32(c.Memory))
		memField := "memory"
		if c.Memory == nil {
			mem, memField = int(aws.ToInt32(c.MemoryReservation)), "memoryReservation"
		}
		if memErr == nil && in.Memory != nil && mem > taskMem {
			add(p+"."+memField, "the container's %s, %d MiB, is more than the task's memory, %d MiB; lower it or raise the task's memory", memField, mem, taskMem)
		}
		if cpuErr == nil && in.Cpu != nil && int(c.Cpu) > taskCPU {
			add(p+".cpu", "the container's cpu, %d units, is more than the task's cpu, %d; lower it or raise the task's cpu", c.Cpu, taskCPU)
		}
		sumCPU += int(c.Cpu)
		sumMem += mem
	}
	if len(in.ContainerDefinitions) == 0 {
		add("containerDefinitions", "the task definition has no containers; add one")
	} else if !essential {
		add("containerDefinitions", "no container is essential; set essential: true on the container the task exists for")
	}
	if cpuErr == nil && in.Cpu != nil && sumCPU > taskCPU && !hasPrefixProblem(ps, ".cpu") {
		add("cpu", "the containers' cpu add up to %d units, more than the task's %d; lower them or raise the task's cpu", sumCPU, taskCPU)
	}
	if memErr == nil && in.Memory != nil && sumMem > taskMem && !hasPrefixProblem(ps, ".memory", ".memoryReservation") {
		add("memory", "the containers' memory (memory, else memoryReservation) add up to %d MiB, more than the task's %d MiB; lower them or raise the task's memory", sumMem, taskMem)
	}
	return ps
}

// hasPrefixProblem reports whether a container-level problem about one of
// the fields (".cpu") was reported already: the sum is then over too, and
// saying so twice does not help.
func hasPrefixProblem(ps []Problem, suffixes ...string) bool {
	for _, p := range ps {
		for _, s := range suffixes {
			if strings.HasPrefix(p.Path, "containerDefinitions[") && strings.HasSuffix(p.Path, s) {
				return true
			}
		}
	}
	return false
}
