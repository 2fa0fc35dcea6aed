package roles

import (
	"encoding/json"
	"net/url"
	"strings"
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
		// Some tools write an empty Condition object: it conditions nothing.
		"already trusted with an empty Condition: left alone": {
			in:      `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{}}}`,
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
		"does not join a statement that also trusts an account; keeps it": {
			in:      `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com","AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]}`,
			trusted: TrustedService{Service: ECSTasksService},
			want: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com","AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"},
				{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
		},
		"does not join an unconditioned account statement": {
			in:      `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]}`,
			trusted: TrustedService{Service: ECSTasksService},
			want: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"},
				{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
		},
		"sts:* counts as trust": {
			in:      `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:*"}]}`,
			trusted: TrustedService{Service: ECSTasksService},
			same:    true,
		},
		"* counts as trust": {
			in:      `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":["sts:TagSession","*"]}]}`,
			trusted: TrustedService{Service: ECSTasksService},
			same:    true,
		},
		"another action naming the service does not count as trust": {
			in:      `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:TagSession"}]}`,
			trusted: TrustedService{Service: ECSTasksService},
			want: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:TagSession"},
				{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
		},
		"joins a statement with a Sid, keeping it": {
			in:      `{"Version":"2012-10-17","Statement":[{"Sid":"Compute","Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
			trusted: TrustedService{Service: ECSTasksService},
			want:    `{"Version":"2012-10-17","Statement":[{"Sid":"Compute","Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","ecs-tasks.amazonaws.com"]},"Action":"sts:AssumeRole"}]}`,
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
		"a service statement listing no service yet takes it as one value": {
			in:      `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":[]},"Action":"sts:AssumeRole"}]}`,
			trusted: TrustedService{Service: ECSTasksService},
			want:    `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
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

// docsTaskRoleTrust is the task-role trust policy of the AWS ECS developer
// guide, "Task IAM role" (confused-deputy example), with its us-west-2
// region and example account 111122223333; Principal.Service is a list
// there. See /work/shared/FIELD-NOTES.md, "IAM".
const docsTaskRoleTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
	"Principal":{"Service":["ecs-tasks.amazonaws.com"]},"Action":"sts:AssumeRole",
	"Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:ecs:us-west-2:111122223333:*"},"StringEquals":{"aws:SourceAccount":"111122223333"}}}]}`

// toolkitTaskRoleTrust is aws/agent-toolkit-for-aws's ecs-trust-policy.json
// (skills/.../processing-s3-uploads-with-step-functions/scripts): the
// account condition alone, a differently-conditioned statement.
const toolkitTaskRoleTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},
	"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"111122223333"}}}]}`

func TestEnsureTrustedCoversEveryRegion(t *testing.T) {
	in := func(region string) TrustedService {
		return TrustedService{Service: ECSTasksService, Condition: SourceCondition("aws", region, "111122223333")}
	}
	tests := map[string]struct {
		doc     string
		trusted TrustedService
		want    string // "" = unchanged
	}{
		"docs example, same region: unchanged": {doc: docsTaskRoleTrust, trusted: in("us-west-2")},
		"docs example, a second region: its pattern added, the first kept (string → list)": {
			doc: docsTaskRoleTrust, trusted: in("eu-west-1"),
			want: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["ecs-tasks.amazonaws.com"]},"Action":"sts:AssumeRole",
				"Condition":{"ArnLike":{"aws:SourceArn":["arn:aws:ecs:us-west-2:111122223333:*","arn:aws:ecs:eu-west-1:111122223333:*"]},"StringEquals":{"aws:SourceAccount":"111122223333"}}}]}`,
		},
		"a list with a value launch never wrote: kept, the region appended": {
			doc: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole",
				"Condition":{"ArnLike":{"aws:SourceArn":["arn:aws:ecs:us-west-2:111122223333:*","arn:aws:ecs:ap-south-1:111122223333:task/prod/*"]},"StringEquals":{"aws:SourceAccount":["111122223333"]}}}]}`,
			trusted: in("us-east-1"),
			want: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole",
				"Condition":{"ArnLike":{"aws:SourceArn":["arn:aws:ecs:us-west-2:111122223333:*","arn:aws:ecs:ap-south-1:111122223333:task/prod/*","arn:aws:ecs:us-east-1:111122223333:*"]},"StringEquals":{"aws:SourceAccount":["111122223333"]}}}]}`,
		},
		"a region already in the list: unchanged": {
			doc: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole",
				"Condition":{"ArnLike":{"aws:SourceArn":["arn:aws:ecs:us-west-2:111122223333:*","arn:aws:ecs:eu-west-1:111122223333:*"]},"StringEquals":{"aws:SourceAccount":"111122223333"}}}]}`,
			trusted: in("eu-west-1"),
		},
		"a region wildcard covers every region: unchanged": {
			doc: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole",
				"Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:ecs:*:111122223333:*"},"StringEquals":{"aws:SourceAccount":"111122223333"}}}]}`,
			trusted: in("eu-central-1"),
		},
		"another account's statement is not widened: a new statement": {
			doc: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"},
				{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole",
				"Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:ecs:us-west-2:999999999999:*"},"StringEquals":{"aws:SourceAccount":"999999999999"}}}]}`,
			trusted: in("us-west-2"),
		},
		"account-only condition (toolkit shape) is not rewritten": {doc: toolkitTaskRoleTrust, trusted: in("us-west-2")},
		"a wanted condition naming two regions is not merged into one statement": {doc: docsTaskRoleTrust,
			trusted: TrustedService{Service: ECSTasksService, Condition: map[string]any{
				"ArnLike":      map[string]any{"aws:SourceArn": []any{"arn:aws:ecs:eu-west-1:111122223333:*", "arn:aws:ecs:us-east-1:111122223333:*"}},
				"StringEquals": map[string]any{"aws:SourceAccount": "111122223333"}}}},
		"docs shape with one more StringEquals key is not rewritten": {
			doc: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole",
				"Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:ecs:us-west-2:111122223333:*"},"StringEquals":{"aws:SourceAccount":"111122223333","aws:PrincipalTag/team":"data"}}}]}`,
			trusted: in("eu-west-1"),
		},
		"docs shape with one more ArnLike key is not rewritten": {
			doc: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole",
				"Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:ecs:us-west-2:111122223333:*","aws:PrincipalArn":"arn:aws:iam::111122223333:role/*"},"StringEquals":{"aws:SourceAccount":"111122223333"}}}]}`,
			trusted: in("eu-west-1"),
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			doc := mustParse(t, tc.doc)
			before := doc.Canonical()
			got := EnsureTrusted(doc, tc.trusted)
			if doc.Canonical() != before {
				t.Fatal("EnsureTrusted modified its input")
			}
			if tc.want == "" {
				if got.Canonical() != before {
					t.Errorf("changed a trust that already covers the region:\n%s", got.JSON())
				}
				return
			}
			equalDocs(t, got, tc.want)
			// Rerunning in any region already added changes nothing more.
			if again := EnsureTrusted(got, tc.trusted); again.Canonical() != got.Canonical() {
				t.Errorf("second pass changed the trust again:\n%s", again.JSON())
			}
		})
	}
}

