package secrets

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// A statement launch does not write is refused, never merged into an
// Allow: each refusal names the statement.
func TestParseGrantRefusesHandWrittenStatements(t *testing.T) {
	stmt := func(s string) string { return `{"Version":"2012-10-17","Statement":[` + s + `]}` }
	tests := map[string]struct{ doc, want string }{
		"a Deny":        {stmt(`{"Sid":"S","Effect":"Deny","Action":"secretsmanager:GetSecretValue","Resource":"a"}`), "statement S is not one launch writes"},
		"a Condition":   {stmt(`{"Sid":"S","Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"a","Condition":{"Bool":{"aws:SecureTransport":"true"}}}`), "statement S is not one launch writes"},
		"a NotResource": {stmt(`{"Sid":"S","Effect":"Allow","Action":"secretsmanager:GetSecretValue","NotResource":"a"}`), "statement S is not one launch writes"},
		"a NotAction":   {stmt(`{"Sid":"S","Effect":"Allow","NotAction":"iam:*","Resource":"a"}`), "statement S is not one launch writes"},
		"no Resource":   {stmt(`{"Sid":"S","Effect":"Allow","Action":"secretsmanager:GetSecretValue"}`), "statement S is not one launch writes"},
		"another action": {stmt(`{"Sid":"S","Effect":"Allow","Action":["secretsmanager:GetSecretValue","secretsmanager:PutSecretValue"],"Resource":"a"}`),
			"statement S allows secretsmanager:PutSecretValue, which launch never grants"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g, err := ParseGrant(tc.doc)
			if err == nil || err.Error() != tc.want {
				t.Errorf("ParseGrant = %v, %v; want error %q", g, err, tc.want)
			}
		})
	}
	if _, err := ParseGrant("{not json"); err == nil {
		t.Error("a document that does not parse was accepted")
	}
}

// What launch writes reads back as the same grant, each action with its
// sorted resources; Resource may be a string or a list.
func TestParseGrantReadsWhatLaunchWrites(t *testing.T) {
	doc := `{"Version":"2012-10-17","Statement":[
		{"Sid":"ReadAgentSecrets","Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":["b","a"]},
		{"Sid":"DecryptAgentSecrets","Effect":"Allow","Action":["kms:Decrypt"],"Resource":"k"}]}`
	g, err := ParseGrant(doc)
	want := Grant{ActionGetSecretValue: {"a", "b"}, ActionDecrypt: {"k"}}
	if err != nil || !reflect.DeepEqual(g, want) {
		t.Errorf("ParseGrant = %v, %v; want %v", g, err, want)
	}
}

func TestGrantAllowsEmptyUnion(t *testing.T) {
	g := Grant{ActionGetSecretValue: {"a"}, ActionDecrypt: {"k"}}
	for _, tc := range []struct {
		action, resource string
		want             bool
	}{
		{ActionGetSecretValue, "a", true},
		{ActionGetSecretValue, "b", false},
		{ActionDecrypt, "a", false},
		{ActionGetParameters, "a", false},
	} {
		if got := g.Allows(tc.action, tc.resource); got != tc.want {
			t.Errorf("Allows(%s, %s) = %v", tc.action, tc.resource, got)
		}
	}
	if all := (Grant{ActionGetSecretValue: {"*"}}); !all.Allows(ActionGetSecretValue, "anything") || all.Allows(ActionDecrypt, "k") {
		t.Error(`"*" under GetSecretValue must allow every secret and nothing else`)
	}

	if !(Grant{}).Empty() || !(Grant{ActionDecrypt: nil}).Empty() || g.Empty() {
		t.Error("Empty: a grant is empty exactly when no action has a resource")
	}

	u := g.Union(Grant{ActionGetSecretValue: {"c", "a"}, ActionGetParameters: {"p"}})
	want := Grant{ActionGetSecretValue: {"a", "c"}, ActionDecrypt: {"k"}, ActionGetParameters: {"p"}}
	if !reflect.DeepEqual(u, want) {
		t.Errorf("Union = %v, want %v", u, want)
	}
	if u := g.Union(Grant{ActionGetSecretValue: {"*"}}); !reflect.DeepEqual(u[ActionGetSecretValue], []string{"*"}) || !reflect.DeepEqual(u[ActionDecrypt], []string{"k"}) {
		t.Errorf(`Union with "*" = %v, want GetSecretValue on "*" alone`, u)
	}
	if !reflect.DeepEqual(g, Grant{ActionGetSecretValue: {"a"}, ActionDecrypt: {"k"}}) {
		t.Errorf("Union changed its receiver: %v", g)
	}
}

