package preflight

import (
	"fmt"
	"strings"
)

// Tree renders the checks under a "preflight" root, one per line:
//
//	preflight
//	├─ OK   cluster matillion-streaming: will be created
//	├─ FAIL secrets
//	│  └─ FAIL agent-credentials (matillion/x): secret "matillion/x" not found …
//	└─ SKIP image public.ecr.aws/…: not in this account's ECR (public registry); launch cannot check it
func (r Result) Tree() string {
	var b strings.Builder
	b.WriteString("preflight\n")
	writeTree(&b, r.Checks, "")
	return b.String()
}

func writeTree(b *strings.Builder, checks []Check, indent string) {
	for i, c := range checks {
		branch, next := "├─ ", "│  "
		if i == len(checks)-1 {
			branch, next = "└─ ", "   "
		}
		fmt.Fprintf(b, "%s%s%-4s %s", indent, branch, c.Status, oneLine(c.Name))
		if c.Reason != "" {
			b.WriteString(": " + oneLine(c.Reason))
		}
		b.WriteByte('\n')
		writeTree(b, c.Children, indent+next)
	}
}
