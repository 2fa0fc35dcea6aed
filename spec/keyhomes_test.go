package spec

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMisplacedKey(t *testing.T) {
	const check = "; check this line's indentation against the lines above it"
	for key, want := range map[string]struct {
		where string
		paths []string // the homes outside lists and maps
	}{
		"network":         {"network: belongs under defaults or under agents[]" + check, []string{"defaults.network"}},
		"subnets":         {"subnets: belongs under defaults.network or under agents[].network" + check, []string{"defaults.network.subnets"}},
		"bakeTime":        {"bakeTime: belongs under rollout" + check, []string{"rollout.bakeTime"}},
		"taskRole":        {"taskRole: belongs at the top level" + check, []string{"taskRole"}},
		"grantAllSecrets": {"grantAllSecrets: belongs under executionRole" + check, []string{"executionRole.grantAllSecrets"}},
		"name":            {}, // a key of too many blocks to guess which
		"nonsense":        {},
	} {
		where, paths := misplacedKey(key)
		if where != want.where || !cmp.Equal(paths, want.paths) {
			t.Errorf("misplacedKey(%q) = %q, %q; want %q, %q", key, where, paths, want.where, want.paths)
		}
	}
}
