package spec

import (
	"strings"
	"testing"
)

func TestInterpolate(t *testing.T) {
	env := map[string]string{"NAME": "agent", "EMPTY": "", "DOLLAR": "$${X}"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	tests := map[string]struct {
		in, want string
		problems []string // substrings, in order
	}{
		"no dollar":                 {in: "plain", want: "plain"},
		"variable":                  {in: "${NAME}", want: "agent"},
		"variable inside text":      {in: "/ecs/${NAME}/logs", want: "/ecs/agent/logs"},
		"two variables":             {in: "${NAME}-${NAME}", want: "agent-agent"},
		"default unused":            {in: "${NAME:-other}", want: "agent"},
		"default when unset":        {in: "${UNSET:-eu1}", want: "eu1"},
		"default when empty":        {in: "${EMPTY:-eu1}", want: "eu1"},
		"empty default":             {in: "x${UNSET:-}y", want: "xy"},
		"default with spaces":       {in: "${UNSET:-a b:c}", want: "a b:c"},
		"empty value kept":          {in: "[${EMPTY}]", want: "[]"},
		"double dollar":             {in: "$$", want: "$"},
		"escaped reference":         {in: "$${aws:username}", want: "${aws:username}"},
		"lone dollar":               {in: "costs $5 and $", want: "costs $5 and $"},
		"value not rescanned":       {in: "${DOLLAR}", want: "$${X}"},
		"number stays text":         {in: "${UNSET:-1024}", want: "1024"},
		"unset":                     {in: "${UNSET}", want: "", problems: []string{"environment variable UNSET is not set; export it or write ${UNSET:-default}"}},
		"unset reported once":       {in: "${UNSET}/${UNSET}", want: "/", problems: []string{"UNSET is not set"}},
		"two unset":                 {in: "${A}${B}", problems: []string{"A is not set", "B is not set"}},
		"unclosed":                  {in: "x${NAME", want: "x", problems: []string{`"${NAME" has no closing }`}},
		"empty name":                {in: "${}", problems: []string{"${} names no variable"}},
		"digit first":               {in: "${1A}", problems: []string{`cannot substitute "${1A}"`}},
		"default without a name":    {in: "${:-eu1}", problems: []string{`cannot substitute "${:-eu1}"`}},
		"colon without dash":        {in: "${NAME:x}", problems: []string{`cannot substitute "${NAME:x}"`}},
		"dash without colon":        {in: "${NAME-x}", problems: []string{`cannot substitute "${NAME-x}"`}},
		"IAM variable":              {in: "${aws:username}", problems: []string{"$${ for a literal ${"}},
		"nested default":            {in: "${A:-${B}}", want: "}", problems: []string{"a default cannot contain another ${…}"}},
		"problem then substitution": {in: "${UNSET}-${NAME}", want: "-agent", problems: []string{"UNSET is not set"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, problems := interpolate(tt.in, lookup)
			if got != tt.want && len(tt.problems) == 0 || tt.want != "" && got != tt.want {
				t.Errorf("interpolate(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if len(problems) != len(tt.problems) {
				t.Fatalf("interpolate(%q) problems = %q, want %d matching %q", tt.in, problems, len(tt.problems), tt.problems)
			}
			for i, want := range tt.problems {
				if !strings.Contains(problems[i], want) {
					t.Errorf("problem %d = %q, want it to contain %q", i, problems[i], want)
				}
			}
		})
	}
}

// TestInterpolationKeepsNumbers checks that a substituted value decodes into
// an int field, and that keys are never substituted.
func TestInterpolationKeepsNumbers(t *testing.T) {
	env := map[string]string{"CPU": "2048", "MEM": "8192"}
	s, err := Parse("t.yaml", []byte(`
cluster: {name: c}
taskRole: {name: t}
executionRole: {name: e}
agents:
  - name: a
    image: i
    cpu: ${CPU}
    memory: "${MEM:-4096}"
    service:
      desiredCount: ${COUNT:-0}
    environment:
      ${KEY}: value
    network: {subnets: [subnet-1]}
`), "", func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err == nil || !strings.Contains(err.Error(), `"${KEY}" is not a valid environment variable name`) {
		t.Fatalf("want the key left alone and rejected as a name, got %v", err)
	}
	env["KEY"] = "K"
	s, err = Parse("t.yaml", []byte(`
cluster: {name: c}
taskRole: {name: t}
executionRole: {name: e}
agents:
  - name: a
    image: i
    cpu: ${CPU}
    memory: "${MEM:-4096}"
    service: {desiredCount: "${COUNT:-0}"}
    network: {subnets: [subnet-1]}
`), "", func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	a := s.Agents[0]
	if a.CPU != 2048 || a.Memory != 8192 || a.Service.DesiredCount != 0 {
		t.Errorf("cpu, memory, desiredCount = %d, %d, %d; want 2048, 8192, 0", a.CPU, a.Memory, a.Service.DesiredCount)
	}
}
