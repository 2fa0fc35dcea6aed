package secrets

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/launchdeploy/launch/internal/policy"
)

const arnCreds = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:agent/creds-AbCdEf"

// fakeSM resolves like Secrets Manager: by exact name, full ARN, or partial
// ARN (the ARN without its suffix). It never implements GetSecretValue.
type fakeSM struct{ secrets []smtypes.SecretListEntry }

func (f fakeSM) DescribeSecret(_ context.Context, in *secretsmanager.DescribeSecretInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	id := aws.ToString(in.SecretId)
	for _, s := range f.secrets {
		a := aws.ToString(s.ARN)
		if id == aws.ToString(s.Name) || id == a || a[:len(a)-7] == id || strings.HasSuffix(a, ":secret:"+id) {
			return &secretsmanager.DescribeSecretOutput{ARN: s.ARN, Name: s.Name, KmsKeyId: s.KmsKeyId, DeletedDate: s.DeletedDate}, nil
		}
	}
	return nil, &smtypes.ResourceNotFoundException{Message: aws.String("Secrets Manager can't find the specified secret.")}
}

func entry(name, arn, kms string) smtypes.SecretListEntry {
	e := smtypes.SecretListEntry{Name: aws.String(name), ARN: aws.String(arn)}
	if kms != "" {
		e.KmsKeyId = aws.String(kms)
	}
	return e
}

func TestResolveForms(t *testing.T) {
	sm := fakeSM{secrets: []smtypes.SecretListEntry{entry("agent/creds", arnCreds, "")}}
	refs := []string{"agent/creds", arnCreds, strings.TrimSuffix(arnCreds, "-AbCdEf")}
	got, err := Resolve(context.Background(), sm, nil, refs)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(refs) {
		t.Errorf("resolved %d references, want %d: %v", len(got), len(refs), got)
	}
	for _, ref := range refs {
		s, ok := got[ref]
		if !ok || s.ARN != arnCreds || s.Name != "agent/creds" {
			t.Errorf("%s resolved to %+v (found %v), want %s named agent/creds", ref, s, ok, arnCreds)
		}
	}
}

// A single missing secret is a *ResolveError too, whose message is that
// secret's problem alone.
func TestResolveReportsASingleProblem(t *testing.T) {
	sm := fakeSM{secrets: []smtypes.SecretListEntry{entry("agent/creds", arnCreds, "")}}
	ok, err := Resolve(context.Background(), sm, nil, []string{"agent/creds", "missing"})
	var re *ResolveError
	want := `secret "missing" not found (tried DescribeSecret with SecretId "missing"); create it, or fix the name or ARN under secrets:`
	if !errors.As(err, &re) || err.Error() != want {
		t.Fatalf("err = %v, want a ResolveError saying %q", err, want)
	}
	if len(ok) != 1 || ok["agent/creds"].ARN != arnCreds {
		t.Errorf("resolved %v, want agent/creds beside the error", ok)
	}
}

