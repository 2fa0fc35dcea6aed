package secrets

import (
	"encoding/json"
	"reflect"
	"testing"
)

// Policy writes one statement per action, in a fixed order, each with its
// own Sid (IAM shows these names, and ParseGrant reads them back) and the
// action spelled as IAM knows it.
func TestPolicyStatementsAndSids(t *testing.T) {
	g := Grant{ActionGetBucketLocation: {"arn:aws:s3:::b"}, ActionGetObject: {"arn:aws:s3:::b/k"}, ActionGetParameters: {"p"},
		ActionDecrypt: {"k"}, ActionGetSecretValue: {"s"}}
	var doc struct {
		Version   string
		Statement []struct{ Sid, Effect, Action string }
	}
	if err := json.Unmarshal([]byte(g.Policy()), &doc); err != nil {
		t.Fatal(err)
	}
	want := []struct{ Sid, Effect, Action string }{
		{"ReadAgentSecrets", "Allow", "secretsmanager:GetSecretValue"},
		{"DecryptAgentSecrets", "Allow", "kms:Decrypt"},
		{"ReadAgentParameters", "Allow", "ssm:GetParameters"},
		{"ReadAgentEnvironmentFiles", "Allow", "s3:GetObject"},
		{"LocateAgentEnvironmentFileBuckets", "Allow", "s3:GetBucketLocation"},
	}
	if doc.Version != "2012-10-17" || !reflect.DeepEqual(doc.Statement, want) {
		t.Errorf("policy %s\nwant statements %v", g.Policy(), want)
	}
}

// How a valueFrom or credentialsParameter is read: which kind, what is
// looked up, and which forms are refused with a reason.
func TestReferenceForms(t *testing.T) {
	loc := Location{Partition: "aws", Region: "eu-west-1", Account: "123456789012"}
	tests := map[string]struct {
		got  Reference
		want Reference
	}{
		"top-level parameter ARN": {valueFromRef("arn:aws:ssm:us-east-2:1:parameter/flag", loc),
			Reference{Kind: KindParameter, Ref: "flag", ARN: "arn:aws:ssm:us-east-2:1:parameter/flag", Region: "us-east-2"}},
		"parameter ARN with a path": {valueFromRef("arn:aws:ssm:us-east-2:1:parameter/web/token", loc),
			Reference{Kind: KindParameter, Ref: "/web/token", ARN: "arn:aws:ssm:us-east-2:1:parameter/web/token", Region: "us-east-2"}},
		"valueFrom that starts like an ARN but is not one": {valueFromRef("arn:aws:ssm", loc),
			Reference{Kind: KindSecret, Ref: "arn:aws:ssm", Problem: `valueFrom "arn:aws:ssm" is not a valid ARN`}},
		"empty valueFrom": {valueFromRef("", loc),
			Reference{Kind: KindParameter, Ref: "", Problem: "valueFrom is empty"}},
		"secret ARN without a name": {secretRef("arn:aws:secretsmanager:eu-west-1:1:secret:", loc),
			Reference{Kind: KindSecret, Ref: "arn:aws:secretsmanager:eu-west-1:1:secret:", Problem: `"arn:aws:secretsmanager:eu-west-1:1:secret:" is not a Secrets Manager secret ARN (arn:<partition>:secretsmanager:<region>:<account>:secret:<name>)`}},
		"secret ARN cut short": {secretRef("arn:aws:secretsmanager:eu-west-1:1:secret", loc),
			Reference{Kind: KindSecret, Ref: "arn:aws:secretsmanager:eu-west-1:1:secret", Problem: `"arn:aws:secretsmanager:eu-west-1:1:secret" is not a Secrets Manager secret ARN (arn:<partition>:secretsmanager:<region>:<account>:secret:<name>)`}},
		"secrets manager ARN of something else": {secretRef("arn:aws:secretsmanager:eu-west-1:1:other:x", loc),
			Reference{Kind: KindSecret, Ref: "arn:aws:secretsmanager:eu-west-1:1:other:x", Problem: `"arn:aws:secretsmanager:eu-west-1:1:other:x" is not a Secrets Manager secret ARN (arn:<partition>:secretsmanager:<region>:<account>:secret:<name>)`}},
		"environment file in S3": {s3Ref("arn:aws:s3:::cfg-bucket/agent/prod.env"),
			Reference{Kind: KindS3Object, Ref: "cfg-bucket/agent/prod.env", ARN: "arn:aws:s3:::cfg-bucket/agent/prod.env"}},
		"environment file ARN of another service": {s3Ref("arn:aws:ssm:eu-west-1:1:parameter/agent.env"),
			Reference{Kind: KindS3Object, Ref: "arn:aws:ssm:eu-west-1:1:parameter/agent.env", Problem: `environment file "arn:aws:ssm:eu-west-1:1:parameter/agent.env" is not an S3 object ARN (arn:<partition>:s3:::<bucket>/<key>)`}},
		"environment file that is not an ARN": {s3Ref("cfg-bucket/agent/prod.env"),
			Reference{Kind: KindS3Object, Ref: "cfg-bucket/agent/prod.env", Problem: `environment file "cfg-bucket/agent/prod.env" is not an S3 object ARN (arn:<partition>:s3:::<bucket>/<key>)`}},
		"environment file of a bucket, no key": {s3Ref("arn:aws:s3:::cfg-bucket/"),
			Reference{Kind: KindS3Object, Ref: "arn:aws:s3:::cfg-bucket/", Problem: `environment file "arn:aws:s3:::cfg-bucket/" is not an S3 object ARN (arn:<partition>:s3:::<bucket>/<key>)`}},
		"environment file without a bucket": {s3Ref("arn:aws:s3:::/prod.env"),
			Reference{Kind: KindS3Object, Ref: "arn:aws:s3:::/prod.env", Problem: `environment file "arn:aws:s3:::/prod.env" is not an S3 object ARN (arn:<partition>:s3:::<bucket>/<key>)`}},
		"secret ARN with a JSON key": {secretRef("arn:aws:secretsmanager:us-west-2:1:secret:db-AbCdEf:password::", loc),
			Reference{Kind: KindSecret, Ref: "arn:aws:secretsmanager:us-west-2:1:secret:db-AbCdEf", Region: "us-west-2"}},
	}
	for name, tc := range tests {
		if !reflect.DeepEqual(tc.got, tc.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", name, tc.got, tc.want)
		}
	}
}

