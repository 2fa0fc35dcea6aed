package roles

import (
	"encoding/json"
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
// IAM role"): the calling account, and any ECS resource of the region in
// it. A specific cluster in aws:SourceArn is not supported, hence the
// wildcard. A role serving several regions carries one pattern per region:
// EnsureTrusted adds a region's pattern to an existing statement of this
// shape and never removes one.
func SourceCondition(partition, region, account string) map[string]any {
	return map[string]any{
		"ArnLike":      map[string]any{"aws:SourceArn": fmt.Sprintf("arn:%s:ecs:%s:%s:*", partition, region, account)},
		"StringEquals": map[string]any{"aws:SourceAccount": account},
	}
}

// deputy is a condition of the shape SourceCondition writes: ArnLike
// aws:SourceArn (one pattern or a list) and StringEquals aws:SourceAccount,
// nothing else.
type deputy struct {
	account string
	arns    []string
}

func deputyOf(cond map[string]any) (deputy, bool) {
	if len(cond) != 2 {
		return deputy{}, false
	}
	like, ok1 := cond["ArnLike"].(map[string]any)
	eq, ok2 := cond["StringEquals"].(map[string]any)
	if !ok1 || !ok2 || len(like) != 1 || len(eq) != 1 {
		return deputy{}, false
	}
	accounts := policy.Strings(eq["aws:SourceAccount"])
	arns := policy.Strings(like["aws:SourceArn"])
	if len(accounts) != 1 || len(arns) == 0 {
		return deputy{}, false
	}
	return deputy{account: accounts[0], arns: arns}, true
}

// covers reports whether one of the patterns matches every ARN pattern
// wants matches (ArnLike compares with * and ? wildcards; a pattern that
// matches the wanted pattern's text covers it).
func (d deputy) covers(want string) bool {
	for _, a := range d.arns {
		if globMatch(a, want) {
			return true
		}
	}
	return false
}

// widenDeputy handles a wanted confused-deputy condition on a role whose
// trust already has a statement of that shape for the same account (the
// statement launch wrote for another region, or the one AWS's docs show):
// it adds the wanted aws:SourceArn pattern to that statement's list, keeping
// every value already there, so the role serves every region whose
// instances use it. ok is false when t wants no such condition or no
// statement has that shape; doc is returned unchanged when a pattern
// already covers the wanted one.
func widenDeputy(doc *policy.Document, t TrustedService) (*policy.Document, bool) {
	want, ok := deputyOf(t.Condition)
	if !ok || len(want.arns) != 1 {
		return nil, false
	}
	for i, s := range doc.Statement {
		have, _ := s["Condition"].(map[string]any)
		d, isDeputy := deputyOf(have)
		if !isDeputy || d.account != want.account || !canJoin(s, have) || !slices.Contains(services(s), t.Service) {
			continue
		}
		if d.covers(want.arns[0]) {
			return doc, true
		}
		out := clone(doc)
		cond := out.Statement[i]["Condition"].(map[string]any)
		cond["ArnLike"].(map[string]any)["aws:SourceArn"] = toAny(append(d.arns, want.arns[0]))
		return out, true
	}
	return nil, false
}

// globMatch matches s against pattern, where * matches any run of
// characters and ? any one character, as IAM's ArnLike and StringLike do.
func globMatch(pattern, s string) bool {
	px, sx := 0, 0
	star, mark := -1, 0
	for sx < len(s) {
		switch {
		case px < len(pattern) && (pattern[px] == '?' || pattern[px] == s[sx]):
			px++
			sx++
		case px < len(pattern) && pattern[px] == '*':
			star, mark = px, sx
			px++
		case star >= 0:
			px = star + 1
			mark++
			sx = mark
		default:
			return false
		}
	}
	for px < len(pattern) && pattern[px] == '*' {
		px++
	}
	return px == len(pattern)
}

// TrustConflict says why an existing statement trusting t.Service keeps the
// wanted condition t.Condition from deciding who may assume the role, or
// "" when every statement trusting the service carries it (for a
// confused-deputy condition: of its shape, for the same account, with a
// pattern covering the wanted region).
func TrustConflict(doc *policy.Document, t TrustedService) string {
	if t.Condition == nil {
		return ""
	}
	want, isDeputy := deputyOf(t.Condition)
	for _, s := range doc.Statement {
		if !allowsAssumeRole(s) || !slices.Contains(services(s), t.Service) {
			continue
		}
		have, _ := s["Condition"].(map[string]any)
		if len(have) == 0 {
			return fmt.Sprintf("a statement trusts %s without any condition, so tasks of any account and region may assume the role: the confused-deputy condition launch would add cannot restrict that", t.Service)
		}
		if sameCondition(have, t.Condition) {
			continue
		}
		if d, ok := deputyOf(have); ok && isDeputy && d.account == want.account && d.covers(want.arns[0]) {
			continue
		}
		b, _ := json.Marshal(have) // map keys sorted: stable text
		return fmt.Sprintf("a statement trusts %s under a condition launch does not manage (%s): tasks of this deployment can assume the role only if that condition allows them, and tasks it allows are not restricted by the confused-deputy condition", t.Service, b)
	}
	return ""
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
	if merged, ok := widenDeputy(doc, t); ok {
		return merged
	}
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
	// Canonical drops an empty Condition, so none and {} compare equal.
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
