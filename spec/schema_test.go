package spec

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// schemaModeline is the first line of the root deploy.yaml.
const schemaModeline = "# yaml-language-server: $schema=./deploy.schema.json"

func mustSchema(t *testing.T) []byte {
	t.Helper()
	b, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSchemaGolden(t *testing.T) {
	b := mustSchema(t)
	if !json.Valid(b) {
		t.Fatal("Schema() is not valid JSON")
	}
	again := mustSchema(t)
	if string(again) != string(b) {
		t.Error("Schema() differs between calls")
	}
	checkGolden(t, "testdata/schema.golden.json", b)
}

// TestSchemaFile keeps deploy.schema.json at the repository root, which the
// root deploy.yaml's modeline points editors at, equal to Schema(); run
// go test ./spec -run TestSchemaFile -update to rewrite it.
func TestSchemaFile(t *testing.T) {
	checkGolden(t, "../deploy.schema.json", mustSchema(t))

	data, err := os.ReadFile("../deploy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if first, _, _ := strings.Cut(string(data), "\n"); first != schemaModeline {
		t.Errorf("the first line of deploy.yaml is %q, want %q", first, schemaModeline)
	}
}

// TestSchemaDescribesEveryKey checks that every property in the schema has a
// description, and that generation fails when the table misses a key or
// names one that does not exist.
func TestSchemaDescribesEveryKey(t *testing.T) {
	root := decodeSchema(t, mustSchema(t))
	n := 0
	var walk func(s any, where string)
	walk = func(s any, where string) {
		switch s := s.(type) {
		case map[string]any:
			if props, ok := s["properties"].(map[string]any); ok {
				for _, k := range slices.Sorted(maps.Keys(props)) {
					n++
					if d, _ := props[k].(map[string]any)["description"].(string); strings.TrimSpace(d) == "" {
						t.Errorf("%s.properties.%s has no description", where, k)
					}
				}
			}
			for _, k := range slices.Sorted(maps.Keys(s)) {
				walk(s[k], where+"."+k)
			}
		case []any:
			for i, x := range s {
				walk(x, fmt.Sprintf("%s[%d]", where, i))
			}
		}
	}
	walk(root, "#")
	if n < 50 {
		t.Errorf("found %d properties, want at least 50", n)
	}

	missing := maps.Clone(schemaDescriptions)
	delete(missing, "agents[].service.circuitBreaker.rollback")
	if _, err := generateSchema(missing, schemaConstraints()); err == nil || !strings.Contains(err.Error(), "agents[].service.circuitBreaker.rollback has no description") {
		t.Errorf("without a description: error %v", err)
	}
	extra := maps.Clone(schemaDescriptions)
	extra["agents[].replicas"] = "How many."
	if _, err := generateSchema(extra, schemaConstraints()); err == nil || !strings.Contains(err.Error(), "agents[].replicas is described but is no key") {
		t.Errorf("with a description of no key: error %v", err)
	}
	constraints := schemaConstraints()
	constraints["agents[].replicas"] = map[string]any{"minimum": 1}
	if _, err := generateSchema(schemaDescriptions, constraints); err == nil || !strings.Contains(err.Error(), "agents[].replicas has constraints but is no value of deploy.yaml") {
		t.Errorf("with constraints of no key: error %v", err)
	}
}

// TestSchemaDefaultsMatchLoader loads the smallest valid spec and checks
// that every default the schema states is what the loader filled in.
func TestSchemaDefaultsMatchLoader(t *testing.T) {
	root := decodeSchema(t, mustSchema(t))
	s, err := Load("testdata/valid/minimal.yaml", lookupTestEnv)
	if err != nil {
		t.Fatal(err)
	}
	out, err := yaml.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var loaded any
	if err := yaml.Unmarshal(out, &loaded); err != nil {
		t.Fatal(err)
	}
	defaults := map[string]any{}
	collectDefaults(root, root, "", defaults)
	if len(defaults) < 15 {
		t.Errorf("found %d defaults, want at least 15: %v", len(defaults), defaults)
	}
	for _, path := range slices.Sorted(maps.Keys(defaults)) {
		want := defaults[path]
		got, ok := lookupPath(loaded, path)
		if !ok {
			t.Errorf("%s: the schema's default is %v, the loaded spec has no value", path, want)
			continue
		}
		if ws, ok := want.(string); ok {
			if wd, err := time.ParseDuration(ws); err == nil {
				if gd, err := time.ParseDuration(fmt.Sprint(got)); err == nil && gd == wd {
					continue
				}
			}
		}
		if !sameJSON(want, got) {
			t.Errorf("%s: the schema's default is %v, the loaded spec has %v", path, want, got)
		}
	}
}

// collectDefaults maps the paths ("agents.0.cpu") of the defaults in schema s
// to their values; agents are followed into their first item.
func collectDefaults(root, s map[string]any, path string, out map[string]any) {
	s = resolveRef(root, s)
	if d, ok := s["default"]; ok {
		out[path] = d
	}
	for _, b := range asList(s["anyOf"]) {
		collectDefaults(root, b.(map[string]any), path, out)
	}
	if props, ok := s["properties"].(map[string]any); ok {
		for k, p := range props {
			if k == "defaults" {
				continue // the minimal spec has none
			}
			collectDefaults(root, p.(map[string]any), strings.TrimPrefix(path+"."+k, "."), out)
		}
	}
	if items, ok := s["items"].(map[string]any); ok && path == "agents" {
		collectDefaults(root, items, path+".0", out)
	}
}

func lookupPath(x any, path string) (any, bool) {
	for _, k := range strings.Split(path, ".") {
		switch v := x.(type) {
		case map[string]any:
			var ok bool
			if x, ok = v[k]; !ok {
				return nil, false
			}
		case []any:
			if k != "0" || len(v) == 0 {
				return nil, false
			}
			x = v[0]
		default:
			return nil, false
		}
	}
	return x, true
}

func sameJSON(a, b any) bool {
	ja, err1 := json.Marshal(normalizeYAML(a))
	jb, err2 := json.Marshal(normalizeYAML(b))
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

// TestSchemaAcceptsValidSpecs validates the root deploy.yaml and every valid
// testdata spec, as written (before ${VAR} substitution), against the schema.
func TestSchemaAcceptsValidSpecs(t *testing.T) {
	v := newSchemaValidator(t, mustSchema(t))
	files, err := filepath.Glob("testdata/valid/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, "../deploy.yaml")
	if len(files) < 4 {
		t.Fatalf("found %d specs, want at least 4", len(files))
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			if errs := v.validateFile(t, file); len(errs) > 0 {
				t.Errorf("%s does not match the schema:\n%s", file, strings.Join(errs, "\n"))
			}
		})
	}
}

// TestSchemaRejectsUnknownKeys validates the invalid testdata specs whose
// problem is a key the loader does not know.
func TestSchemaRejectsUnknownKeys(t *testing.T) {
	v := newSchemaValidator(t, mustSchema(t))
	tests := map[string][]string{
		"01-unknown-top-level-key.yaml":     {`"clsuter" is not allowed`, "missing required property cluster"},
		"02-unknown-nested-key.yaml":        {`taskRole: property "nmae" is not allowed`},
		"03-unknown-key-in-defaults.yaml":   {`defaults: property "memroy" is not allowed`, `defaults.logs: property "retention" is not allowed`},
		"04-unknown-key-in-agent.yaml":      {`agents[0]: property "memroy" is not allowed`, `agents[0].network: property "secutiryGroups" is not allowed`},
		"05-unknown-key-no-suggestion.yaml": {`agents[0]: property "replicas" is not allowed`},
		"06-unknown-key-case.yaml":          {`agents[0]: property "Name" is not allowed`},
		"07-unknown-key-deep.yaml":          {`agents[0].service.circuitBreaker: property "enabled" is not allowed`},
		"08-name-in-defaults.yaml":          {`defaults: property "name" is not allowed`},
	}
	for _, file := range slices.Sorted(maps.Keys(tests)) {
		t.Run(file, func(t *testing.T) {
			errs := v.validateFile(t, filepath.Join("testdata/invalid", file))
			if len(errs) == 0 {
				t.Fatal("the schema accepts it")
			}
			all := strings.Join(errs, "\n")
			for _, want := range tests[file] {
				if !strings.Contains(all, want) {
					t.Errorf("no error contains %q; got:\n%s", want, all)
				}
			}
		})
	}
}

// TestSchemaRules checks single values against the schema, by changing one
// agent of a small valid spec.
func TestSchemaRules(t *testing.T) {
	v := newSchemaValidator(t, mustSchema(t))
	tests := []struct {
		agent string // added to the agent, in flow style
		ok    bool
	}{
		{"", true},
		{"cpu: 2048", true},
		{"cpu: 1000", false},
		{"cpu: '${CPU}'", true},
		{"cpu: '${CPU:-2048}'", true},
		{"cpu: 1024.5", false},
		{"cpu: big", false},
		{"cpu: ~", true}, // keeps the default
		{"memory: 3000", false},
		{"platform: {os: MACOS}", false},
		{"platform: {os: WINDOWS_SERVER_2022_CORE, architecture: X86_64}", true},
		{"platform: {architecture: arm64}", false},
		{"environment: {PORT: 8080, DEBUG: true, NAME: x}", true},
		{"environment: {1BAD: x}", false},
		{"secrets: {TOKEN: {secret: creds}}", true},
		{"secrets: {TOKEN: {key: k}}", false},
		{"logs: {retentionDays: 31}", false},
		{"logs: {retentionDays: 365, streamPrefix: 'a:b'}", false},
		{"logs: {group: /ecs/x}", true},
		{"network: {subnets: [subnet-1, sg-1]}", false},
		{"network: {subnets: []}", false},
		{"network: {subnets: ['${SUBNET}'], securityGroups: [sg-1, sg-2, sg-3, sg-4, sg-5, sg-6]}", false},
		{"network: {assignPublicIp: '${PUBLIC:-false}'}", true},
		{"network: {assignPublicIp: yes}", false},
		{"service: {desiredCount: -1}", false},
		{"service: {maximumPercent: 250}", false},
		{"service: {circuitBreaker: {enable: false}}", true},
		{"waitTimeout: 90s", true},
		{"waitTimeout: 1h30m", true},
		{"waitTimeout: 15", false},
		{"waitTimeout: 15 minutes", false},
		{"waitTimeout: -5m", false},
		{"container: 'a.b'", false},
	}
	for _, tt := range tests {
		doc := "cluster: {name: c}\ntaskRole: {name: t}\nexecutionRole: {name: e}\nagents: [{name: a, image: i"
		if tt.agent != "" {
			doc += ", " + tt.agent
		}
		doc += "}]\n"
		errs := v.validateYAML(t, []byte(doc))
		if got := len(errs) == 0; got != tt.ok {
			t.Errorf("%s: valid %v, want %v; errors: %v", tt.agent, got, tt.ok, errs)
		}
	}
	for doc, ok := range map[string]bool{
		"cluster: {name: c}\ntaskRole: {name: t}\nexecutionRole: {name: e}\nagents: []\n":                                                                                                                         false,
		"cluster: {name: c}\ntaskRole: {name: t}\nexecutionRole: {name: e}\nagents: [{image: i}]\n":                                                                                                               false,
		"cluster: {name: c}\ntaskRole: {name: t}\nexecutionRole: {name: e}\nagents: [{name: 'a.b', image: i}]\n":                                                                                                  false,
		"cluster: {name: c}\ntaskRole: {name: t}\nexecutionRole: {name: e}\nagents: [{name: a, image: 'a b'}]\n":                                                                                                  false,
		"cluster: {name: c}\ntaskRole: {name: t}\nexecutionRole: {name: e}\ndefaults: {image: i}\nagents: [{name: a}]\n":                                                                                          false,
		"cluster: {name: c}\ntaskRole: {name: t}\nexecutionRole: {name: e}\ndefaults:\nagents: [{name: a, image: i}]\n":                                                                                           true,
		"cluster: {}\ntaskRole: {name: t}\nexecutionRole: {name: e}\nagents: [{name: a, image: i}]\n":                                                                                                             false,
		"cluster: {name:}\ntaskRole: {name: t}\nexecutionRole: {name: e}\nagents: [{name: a, image: i}]\n":                                                                                                        false,
		"region: Ireland\ncluster: {name: c}\ntaskRole: {name: t}\nexecutionRole: {name: e}\nagents: [{name: a, image: i}]\n":                                                                                     false,
		"cluster: {name: c}\ntaskRole: {name: t, managedPolicies: [AdministratorAccess, 'arn:aws:iam::aws:policy/X', 'arn:aws:s3:::b']}\nexecutionRole: {name: e}\nagents: [{name: a, image: i}]\n":               false,
		"cluster: {name: c}\ntaskRole: {name: t, managedPolicies: [AdministratorAccess, 'arn:aws:iam::aws:policy/X']}\nexecutionRole: {name: e, managedPolicies: []}\nagents: [{name: a, image: i}]\n":            true,
		"cluster: {name: c}\ntaskRole: {name: t}\nexecutionRole: {name: e}\nsecrets: {a: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:x', b: my/secret, c: 'bad name'}\nagents: [{name: a, image: i}]\n": false,
		"cluster: {name: c}\ntaskRole: {name: t}\nexecutionRole: {name: e}\ntags: {'': x}\nagents: [{name: a, image: i}]\n":                                                                                       false,
	} {
		if errs := v.validateYAML(t, []byte(doc)); (len(errs) == 0) != ok {
			t.Errorf("%s: valid %v, want %v; errors: %v", doc, len(errs) == 0, ok, errs)
		}
	}
}

// TestSchemaPatterns checks the duration and interpolation patterns against
// the code they stand for.
func TestSchemaPatterns(t *testing.T) {
	duration := regexp.MustCompile(durationPattern)
	for _, s := range []string{"15m", "90s", "1h30m", "1.5h", ".5s", "300ms", "10us", "10µs", "+5m", "0s", "1h0m0s",
		"", "0", "15", "-5m", "15 m", "15min", "1d", "m", "1.5.5s", "${WAIT}"} {
		d, err := time.ParseDuration(s)
		want := err == nil && !strings.HasPrefix(s, "-") && s != "0"
		if got := duration.MatchString(s); got != want {
			t.Errorf("duration pattern on %q: %v, want %v (ParseDuration: %v, %v)", s, got, want, d, err)
		}
	}
	interp := regexp.MustCompile(interpolationPattern)
	for _, s := range []string{"${A}", "x${A_1}y", "${A:-}", "${A:-eu-west-1}", "${SUBNET_1}", "$${A}",
		"$A", "${}", "${1A}", "${A-b}", "${A", "plain"} {
		_, problems := interpolate(s, func(string) (string, bool) { return "v", true })
		want := problems == nil && strings.Contains(strings.ReplaceAll(s, "$$", ""), "${")
		if got := interp.MatchString(s); got != want && s != "$${A}" { // $${A} is a literal; the pattern does not try to tell
			t.Errorf("interpolation pattern on %q: %v, want %v", s, got, want)
		}
	}
}

// A minimal JSON Schema validator for the subset Schema emits. It refuses
// keywords it does not know, so the schema cannot grow past what is tested.

type schemaValidator struct {
	root map[string]any
	res  map[string]*regexp.Regexp
}

var schemaKeywords = []string{
	"$schema", "$defs", "$ref", "title", "description", "default",
	"type", "enum", "pattern", "minLength", "maxLength", "minimum", "maximum",
	"anyOf", "properties", "additionalProperties", "required", "propertyNames",
	"items", "minItems", "maxItems",
}

func decodeSchema(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var root map[string]any
	if err := json.Unmarshal(b, &root); err != nil {
		t.Fatal(err)
	}
	return root
}

func newSchemaValidator(t *testing.T, b []byte) *schemaValidator {
	t.Helper()
	v := &schemaValidator{root: decodeSchema(t, b), res: map[string]*regexp.Regexp{}}
	var check func(s map[string]any, where string)
	check = func(s map[string]any, where string) {
		for _, k := range slices.Sorted(maps.Keys(s)) {
			if !slices.Contains(schemaKeywords, k) {
				t.Fatalf("%s: keyword %s is not supported by the test's validator", where, k)
			}
			switch val := s[k].(type) {
			case map[string]any:
				if k == "properties" || k == "$defs" {
					for name, sub := range val {
						check(sub.(map[string]any), where+"/"+k+"/"+name)
					}
				} else {
					check(val, where+"/"+k)
				}
			case []any:
				if k == "anyOf" {
					for i, sub := range val {
						check(sub.(map[string]any), fmt.Sprintf("%s/anyOf/%d", where, i))
					}
				}
			case string:
				if k == "pattern" {
					re, err := regexp.Compile(val)
					if err != nil {
						t.Fatalf("%s: %v", where, err)
					}
					v.res[val] = re
				}
				if k == "$ref" && !strings.HasPrefix(val, "#/$defs/") {
					t.Fatalf("%s: $ref %s is not into $defs", where, val)
				}
			}
		}
	}
	check(v.root, "#")
	return v
}

func (v *schemaValidator) validateFile(t *testing.T, file string) []string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return v.validateYAML(t, data)
}

