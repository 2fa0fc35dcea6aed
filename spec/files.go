package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/launchdeploy/launch/internal/jsonpos"
	"github.com/launchdeploy/launch/internal/policy"
)

// checkJSONObject returns "" when data is one JSON object, else the rest of
// a sentence saying what is wrong ("is not valid JSON: … at line 3, column
// 5; fix the JSON"). where follows the line and column ("of the document").
func checkJSONObject(data []byte, where string) string {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line, col := lineCol(data, se.Offset)
			return fmt.Sprintf("is not valid JSON: %s at line %d, column %d%s; fix the JSON", se.Error(), line, col, where)
		}
		return fmt.Sprintf("is not valid JSON: %v; fix the JSON", err)
	}
	if _, ok := v.(map[string]any); !ok {
		return fmt.Sprintf("is not a JSON object (it starts with %s); write an object, {…}", quoteShort(firstToken(data)))
	}
	return ""
}

// utf8BOM is the byte order mark some Windows editors write at the start of
// a UTF-8 file. It is not JSON (encoding/json stops at "invalid character
// 'ï'") and IAM would refuse it in a policy, so it is dropped on reading.
var utf8BOM = []byte("\xef\xbb\xbf")

// readJSONFile reads a JSON file the spec names (a policy or a base task
// definition), without a leading byte order mark.
func readJSONFile(path string) ([]byte, *fileError) {
	data, err := readLimited(path)
	return bytes.TrimPrefix(data, utf8BOM), err
}

// checkPolicy checks that data is a JSON object that follows IAM's grammar
// for an identity policy, and returns every problem as the rest of a
// sentence ("is not valid JSON: …"); a grammar problem starts with its
// position and JSON path (":3:5: Statement[0]: the statement has no Effect;
// …", or ": Statement: …" when the position is unknown). where follows a line and column of a JSON syntax error.
func checkPolicy(data []byte, where string) []string {
	if msg := checkJSONObject(data, where); msg != "" {
		return []string{msg}
	}
	ix := jsonpos.New(data)
	var out []string
	for _, p := range policyGrammar(data) {
		if p.path == "" {
			out = append(out, p.msg)
			continue
		}
		at := ""
		if line, col, ok := ix.Position(p.path); ok {
			at = fmt.Sprintf(":%d:%d", line, col)
		}
		out = append(out, fmt.Sprintf("%s: %s: %s", at, p.path, p.msg))
	}
	return out
}

// policyDocsSize is the size IAM counts against a role's inline policy
// quota: every character of every document but whitespace.
func policyDocsSize(docs []string) int {
	n := 0
	for _, d := range docs {
		n += policy.Size(d)
	}
	return n
}

// lineCol converts a byte offset (just past the offending byte, as
// encoding/json reports it) to a 1-based line and column.
func lineCol(data []byte, offset int64) (int, int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	if offset > 0 {
		offset-- // point at the offending byte
	}
	before := data[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(offset) - bytes.LastIndexByte(before, '\n')
	return line, col
}

func firstToken(data []byte) string {
	s := strings.TrimSpace(string(data))
	if i := strings.IndexAny(s, " \t\r\n,"); i > 0 {
		s = s[:i]
	}
	return s
}

// baseContainers returns the container names in a base task definition,
// which is either the task definition object itself or the
// {"taskDefinition": {…}} wrapper that `aws ecs describe-task-definition`
// prints.
func baseContainers(data []byte) []string {
	data = bytes.TrimPrefix(data, utf8BOM)
	var td struct {
		TaskDefinition *struct {
			ContainerDefinitions []struct {
				Name string `json:"name"`
			} `json:"containerDefinitions"`
		} `json:"taskDefinition"`
		ContainerDefinitions []struct {
			Name string `json:"name"`
		} `json:"containerDefinitions"`
	}
	if json.Unmarshal(data, &td) != nil {
		return nil
	}
	defs := td.ContainerDefinitions
	if td.TaskDefinition != nil {
		defs = td.TaskDefinition.ContainerDefinitions
	}
	var names []string
	for _, d := range defs {
		names = append(names, d.Name)
	}
	return names
}

// defaultContainer picks the container launch patches in the agent's base
// task definition when the spec does not name one: the base's only
// container, or the one named like the agent. A named container must exist
// in the base.
func (l *loader) defaultContainer(a *Agent, path, file string) {
	names := baseContainers(a.BaseTaskDefinitionJSON)
	has := func(n string) bool {
		for _, x := range names {
			if x == n {
				return true
			}
		}
		return false
	}
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	list := strings.Join(sorted, ", ")
	switch {
	case a.Container != "":
		if len(names) > 0 && !has(a.Container) {
			cp := path + ".container"
			l.problemAt(l.at(cp), cp, fmt.Sprintf("container %q is not in base task definition %s, which has %s; set container to one of them", a.Container, file, list))
		}
	case len(names) == 0:
		a.Container = a.Name
	case len(names) == 1:
		a.Container = names[0]
	case has(a.Name):
		a.Container = a.Name
	default:
		cp := path + ".container"
		l.problemAt(l.at(cp), cp, fmt.Sprintf("base task definition %s has %d containers (%s) and none is named %q; set container to the one launch should update", file, len(names), list, a.Name))
	}
}