func TestGrantForSkipsReferencesItCannotName(t *testing.T) {
	refs := []Reference{
		{Kind: KindSecret, Ref: "missing", Problem: "not found"},
		{Kind: KindSecret, Ref: "deleted", ARN: "arn-deleted", KMSKeyARN: "key-of-deleted", Problem: "scheduled for deletion"},
		{Kind: KindSecret, Ref: "unresolved", KMSKeyARN: "key-of-unresolved"},
		{Kind: KindSecret, Ref: "db", ARN: "arn-db", KMSKeyARN: "key"},
	}
	if got, want := GrantFor(refs, false), (Grant{ActionGetSecretValue: {"arn-db"}, ActionDecrypt: {"key"}}); !reflect.DeepEqual(got, want) {
		t.Errorf("GrantFor = %v, want %v", got, want)
	}
	if got := GrantFor(refs[:3], false); !got.Empty() {
		t.Errorf("GrantFor of unusable references = %v, want empty", got)
	}
}

func TestInstancePolicyName(t *testing.T) {
	if got := InstancePolicyName("eu-west-1", "prod"); got != "launch-secrets-eu-west-1-prod" {
		t.Errorf("InstancePolicyName = %s", got)
	}
	long := strings.Repeat("c", 128-len("launch-secrets-eu-west-1-"))
	if got := InstancePolicyName("eu-west-1", long); got != "launch-secrets-eu-west-1-"+long {
		t.Errorf("a name of exactly 128 characters was shortened: %s", got)
	}
	for _, cluster := range []string{long + "x", "team/prod", "prod cluster"} {
		got := InstancePolicyName("eu-west-1", cluster)
		if len(got) != len("launch-secrets-eu-west-1-")+16 || !strings.HasPrefix(got, "launch-secrets-eu-west-1-") || !policyNameRE.MatchString(got) {
			t.Errorf("InstancePolicyName(%q) = %q, want the prefix and 16 hex characters", cluster, got)
		}
		if again := InstancePolicyName("eu-west-1", cluster); again != got {
			t.Errorf("not stable: %s, %s", got, again)
		}
	}
	if InstancePolicyName("eu-west-1", "team/prod") == InstancePolicyName("eu-west-1", "team/prod2") {
		t.Error("two clusters share a shortened name")
	}
	// A shortened name is what every launch since per-instance grants
	// writes (sha256 of "<region>/<cluster>"): a rerun or a destroy by a
	// newer launch must find the grant an older one put.
	for _, tt := range []struct{ region, cluster, want string }{
		{"ap-southeast-2", strings.Repeat("data-streaming-agents-", 6) + "prod", "launch-secrets-ap-southeast-2-afa18144a4dcc6d8"},
		{"eu-west-1", "team/prod", "launch-secrets-eu-west-1-37171f89b19041e5"},
	} {
		if got := InstancePolicyName(tt.region, tt.cluster); got != tt.want {
			t.Errorf("InstancePolicyName(%s, %s) = %s, want %s as before", tt.region, tt.cluster, got, tt.want)
		}
	}
}

// failingSM fails every DescribeSecret as AWS does when it will not answer.
type failingSM struct{ err error }

func (f failingSM) DescribeSecret(context.Context, *secretsmanager.DescribeSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	return nil, f.err
}

// countingSM counts DescribeSecret calls, which ResolveReferences makes
// concurrently.
type countingSM struct {
	fakeSM
	calls *atomic.Int32
}

func (c countingSM) DescribeSecret(ctx context.Context, in *secretsmanager.DescribeSecretInput, o ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	c.calls.Add(1)
	return c.fakeSM.DescribeSecret(ctx, in, o...)
}

