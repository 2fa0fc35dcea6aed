package taskdef

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// readOnlyKeys are the members DescribeTaskDefinition returns that
// RegisterTaskDefinition rejects.
var readOnlyKeys = map[string]bool{
	"taskDefinitionArn":  true,
	"revision":           true,
	"status":             true,
	"requiresAttributes": true,
	"compatibilities":    true,
	"registeredAt":       true,
	"registeredBy":       true,
	"deregisteredAt":     true,
	"deleteRequestedAt":  true,
}

// DecodeBase decodes a base task definition as `aws ecs describe-task-definition`
// prints it: either {"taskDefinition": {...}, "tags": [...]} or the bare task
// definition object (which may carry "tags" itself, as register input JSON does).
// It drops the members RegisterTaskDefinition rejects (taskDefinitionArn,
// revision, status, requiresAttributes, compatibilities, registeredAt,
// registeredBy, deregisteredAt, deleteRequestedAt) and keeps the tags.
//
// Key names must be spelled as AWS spells them: an unknown key, or a known one
// in the wrong case, is an error that names every such key with its path, so a
// typo in a base file does not silently vanish.
func DecodeBase(data []byte) (*ecs.RegisterTaskDefinitionInput, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("decode base task definition: %w", err)
	}
	if top == nil {
		return nil, errors.New("decode base task definition: expected a JSON object")
	}
	def := top
	var outerTags json.RawMessage
	if raw, ok := top["taskDefinition"]; ok {
		var unknown []string
		for k := range top {
			if k != "taskDefinition" && k != "tags" {
				unknown = append(unknown, k)
			}
		}
		if len(unknown) > 0 {
			sort.Strings(unknown)
			return nil, fmt.Errorf("decode base task definition: unknown keys %s beside taskDefinition (expected only taskDefinition and tags)", quoteList(unknown))
		}
		def = nil
		if err := json.Unmarshal(raw, &def); err != nil {
			return nil, fmt.Errorf("decode base task definition: taskDefinition: %w", err)
		}
		if def == nil {
			return nil, errors.New("decode base task definition: taskDefinition is not an object")
		}
		outerTags = top["tags"]
	}
	for k := range readOnlyKeys {
		delete(def, k)
	}
	if len(outerTags) > 0 && !bytes.Equal(bytes.TrimSpace(outerTags), []byte("null")) {
		if _, both := def["tags"]; both {
			return nil, errors.New("decode base task definition: tags appear both inside and beside taskDefinition")
		}
		def["tags"] = outerTags
	}

	var problems []string
	inType := reflect.TypeFor[ecs.RegisterTaskDefinitionInput]()
	for k, raw := range def {
		f, ok := fieldByWireName(inType, k)
		if !ok {
			problems = append(problems, unknownKey(inType, "", k))
			continue
		}
		var generic any
		if err := json.Unmarshal(raw, &generic); err != nil {
			return nil, fmt.Errorf("decode base task definition: %s: %w", k, err)
		}
		checkKeys(generic, f.Type, k, &problems)
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return nil, fmt.Errorf("decode base task definition: %s", strings.Join(problems, "; "))
	}

	normalised, err := json.Marshal(def)
	if err != nil {
		return nil, fmt.Errorf("decode base task definition: %w", err)
	}
	var in ecs.RegisterTaskDefinitionInput
	if err := json.Unmarshal(normalised, &in); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			parts := strings.Split(typeErr.Field, ".")
			for i, p := range parts {
				parts[i] = wireName(p)
			}
			return nil, fmt.Errorf("decode base task definition: %s: a JSON %s where %s belongs: %w",
				strings.Join(parts, "."), typeErr.Value, typeErr.Type, err)
		}
		return nil, fmt.Errorf("decode base task definition: %w", err)
	}
	return &in, nil
}

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

func unknownKey(t reflect.Type, path, key string) string {
	p := key
	if path != "" {
		p = path + "." + key
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.IsExported() && strings.EqualFold(f.Name, key) {
			return fmt.Sprintf("unknown key %q (did you mean %q?)", p, wireName(f.Name))
		}
	}
	return fmt.Sprintf("unknown key %q", p)
}

// checkKeys walks a generically decoded JSON value alongside the SDK type it
// will be decoded into and records every object key that names no member.
// Type mismatches are left to encoding/json, which reports them with a path.
func checkKeys(v any, t reflect.Type, path string, problems *[]string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		if t == timeType {
			return
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return
		}
		for k, sub := range obj {
			f, ok := fieldByWireName(t, k)
			if !ok {
				*problems = append(*problems, unknownKey(t, path, k))
				continue
			}
			checkKeys(sub, f.Type, path+"."+k, problems)
		}
	case reflect.Slice, reflect.Array:
		list, ok := v.([]any)
		if !ok {
			return
		}
		for i, item := range list {
			checkKeys(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), problems)
		}
	case reflect.Map:
		obj, ok := v.(map[string]any)
		if !ok {
			return
		}
		for k, sub := range obj {
			checkKeys(sub, t.Elem(), fmt.Sprintf("%s[%q]", path, k), problems)
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
