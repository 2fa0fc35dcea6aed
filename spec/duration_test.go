package spec

import (
	"encoding/json"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// A Duration reads and writes as a Go duration string in YAML and JSON,
// and a value that is not one is an error naming it.
func TestDurationEncodings(t *testing.T) {
	type doc struct {
		Wait Duration `yaml:"wait" json:"wait"`
	}
	in := doc{Duration{90 * time.Minute}}

	y, err := yaml.Marshal(in)
	if err != nil || string(y) != "wait: 1h30m0s\n" {
		t.Fatalf("yaml.Marshal = %q, %v; want %q", y, err, "wait: 1h30m0s\n")
	}
	var fromYAML doc
	if err := yaml.Unmarshal(y, &fromYAML); err != nil || fromYAML != in {
		t.Errorf("yaml.Unmarshal(%q) = %v, %v; want %v", y, fromYAML, err, in)
	}
	j, err := json.Marshal(in)
	if err != nil || string(j) != `{"wait":"1h30m0s"}` {
		t.Fatalf("json.Marshal = %s, %v", j, err)
	}
	var fromJSON doc
	if err := json.Unmarshal(j, &fromJSON); err != nil || fromJSON != in {
		t.Errorf("json.Unmarshal(%s) = %v, %v; want %v", j, fromJSON, err, in)
	}

	for input, want := range map[string]string{
		"wait: 5 minutes": `line 1: "5 minutes" is not a duration; write a number with a unit, such as 15m, 90s or 1h`,
		"wait: [15m]":     "line 1: want a duration such as 15m, got a list",
	} {
		var d doc
		if err := yaml.Unmarshal([]byte(input), &d); err == nil || err.Error() != want {
			t.Errorf("yaml.Unmarshal(%q) = %v, want %q", input, err, want)
		}
	}
	var d doc
	want := `"5 minutes" is not a duration; write a number with a unit, such as 15m, 90s or 1h`
	if err := json.Unmarshal([]byte(`{"wait": "5 minutes"}`), &d); err == nil || err.Error() != want {
		t.Errorf("json.Unmarshal(5 minutes) = %v, want %q", err, want)
	}
}
