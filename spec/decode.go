package spec

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/launchdeploy/launch/internal/suggest"
)

// The decoder walks the YAML node tree against the model's yaml tags by
// reflection. Unlike yaml.v3's own decoding it reports every unknown key and
// every wrongly shaped value with its line and path, keeps going after a
// problem, records where each value came from (for validation messages) and
// leaves fields the YAML does not mention untouched, so defaults set
// beforehand survive and an explicit zero overrides them.

type position struct{ line, col int }

func posOf(n *yaml.Node) position { return position{n.Line, n.Column} }

var (
	durationType = reflect.TypeFor[Duration]()
	waveType     = reflect.TypeFor[Wave]()
)

type field struct {
	key   string
	index int
}

// fieldsOf lists the yaml keys of a struct type in declaration order. Every
// exported field of the model names its key in a yaml tag, without options,
// or "-" (TestEveryFieldNamesItsKey).
func fieldsOf(t reflect.Type) []field {
	var out []field
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		key := f.Tag.Get("yaml")
		if key == "-" {
			continue
		}
		out = append(out, field{key, i})
	}
	return out
}

// decode sets v from n. A null node (a key with no value, or ~) leaves v as
// it is. Problems go to l; in quiet mode they are dropped, but the values
// are still marked bad so validation does not pile more messages on them.
func (l *loader) decode(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.AliasNode {
		l.bad[path] = true // reported by scan
		return
	}
	if l.badNodes[n] {
		l.bad[path] = true // reported by scan: a second message would only repeat it
		return
	}
	if isNull(n) {
		return
	}
	if v.Type() == durationType {
		if n.Kind != yaml.ScalarNode {
			l.kindProblem(n, path, "a duration such as 15m")
			return
		}
		d, err := parseDuration(n.Value)
		if err != nil {
			l.problemAt(posOf(n), path, err.Error())
			l.bad[path] = true
			return
		}
		v.Set(reflect.ValueOf(Duration{d}))
		return
	}
	if v.Type() == waveType {
		l.decodeWave(n, v.Addr().Interface().(*Wave), path)
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		l.decodeStruct(n, v, path, nil)
	case reflect.Map:
		l.decodeMap(n, v, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			l.kindProblem(n, path, "a list")
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			p := joinIndex(path, i)
			l.pos[p] = posOf(item)
			l.decode(item, s.Index(i), p)
			if ip, ok := s.Index(i).Addr().Interface().(*InlinePolicy); ok {
				ip.Line = item.Line
			}
		}
		v.Set(s)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			l.kindProblem(n, path, "a single value")
			return
		}
		v.SetString(n.Value)
	case reflect.Int:
		if n.Kind != yaml.ScalarNode {
			l.kindProblem(n, path, "a whole number")
			return
		}
		i, err := strconv.ParseInt(strings.TrimPrefix(n.Value, "+"), 10, 32)
		if err != nil {
			msg := fmt.Sprintf("%s is not a whole number; write digits only, without units or a decimal point", quoteShort(n.Value))
			if errors.Is(err, strconv.ErrRange) {
				msg = fmt.Sprintf("%s is too large a number; every number in a spec is below %d", quoteShort(n.Value), math.MaxInt32+1)
			}
			l.problemAt(posOf(n), path, msg)
			l.bad[path] = true
			return
		}
		v.SetInt(i)
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode {
			l.kindProblem(n, path, "true or false")
			return
		}
		switch strings.ToLower(n.Value) {
		case "true":
			v.SetBool(true)
		case "false":
			v.SetBool(false)
		default:
			l.problemAt(posOf(n), path, fmt.Sprintf("%s is not true or false; write true or false", quoteShort(n.Value)))
			l.bad[path] = true
		}
	default:
		panic("spec: no decoder for " + v.Type().String())
	}
}

