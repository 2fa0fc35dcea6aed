package roles

import (
	"net/url"
	"testing"

	"github.com/launchdeploy/launch/internal/policy"
)

func mustParse(t *testing.T, doc string) *policy.Document {
	t.Helper()
	d, err := policy.Parse(doc)
	if err != nil {
		t.Fatalf("parse %s: %v", doc, err)
	}
	return d
}

func equalDocs(t *testing.T, got *policy.Document, want string) {
	t.Helper()
	if g, w := got.Canonical(), mustParse(t, want).Canonical(); g != w {
		t.Errorf("policy mismatch\n got: %s\nwant: %s", got.JSON(), want)
	}
}

var cond = SourceCondition("aws", "eu-west-1", "123456789012")

func TestEnsureTrusted(t *testing.T) {
	tests := map[string]struct {
		in      string
		trusted TrustedService
		want    string
		same    bool // the input document must come back unchanged
	}{
		"already trusted, service as string": {
			in:      `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}}`,
			trusted: TrustedService{Service: ECSTasksService},
			same:    true,
		},
		"already trusted with another condition: left alone": {
			in:      `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","ecs-tasks.amazonaws.com"]},"Action":["sts:AssumeRole"],"Condition":{"StringEquals":{"aws:SourceAccount":"999999999999"}}}]}`,
			trusted: TrustedService{Service: ECSTasksService, Condition: cond},
			same:    true,
		},
		"joins an unconditioned statement (string → list)": {
			in:      `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}`,
			trusted: TrustedService{Service: ECSTasksService},
			want:    `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","ecs-tasks.amazonaws.com"]},"Action":"sts:AssumeRole"}]}`,
		},
		"condition wanted: a new statement, ec2's unchanged": {
			in:      `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}`,
			trusted: TrustedService{Service: ECSTasksService, Condition: cond},
			want: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"},
				{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:ecs:eu-west-1:123456789012:*"},"StringEquals":{"aws:SourceAccount":"123456789012"}}}]}`,
		},
		"does not join a statement with other actions": {
			in:      `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`,
			trusted: TrustedService{Service: ECSTasksService},
			want: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]},
				{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
		},
		"does not join an AWS-principal statement; keeps it": {
			in:      `{"Version":"2012-10-17","Statement":[{"Sid":"Ops","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`,
			trusted: TrustedService{Service: ECSTasksService},
			want: `{"Version":"2012-10-17","Statement":[{"Sid":"Ops","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}},
				{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
		},
		"a Deny naming the service does not count as trust": {
			in:      `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
			trusted: TrustedService{Service: ECSTasksService},
			want: `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"},
				{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
		},
		"joins the statement with the same condition": {
			in:      `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":["123456789012"]},"ArnLike":{"aws:SourceArn":"arn:aws:ecs:eu-west-1:123456789012:*"}}}]}`,
			trusted: TrustedService{Service: ECSTasksService, Condition: cond},
			want:    `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["ecs.amazonaws.com","ecs-tasks.amazonaws.com"]},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"},"ArnLike":{"aws:SourceArn":"arn:aws:ecs:eu-west-1:123456789012:*"}}}]}`,
		},
		"URL-encoded document as GetRole returns it": {
			in:      url.QueryEscape(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
			trusted: TrustedService{Service: ECSTasksService},
			want:    `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","ecs-tasks.amazonaws.com"]},"Action":"sts:AssumeRole"}]}`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			in := mustParse(t, tc.in)
			before := in.Canonical()
			got := EnsureTrusted(in, tc.trusted)
			if in.Canonical() != before {
				t.Fatal("EnsureTrusted modified its input")
			}
			if !Trusts(got, tc.trusted.Service) {
				t.Errorf("result does not trust %s: %s", tc.trusted.Service, got.JSON())
			}
			if tc.same {
				if got.Canonical() != before {
					t.Errorf("an already-trusting policy was changed:\n%s", got.JSON())
				}
				return
			}
			equalDocs(t, got, tc.want)
		})
	}
}

func TestNewTrustPolicy(t *testing.T) {
	got := NewTrustPolicy([]TrustedService{
		{Service: ECSTasksService, Condition: cond},
		{Service: "ec2.amazonaws.com"},
		{Service: "lambda.amazonaws.com"},
	})
	equalDocs(t, got, `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:ecs:eu-west-1:123456789012:*"},"StringEquals":{"aws:SourceAccount":"123456789012"}}},
		{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","lambda.amazonaws.com"]},"Action":"sts:AssumeRole"}]}`)

	// Without the confused-deputy condition every service shares one statement.
	plain := NewTrustPolicy([]TrustedService{{Service: ECSTasksService}, {Service: "ec2.amazonaws.com"}})
	if len(plain.Statement) != 1 {
		t.Errorf("want one statement, got %s", plain.JSON())
	}
}