func TestResolveReportsEveryProblem(t *testing.T) {
	deleted := entry("old", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:old-QwErTy", "")
	deleted.DeletedDate = aws.Time(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	sm := fakeSM{secrets: []smtypes.SecretListEntry{deleted, entry("db", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-XyZ123", "")}}
	ok, err := Resolve(context.Background(), sm, nil, []string{"missing", "old", "db-XyZ123", "db"})
	var re *ResolveError
	if !errors.As(err, &re) || len(re.ByRef) != 3 {
		t.Fatalf("want 3 problems, got %v", err)
	}
	if len(ok) != 1 || ok["db"].ARN == "" {
		t.Errorf("the reference that resolved is not returned with the error: %v", ok)
	}
	// One line saying how many, then each problem on its own indented line.
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 4 || lines[0] != "3 secrets cannot be used:" {
		t.Fatalf("error %q, want a first line \"3 secrets cannot be used:\" and one line per problem", err.Error())
	}
	for i, want := range []string{`secret "missing" not found`, "scheduled for deletion on 2026-12-01", `"db-XyZ123" is ambiguous`} { // sorted
		if !strings.HasPrefix(lines[i+1], "  ") || !strings.Contains(lines[i+1], want) {
			t.Errorf("line %d %q, want an indented problem saying %q", i+2, lines[i+1], want)
		}
	}
}

// A reference whose ARN cannot be parsed has no bucket to name.
func TestBucketARNOfAnUnparsableARN(t *testing.T) {
	if got := (Reference{Kind: KindS3Object, ARN: "not-an-arn"}).BucketARN(); got != "" {
		t.Errorf("BucketARN = %q, want \"\"", got)
	}
	if got := (Reference{Kind: KindS3Object, Ref: "env-bucket/agent/prod.env", ARN: "arn:aws-cn:s3:::env-bucket/agent/prod.env"}).BucketARN(); got != "arn:aws-cn:s3:::env-bucket" {
		t.Errorf("BucketARN = %q, want arn:aws-cn:s3:::env-bucket", got)
	}
}

func TestKeyARN(t *testing.T) {
	ctx := context.Background()
	tests := map[string]string{
		"alias/aws/secretsmanager":                         "",
		"arn:aws:kms:eu-west-1:123456789012:key/1111-2222": "arn:aws:kms:eu-west-1:123456789012:key/1111-2222",
		"1111-2222": "arn:aws:kms:eu-west-1:123456789012:key/1111-2222",
	}
	for id, want := range tests {
		got, err := keyARN(ctx, nil, arnCreds, id)
		if err != nil || got != want {
			t.Errorf("keyARN(%s) = %q, %v; want %q", id, got, err, want)
		}
	}
	if _, err := keyARN(ctx, nil, arnCreds, "alias/mine"); err == nil || err.Error() != "KMS key alias/mine is an alias and no KMS client was given to resolve it" {
		t.Errorf("a customer alias without a KMS client: err = %v, want an error, not a silent skip", err)
	}
	// A key ID is completed from the secret's ARN: one that does not parse
	// is an error, not a made-up key ARN.
	if got, err := keyARN(ctx, nil, "agent/creds", "1111-2222"); got != "" || err == nil || !strings.HasPrefix(err.Error(), `secret ARN "agent/creds" does not parse: `) {
		t.Errorf("keyARN with a secret ARN that does not parse = %q, %v", got, err)
	}
}

func TestGrantPolicy(t *testing.T) {
	key := "arn:aws:kms:eu-west-1:123456789012:key/k1"
	doc := GrantPolicy([]Secret{{ARN: "b-arn"}, {ARN: "a-arn", KMSKeyARN: key}, {ARN: "b-arn"}}, false)
	var p struct {
		Statement []struct {
			Action   string
			Resource any
		}
	}
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Statement) != 2 || p.Statement[0].Action != "secretsmanager:GetSecretValue" || p.Statement[1].Action != "kms:Decrypt" {
		t.Fatalf("statements: %s", doc)
	}
	if res, _ := json.Marshal(p.Statement[0].Resource); string(res) != `["a-arn","b-arn"]` {
		t.Errorf("GetSecretValue resources = %s", res)
	}
	if res, _ := json.Marshal(p.Statement[1].Resource); string(res) != `["`+key+`"]` {
		t.Errorf("kms resources = %s", res)
	}
	all := GrantPolicy([]Secret{{ARN: "a-arn"}}, true)
	if !strings.Contains(all, `"Resource": "*"`) {
		t.Errorf("all-secrets policy: %s", all)
	}
}

func TestValueFrom(t *testing.T) {
	if got := ValueFrom(arnCreds, "client_id"); got != arnCreds+":client_id::" {
		t.Errorf("ValueFrom = %s", got)
	}
	if got := ValueFrom(arnCreds, ""); got != arnCreds {
		t.Errorf("ValueFrom = %s", got)
	}
}

func TestWidenGrant(t *testing.T) {
	key := "arn:aws:kms:eu-west-1:123456789012:key/k1"
	current := GrantPolicy([]Secret{{ARN: "a"}, {ARN: "b", KMSKeyARN: key}}, false)
	desired := GrantPolicy([]Secret{{ARN: "a"}, {ARN: "c"}}, false)
	wide, differs, err := WidenGrant(current, desired)
	if err != nil || !differs {
		t.Fatalf("differs %v err %v", differs, err)
	}
	want := GrantPolicy([]Secret{{ARN: "a"}, {ARN: "b", KMSKeyARN: key}, {ARN: "c"}}, false)
	if same, err := policy.Equal(wide, want); err != nil || !same {
		t.Errorf("widened:\n%s\nwant:\n%s", wide, want)
	}
	// Only additions: nothing to widen.
	if _, differs, err := WidenGrant(GrantPolicy([]Secret{{ARN: "a"}}, false), desired); err != nil || differs {
		t.Errorf("an added secret needs no widening: differs %v, err %v", differs, err)
	}
	// A hand-edited grant (a Deny) is not merged: the exact one is written.
	denied := `{"Version":"2012-10-17","Statement":[{"Sid":"ByHand","Effect":"Deny","Action":"secretsmanager:GetSecretValue","Resource":"x"}]}`
	if _, _, err := WidenGrant(denied, desired); err == nil || err.Error() != "current grant: statement ByHand is not one launch writes" {
		t.Errorf("a Deny statement was merged into an Allow: err = %v", err)
	}
	if _, _, err := WidenGrant(desired, denied); err == nil || err.Error() != "desired grant: statement ByHand is not one launch writes" {
		t.Errorf("a desired grant launch does not write: err = %v", err)
	}
	// From "*" to a list: keep "*" until the deployments completed.
	wide, differs, err = WidenGrant(GrantPolicy(nil, true), desired)
	if err != nil || !differs || !strings.Contains(wide, `"Resource": "*"`) {
		t.Errorf("widened from *: %s", wide)
	}
}

// The grant names each secret by the full ARN DescribeSecret returned, with
// its random 6-character suffix, however the spec wrote it (name, partial
// ARN, full ARN): a name or a partial ARN in a policy matches nothing, and a
// "-??????" or "*" wildcard would match other secrets.
func TestGrantNamesTheFullSuffixedARN(t *testing.T) {
	sm := fakeSM{secrets: []smtypes.SecretListEntry{
		entry("agent/creds", arnCreds, ""),
		entry("agent/creds-old", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:agent/creds-old-ZzZzZz", ""),
	}}
	for _, written := range []string{"agent/creds", strings.TrimSuffix(arnCreds, "-AbCdEf"), arnCreds} {
		got, err := Resolve(context.Background(), sm, nil, []string{written})
		if err != nil {
			t.Fatal(err)
		}
		doc := GrantPolicy([]Secret{got[written]}, false)
		var p struct{ Statement []struct{ Resource []string } }
		if err := json.Unmarshal([]byte(doc), &p); err != nil {
			t.Fatal(err)
		}
		if len(p.Statement) != 1 || len(p.Statement[0].Resource) != 1 || p.Statement[0].Resource[0] != arnCreds {
			t.Errorf("spec wrote %q: grant %s, want GetSecretValue on exactly %s", written, doc, arnCreds)
		}
	}
}
