package rollout

import (
	"slices"
	"testing"

	"github.com/launchdeploy/launch/loggroup"
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

// What a wave would write for an agent: a log group appears only when it
// is created or its retention set, never merely because the agent has one.
func TestAgentChangesListALogGroupOnlyWhenWritten(t *testing.T) {
	p := &Plan{Spec: &spec.Spec{Cluster: spec.Cluster{Name: "agents"}}}
	tests := map[string]struct {
		lg   loggroup.Plan
		want []string
	}{
		"no log group":                {loggroup.Plan{}, []string{"task definition create", "service create"}},
		"a log group to create":       {loggroup.Plan{Name: "/launch/a", Create: true}, []string{"log group create", "task definition create", "service create"}},
		"a retention to set":          {loggroup.Plan{Name: "/launch/a", SetRetention: true}, []string{"log group update", "task definition create", "service create"}},
		"a log group as it should be": {loggroup.Plan{Name: "/launch/a"}, []string{"task definition create", "service create"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ap := AgentPlan{Agent: spec.Agent{Name: "a"}, LogGroup: tc.lg}
			if got := agentChanges(p, ap); !slices.Equal(got, tc.want) {
				t.Errorf("agentChanges = %q, want %q", got, tc.want)
			}
		})
	}
}