func (v *schemaValidator) validateYAML(t *testing.T, data []byte) []string {
	t.Helper()
	var doc any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return v.validate(v.root, normalizeYAML(doc), "")
}

// normalizeYAML turns what yaml.v3 decodes into JSON's shapes: maps keyed
// by strings and every number an int64 or a float64.
func normalizeYAML(x any) any {
	switch x := x.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, v := range x {
			out[k] = normalizeYAML(v)
		}
		return out
	case map[any]any:
		out := map[string]any{}
		for k, v := range x {
			out[fmt.Sprint(k)] = normalizeYAML(v)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, v := range x {
			out[i] = normalizeYAML(v)
		}
		return out
	case []string:
		out := make([]any, len(x))
		for i, v := range x {
			out[i] = v
		}
		return out
	case int:
		return int64(x)
	case uint64:
		return float64(x)
	}
	return x
}

func jsonType(x any) string {
	switch x.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case int64:
		return "integer"
	case float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", x)
}

func asList(x any) []any {
	if l, ok := x.([]any); ok {
		return l
	}
	if x == nil {
		return nil
	}
	return []any{x}
}

func asFloat(x any) (float64, bool) {
	switch x := x.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

func resolveRef(root, s map[string]any) map[string]any {
	for {
		ref, ok := s["$ref"].(string)
		if !ok {
			return s
		}
		s = root["$defs"].(map[string]any)[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
	}
}

func showPath(path string) string {
	if path == "" {
		return "(top)"
	}
	return path
}

// validate returns the problems of x against schema s, each starting with
// the path of the value ("agents[0].cpu").
func (v *schemaValidator) validate(s map[string]any, x any, path string) []string {
	var errs []string
	fail := func(format string, args ...any) {
		errs = append(errs, showPath(path)+": "+fmt.Sprintf(format, args...))
	}
	if ref, ok := s["$ref"].(string); ok {
		def, ok := v.root["$defs"].(map[string]any)[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
		if !ok {
			fail("$ref %s names no definition", ref)
			return errs
		}
		errs = append(errs, v.validate(def, x, path)...)
	}
	if types, ok := s["type"]; ok {
		got, match := jsonType(x), false
		for _, want := range asList(types) {
			match = match || want == got || want == "number" && got == "integer"
		}
		if !match {
			fail("want %v, got %s %v", types, got, x)
			return errs
		}
	}
	if enum, ok := s["enum"].([]any); ok && !slices.ContainsFunc(enum, func(e any) bool { return sameJSON(e, x) }) {
		fail("%v is not one of %v", x, enum)
	}
	if str, ok := x.(string); ok {
		if p, ok := s["pattern"].(string); ok && !v.res[p].MatchString(str) {
			fail("%q does not match %s", str, p)
		}
		if n, ok := s["minLength"].(float64); ok && utf8.RuneCountInString(str) < int(n) {
			fail("%q is shorter than %v", str, n)
		}
		if n, ok := s["maxLength"].(float64); ok && utf8.RuneCountInString(str) > int(n) {
			fail("%q is longer than %v", str, n)
		}
	}
	if f, ok := asFloat(x); ok {
		if n, ok := s["minimum"].(float64); ok && f < n {
			fail("%v is less than %v", x, n)
		}
		if n, ok := s["maximum"].(float64); ok && f > n {
			fail("%v is more than %v", x, n)
		}
	}
	if branches, ok := s["anyOf"].([]any); ok {
		var all []string
		matched := false
		for _, b := range branches {
			e := v.validate(b.(map[string]any), x, path)
			if len(e) == 0 {
				matched = true
				break
			}
			all = append(all, e...)
		}
		if !matched {
			fail("matches no alternative: %s", strings.Join(all, "; "))
		}
	}
	if obj, ok := x.(map[string]any); ok {
		props, _ := s["properties"].(map[string]any)
		for _, r := range asList(s["required"]) {
			if _, ok := obj[r.(string)]; !ok {
				fail("missing required property %s", r)
			}
		}
		keys := slices.Sorted(maps.Keys(obj))
		for _, k := range keys {
			p := joinKey(path, k)
			if names, ok := s["propertyNames"].(map[string]any); ok {
				for _, e := range v.validate(names, k, p) {
					errs = append(errs, "property name "+e)
				}
			}
			if ps, ok := props[k].(map[string]any); ok {
				errs = append(errs, v.validate(ps, obj[k], p)...)
				continue
			}
			switch ap := s["additionalProperties"].(type) {
			case bool:
				if !ap {
					fail("property %q is not allowed", k)
				}
			case map[string]any:
				errs = append(errs, v.validate(ap, obj[k], p)...)
			}
		}
	}
	if list, ok := x.([]any); ok {
		if n, ok := s["minItems"].(float64); ok && len(list) < int(n) {
			fail("has %d items, want at least %v", len(list), n)
		}
		if n, ok := s["maxItems"].(float64); ok && len(list) > int(n) {
			fail("has %d items, want at most %v", len(list), n)
		}
		if items, ok := s["items"].(map[string]any); ok {
			for i, item := range list {
				errs = append(errs, v.validate(items, item, joinIndex(path, i))...)
			}
		}
	}
	sort.Strings(errs)
	return errs
}

// The validator must not be lenient by accident: a few checks of its own.
func TestSchemaValidator(t *testing.T) {
	v := newSchemaValidator(t, []byte(`{
		"$defs": {"n": {"type": "integer", "enum": [1, 2]}},
		"type": "object",
		"additionalProperties": false,
		"required": ["a"],
		"properties": {
			"a": {"anyOf": [{"$ref": "#/$defs/n"}, {"type": "string", "pattern": "^x+$"}]},
			"b": {"type": "array", "items": {"type": ["null", "boolean"]}, "maxItems": 2},
			"c": {"type": "object", "additionalProperties": {"type": "string", "maxLength": 2}, "propertyNames": {"pattern": "^[a-z]$"}}
		}
	}`))
	for doc, want := range map[string]bool{
		"a: 1":                  true,
		"a: 3":                  false,
		"a: 1.0":                false,
		"a: xx":                 true,
		"a: xy":                 false,
		"b: [true]":             false,
		"a: 2\nb: [true, ~]":    true,
		"a: 2\nb: [true, 1]":    false,
		"a: 2\nb: [true, ~, ~]": false,
		"a: 2\nc: {k: ab}":      true,
		"a: 2\nc: {k: abc}":     false,
		"a: 2\nc: {K: ab}":      false,
		"a: 2\nd: 1":            false,
		"a: [1]":                false,
		"a: {x: 1}":             false,
	} {
		if got := len(v.validateYAML(t, []byte(doc))) == 0; got != want {
			t.Errorf("%q: valid %v, want %v: %v", doc, got, want, v.validateYAML(t, []byte(doc)))
		}
	}
}