// A partial ARN matches only the secret whose full ARN is it plus "-" and
// six characters: "db" must not pick the secret "db-old".
func TestMatchesPartialARN(t *testing.T) {
	const partial = "arn:aws:secretsmanager:eu-west-1:1:secret:db"
	for _, tc := range []struct {
		arn  string
		want bool
	}{
		{partial + "-AbCdEf", true},
		{partial + "-old-AbCdEf", false},
		{partial + "xAbCdEf", false},
	} {
		if got := matches(partial, Secret{ARN: tc.arn, Name: "x"}); got != tc.want {
			t.Errorf("matches(%s, %s) = %v, want %v", partial, tc.arn, got, tc.want)
		}
	}
}

// A reference's JSON form, and its kind as plan prints it and preflight
// reads it: "secret", "parameter" or "s3 object".
func TestReferenceJSON(t *testing.T) {
	refs := []Reference{
		{Kind: KindSecret, Ref: "db", ARN: "arn:aws:secretsmanager:eu-west-1:1:secret:db-AbCdEf", Region: "eu-west-1", Where: []string{"container web secrets[DB]"}, KMSKeyARN: "arn:aws:kms:eu-west-1:1:key/k"},
		{Kind: KindParameter, Ref: "flag", Where: []string{"container web secrets[FLAG]"}, Unchecked: "AccessDenied"},
		{Kind: KindS3Object, Ref: "b/k.env", Where: []string{"container web environmentFiles[0]"}, Problem: "p"},
	}
	got, err := json.Marshal(refs)
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"kind":"secret","ref":"db","arn":"arn:aws:secretsmanager:eu-west-1:1:secret:db-AbCdEf","region":"eu-west-1","where":["container web secrets[DB]"],"kmsKeyArn":"arn:aws:kms:eu-west-1:1:key/k"},` +
		`{"kind":"parameter","ref":"flag","where":["container web secrets[FLAG]"],"unchecked":"AccessDenied"},` +
		`{"kind":"s3 object","ref":"b/k.env","where":["container web environmentFiles[0]"],"problem":"p"}]`
	if string(got) != want {
		t.Errorf("JSON:\n%s\nwant\n%s", got, want)
	}
}
