package spec

import (
	"fmt"
	"slices"
)

// FargateSize returns "" when cpu (CPU units) and memory (MiB) are a task
// size Fargate runs for the operating system family os ("" or "LINUX" for
// Linux), else why not and what to use. It reads the same table the spec's
// own cpu/memory check uses, so a base task definition's size and the
// spec's are held to one rule.
func FargateSize(os string, cpu, memory int) string {
	mems, ok := fargateMemory[cpu]
	windows := os != "" && os != "LINUX"
	switch {
	case !ok:
		return fmt.Sprintf("cpu %d is not a Fargate task size; use one of %s (CPU units, 1024 = 1 vCPU)", cpu, joinInts(fargateCPUs))
	case windows && !slices.Contains(windowsCPUs, cpu):
		return fmt.Sprintf("cpu %d is not available for %s on Fargate; use one of %s", cpu, os, joinInts(windowsCPUs))
	case !slices.Contains(mems, memory):
		return fmt.Sprintf("memory %d does not fit cpu %d on Fargate; use one of %s (MiB), or change cpu", memory, cpu, joinInts(mems))
	}
	return ""
}
