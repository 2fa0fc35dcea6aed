package taskdef

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/launchdeploy/launch/internal/jsonpos"
	"github.com/launchdeploy/launch/internal/suggest"
)

// readOnlyKeys are the members DescribeTaskDefinition returns that
// RegisterTaskDefinition rejects.
var readOnlyKeys = []string{
	"taskDefinitionArn",
	"revision",
	"status",
	"requiresAttributes",
	"compatibilities",
	"registeredAt",
	"registeredBy",
	"deregisteredAt",
	"deleteRequestedAt",
}

// utf8BOM is the byte order mark some Windows editors write at the start of
// a UTF-8 file; it is not JSON, so it is dropped before decoding.
var utf8BOM = []byte("\xef\xbb\xbf")

// responseMetadata is what boto3 (and so `aws ... --debug` dumps and Python
// scripts) adds to every response; it is not part of a task definition.
const responseMetadata = "ResponseMetadata"

// Problem is one thing wrong with a task definition, found offline. Path is
// the JSON path as written in the base file ("containerDefinitions[1].links",
// or "taskDefinition.containerDefinitions[1].links" in describe output);
// Line and Column are 1-based, 0 when unknown (a value launch set, or no
// base file).
type Problem struct {
	Path         string
	Line, Column int
	Message      string
}

