package spec

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The plan, the report and the progress lines name each wave as written
// (rollout/describe.go); rollout picks the count and percentage waves'
// agents from those no selector names.
func TestWavesAsWritten(t *testing.T) {
	s := mustParse(t, minimal+`
agents:
  - {name: orders, image: i, network: {subnets: [subnet-1]}, labels: [canary]}
  - {name: payments, image: i, network: {subnets: [subnet-1]}, labels: [core, eu]}
  - {name: refunds, image: i, network: {subnets: [subnet-1]}}
  - {name: shipping, image: i, network: {subnets: [subnet-1]}}
rollout:
  waves:
    - 1%
    - agents: [shipping, payments]
      labels: [core, eu]
    - labels: [canary]
    - agents: [refunds]
    - 1
    - 100%
`)
	type wave struct {
		String   string
		Selector bool
		Selects  []string // the agents it names, by name or label
	}
	var got []wave
	for _, w := range s.Rollout.Waves {
		g := wave{String: w.String(), Selector: w.IsSelector()}
		for i := range s.Agents {
			if w.Selects(&s.Agents[i]) {
				g.Selects = append(g.Selects, s.Agents[i].Name)
			}
		}
		got = append(got, g)
	}
	want := []wave{
		{String: "1%"},
		{String: "agents shipping, payments; labels core, eu", Selector: true, Selects: []string{"payments", "shipping"}},
		{String: "labels canary", Selector: true, Selects: []string{"orders"}},
		{String: "agents refunds", Selector: true, Selects: []string{"refunds"}},
		{String: "1"},
		{String: "100%"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("waves (-want +got):\n%s", diff)
	}
}

// A spec deploys in waves exactly when it lists some.
func TestRolloutEnabled(t *testing.T) {
	if (Rollout{}).Enabled() || !(Rollout{Waves: []Wave{{Count: 1}}}).Enabled() {
		t.Errorf("Enabled: without waves %v, with one %v", (Rollout{}).Enabled(), (Rollout{Waves: []Wave{{Count: 1}}}).Enabled())
	}
}
