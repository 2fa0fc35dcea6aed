package spec

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"

	"github.com/launchdeploy/launch/internal/jsonpos"
	"github.com/launchdeploy/launch/internal/suggest"
)

// IAM policy grammar, from the IAM User Guide, "IAM JSON policy element
// reference" and "IAM JSON policy grammar": the top level has Version, Id
// and Statement; a statement has Sid, Effect, Principal/NotPrincipal,
// Action/NotAction, Resource/NotResource and Condition. An identity policy
// (what an inline role policy is) names no principal, and each statement
// needs an Effect, exactly one of Action/NotAction and exactly one of
// Resource/NotResource. Version is optional (IAM then reads 2008-10-17).
var (
	policyTopKeys       = []string{"Version", "Id", "Statement"}
	policyStatementKeys = []string{"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"}
	policyVersions      = []string{"2012-10-17", "2008-10-17"}
	sidRe               = regexp.MustCompile(`^[A-Za-z0-9]*$`)
)

// policyProblem is one grammar problem: the JSON path in the policy
// document and what to do.
type policyProblem struct {
	path, msg string
}

// policyGrammar returns every way doc (already known to be one JSON object)
// breaks IAM's grammar for an identity policy.
func policyGrammar(doc []byte) []policyProblem {
	var top map[string]any
	if json.Unmarshal(doc, &top) != nil {
		return nil // reported by checkJSONObject
	}
	var ps []policyProblem
	add := func(path, format string, args ...any) {
		ps = append(ps, policyProblem{path, fmt.Sprintf(format, args...)})
	}
	for _, k := range sortedAnyKeys(top) {
		if !contains(policyTopKeys, k) {
			add(k, "unknown key in an IAM policy%s; a policy has only Version, Id and Statement", didYouMean(k, policyTopKeys))
		}
	}
	if v, ok := top["Version"]; ok {
		if s, isStr := v.(string); !isStr || !contains(policyVersions, s) {
			add("Version", `%s is not a policy language version; write "2012-10-17"`, jsonShort(v))
		}
	}
	st, ok := top["Statement"]
	if !ok {
		add("", `has no "Statement"; an IAM policy is {"Version": "2012-10-17", "Statement": [...]}`)
		return ps
	}
	var statements []any
	var paths []string
	switch t := st.(type) {
	case map[string]any:
		statements, paths = []any{t}, []string{"Statement"}
	case []any:
		for i, s := range t {
			statements = append(statements, s)
			paths = append(paths, jsonpos.Element("Statement", i))
		}
	default:
		add("Statement", "Statement is %s; write one statement object or a list of them", jsonKind(st))
		return ps
	}
	sids := map[string]string{}
	for i, raw := range statements {
		p := paths[i]
		s, isObj := raw.(map[string]any)
		if !isObj {
			add(p, "a statement is %s; write an object with Effect, Action and Resource", jsonKind(raw))
			continue
		}
		for _, k := range sortedAnyKeys(s) {
			if !contains(policyStatementKeys, k) {
				add(jsonpos.Member(p, k), "unknown key in a policy statement%s; a statement has Sid, Effect, Action or NotAction, Resource or NotResource, and Condition", didYouMean(k, policyStatementKeys))
			}
		}
		if sid, has := s["Sid"]; has {
			str, isStr := sid.(string)
			switch {
			case !isStr || !sidRe.MatchString(str):
				add(jsonpos.Member(p, "Sid"), "Sid %s is not made of letters and digits only, as IAM requires; rename it", jsonShort(sid))
			case sids[str] != "":
				add(jsonpos.Member(p, "Sid"), "Sid %q is already used by %s; give each statement its own Sid", str, sids[str])
			case str != "":
				sids[str] = p
			}
		}
		switch e, has := s["Effect"]; {
		case !has:
			add(p, `the statement has no Effect; add "Effect": "Allow" (or "Deny")`)
		case e != "Allow" && e != "Deny":
			add(jsonpos.Member(p, "Effect"), `Effect %s is neither "Allow" nor "Deny"; write one of them (IAM is case-sensitive)`, jsonShort(e))
		}
		for _, pair := range [][2]string{{"Action", "NotAction"}, {"Resource", "NotResource"}} {
			a, hasA := s[pair[0]]
			b, hasB := s[pair[1]]
			switch {
			case hasA && hasB:
				add(jsonpos.Member(p, pair[1]), "the statement has both %s and %s; keep one", pair[0], pair[1])
			case !hasA && !hasB:
				example := `"Action": ["s3:GetObject"]`
				if pair[0] == "Resource" {
					example = `"Resource": ["arn:aws:s3:::my-bucket/*"]`
				}
				add(p, "the statement has no %s (or %s); an inline role policy needs one: add %s", pair[0], pair[1], example)
			case hasA:
				checkStrings(add, jsonpos.Member(p, pair[0]), a)
			default:
				checkStrings(add, jsonpos.Member(p, pair[1]), b)
			}
		}
		for _, k := range []string{"Principal", "NotPrincipal"} {
			if _, has := s[k]; has {
				add(jsonpos.Member(p, k), "an inline role policy names no %s: it applies to the role it is attached to; remove %s", k, k)
			}
		}
		if c, has := s["Condition"]; has {
			checkCondition(add, jsonpos.Member(p, "Condition"), c)
		}
	}
	return ps
}