// String formats the problem as "line:col: path: message".
func (p Problem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "%d:%d: ", p.Line, p.Column)
	}
	if p.Path != "" {
		b.WriteString(p.Path + ": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// DecodeError is every problem DecodeBase found in a base file.
type DecodeError struct{ Problems []Problem }

func (e *DecodeError) Error() string {
	s := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		s[i] = p.String()
	}
	return "decode base task definition: " + strings.Join(s, "; ")
}

// BaseFile says where the members of a decoded base task definition are
// written in its file.
type BaseFile struct {
	ix     *jsonpos.Index
	prefix string // "taskDefinition." for describe output
}

// LocateBase indexes a base task definition file (as DecodeBase reads it).
func LocateBase(data []byte) BaseFile {
	data = bytes.TrimPrefix(data, utf8BOM)
	b := BaseFile{ix: jsonpos.New(data)}
	if _, ok := b.ix.Offset("taskDefinition"); ok {
		b.prefix = "taskDefinition."
	}
	return b
}

// Path is path (relative to the task definition, as Check names it) as
// written in the file.
func (b BaseFile) Path(path string) string { return b.prefix + path }

// Locate returns where path (relative to the task definition) is written:
// its member's key, or its array element. ok is false when the file does
// not hold path.
func (b BaseFile) Locate(path string) (line, col int, ok bool) {
	if b.ix == nil {
		return 0, 0, false
	}
	return b.ix.Position(b.Path(path))
}

func (b BaseFile) problem(path, msg string) Problem {
	line, col, _ := b.Locate(path)
	return Problem{Path: b.Path(path), Line: line, Column: col, Message: msg}
}

// DecodeBase decodes a base task definition as `aws ecs describe-task-definition`
// prints it: either {"taskDefinition": {...}, "tags": [...]} or the bare task
// definition object (which may carry "tags" itself, as register input JSON does).
// It drops the members RegisterTaskDefinition rejects (taskDefinitionArn,
// revision, status, requiresAttributes, compatibilities, registeredAt,
// registeredBy, deregisteredAt, deleteRequestedAt) and keeps the tags. A
// UTF-8 byte order mark and boto3's top-level ResponseMetadata are ignored.
//
// Key names must be spelled as AWS spells them: an unknown key, or a known one
// in the wrong case, is a problem naming the key's path, line and column; the
// error is a *DecodeError listing every such key, so a typo in a base file
// does not silently vanish.
func DecodeBase(data []byte) (*ecs.RegisterTaskDefinitionInput, error) {
	data = bytes.TrimPrefix(data, utf8BOM)
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("decode base task definition: %w", err)
	}
	if top == nil {
		return nil, errors.New("decode base task definition: expected a JSON object")
	}
	file := LocateBase(data) // after encoding/json has bounded the nesting
	fail := func(path, msg string) error {
		return &DecodeError{Problems: []Problem{file.problem(path, msg)}}
	}
	delete(top, responseMetadata)
	def := top
	var outerTags json.RawMessage // beside taskDefinition; exactly the value's bytes
	raw, wrapped := top["taskDefinition"]
	if wrapped {
		var unknown []string
		for k := range top {
			if k != "taskDefinition" && k != "tags" {
				unknown = append(unknown, k)
			}
		}
		if len(unknown) > 0 {
			sort.Strings(unknown)
			e := &DecodeError{}
			for _, k := range unknown {
				line, col, _ := file.ix.Position(k)
				e.Problems = append(e.Problems, Problem{Path: k, Line: line, Column: col,
					Message: "unknown key beside taskDefinition; describe output has only taskDefinition and tags: remove it"})
			}
			return nil, e
		}
		def = nil
		if err := json.Unmarshal(raw, &def); err != nil || def == nil {
			line, col, _ := file.ix.Position("taskDefinition")
			return nil, &DecodeError{Problems: []Problem{{Path: "taskDefinition", Line: line, Column: col, Message: "is not a JSON object; it must hold the task definition, {…}"}}}
		}
		outerTags = top["tags"]
		delete(def, responseMetadata)
	}
	for _, k := range readOnlyKeys {
		delete(def, k)
	}
	tagsFile := file // where the tags are written
	if outerTags != nil && string(outerTags) != "null" {
		if _, both := def["tags"]; both {
			return nil, fail("tags", "tags appear both inside and beside taskDefinition; keep one list")
		}
		def["tags"] = outerTags
		tagsFile.prefix = "" // beside taskDefinition, not in it
	}

	var problems []Problem
	inType := reflect.TypeFor[ecs.RegisterTaskDefinitionInput]()
	for k, raw := range def {
		f, ok := fieldByWireName(inType, k)
		if !ok {
			problems = append(problems, file.problem(k, unknownKey(inType, k)))
			continue
		}
		if k == "tags" {
			checkKeys(tagsFile, raw, f.Type, k, &problems)
		} else {
			checkKeys(file, raw, f.Type, k, &problems)
		}
	}
	if len(problems) > 0 {
		sort.Slice(problems, func(i, j int) bool {
			if problems[i].Line != problems[j].Line {
				return problems[i].Line < problems[j].Line
			}
			if problems[i].Column != problems[j].Column {
				return problems[i].Column < problems[j].Column
			}
			return problems[i].Path < problems[j].Path
		})
		return nil, &DecodeError{Problems: problems}
	}

	in, err := decodeChecked(data, wrapped)
	if err != nil {
		// data is valid JSON and no member decodes itself
		// (TestTaskDefinitionMembersArePlainData): only a type error is left.
		typeErr := err.(*json.UnmarshalTypeError)
		path := file.typeErrorPath(typeErr)
		line, col, _ := file.ix.Position(path)
		return nil, &DecodeError{Problems: []Problem{{Path: path, Line: line, Column: col,
			Message: fmt.Sprintf("a JSON %s where %s belongs; write the value as the ECS API documents it", typeErr.Value, typeErr.Type)}}}
	}
	return in, nil
}

// decodeChecked decodes a base file whose keys DecodeBase has checked:
// describe output (wrapped) or a bare definition. The members
// RegisterTaskDefinition rejects, and boto3's ResponseMetadata, have no field
// to land in; tags beside taskDefinition replace the (then absent) ones in it.
func decodeChecked(data []byte, wrapped bool) (*ecs.RegisterTaskDefinitionInput, error) {
	in := &ecs.RegisterTaskDefinitionInput{}
	if !wrapped {
		return in, json.Unmarshal(data, in)
	}
	w := struct {
		TaskDefinition *ecs.RegisterTaskDefinitionInput `json:"taskDefinition"`
		Tags           []types.Tag                      `json:"tags"`
	}{TaskDefinition: in}
	err := json.Unmarshal(data, &w)
	if w.Tags != nil {
		in.Tags = w.Tags
	}
	return in, err
}

