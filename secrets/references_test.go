package secrets

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// A describe-task-definition shape with every kind of reference an
// execution role reads (see testdata/SOURCES.md for where each comes from).
const realShape = `{
  "family": "web",
  "containerDefinitions": [
    {
      "name": "web",
      "image": "registry.example.com/team/web:2",
      "repositoryCredentials": {"credentialsParameter": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:registry/creds-AbCdEf"},
      "environmentFiles": [{"value": "arn:aws:s3:::config-bucket/web/app.env", "type": "s3"}],
      "secrets": [
        {"name": "DB_PASSWORD", "valueFrom": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-QwErTy:password::"},
        {"name": "DB_USER", "valueFrom": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-QwErTy:username:AWSCURRENT:"},
        {"name": "API_KEY", "valueFrom": "arn:aws:ssm:us-east-2:123456789012:parameter/web/api-key"},
        {"name": "FLAG", "valueFrom": "feature-flag"},
        {"name": "TOKEN", "valueFrom": "/web/token"}
      ]
    },
    {
      "name": "router",
      "image": "busybox",
      "repositoryCredentials": {"credentialsParameter": "registry/creds"},
      "logConfiguration": {"logDriver": "splunk", "secretOptions": [{"name": "splunk-token", "valueFrom": "/web/token"}]},
      "secrets": [{"name": "BAD", "valueFrom": "arn:aws:s3:::not-a-secret"}]
    },
    {
      "name": "sidecar",
      "image": "busybox",
      "repositoryCredentials": {}
    }
  ]
}`

func TestReferencesOfARealShape(t *testing.T) {
	var td ecs.RegisterTaskDefinitionInput
	if err := json.Unmarshal([]byte(realShape), &td); err != nil {
		t.Fatal(err)
	}
	loc := Location{Partition: "aws", Region: "eu-west-1", Account: "123456789012"}
	got := References(&td, loc, nil)
	want := []Reference{
		{Kind: KindSecret, Ref: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-QwErTy", Region: "eu-west-1",
			Where: []string{"container web secrets[DB_PASSWORD]", "container web secrets[DB_USER]"}},
		{Kind: KindParameter, Ref: "/web/api-key", ARN: "arn:aws:ssm:us-east-2:123456789012:parameter/web/api-key", Region: "us-east-2",
			Where: []string{"container web secrets[API_KEY]"}},
		{Kind: KindParameter, Ref: "feature-flag", ARN: "arn:aws:ssm:eu-west-1:123456789012:parameter/feature-flag", Region: "eu-west-1",
			Where: []string{"container web secrets[FLAG]"}},
		{Kind: KindParameter, Ref: "/web/token", ARN: "arn:aws:ssm:eu-west-1:123456789012:parameter/web/token", Region: "eu-west-1",
			Where: []string{"container web secrets[TOKEN]", "container router logConfiguration.secretOptions[splunk-token]"}},
		{Kind: KindSecret, Ref: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:registry/creds-AbCdEf", Region: "eu-west-1",
			Where: []string{"container web repositoryCredentials.credentialsParameter"}},
		{Kind: KindS3Object, Ref: "config-bucket/web/app.env", ARN: "arn:aws:s3:::config-bucket/web/app.env",
			Where: []string{"container web environmentFiles[0]"}},
		{Kind: KindSecret, Ref: "arn:aws:s3:::not-a-secret", Problem: `valueFrom "arn:aws:s3:::not-a-secret" is neither a Secrets Manager secret nor an SSM parameter`,
			Where: []string{"container router secrets[BAD]"}},
		{Kind: KindSecret, Ref: "registry/creds", Region: "eu-west-1",
			Where: []string{"container router repositoryCredentials.credentialsParameter"}},
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", " ")
		t.Errorf("references:\n%s", g)
	}
	// plan --json prints each kind as this word, and preflight reads it back.
	for i, kind := range []string{"secret", "parameter", "parameter", "parameter", "secret", "s3 object", "secret", "secret"} {
		if i < len(got) && string(got[i].Kind) != kind {
			t.Errorf("reference %d (%s) is of kind %q, want %q", i, got[i].Ref, got[i].Kind, kind)
		}
	}

	// The grant of the resolved references: exact ARNs, bucket for the file.
	resolved := []Reference{
		{Kind: KindSecret, ARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-QwErTy", KMSKeyARN: "arn:aws:kms:eu-west-1:123456789012:key/k"},
		got[1], got[5], got[6],
	}
	g := GrantFor(resolved, false)
	wantGrant := Grant{
		ActionGetSecretValue:    {"arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-QwErTy"},
		ActionDecrypt:           {"arn:aws:kms:eu-west-1:123456789012:key/k"},
		ActionGetParameters:     {"arn:aws:ssm:us-east-2:123456789012:parameter/web/api-key"},
		ActionGetObject:         {"arn:aws:s3:::config-bucket/web/app.env"},
		ActionGetBucketLocation: {"arn:aws:s3:::config-bucket"},
	}
	if !reflect.DeepEqual(g, wantGrant) {
		t.Errorf("grant %v\nwant  %v", g, wantGrant)
	}
	back, err := ParseGrant(g.Policy())
	if err != nil || !reflect.DeepEqual(back, wantGrant) {
		t.Errorf("policy does not read back: %v %v", back, err)
	}
}

func TestSkipLeavesUnresolvedSpecSecrets(t *testing.T) {
	var td ecs.RegisterTaskDefinitionInput
	if err := json.Unmarshal([]byte(`{"containerDefinitions":[{"name":"a","secrets":[{"name":"X","valueFrom":"agent/creds:k::"}]}]}`), &td); err != nil || len(td.ContainerDefinitions) != 1 {
		t.Fatalf("fixture: %v, %+v", err, td)
	}
	if got := References(&td, Location{Partition: "aws", Region: "r", Account: "1"}, map[string]bool{"agent/creds:k::": true}); len(got) != 0 {
		t.Errorf("skipped valueFrom collected: %+v", got)
	}
}
