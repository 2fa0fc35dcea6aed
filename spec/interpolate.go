package spec

import (
	"fmt"
	"strings"
)

// interpolate substitutes ${NAME} and ${NAME:-default} in s and turns $$ into
// a literal $. Like the shell, the default applies when NAME is unset or
// empty. Every problem found in s is returned; the result is usable (with
// empty text for what could not be substituted) even when there are problems.
// A substituted value is never scanned again.
func interpolate(s string, lookupEnv func(string) (string, bool)) (string, []string) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
	var problems []string
	seen := map[string]bool{}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '$' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
			continue
		case '{':
		default:
			b.WriteByte(c)
			continue
		}
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			problems = append(problems, fmt.Sprintf("%s has no closing }; write ${NAME}, or $$ for a literal $", quoteShort(s[i:])))
			break
		}
		expr := s[i : i+2+end+1] // "${...}"
		inner := s[i+2 : i+2+end]
		i += 2 + end
		name, rest := splitVarName(inner)
		switch {
		case name == "" && rest == "":
			problems = append(problems, "${} names no variable; write ${NAME}, or $${} for a literal ${}")
			continue
		case name == "" || name[0] >= '0' && name[0] <= '9' || rest != "" && !strings.HasPrefix(rest, ":-"):
			problems = append(problems, fmt.Sprintf("cannot substitute %s; write ${NAME} or ${NAME:-default} (NAME is letters, digits and underscores), or $${ for a literal ${ such as an IAM policy variable", quoteShort(expr)))
			continue
		}
		if strings.Contains(rest, "${") {
			problems = append(problems, fmt.Sprintf("cannot substitute %s: a default cannot contain another ${…}; use a plain default value", quoteShort(expr)))
			continue
		}
		value, ok := lookupEnv(name)
		if def, hasDefault := strings.CutPrefix(rest, ":-"); hasDefault {
			if !ok || value == "" {
				value = def
			}
		} else if !ok {
			if !seen[name] {
				seen[name] = true
				problems = append(problems, fmt.Sprintf("environment variable %s is not set; export it or write ${%s:-default}", name, name))
			}
			continue
		}
		b.WriteString(value)
	}
	return b.String(), problems
}

// splitVarName splits "NAME:-x" into "NAME" and ":-x".
func splitVarName(s string) (string, string) {
	i := 0
	for i < len(s) && (s[i] == '_' || s[i] >= 'A' && s[i] <= 'Z' || s[i] >= 'a' && s[i] <= 'z' || s[i] >= '0' && s[i] <= '9') {
		i++
	}
	return s[:i], s[i:]
}

// quoteShort quotes s for a message, cutting it when long.
func quoteShort(s string) string {
	const max = 60
	if r := []rune(s); len(r) > max {
		s = string(r[:max]) + "…"
	}
	return fmt.Sprintf("%q", s)
}
