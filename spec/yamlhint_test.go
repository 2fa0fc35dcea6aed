package spec

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// validYAML is YAML that parses, in the shapes a spec uses and a few it
// could: findMisindent must find nothing wrong in any of it.
var validYAML = []string{
	"a:\n- x\n- y\nb: 1\n",
	"a:\n  - name: x\n    image: y\n  -\n    name: z\nb: 1\n",
	"a: |\n  line: one\n    line: two\nb: >-\n      folded: text\nc: 1\n",
	"a: [x,\n    y: 1,\n  z]\nb: {c: 1,\n      d: 2}\ne: 1\n",
	"a: a long\n  plain value\n    over lines\nb: 1\n",
	"a:\n  b:\n    c: 1\n  d: 2\n# comment\n   # indented comment\ne: 3\n",
	"\"quoted key\": 1\n'other': {x: 1}\nk: v # comment: with colon\n",
	"a:\n  - - x\n    - y\n  - z\n",
	"  a: 1\n  b:\n    c: 2\n",
}

func TestFindMisindentAcceptsValidYAML(t *testing.T) {
	files, _ := filepath.Glob("testdata/*/*.yaml")
	files = append(files, "../deploy.yaml")
	docs := map[string][]byte{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs[f] = data
	}
	// The README's YAML examples.
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllSubmatch(readme, -1) {
		docs["README.md example "+string(rune('a'+i))] = m[1]
	}
	for i, s := range validYAML {
		docs["validYAML["+string(rune('0'+i))+"]"] = []byte(s)
	}
	checked := 0
	for name, data := range docs {
		var n yaml.Node
		if yaml.Unmarshal(data, &n) != nil {
			continue // a syntax error on purpose
		}
		checked++
		if mi := findMisindent(bytes.Split(data, []byte("\n"))); mi != nil {
			t.Errorf("%s parses, but findMisindent says line %d: %s", name, mi.line, mi.hint)
		}
	}
	if checked < 50 {
		t.Errorf("checked %d YAML documents, want at least 50", checked)
	}
}

// FuzzFindMisindent checks that YAML which parses is never said to be
// wrongly indented.
func FuzzFindMisindent(f *testing.F) {
	for _, s := range validYAML {
		f.Add([]byte(s))
	}
	f.Add([]byte("a:\n  b: 1\n    c: 2\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var n yaml.Node
		if yaml.Unmarshal(data, &n) != nil {
			return
		}
		if mi := findMisindent(bytes.Split(data, []byte("\n"))); mi != nil {
			t.Fatalf("%q parses, but findMisindent says line %d: %s", data, mi.line, mi.hint)
		}
	})
}