// checkStrings checks an Action or Resource value: a string or a non-empty
// list of strings.
func checkStrings(add func(string, string, ...any), path string, v any) {
	switch t := v.(type) {
	case string:
		if t == "" {
			add(path, "the value is empty; write what it names")
		}
	case []any:
		if len(t) == 0 {
			add(path, "the list is empty; list at least one value")
		}
		for i, item := range t {
			if s, ok := item.(string); !ok || s == "" {
				add(jsonpos.Element(path, i), "%s is not a non-empty string; write each value as a string", jsonShort(item))
			}
		}
	default:
		add(path, "the value is %s; write a string or a list of strings", jsonKind(v))
	}
}

// checkCondition checks Condition: {operator: {key: value or [values]}},
// values being strings, numbers or booleans.
func checkCondition(add func(string, string, ...any), path string, v any) {
	ops, ok := v.(map[string]any)
	if !ok {
		add(path, `Condition is %s; write {"Operator": {"key": "value"}}, such as {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}`, jsonKind(v))
		return
	}
	for _, op := range sortedAnyKeys(ops) {
		keys, ok := ops[op].(map[string]any)
		if !ok {
			add(jsonpos.Member(path, op), `condition operator %s holds %s; write {"key": "value"} under it`, op, jsonKind(ops[op]))
			continue
		}
		for _, k := range sortedAnyKeys(keys) {
			switch t := keys[k].(type) {
			case string, float64, bool:
			case []any:
				for i, item := range t {
					switch item.(type) {
					case string, float64, bool:
					default:
						add(jsonpos.Element(jsonpos.Member(jsonpos.Member(path, op), k), i), "a condition value is %s; write strings, numbers or booleans", jsonKind(item))
					}
				}
			default:
				add(jsonpos.Member(jsonpos.Member(path, op), k), "the condition value is %s; write a string, number or boolean, or a list of them", jsonKind(keys[k]))
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// didYouMean is " (did you mean X?)" when k most likely misspells one of
// names (another case, or a letter or two away: Resources for Resource).
func didYouMean(k string, names []string) string {
	if s := suggest.Closest(k, names); s != "" {
		return fmt.Sprintf(" (did you mean %s?)", s)
	}
	return ""
}

func sortedAnyKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	default:
		return "an object"
	}
}

func jsonShort(v any) string {
	b, _ := json.Marshal(v)
	s := string(b)
	if len(s) > 60 {
		s = s[:57] + "…"
	}
	return s
}
