package spec

import (
	"reflect"
	"slices"
	"strings"
	"sync"
)

// keyHomes maps each key of the spec to the places it may be written, as
// paths with [] for any list item and <name> for any map key ("" is the
// top level): a key that is unknown where it stands but known elsewhere
// is most often a line indented too little or too much.
var keyHomes = sync.OnceValue(func() map[string][]string {
	homes := map[string][]string{}
	var walk func(t reflect.Type, path string)
	walk = func(t reflect.Type, path string) {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		switch t.Kind() {
		case reflect.Slice:
			walk(t.Elem(), path+"[]")
		case reflect.Map:
			walk(t.Elem(), path+".<name>")
		case reflect.Struct:
			if t == durationType {
				return
			}
			for _, f := range fieldsOf(t) {
				if !slices.Contains(homes[f.key], path) {
					homes[f.key] = append(homes[f.key], path)
				}
				walk(t.Field(f.index).Type, joinKey(path, f.key))
			}
		}
	}
	walk(reflect.TypeFor[Spec](), "")
	return homes
})

// misplacedKey says where key belongs, for a key unknown where it stands
// that is a key elsewhere, in at most three places, and lists those places
// as paths outside lists and maps ("taskRole", "rollout.bakeTime"); "" and
// nil otherwise.
func misplacedKey(key string) (string, []string) {
	homes := keyHomes()[key]
	if len(homes) == 0 || len(homes) > 3 {
		return "", nil
	}
	var places, paths []string
	for _, h := range homes {
		if h == "" {
			places = append(places, "at the top level")
		} else {
			places = append(places, "under "+h)
		}
		if !strings.ContainsAny(h, "[<") {
			paths = append(paths, joinKey(h, key))
		}
	}
	return key + ": belongs " + strings.Join(places, " or ") + "; check this line's indentation against the lines above it", paths
}