func TestYAMLSyntaxHints(t *testing.T) {
	const head = "cluster:\n  name: c\ntaskRole:\n  name: t\nexecutionRole:\n  name: e\nagents:\n  - name: agent\n"
	for name, tc := range map[string]struct{ yaml, want string }{
		"key indented under a value": {
			head + "    image: x\n      cpu: 1024\n",
			"t.yaml:10:7: invalid YAML: mapping values are not allowed in this context; cpu: is indented more than image: on line 9, which has its value on that line and so cannot hold keys; start cpu: at column 5, like image:",
		},
		"key between two levels": {
			head + "    network:\n        subnets: [\"${SUBNET_1}\"]\n      assignPublicIp: false\n",
			"t.yaml:11:7: invalid YAML: did not find expected key; assignPublicIp: starts at column 7, which lines up with no key above it; move it to column 9 to sit with subnets: (line 10), or to column 5 to sit with network: (line 9)",
		},
		"key after a quoted variable in a flow list": {
			head + "    network:\n      subnets: [\"${SUBNET_1}\"]\n        assignPublicIp: false\n",
			"t.yaml:11:9: invalid YAML: did not find expected key; assignPublicIp: is indented more than subnets: on line 10, which has its value on that line and so cannot hold keys; start assignPublicIp: at column 7, like subnets:",
		},
		"key after a quoted value holding a #": {
			head + "    environment:\n      MOTD: \"build # 7\"\n        LEVEL: debug\n",
			"t.yaml:11:9: invalid YAML: did not find expected key; LEVEL: is indented more than MOTD: on line 10, which has its value on that line and so cannot hold keys; start LEVEL: at column 7, like MOTD:",
		},
		"key after a flow mapping with a # in a quoted value": {
			"cluster:\n  name: c\ntags: {ticket: \"OPS #1234\", team: data}\ntaskRole:\n  name: t\nexecutionRole:\n  name: e\nagents:\n  - name: agent\n    image: x\n      cpu: 1024\n",
			"t.yaml:11:7: invalid YAML: mapping values are not allowed in this context; cpu: is indented more than image: on line 10, which has its value on that line and so cannot hold keys; start cpu: at column 5, like image:",
		},
		"quoted keys": {
			head + "    \"image\": x\n      \"cpu\": 1024\n",
			"t.yaml:10:7: invalid YAML: mapping values are not allowed in this context; cpu: is indented more than image: on line 9, which has its value on that line and so cannot hold keys; start cpu: at column 5, like image:",
		},
		"key after a single-quoted value over two lines": {
			head + "    environment:\n      MOTD: 'first line,\n        second line' # a greeting\n        LEVEL: debug\n",
			"t.yaml:12:9: invalid YAML: did not find expected key; LEVEL: is indented more than MOTD: on line 10, which has its value on that line and so cannot hold keys; start LEVEL: at column 7, like MOTD:",
		},
		"top-level key one space in": {
			"cluster:\n  name: c\n taskRole:\n  name: t\nexecutionRole:\n  name: e\nagents:\n  - name: agent\n    image: x\n",
			"t.yaml:3:2: invalid YAML: did not find expected key; taskRole: is a top-level key; move it to column 1 to sit with cluster: (line 1)",
		},
		"top-level key indented past the keys above it": {
			"cluster:\n  name: c\n    taskRole:\n  name: t\nexecutionRole:\n  name: e\nagents:\n  - name: agent\n    image: x\n",
			"t.yaml:3:5: invalid YAML: mapping values are not allowed in this context; taskRole: is a top-level key; move it to column 1 to sit with cluster: (line 1)",
		},
		"a misindent in a second document": {
			head + "    image: x\n    network: {subnets: [subnet-1]}\n---\nagents:\n  - name: b\n   image: y\n",
			"t.yaml:14:4: invalid YAML: did not find expected '-' indicator; image: starts at column 4, which lines up with no key above it; move it to column 5 to sit with name: (line 13)",
		},
		"key after a double-quoted value whose second line looks like a key": {
			head + "    image: x\n    environment:\n      MOTD: \"first line,\n        note: second line\"\n        LEVEL: debug\n",
			"t.yaml:13:9: invalid YAML: did not find expected key; LEVEL: is indented more than MOTD: on line 11, which has its value on that line and so cannot hold keys; start LEVEL: at column 7, like MOTD:",
		},
		"key after a single-quoted value whose first line ends in an escaped quote": {
			head + "    image: x\n    environment:\n      MOTD: 'it''\n        note: s'\n        LEVEL: debug\n",
			"t.yaml:13:9: invalid YAML: did not find expected key; LEVEL: is indented more than MOTD: on line 11, which has its value on that line and so cannot hold keys; start LEVEL: at column 7, like MOTD:",
		},
		"key after a list, left of its items": {
			head + "    image: x\n    labels:\n      - a\n      - b\n     cpu: 1024\n",
			"t.yaml:13:6: invalid YAML: did not find expected key; cpu: starts at column 6, which lines up with no key above it; move it to column 5 to sit with labels: (line 10)",
		},
		// The indentation finder sees a wrong line after the one the parser
		// stops at; moving it would not change the parser's error, so the
		// message names the parser's line and no move.
		"an error that is not indentation, a misindent after it": {
			head + "    image: repo: tag\n    cpu: 1024\n      memory: 2048\n",
			"t.yaml:9:12: invalid YAML: mapping values are not allowed in this context; the value of image: holds \": \", which YAML reads as the start of another key: quote the value, as in image: \"repo: tag\"",
		},
		"key after an empty quoted value": {
			head + "    image: x\n    environment:\n      MOTD: \"\"\n        LEVEL: debug\n",
			"t.yaml:12:9: invalid YAML: did not find expected key; LEVEL: is indented more than MOTD: on line 11, which has its value on that line and so cannot hold keys; start LEVEL: at column 7, like MOTD:",
		},
		"a misindent in a document after an end marker": {
			head + "    image: x\n    network: {subnets: [subnet-1]}\n...\n---\nagents:\n  - name: b\n   image: y\n",
			"t.yaml:15:4: invalid YAML: did not find expected '-' indicator; image: starts at column 4, which lines up with no key above it; move it to column 5 to sit with name: (line 14)",
		},
		"a key after a list in a list": {
			"defaults:\n  labels:\n  - - a\n    x: 1\n",
			"t.yaml:4:5: invalid YAML: did not find expected '-' indicator; x: starts at column 5, which lines up with no key above it; indent it like the keys it belongs with",
		},
		"a list started on its key's line": {
			head + "    image: x\n    labels: - canary\n",
			`t.yaml:10:13: invalid YAML: block sequence entries are not allowed in this context; a list cannot start on the line of its key: put each "- " item on a line of its own below labels:, indented more than it, or write the list as [a, b]`,
		},
		"key after a plain value continued by a line starting with a dash": {
			head + "    image: x\n    environment:\n      NOTE: first part\n        - continued\n        LEVEL: debug\n",
			"t.yaml:13:9: invalid YAML: mapping values are not allowed in this context; LEVEL: is indented more than NOTE: on line 11, which has its value on that line and so cannot hold keys; start LEVEL: at column 7, like NOTE:",
		},
		"a key under a list item written as a dash alone": {
			"agents:\n  -\n    name: a\n   image: i\n",
			"t.yaml:4:4: invalid YAML: did not find expected '-' indicator; image: starts at column 4, which lines up with no key above it; move it to column 5 to sit with name: (line 3)",
		},
		"a key after a top-level plain value continued by a line starting with a dash": {
			"description: first\n  - second\n    more\nagents:\n  - name: a\n   image: i\n",
			"t.yaml:6:4: invalid YAML: did not find expected '-' indicator; image: starts at column 4, which lines up with no key above it; move it to column 5 to sit with name: (line 5)",
		},
		"a key after a list flush with its key": {
			head + "    image: x\n    labels:\n    - a\n    - b\n      cpu: 1\n",
			"t.yaml:13:7: invalid YAML: mapping values are not allowed in this context; cpu: starts at column 7, which lines up with no key above it; indent it like the keys it belongs with",
		},
		"a second agent one column in": {
			head + "    image: x\n   - name: b\n",
			"t.yaml:10:4: invalid YAML: did not find expected '-' indicator; this list item starts at column 4, which lines up with no key above it; move it to column 3 to line up with the list item on line 8, or to column 5 to sit with image: (line 9)",
		},
		"a list item indented under a key with a value": {
			head + "    image: x\n     - name: b\n",
			"t.yaml:10:6: invalid YAML: mapping values are not allowed in this context; this list item is indented more than image: on line 9, which has its value on that line and so cannot hold keys; start this list item at column 5, like image:",
		},
		"a flush list item one column out": {
			"agents:\n- name: a\n  labels:\n  - x\n - y\n",
			"t.yaml:5:2: invalid YAML: did not find expected key; this list item starts at column 2, which lines up with no key above it; move it to column 3 to line up with the list item on line 4",
		},
		"an item of a list in a list one column out": {
			"a:\n  - - x\n    - y\n   - z\n",
			"t.yaml:4:4: invalid YAML: did not find expected '-' indicator; this list item starts at column 4, which lines up with no key above it; move it to column 5 to line up with the list item on line 3",
		},
		"a key under a top-level key that has its value on its line": {
			"cluster: streaming\n  create: true\n",
			"t.yaml:2:3: invalid YAML: mapping values are not allowed in this context; create: is indented more than cluster: on line 1, which has its value on that line and so cannot hold keys; start create: at column 1, like cluster:",
		},
		"key after a value that is only a comment": {
			head + "    image: x\n    network: # the agent's network\n      subnets: [a]\n        assignPublicIp: true\n",
			"t.yaml:12:9: invalid YAML: did not find expected key; assignPublicIp: is indented more than subnets: on line 11, which has its value on that line and so cannot hold keys; start assignPublicIp: at column 7, like subnets:",
		},
		"key after a single-quoted Windows path ending in a backslash": {
			head + "    image: x\n    environment:\n      DIR: 'C:\\temp\\'\n        LEVEL: debug\n",
			"t.yaml:12:9: invalid YAML: did not find expected key; LEVEL: is indented more than DIR: on line 11, which has its value on that line and so cannot hold keys; start LEVEL: at column 7, like DIR:",
		},
		"key after a list item whose double-quoted value goes on over two lines": {
			head + "    image: x\n    labels:\n      - \"a\n        b: c\"\n     cpu: 1\n",
			"t.yaml:13:6: invalid YAML: did not find expected key; cpu: starts at column 6, which lines up with no key above it; move it to column 5 to sit with labels: (line 10)",
		},
		"a top-level key in a file that starts with a list": {
			"- a\n cluster: y\n",
			"t.yaml:2:2: invalid YAML: mapping values are not allowed in this context; cluster: starts at column 2, which lines up with no key above it; indent it like the keys it belongs with",
		},
		"a misindent in a file with Windows line ends that starts with a blank line": {
			strings.ReplaceAll("\n"+head+"    image: x\n      cpu: 1024\n", "\n", "\r\n"),
			"t.yaml:11:7: invalid YAML: mapping values are not allowed in this context; cpu: is indented more than image: on line 10, which has its value on that line and so cannot hold keys; start cpu: at column 5, like image:",
		},
		"a misindent after a value written on the line below its key": {
			"cluster:\n  streaming\ntaskRole:\n  name: t\n   create: true\n",
			"t.yaml:5:4: invalid YAML: mapping values are not allowed in this context; create: is indented more than name: on line 4, which has its value on that line and so cannot hold keys; start create: at column 3, like name:",
		},
		"a list item moved left of its key": {
			"taskRole:\n  name: agent-task\n  managedPolicies:\n- arn:aws:iam::123456789012:policy/streaming-sources\n  inlinePolicies:\n    - name: read-config\n",
			"t.yaml:4:1: invalid YAML: mapping values are not allowed in this context; this list item starts at column 1, among the keys of a mapping (taskRole: on line 1); move it to column 5, under managedPolicies: (line 3), whose value it is",
		},
		"key after a value with # inside a word": {
			head + "    image: x\n    environment:\n      LANGUAGE: C#\n        LEVEL: debug\n",
			"t.yaml:12:9: invalid YAML: mapping values are not allowed in this context; LEVEL: is indented more than LANGUAGE: on line 11, which has its value on that line and so cannot hold keys; start LEVEL: at column 7, like LANGUAGE:",
		},
		"a list item's value holding ': '": {
			"cluster:\n  name: c\nagents:\n  - name: agent: one\n",
			`t.yaml:4:11: invalid YAML: mapping values are not allowed in this context; the value of name: holds ": ", which YAML reads as the start of another key: quote the value, as in name: "agent: one"`,
		},
		"a list item among a mapping's keys": {
			"defaults:\n  image: i\n  - a\n  cpu: 1\n",
			"t.yaml:3:3: invalid YAML: did not find expected key; this list item starts at column 3, among the keys of a mapping (image: on line 2); a list belongs under a key: indent it under the key it belongs to",
		},
		"a quoted key whose value holds ': '": {
			head + "    \"image\": repo: tag\n",
			`t.yaml:9:14: invalid YAML: mapping values are not allowed in this context; the value of image: holds ": ", which YAML reads as the start of another key: quote the value, as in image: "repo: tag"`,
		},
		"a value holding ': ' on the first line": {
			"cluster: name: streaming\n",
			`t.yaml:1:10: invalid YAML: mapping values are not allowed in this context; the value of cluster: holds ": ", which YAML reads as the start of another key: quote the value, as in cluster: "name: streaming"`,
		},
		"a dash alone on its key's line": {
			head + "    image: x\n    labels: -\n      - canary\n",
			`t.yaml:10:13: invalid YAML: block sequence entries are not allowed in this context; a list cannot start on the line of its key: put each "- " item on a line of its own below labels:, indented more than it, or write the list as [a, b]`,
		},
		"a tab indenting the first line": {
			"\tcluster:\n  name: c\n",
			"t.yaml:1:1: invalid YAML: found character that cannot start any token; this line is indented with a tab, and YAML indents with spaces only: replace the tab with spaces",
		},
		"an unquoted variable in a flow mapping on the first line": {
			"cluster: {name: ${CLUSTER}}\n",
			`t.yaml:1:17: invalid YAML: did not find expected ',' or '}'; inside [ ] or { }, quote a value that uses ${…}, as in ["${SUBNET_1}"]`,
		},
		"an unclosed flow mapping before a tab": {
			"cluster: {name: c\ntaskRole:\n\tname: t\n",
			"t.yaml:1: invalid YAML: did not find expected ',' or '}'; check the indentation and quoting from this line on",
		},
		"an unclosed flow mapping before a flow variable": {
			"cluster: {name: c\ntaskRole:\n  name: t\nagents: [${AGENT}]\n",
			"t.yaml:1: invalid YAML: did not find expected ',' or '}'; check the indentation and quoting from this line on",
		},
		"a document end marker with no new document after it": {
			"cluster:\n  name: c\n...\ntaskRole:\n  name: t\n",
			"t.yaml:3:1: invalid YAML: did not find expected <document start>; this ... ends the document, and more follows without a --- to start another: remove the ... line",
		},
		"unquoted variable in a flow list": {
			head + "    network:\n      subnets: [${SUBNET_1}]\n",
			"t.yaml:10:17: invalid YAML: did not find expected ',' or ']'; inside [ ] or { }, quote a value that uses ${…}, as in [\"${SUBNET_1}\"]",
		},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(tc.yaml), t.TempDir(), lookupTestEnv)
			if err == nil || err.Error() != tc.want {
				t.Errorf("Parse:\n%v\nwant\n%s", err, tc.want)
			}
		})
	}
}
