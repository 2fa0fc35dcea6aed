package spec

import (
	"fmt"
	"regexp"
	"strconv"
)

// Field paths name a value the way a reader finds it in the file:
// "agents[1].memory", "taskRole.inlinePolicies[0].file",
// "agents[0].environment.AGENT_ID". A map key that is not a plain word is
// quoted: `tags["app.example.com/team"]`.

var plainKey = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

func joinKey(path, key string) string {
	if !plainKey.MatchString(key) {
		return path + "[" + strconv.Quote(key) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

func joinIndex(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// parent strips the last element from a path; the parent of a top-level key
// is "". Separators inside quoted keys are ignored.
func parent(path string) string {
	last, inQuote := -1, false
	for i := 0; i < len(path); i++ {
		switch c := path[i]; {
		case c == '\\' && inQuote:
			i++
		case c == '"':
			inQuote = !inQuote
		case !inQuote && (c == '.' || c == '['):
			last = i
		}
	}
	if last < 0 {
		return ""
	}
	return path[:last]
}