func TestTwoRegionsNeverRevokeEachOther(t *testing.T) {
	eu := TrustedService{Service: ECSTasksService, Condition: SourceCondition("aws", "eu-west-1", "123456789012")}
	us := TrustedService{Service: ECSTasksService, Condition: SourceCondition("aws", "us-east-1", "123456789012")}
	st := &State{Exists: true, Trust: NewTrustPolicy([]TrustedService{eu}), Inline: map[string]string{}}
	p, err := PlanFor(Desired{Name: "r", Trusted: []TrustedService{us}}, st)
	if err != nil {
		t.Fatal(err)
	}
	if !p.UpdateTrust || len(p.Warnings) != 0 {
		t.Fatalf("second region: update %v, warnings %q", p.UpdateTrust, p.Warnings)
	}
	for _, region := range []TrustedService{eu, us} {
		if TrustConflict(p.Trust, region) != "" {
			t.Errorf("the merged trust does not cover %v: %s", region.Condition, p.Trust.JSON())
		}
	}
	// Rerun in either region: nothing to write, nothing to warn about.
	st.Trust = p.Trust
	for _, region := range []TrustedService{eu, us} {
		p, err := PlanFor(Desired{Name: "r", Trusted: []TrustedService{region}}, st)
		if err != nil {
			t.Fatal(err)
		}
		if p.Changed() || len(p.Warnings) != 0 {
			t.Errorf("rerun: changed %v, warnings %q", p.Changed(), p.Warnings)
		}
	}
}