// typeErrorPath finds the path as written in the file, with array indexes,
// of the value a type error is about: encoding/json names the field without
// indexes ("taskDefinition.containerDefinitions.cpu") but knows the offset
// just past the value; the member of that name written last before the
// offset is the one.
func (b BaseFile) typeErrorPath(te *json.UnmarshalTypeError) string {
	parts := strings.Split(te.Field, ".")
	for i, p := range parts {
		parts[i] = wireName(p)
	}
	noIndex := strings.Join(parts, ".")
	best, bestOff := noIndex, -1
	for _, p := range b.ix.Paths() {
		if stripIndexes(p) != noIndex {
			continue
		}
		if off, _ := b.ix.Offset(p); off < int(te.Offset) && off > bestOff {
			best, bestOff = p, off
		}
	}
	return best
}

var indexRe = regexp.MustCompile(`\[[0-9]+\]`)

func stripIndexes(p string) string { return indexRe.ReplaceAllString(p, "") }

// fieldByWireName finds the exported field of struct type t whose AWS member
// name is exactly name.
func fieldByWireName(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if f.IsExported() && wireName(f.Name) == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// unknownKey says that key names no member of t, with the member it may
// have meant: the same name in another case, or one a letter or two away.
func unknownKey(t reflect.Type, key string) string {
	var names []string
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() {
			names = append(names, wireName(f.Name))
		}
	}
	if s := suggest.Closest(key, names); s != "" {
		return fmt.Sprintf("unknown key; did you mean %s?", s)
	}
	return "unknown key; remove it, or spell it as the ECS RegisterTaskDefinition API does"
}

// checkKeys walks a JSON value alongside the SDK type it will be decoded
// into and records every object key that names no member. A value of the
// wrong kind is left to encoding/json, which reports its type with a path.
// The maps of a task definition (dockerLabels, options…) hold strings, so
// their keys are free and there is nothing inside them to check
// (TestTaskDefinitionMembersArePlainData).
func checkKeys(file BaseFile, raw json.RawMessage, t reflect.Type, path string, problems *[]Problem) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) != nil {
			return // not an object
		}
		for k, sub := range obj {
			f, ok := fieldByWireName(t, k)
			if !ok {
				*problems = append(*problems, file.problem(path+"."+k, unknownKey(t, k)))
				continue
			}
			checkKeys(file, sub, f.Type, path+"."+k, problems)
		}
	case reflect.Slice, reflect.Array:
		var list []json.RawMessage
		if json.Unmarshal(raw, &list) != nil {
			return // not a list
		}
		for i, item := range list {
			checkKeys(file, item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), problems)
		}
	}
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

// FromDescribed converts what DescribeTaskDefinition returned (the definition
// and its tags) into a RegisterTaskDefinitionInput, so the registered and the
// desired definition are compared in one type. The result shares nothing with
// td or tags.
func FromDescribed(td *types.TaskDefinition, tags []types.Tag) *ecs.RegisterTaskDefinitionInput {
	if td == nil {
		return nil
	}
	td = clone(td)
	return &ecs.RegisterTaskDefinitionInput{
		ContainerDefinitions:          td.ContainerDefinitions,
		Family:                        td.Family,
		Cpu:                           td.Cpu,
		EnableFaultInjection:          td.EnableFaultInjection,
		EphemeralStorage:              td.EphemeralStorage,
		ExecutionRoleArn:              td.ExecutionRoleArn,
		InferenceAccelerators:         td.InferenceAccelerators,
		IpcMode:                       td.IpcMode,
		Memory:                        td.Memory,
		NetworkMode:                   td.NetworkMode,
		PidMode:                       td.PidMode,
		PlacementConstraints:          td.PlacementConstraints,
		ProxyConfiguration:            td.ProxyConfiguration,
		RequiresCompatibilities:       td.RequiresCompatibilities,
		RuntimePlatform:               td.RuntimePlatform,
		Tags:                          clone(tags),
		TaskRoleArn:                   td.TaskRoleArn,
		TrustedExecutionConfiguration: td.TrustedExecutionConfiguration,
		Volumes:                       td.Volumes,
	}
}
