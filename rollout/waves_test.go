package rollout

import (
	"slices"
	"testing"

	"github.com/launchdeploy/launch/spec"
)

func TestPlanWavesTakesCountsPercentagesAndSelectors(t *testing.T) {
	// Eight new agents (each has a service to create): c and f carry the
	// label core.
	var agents []AgentPlan
	for _, name := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		a := spec.Agent{Name: name}
		if name == "c" || name == "f" {
			a.Labels = []string{"core"}
		}
		agents = append(agents, AgentPlan{Agent: a})
	}
	tests := map[string]struct {
		waves []spec.Wave
		want  [][]string
	}{
		"canary then the rest": {
			[]spec.Wave{{Count: 1}, {Percent: 100}},
			[][]string{{"a"}, {"b", "c", "d", "e", "f", "g", "h"}},
		},
		"percentages are cumulative and round up": {
			[]spec.Wave{{Percent: 10}, {Percent: 50}, {Percent: 100}},
			[][]string{{"a"}, {"b", "c", "d"}, {"e", "f", "g", "h"}},
		},
		"selectors take their agents, counts the others": {
			[]spec.Wave{{Agents: []string{"h"}}, {Count: 2}, {Labels: []string{"core"}}, {Percent: 100}},
			[][]string{{"h"}, {"a", "b"}, {"c", "f"}, {"d", "e", "g"}},
		},
		"a count beyond the agents left leaves later waves empty": {
			[]spec.Wave{{Count: 20}, {Percent: 100}},
			[][]string{{"a", "b", "c", "d", "e", "f", "g", "h"}, nil},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := &Plan{Spec: &spec.Spec{Rollout: spec.Rollout{Waves: tc.waves}}, Agents: agents}
			waves, unchanged := planWaves(p)
			var got [][]string
			for _, w := range waves {
				got = append(got, agentNames(p, w.Agents))
			}
			for i := range got {
				if len(got[i]) == 0 {
					got[i] = nil
				}
			}
			if !slices.EqualFunc(got, tc.want, slices.Equal) || len(unchanged) != 0 {
				t.Errorf("waves %q (unchanged %v), want %q", got, unchanged, tc.want)
			}
		})
	}
}