func TestTrustConflictSaysWhatIsTrue(t *testing.T) {
	want := TrustedService{Service: ECSTasksService, Condition: SourceCondition("aws", "us-east-1", "111122223333")}
	tests := map[string]struct{ doc, says string }{
		"no condition":                 {`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}}`, "without any condition"},
		"account-only condition":       {toolkitTaskRoleTrust, `condition launch does not manage ({"StringEquals":{"aws:SourceAccount":"111122223333"}})`},
		"docs shape, other account":    {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:ecs:us-east-1:999999999999:*"},"StringEquals":{"aws:SourceAccount":"999999999999"}}}]}`, "only if that condition allows them"},
		"docs shape with one more key": {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:ecs:us-east-1:111122223333:*"},"StringEquals":{"aws:PrincipalTag/team":"data","aws:SourceAccount":"111122223333"}}}]}`, `does not manage ({"ArnLike":{"aws:SourceArn":"arn:aws:ecs:us-east-1:111122223333:*"},"StringEquals":{"aws:PrincipalTag/team":"data","aws:SourceAccount":"111122223333"}})`},
		// The seed's role also trusts EC2, in a statement of its own: that
		// statement says nothing about who may run ECS tasks with the role.
		"EC2 trusted apart without condition": {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:ecs:us-east-1:111122223333:*"},"StringEquals":{"aws:SourceAccount":"111122223333"}}},{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, ""},
		"docs shape covering the region":      {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"ArnLike":{"aws:SourceArn":["arn:aws:ecs:us-west-2:111122223333:*","arn:aws:ecs:us-east-1:111122223333:*"]},"StringEquals":{"aws:SourceAccount":"111122223333"}}}]}`, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := TrustConflict(mustParse(t, tc.doc), want)
			if (tc.says == "") != (got == "") || !strings.Contains(got, tc.says) {
				t.Errorf("TrustConflict = %q, want it to say %q", got, tc.says)
			}
		})
	}
}

func TestGlobMatch(t *testing.T) {
	for _, tc := range []struct {
		p, s string
		ok   bool
	}{
		{"arn:aws:ecs:*:1:*", "arn:aws:ecs:eu-west-1:1:*", true},
		{"arn:aws:ecs:eu-west-?:1:*", "arn:aws:ecs:eu-west-1:1:*", true},
		{"arn:aws:ecs:eu-west-1:1:*", "arn:aws:ecs:eu-west-2:1:*", false},
		{"arn:aws:ecs:eu-west-1:1:task/*", "arn:aws:ecs:eu-west-1:1:*", false},
		{"*", "", true},
		{"a*b*c", "aXXbYc", true},
		{"a*b*c", "aXXbY", false},
	} {
		if got := globMatch(tc.p, tc.s); got != tc.ok {
			t.Errorf("globMatch(%q, %q) = %v", tc.p, tc.s, got)
		}
	}
}

// A wanted condition of another shape than the confused-deputy one is
// compared as it is: a statement under another condition is a conflict,
// one under the same condition is not.
func TestTrustConflictWithAnotherWantedCondition(t *testing.T) {
	stmt := func(cond string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole","Condition":` + cond + `}]}`
	}
	tests := map[string]struct{ want, other string }{
		"one operator": {
			`{"Bool":{"aws:SecureTransport":"true"}}`,
			`{"StringEquals":{"aws:SourceAccount":"111122223333"}}`},
		"two other operators": {
			`{"Bool":{"aws:SecureTransport":"true"},"StringEquals":{"aws:SourceAccount":"111122223333"}}`,
			`{"StringEquals":{"aws:SourceAccount":"111122223333"},"StringLike":{"aws:SourceArn":"arn:aws:ecs:*"}}`},
		"the deputy operators naming two accounts": {
			`{"ArnLike":{"aws:SourceArn":"arn:aws:ecs:*"},"StringEquals":{"aws:SourceAccount":["111122223333","444455556666"]}}`,
			`{"ArnLike":{"aws:SourceArn":"arn:aws:ecs:*"},"StringEquals":{"aws:SourceAccount":["111122223333","777788889999"]}}`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var cond map[string]any
			if err := json.Unmarshal([]byte(tc.want), &cond); err != nil {
				t.Fatal(err)
			}
			want := TrustedService{Service: ECSTasksService, Condition: cond}
			got := TrustConflict(mustParse(t, stmt(tc.other)), want)
			if !strings.Contains(got, "under a condition launch does not manage ("+tc.other+")") {
				t.Errorf("TrustConflict = %q, want it to name %s", got, tc.other)
			}
			if got := TrustConflict(mustParse(t, stmt(tc.want)), want); got != "" {
				t.Errorf("under the wanted condition itself: TrustConflict = %q, want none", got)
			}
		})
	}
}

// Trusts: an Allow of sts:AssumeRole (or sts:*, or *) naming the service;
// not a Deny, another action, or a statement for another principal.
func TestTrusts(t *testing.T) {
	stmt := func(s string) *policy.Document {
		return mustParse(t, `{"Version":"2012-10-17","Statement":[`+s+`]}`)
	}
	for doc, want := range map[string]bool{
		`{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","ecs-tasks.amazonaws.com"]},"Action":"sts:AssumeRole"}`: true,
		`{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:*"}`:                                true,
		`{"Effect":"Deny","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}`:                        false,
		`{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:TagSession"}`:                       false,
		`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}`:                    false,
		`{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}`:                             false,
	} {
		if got := Trusts(stmt(doc), ECSTasksService); got != want {
			t.Errorf("Trusts(%s) = %v, want %v", doc, got, want)
		}
	}
}
