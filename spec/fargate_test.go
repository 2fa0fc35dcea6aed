package spec

import (
	"strings"
	"testing"
)

// FargateSize is the rule a base task definition's size is held to
// (taskdef's checks call it): the sizes of AWS's "Task CPU and memory"
// table, and for Windows only 1, 2 and 4 vCPU.
func TestFargateSize(t *testing.T) {
	tests := []struct {
		os          string
		cpu, memory int
		want        string // "" or a part of the answer
	}{
		{"", 256, 512, ""},
		{"LINUX", 256, 2048, ""},
		{"", 16384, 122880, ""},
		{"WINDOWS_SERVER_2022_CORE", 1024, 2048, ""},
		{"WINDOWS_SERVER_2019_FULL", 4096, 30720, ""},
		{"", 300, 512, "cpu 300 is not a Fargate task size; use one of 256, 512, 1024, 2048, 4096, 8192, 16384"},
		{"LINUX", 256, 4096, "memory 4096 does not fit cpu 256 on Fargate; use one of 512, 1024, 2048 (MiB)"},
		{"WINDOWS_SERVER_2022_CORE", 256, 512, "cpu 256 is not available for WINDOWS_SERVER_2022_CORE on Fargate; use one of 1024, 2048, 4096"},
		{"WINDOWS_SERVER_2019_CORE", 8192, 16384, "cpu 8192 is not available for WINDOWS_SERVER_2019_CORE"},
	}
	for _, tt := range tests {
		got := FargateSize(tt.os, tt.cpu, tt.memory)
		if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
			t.Errorf("FargateSize(%q, %d, %d) = %q, want %q", tt.os, tt.cpu, tt.memory, got, tt.want)
		}
	}
}

// The memory of each Fargate CPU size, as AWS's "Task CPU and memory" table
// lists it (FIELD-NOTES.md): every value is a size FargateSize accepts, and
// one step below the first or above the last is not.
func TestFargateMemoryTable(t *testing.T) {
	span := func(from, to, step int) []int {
		var out []int
		for m := from; m <= to; m += step {
			out = append(out, m)
		}
		return out
	}
	table := map[int][]int{
		256:   {512, 1024, 2048},
		512:   span(1024, 4096, 1024),
		1024:  span(2048, 8192, 1024),
		2048:  span(4096, 16384, 1024),
		4096:  span(8192, 30720, 1024),
		8192:  span(16384, 61440, 4096),
		16384: span(32768, 122880, 8192),
	}
	for cpu, mems := range table {
		for _, m := range mems {
			if got := FargateSize("", cpu, m); got != "" {
				t.Errorf("cpu %d memory %d: %s", cpu, m, got)
			}
		}
		step := 1024
		if len(mems) > 1 {
			step = mems[1] - mems[0]
		}
		for _, m := range []int{mems[0] - step, mems[len(mems)-1] + step, mems[0] + 1} {
			if FargateSize("", cpu, m) == "" {
				t.Errorf("cpu %d memory %d accepted; AWS's table has no such size", cpu, m)
			}
		}
	}
	if len(fargateMemory) != len(table) {
		t.Errorf("%d CPU sizes, AWS's table has %d", len(fargateMemory), len(table))
	}
}
