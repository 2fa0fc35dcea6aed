package spec

import "testing"

func TestMisplacedKey(t *testing.T) {
	for key, want := range map[string]string{
		"network":         "network: belongs under defaults or under agents[]; check this line's indentation against the lines above it",
		"subnets":         "subnets: belongs under defaults.network or under agents[].network; check this line's indentation against the lines above it",
		"bakeTime":        "bakeTime: belongs under rollout; check this line's indentation against the lines above it",
		"cluster":         "cluster: belongs at the top level; check this line's indentation against the lines above it",
		"grantAllSecrets": "grantAllSecrets: belongs under executionRole; check this line's indentation against the lines above it",
		"name":            "", // a key of too many blocks to guess which
		"nonsense":        "",
	} {
		if got := misplacedKey(key); got != want {
			t.Errorf("misplacedKey(%q) = %q, want %q", key, got, want)
		}
	}
}