// decodeWave decodes an item of rollout.waves: a count (1), a percentage
// ("25%") or a mapping with agents: and labels:.
func (l *loader) decodeWave(n *yaml.Node, w *Wave, path string) {
	w.Line = n.Line
	if n.Kind == yaml.MappingNode {
		l.decodeStruct(n, reflect.ValueOf(w).Elem(), path, nil)
		return
	}
	const how = "write a number of agents (1), a percentage of them (25%), or a mapping with agents: [names] and/or labels: [labels]"
	if n.Kind != yaml.ScalarNode {
		l.problemAt(posOf(n), path, fmt.Sprintf("want a wave, got %s; %s", describeNode(n), how))
		l.bad[path] = true
		return
	}
	v := strings.TrimSpace(n.Value)
	if pct, ok := strings.CutSuffix(v, "%"); ok {
		p, err := strconv.Atoi(strings.TrimSpace(pct))
		if err != nil || p <= 0 {
			what := "is not a percentage"
			if err == nil {
				what = "selects no agent"
			}
			l.problemAt(posOf(n), path, fmt.Sprintf("%s %s; write a whole number from 1 to 100 followed by %%, such as 25%%", quoteShort(v), what))
			l.bad[path] = true
			return
		}
		w.Percent = p
		return
	}
	c, err := strconv.Atoi(v)
	if err != nil || c <= 0 {
		l.problemAt(posOf(n), path, fmt.Sprintf("%s is not a wave; %s", quoteShort(v), how))
		l.bad[path] = true
		return
	}
	w.Count = c
}

// decodeStruct decodes a mapping into a struct, key by key. skip names keys
// to ignore silently (they were handled or reported elsewhere).
func (l *loader) decodeStruct(n *yaml.Node, v reflect.Value, path string, skip func(key string, k, val *yaml.Node) bool) {
	if n.Kind != yaml.MappingNode {
		l.kindProblem(n, path, "a mapping")
		return
	}
	fields := fieldsOf(v.Type())
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if l.badNodes[k] {
			continue // an unsupported tag, reported by scan
		}
		if k.Kind != yaml.ScalarNode {
			l.problemAt(posOf(k), path, fmt.Sprintf("a key must be a plain word, got %s; write key: value", describeNode(k)))
			continue
		}
		if isMergeKey(k) || skip != nil && skip(k.Value, k, val) {
			continue // merge keys are reported by scan
		}
		idx := -1
		for _, f := range fields {
			if f.key == k.Value {
				idx = f.index
				break
			}
		}
		if idx < 0 {
			l.unknownKey(k, path, fields)
			continue
		}
		p := joinKey(path, k.Value)
		l.keyPos[p] = posOf(k)
		l.pos[p] = posOf(val)
		l.decode(val, v.Field(idx), p)
		if l.written != nil && !isNull(val) {
			l.written[strings.TrimPrefix(p, l.writtenPrefix)] = true
		}
	}
}

// decodeMap decodes a mapping into a map, merging into what the map
// already holds: an entry replaces the entry with the same key.
func (l *loader) decodeMap(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		l.kindProblem(n, path, "a mapping")
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if l.badNodes[k] {
			continue // an unsupported tag, reported by scan
		}
		if k.Kind != yaml.ScalarNode {
			l.problemAt(posOf(k), path, fmt.Sprintf("a key must be a plain word, got %s; write key: value", describeNode(k)))
			continue
		}
		p := joinKey(path, k.Value)
		l.keyPos[p] = posOf(k)
		l.pos[p] = posOf(val)
		elem := reflect.New(v.Type().Elem()).Elem()
		l.decode(val, elem, p)
		v.SetMapIndex(reflect.ValueOf(k.Value), elem)
	}
}

func (l *loader) unknownKey(k *yaml.Node, path string, fields []field) {
	known := make([]string, len(fields))
	for i, f := range fields {
		known[i] = f.key
	}
	msg := fmt.Sprintf("unknown key %s", quoteShort(k.Value))
	if where, homes := misplacedKey(k.Value); where != "" {
		msg += " here; " + where
		l.misplaced = append(l.misplaced, homes...)
	} else if s := suggest.Closest(k.Value, known); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	} else {
		msg += "; known keys here are " + strings.Join(known, ", ")
	}
	l.problemAt(posOf(k), path, msg)
}

func (l *loader) kindProblem(n *yaml.Node, path, want string) {
	l.bad[path] = true
	var hint string
	switch want {
	case "a mapping":
		hint = "write key: value lines indented under the key"
	case "a list":
		hint = `write one item per line starting with "- ", or [a, b]`
	default:
		hint = "write it on the same line as its key"
	}
	l.problemAt(posOf(n), path, fmt.Sprintf("want %s, got %s; %s", want, describeNode(n), hint))
}

// describeNode names what a node is, for messages.
func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	switch n.ShortTag() {
	case "!!null":
		return "nothing"
	case "!!int", "!!float":
		return "the number " + n.Value
	case "!!bool":
		return n.Value
	}
	return "the string " + quoteShort(n.Value)
}

func isMergeKey(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && k.ShortTag() == "!!merge"
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// sortedKeys returns a map's keys in order, for deterministic messages.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
