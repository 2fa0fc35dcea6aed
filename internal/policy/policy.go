// Package policy reads and compares IAM policy documents by meaning, not by
// text: it accepts every shape IAM allows (Statement as an object or a list,
// Action and Principal values as a string or a list, URL-encoded documents
// as GetRole and GetRolePolicy return them) and produces a canonical form.
package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"unicode"
)

// Version is the policy language version launch writes.
const Version = "2012-10-17"

// Document is a parsed policy. Statements keep every key they had, so a
// document written back out means what it meant when it was read.
type Document struct {
	Version   string
	ID        string
	Statement []Statement
}

// Statement is one policy statement as a generic JSON object.
type Statement map[string]any

// Decode returns a policy document as JSON text: URL-decoded when it is
// URL-encoded (IAM's GetRole and GetRolePolicy return it that way; RFC 3986
// percent-encoding, so "+" stays "+"), unchanged otherwise.
func Decode(doc string) string {
	text := strings.TrimSpace(doc)
	if strings.HasPrefix(text, "%7B") || strings.HasPrefix(text, "%7b") {
		if decoded, err := url.PathUnescape(text); err == nil {
			return decoded
		}
	}
	return doc
}

// Parse decodes a policy document, URL-decoding it first when it is
// URL-encoded.
func Parse(doc string) (*Document, error) {
	text := Decode(doc)
	var raw map[string]any
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("policy document is not a JSON object: %w", err)
	}
	d := &Document{}
	for k, v := range raw {
		switch k {
		case "Version":
			s, _ := v.(string)
			d.Version = s
		case "Id":
			s, _ := v.(string)
			d.ID = s
		case "Statement":
			switch st := v.(type) {
			case map[string]any:
				d.Statement = []Statement{st}
			case []any:
				for i, item := range st {
					m, ok := item.(map[string]any)
					if !ok {
						return nil, fmt.Errorf("policy statement %d is not a JSON object", i)
					}
					d.Statement = append(d.Statement, m)
				}
			default:
				return nil, fmt.Errorf("policy Statement is neither an object nor a list")
			}
		default:
			return nil, fmt.Errorf("policy document has unknown top-level key %q", k)
		}
	}
	return d, nil
}

// JSON renders the document with Statement always a list, indented for
// humans. Map keys come out sorted, so the output is deterministic.
func (d *Document) JSON() string {
	out := map[string]any{"Statement": d.statementsOrEmpty()}
	if d.Version != "" {
		out["Version"] = d.Version
	}
	if d.ID != "" {
		out["Id"] = d.ID
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(out) // only JSON values from Parse or launch's own maps
	return strings.TrimSuffix(buf.String(), "\n")
}

func (d *Document) statementsOrEmpty() []Statement {
	if d.Statement == nil {
		return []Statement{}
	}
	return d.Statement
}

// Canonical returns a form in which two documents with the same meaning are
// byte-equal: single values become one-element lists, lists that IAM treats
// as sets are sorted and de-duplicated, and statements are sorted.
func (d *Document) Canonical() string {
	stmts := make([]string, 0, len(d.Statement))
	for _, s := range d.Statement {
		b, _ := json.Marshal(canonValue("", map[string]any(s)))
		stmts = append(stmts, string(b))
	}
	sort.Strings(stmts)
	version := d.Version
	if version == "" {
		version = "2008-10-17" // IAM's default when Version is absent
	}
	return fmt.Sprintf(`{"Version":%q,"Id":%q,"Statement":[%s]}`, version, d.ID, strings.Join(stmts, ","))
}

// setKeys are statement keys (and nested keys) whose list values IAM
// treats as unordered sets.
var setKeys = map[string]bool{
	"Action": true, "NotAction": true, "Resource": true, "NotResource": true,
	"AWS": true, "Service": true, "Federated": true, "CanonicalUser": true,
}

func canonValue(key string, v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, val := range t {
			out[k] = canonValue(k, val)
		}
		return out
	case []any:
		items := make([]any, len(t))
		for i, val := range t {
			items[i] = canonValue("", val)
		}
		return sortedSet(items)
	case string:
		if setKeys[key] || isConditionValue(key) {
			return []any{t}
		}
		return t
	default:
		return t
	}
}

// isConditionValue: condition values (under an operator, under a key) may be
// a string or a list; canonValue gets the condition key as its key, which is
// never one of the statement's own keys below.
func isConditionValue(key string) bool {
	switch key {
	case "", "Effect", "Sid", "Version", "Id", "Principal", "NotPrincipal", "Condition":
		return false
	}
	return !setKeys[key]
}

func sortedSet(items []any) []any {
	seen := map[string]any{}
	for _, it := range items {
		b, _ := json.Marshal(it)
		seen[string(b)] = it
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]any, len(keys))
	for i, k := range keys {
		out[i] = seen[k]
	}
	return out
}

// Equal reports whether two policy documents mean the same.
func Equal(a, b string) (bool, error) {
	da, err := Parse(a)
	if err != nil {
		return false, err
	}
	db, err := Parse(b)
	if err != nil {
		return false, err
	}
	return da.Canonical() == db.Canonical(), nil
}

// Size counts a document's characters the way IAM's size quotas do:
// whitespace does not count.
func Size(doc string) int {
	n := 0
	for _, r := range doc {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

// Strings reads a policy value that may be a string or a list of strings.
func Strings(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		out := make([]string, 0, len(t))
		for _, item := range t {
			if s, ok := item.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case []string:
		return t
	}
	return nil
}
