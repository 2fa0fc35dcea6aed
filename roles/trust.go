package roles

import (
	"fmt"
	"slices"
	"sort"

	"github.com/launchdeploy/launch/internal/policy"
)

// ECSTasksService is the service principal ECS uses to assume a task role
// or a task execution role.
const ECSTasksService = "ecs-tasks.amazonaws.com"

// TrustedService is one service principal a role must trust, with the
// condition (if any) the trust statement carries.
type TrustedService struct {
	Service   string
	Condition map[string]any // nil: no condition
}

// SourceCondition is the confused-deputy condition AWS recommends for the
// ecs-tasks.amazonaws.com trust of a task role (ECS developer guide, "Task
// IAM role"): the calling account, and any ECS resource in it. A specific
// cluster in aws:SourceArn is not supported, hence the wildcard.
func SourceCondition(partition, region, account string) map[string]any {
	return map[string]any{
		"ArnLike":      map[string]any{"aws:SourceArn": fmt.Sprintf("arn:%s:ecs:%s:%s:*", partition, region, account)},
		"StringEquals": map[string]any{"aws:SourceAccount": account},
	}
}

// NewTrustPolicy is the trust policy of a role launch creates: one statement
// per distinct condition, services without a condition grouped together.
func NewTrustPolicy(trusted []TrustedService) *policy.Document {
	doc := &policy.Document{Version: policy.Version}
	for _, t := range trusted {
		doc = EnsureTrusted(doc, t)
	}
	return doc
}

// EnsureTrusted returns doc changed so that it trusts t.Service, keeping
// every other statement, principal and condition as it was. When doc already
// trusts the service (an Allow sts:AssumeRole statement naming it, whatever
// its condition), doc is returned unchanged. Otherwise the service is added
// to an Allow statement whose action is exactly sts:AssumeRole, whose
// principal is services only, and whose condition equals t.Condition; when
// there is none, a new statement is appended. The input is never modified.
func EnsureTrusted(doc *policy.Document, t TrustedService) *policy.Document {
	for _, s := range doc.Statement {
		if allowsAssumeRole(s) && slices.Contains(services(s), t.Service) {
			return doc
		}
	}
	out := clone(doc)
	for i, s := range out.Statement {
		if !canJoin(s, t.Condition) {
			continue
		}
		principal := s["Principal"].(map[string]any)
		svcs := append(policy.Strings(principal["Service"]), t.Service)
		sort.Strings(svcs)
		principal["Service"] = toAny(svcs)
		out.Statement[i] = s
		return out
	}
	stmt := policy.Statement{
		"Effect":    "Allow",
		"Principal": map[string]any{"Service": t.Service},
		"Action":    "sts:AssumeRole",
	}
	if t.Condition != nil {
		stmt["Condition"] = t.Condition
	}
	out.Statement = append(out.Statement, stmt)
	return out
}

// Trusts reports whether doc trusts service through an Allow sts:AssumeRole
// statement.
func Trusts(doc *policy.Document, service string) bool {
	for _, s := range doc.Statement {
		if allowsAssumeRole(s) && slices.Contains(services(s), service) {
			return true
		}
	}
	return false
}

// TrustsWith reports whether doc trusts t.Service through an Allow
// sts:AssumeRole statement whose condition is exactly t.Condition.
func TrustsWith(doc *policy.Document, t TrustedService) bool {
	for _, s := range doc.Statement {
		have, _ := s["Condition"].(map[string]any)
		if allowsAssumeRole(s) && slices.Contains(services(s), t.Service) && sameCondition(have, t.Condition) {
			return true
		}
	}
	return false
}

// TrustsOtherwise reports whether doc trusts t.Service through an Allow
// sts:AssumeRole statement whose condition differs from t.Condition (none
// included): such a statement grants what the wanted condition restricts.
func TrustsOtherwise(doc *policy.Document, t TrustedService) bool {
	for _, s := range doc.Statement {
		have, _ := s["Condition"].(map[string]any)
		if allowsAssumeRole(s) && slices.Contains(services(s), t.Service) && !sameCondition(have, t.Condition) {
			return true
		}
	}
	return false
}

func allowsAssumeRole(s policy.Statement) bool {
	if s["Effect"] != "Allow" {
		return false
	}
	for _, a := range policy.Strings(s["Action"]) {
		if a == "sts:AssumeRole" || a == "sts:*" || a == "*" {
			return true
		}
	}
	return false
}

func services(s policy.Statement) []string {
	p, ok := s["Principal"].(map[string]any)
	if !ok {
		return nil
	}
	return policy.Strings(p["Service"])
}

// canJoin: adding a service to statement s must grant it exactly
// sts:AssumeRole under exactly the wanted condition, and nothing else.
func canJoin(s policy.Statement, cond map[string]any) bool {
	if s["Effect"] != "Allow" {
		return false
	}
	actions := policy.Strings(s["Action"])
	if len(actions) != 1 || actions[0] != "sts:AssumeRole" {
		return false
	}
	for k := range s {
		switch k {
		case "Effect", "Action", "Principal", "Sid", "Condition":
		default:
			return false // NotPrincipal, Resource…: leave such statements alone
		}
	}
	p, ok := s["Principal"].(map[string]any)
	if !ok || len(p) != 1 || p["Service"] == nil {
		return false
	}
	have, _ := s["Condition"].(map[string]any)
	return sameCondition(have, cond)
}

func sameCondition(a, b map[string]any) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	wrap := func(c map[string]any) string {
		d := &policy.Document{Statement: []policy.Statement{{"Condition": c}}}
		return d.Canonical()
	}
	return wrap(a) == wrap(b)
}

// clone deep-copies a document through its JSON form, so callers can keep
// the original for diffs.
func clone(doc *policy.Document) *policy.Document {
	c, err := policy.Parse(doc.JSON())
	if err != nil {
		panic("roles: a parsed policy failed to re-parse: " + err.Error())
	}
	return c
}

func toAny(ss []string) any {
	if len(ss) == 1 {
		return ss[0]
	}
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