func TestResolveReferences(t *testing.T) {
	ctx := context.Background()
	deleted := entry("old", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:old-QwErTy", "")
	deleted.DeletedDate = aws.Time(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	var calls atomic.Int32
	sm := countingSM{fakeSM{secrets: []smtypes.SecretListEntry{entry("agent/creds", arnCreds, "arn:aws:kms:eu-west-1:123456789012:key/k1"), deleted}}, &calls}
	known := []Secret{{Ref: "spec-db", ARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:spec-db-AbCdEf", KMSKeyARN: "key-of-db"}}
	refs := []Reference{
		{Kind: KindSecret, Ref: "agent/creds"},
		{Kind: KindSecret, Ref: "spec-db"},
		{Kind: KindSecret, Ref: "nope"},
		{Kind: KindSecret, Ref: "old"},
		{Kind: KindParameter, Ref: "/p"},
		{Kind: KindSecret, Ref: "bad", Problem: "already wrong"},
	}
	got, err := ResolveReferences(ctx, sm, nil, refs, known)
	if err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("%d DescribeSecret calls, want 3 (not for the known secret, the parameter or the reference with a problem)", n)
	}
	if got[0].ARN != arnCreds || got[0].KMSKeyARN != "arn:aws:kms:eu-west-1:123456789012:key/k1" || got[0].Problem != "" {
		t.Errorf("resolved: %+v", got[0])
	}
	if got[1].ARN != known[0].ARN || got[1].KMSKeyARN != "key-of-db" {
		t.Errorf("known: %+v", got[1])
	}
	if got[2].Problem != `secret "nope" not found (DescribeSecret); create it, or fix the reference in the base task definition` || got[2].ARN != "" {
		t.Errorf("missing: %+v", got[2])
	}
	if !strings.Contains(got[3].Problem, "scheduled for deletion on 2026-12-01") || got[3].ARN != "" {
		t.Errorf("deleted: %+v", got[3])
	}
	if !reflect.DeepEqual(got[4], refs[4]) || !reflect.DeepEqual(got[5], refs[5]) {
		t.Errorf("references that are not looked up changed: %+v %+v", got[4], got[5])
	}
	if refs[0].ARN != "" {
		t.Error("ResolveReferences changed its argument")
	}
}

// When AWS does not answer, a full ARN is granted as written (marked
// Unchecked) but a name cannot be granted exactly and is a Problem.
func TestResolveReferencesWhenAWSDoesNotAnswer(t *testing.T) {
	denied := errors.New("AccessDeniedException: not authorized")
	refs := []Reference{{Kind: KindSecret, Ref: arnCreds}, {Kind: KindSecret, Ref: "agent/creds"}, {Kind: KindSecret, Ref: strings.TrimSuffix(arnCreds, "-AbCdEf")}}
	got, err := ResolveReferences(context.Background(), failingSM{denied}, nil, refs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].ARN != arnCreds || got[0].Problem != "" ||
		got[0].Unchecked != `DescribeSecret failed (describe secret "`+arnCreds+`": AccessDeniedException: not authorized); granted as written, without any customer-managed key` {
		t.Errorf("full ARN: %+v", got[0])
	}
	for _, r := range got[1:] {
		if r.ARN != "" || r.Unchecked != "" || !strings.Contains(r.Problem, "cannot resolve "+`"`+r.Ref+`"`) || !strings.Contains(r.Problem, "6-character suffix") {
			t.Errorf("%s: %+v, want a Problem asking for the full ARN", r.Ref, r)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ResolveReferences(ctx, failingSM{context.Canceled}, nil, refs, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("an ended context: err = %v, want context.Canceled", err)
	}
}

func TestLooksFullARN(t *testing.T) {
	tests := map[string]bool{
		arnCreds: true,
		"arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-XyZ123":     true,
		"arn:aws:secretsmanager:eu-west-1:123456789012:secret:agent/creds":   false,
		"arn:aws:secretsmanager:eu-west-1:123456789012:secret:a-AbCdEf":      true, // a one-character name
		"arn:aws:secretsmanager:eu-west-1:123456789012:secret:-AbCdEf":       false,
		"arn:aws:secretsmanager:eu-west-1:123456789012:secret:AbCdEf":        false,
		"arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-XyZ12!":     false,
		"arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-!XyZ12":     false,
		"arn:aws:secretsmanager:eu-west-1:123456789012:secret:db_XyZ123":     false,
		"arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-XyZ123:key": false,
		"agent/creds-AbCdEf": false,
	}
	for ref, want := range tests {
		if got := looksFullARN(ref); got != want {
			t.Errorf("looksFullARN(%s) = %v, want %v", ref, got, want)
		}
	}
}

// A reference to a secret of the spec, by the spec's reference or by its
// full ARN, costs no call; a spec secret that did not resolve (no ARN) is
// looked up like any other.
func TestResolveReferencesReusesTheSpecsSecrets(t *testing.T) {
	var calls atomic.Int32
	sm := countingSM{fakeSM{secrets: []smtypes.SecretListEntry{entry("agent/creds", arnCreds, "")}}, &calls}
	known := []Secret{
		{Ref: "db", ARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf", KMSKeyARN: "key-of-db"},
		{Ref: "agent/creds"}, // did not resolve when the spec was read
	}
	refs := []Reference{{Kind: KindSecret, Ref: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf"}, {Kind: KindSecret, Ref: "agent/creds"}}
	got, err := ResolveReferences(context.Background(), sm, nil, refs, known)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].ARN != known[0].ARN || got[0].KMSKeyARN != "key-of-db" || got[1].ARN != arnCreds || calls.Load() != 1 {
		t.Errorf("got %+v after %d DescribeSecret calls; want db from the spec, agent/creds looked up (1 call)", got, calls.Load())
	}
}

// The grant of launch versions before per-instance grants has this name on
// every execution role they touched: launch must keep finding it by it.
func TestLegacyGrantName(t *testing.T) {
	if PolicyName != "launch-secrets-access" {
		t.Errorf("PolicyName = %q, the name older launch versions wrote is launch-secrets-access", PolicyName)
	}
	if name := InstancePolicyName("eu-west-1", "prod"); name == PolicyName || name != "launch-secrets-eu-west-1-prod" {
		t.Errorf("InstancePolicyName = %q", name)
	}
}
