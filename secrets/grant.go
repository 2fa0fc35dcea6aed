package secrets

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"

	"github.com/launchdeploy/launch/internal/policy"
)

// The actions of a grant, one statement each (Sid in grantStatements).
const (
	ActionGetSecretValue    = "secretsmanager:GetSecretValue"
	ActionGetParameters     = "ssm:GetParameters"
	ActionGetObject         = "s3:GetObject"
	ActionGetBucketLocation = "s3:GetBucketLocation"
	ActionDecrypt           = "kms:Decrypt"
)

// grantStatements are the statements of a grant, in document order.
var grantStatements = []struct{ sid, action string }{
	{"ReadAgentSecrets", ActionGetSecretValue},
	{"DecryptAgentSecrets", ActionDecrypt},
	{"ReadAgentParameters", ActionGetParameters},
	{"ReadAgentEnvironmentFiles", ActionGetObject},
	{"LocateAgentEnvironmentFileBuckets", ActionGetBucketLocation},
}

// Grant is what an execution role may read for one deployment instance:
// resources by action. "*" under GetSecretValue means every secret.
type Grant map[string][]string

// GrantFor is the grant of the resolved references: GetSecretValue on each
// secret's full ARN, GetParameters on each parameter's ARN, GetObject on
// each environment file and GetBucketLocation on its bucket, Decrypt on the
// customer-managed keys. allSecrets grants GetSecretValue on "*" instead.
// References with a Problem (or, for secrets, no resolved ARN) grant nothing.
func GrantFor(refs []Reference, allSecrets bool) Grant {
	g := Grant{}
	for _, r := range refs {
		if r.Problem != "" || r.ARN == "" {
			continue
		}
		switch r.Kind {
		case KindSecret:
			g.add(ActionGetSecretValue, r.ARN)
		case KindParameter:
			g.add(ActionGetParameters, r.ARN)
		case KindS3Object:
			g.add(ActionGetObject, r.ARN)
			g.add(ActionGetBucketLocation, r.BucketARN())
		}
		g.add(ActionDecrypt, r.KMSKeyARN) // none: add skips ""
	}
	if allSecrets {
		g[ActionGetSecretValue] = []string{"*"}
	}
	return g
}

func (g Grant) add(action, resource string) {
	if resource != "" && !slices.Contains(g[action], resource) {
		g[action] = append(g[action], resource)
		sort.Strings(g[action])
	}
}

// Empty reports whether the grant allows nothing (IAM refuses a policy
// without statements: launch deletes it instead).
func (g Grant) Empty() bool {
	for _, rs := range g {
		if len(rs) > 0 {
			return false
		}
	}
	return true
}

// Allows reports whether the grant allows action on resource.
func (g Grant) Allows(action, resource string) bool {
	return slices.Contains(g[action], resource) || slices.Contains(g[action], "*")
}

// Union is every resource of g and o.
func (g Grant) Union(o Grant) Grant {
	out := Grant{}
	for _, x := range []Grant{g, o} {
		for a, rs := range x {
			for _, r := range rs {
				out.add(a, r)
			}
		}
	}
	if slices.Contains(out[ActionGetSecretValue], "*") {
		out[ActionGetSecretValue] = []string{"*"}
	}
	return out
}

// Policy is the grant as an IAM policy document, one statement per action.
func (g Grant) Policy() string {
	stmts := []map[string]any{}
	for _, s := range grantStatements {
		rs := g[s.action]
		if len(rs) == 0 {
			continue
		}
		var resource any = rs
		if len(rs) == 1 && rs[0] == "*" {
			resource = "*"
		}
		stmts = append(stmts, map[string]any{"Sid": s.sid, "Effect": "Allow", "Action": s.action, "Resource": resource})
	}
	doc := map[string]any{"Version": policy.Version, "Statement": stmts}
	b, _ := json.MarshalIndent(doc, "", "  ")
	return string(b)
}

// ParseGrant reads a grant launch wrote. A statement launch does not write
// (a Deny, a condition, a NotResource, an action outside a grant's — added
// by hand) is an error: it must not be merged into an Allow.
func ParseGrant(doc string) (Grant, error) {
	d, err := policy.Parse(doc)
	if err != nil {
		return nil, err
	}
	g := Grant{}
	for _, s := range d.Statement {
		// A statement with NotResource has no Resource (IAM allows one of
		// the two), so Resource == nil refuses it too.
		if s["Effect"] != "Allow" || s["Condition"] != nil || s["NotAction"] != nil || s["Resource"] == nil {
			return nil, fmt.Errorf("statement %v is not one launch writes", s["Sid"])
		}
		for _, a := range policy.Strings(s["Action"]) {
			if !slices.ContainsFunc(grantStatements, func(gs struct{ sid, action string }) bool { return gs.action == a }) {
				return nil, fmt.Errorf("statement %v allows %s, which launch never grants", s["Sid"], a)
			}
			for _, r := range policy.Strings(s["Resource"]) {
				g.add(a, r)
			}
		}
	}
	return g, nil
}

// GrantPolicy is the grant of secrets alone (see GrantFor).
func GrantPolicy(secrets []Secret, allSecrets bool) string {
	refs := make([]Reference, 0, len(secrets))
	for _, s := range secrets {
		refs = append(refs, Reference{Kind: KindSecret, ARN: s.ARN, KMSKeyARN: s.KMSKeyARN})
	}
	return GrantFor(refs, allSecrets).Policy()
}

// WidenGrant returns the grant that allows everything current and desired
// both allow, and whether it differs from desired (so desired removes
// something). While a deployment is in flight, the old revision's tasks and
// a circuit-breaker rollback still need the old references: launch puts the
// wider grant first and narrows it once the deployments completed.
func WidenGrant(current, desired string) (string, bool, error) {
	cur, err := ParseGrant(current)
	if err != nil {
		return "", false, fmt.Errorf("current grant: %w", err)
	}
	want, err := ParseGrant(desired)
	if err != nil {
		return "", false, fmt.Errorf("desired grant: %w", err)
	}
	widened := cur.Union(want).Policy()
	same, err := policy.Equal(widened, desired)
	if err != nil {
		return "", false, err
	}
	return widened, !same, nil
}
