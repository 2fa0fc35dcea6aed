package spec

import (
	"reflect"
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

// The loader takes each field's key from its yaml tag as written: every
// exported field of the model has one, a plain key or "-", never empty and
// without options such as ",omitempty".
func TestEveryFieldNamesItsKey(t *testing.T) {
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(t2 reflect.Type) {
		for t2.Kind() == reflect.Pointer || t2.Kind() == reflect.Slice || t2.Kind() == reflect.Map {
			t2 = t2.Elem()
		}
		if t2.Kind() != reflect.Struct || t2 == durationType || seen[t2] {
			return
		}
		seen[t2] = true
		for i := 0; i < t2.NumField(); i++ {
			f := t2.Field(i)
			if !f.IsExported() {
				continue
			}
			if tag := f.Tag.Get("yaml"); tag != "-" && !plainKey.MatchString(tag) {
				t.Errorf("%s.%s: yaml tag %q, want a plain key or \"-\"", t2.Name(), f.Name, tag)
			}
			walk(f.Type)
		}
	}
	walk(reflect.TypeFor[Spec]())
	if len(seen) < 10 {
		t.Errorf("walked %d types of the model, want at least 10", len(seen))
	}
}
