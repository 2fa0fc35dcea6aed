package rollout

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/launchdeploy/launch/spec"
)

// The rollout digest tells a rerun of the same rollout (resume its waves)
// from a new one (a new image: start again at the first wave). It follows
// the waves and every agent's task definition, and nothing else.
func TestRolloutDigestChangesWithTheWavesAndEachTaskDefinition(t *testing.T) {
	plan := func(waves []spec.Wave, images ...string) *Plan {
		sp := &spec.Spec{}
		sp.Rollout.Waves = waves
		p := &Plan{Spec: sp}
		for i, image := range images {
			name := []string{"orders", "payments"}[i]
			p.Agents = append(p.Agents, AgentPlan{Agent: spec.Agent{Name: name}, TaskDef: &ecs.RegisterTaskDefinitionInput{
				Family: aws.String(name), ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String(name), Image: aws.String(image)}}}})
		}
		return p
	}
	waves := []spec.Wave{{Count: 1}, {Percent: 100}}
	base := rolloutDigest(plan(waves, "example.com/agent:2", "example.com/agent:2"))
	if again := rolloutDigest(plan(waves, "example.com/agent:2", "example.com/agent:2")); again != base || len(base) != 16 {
		t.Fatalf("the same rollout gives %s, then %s; want one 16-character digest", base, again)
	}
	for name, other := range map[string]*Plan{
		"a new image for one agent": plan(waves, "example.com/agent:2", "example.com/agent:3"),
		"other waves":               plan([]spec.Wave{{Count: 2}, {Percent: 100}}, "example.com/agent:2", "example.com/agent:2"),
		"one agent fewer":           plan(waves, "example.com/agent:2"),
	} {
		if d := rolloutDigest(other); d == base {
			t.Errorf("%s: digest %s, the same as the first rollout's", name, d)
		}
	}
}
