package suggest

import "testing"

func TestClosest(t *testing.T) {
	known := []string{"memory", "cpu", "portMappings", "Resource", "environment"}
	for key, want := range map[string]string{
		"memroy":      "memory",       // a transposition is one edit
		"MEMORY":      "memory",       // another case
		"portMapping": "portMappings", // a prefix of 4+ letters
		"Resources":   "Resource",     // one letter away
		"enviroment":  "environment",
		"region":      "",    // nothing close
		"cp":          "cpu", // a letter away
		"x":           "",    // an edit per letter is no suggestion
	} {
		if got := Closest(key, known); got != want {
			t.Errorf("Closest(%q) = %q, want %q", key, got, want)
		}
	}
}
