package preflight

import (
	"context"
	"testing"

	"github.com/aws/smithy-go"
)

const (
	execPolicy    = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
	missingPolicy = "arn:aws:iam::123456789012:policy/team/does-not-exist"
)

func TestManagedPolicyCheck(t *testing.T) {
	in := Input{ManagedPolicies: []ManagedPolicy{
		{Role: "exec", ARN: execPolicy},
		{Role: "task", ARN: missingPolicy},
		{Role: "task", ARN: execPolicy}, // checked once
	}}
	tests := map[string]struct {
		iam  *fakeIAM
		want []Check
	}{
		"exists and missing": {
			iam: &fakeIAM{policies: []string{execPolicy}},
			want: []Check{
				{Name: "managed policy " + execPolicy + " (role exec)", Status: OK},
				{Name: "managed policy " + missingPolicy + " (role task)", Status: Fail,
					Reason: "IAM has no policy " + missingPolicy + "; fix the ARN under managedPolicies (AWS-managed policies are arn:<partition>:iam::aws:policy/<path/name>) or create the policy first"},
			},
		},
		"access denied only advises": {
			iam: &fakeIAM{policyErr: &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized to perform: iam:GetPolicy"}},
			want: []Check{
				{Name: "managed policy " + execPolicy + " (role exec)", Status: Skip, Reason: "not allowed to call iam:GetPolicy, so launch cannot tell whether the policy exists"},
				{Name: "managed policy " + missingPolicy + " (role task)", Status: Skip, Reason: "not allowed to call iam:GetPolicy, so launch cannot tell whether the policy exists"},
			},
		},
		"any other error only advises": {
			iam: &fakeIAM{policyErr: &smithy.GenericAPIError{Code: "ServiceFailure", Message: "try again"}},
			want: []Check{
				{Name: "managed policy " + execPolicy + " (role exec)", Status: Skip, Reason: "cannot tell whether the policy exists: api error ServiceFailure: try again"},
				{Name: "managed policy " + missingPolicy + " (role task)", Status: Skip, Reason: "cannot tell whether the policy exists: api error ServiceFailure: try again"},
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			res := Run(context.Background(), Clients{IAM: tc.iam}, in)
			got := findCheck(t, res, "managed policies")
			if len(got.Children) != len(tc.want) {
				t.Fatalf("got\n%s", res.Tree())
			}
			for i, w := range tc.want {
				if c := got.Children[i]; c.Name != w.Name || c.Status != w.Status || c.Reason != w.Reason {
					t.Errorf("check %d = %+v\nwant %+v", i, c, w)
				}
			}
			if wantFail := name == "exists and missing"; (got.Status == Fail) != wantFail {
				t.Errorf("group status %s, want FAIL: %v", got.Status, wantFail)
			}
		})
	}
}

// TestEmulatorManagedPolicy: on the emulator (which loads AWS's managed
// policies), AmazonECSTaskExecutionRolePolicy exists, a customer policy
// that was created exists, and one never created FAILs.
func TestEmulatorManagedPolicy(t *testing.T) {
	_, cfg, c, in := emulatorSetup(t)
	created := createPolicy(t, cfg, "launch-preflight-exists")
	in.ManagedPolicies = []ManagedPolicy{{Role: "exec", ARN: execPolicy}, {Role: "task", ARN: created}, {Role: "task", ARN: missingPolicy}}
	res := Run(context.Background(), c, in)
	got := findCheck(t, res, "managed policies")
	want := []Status{OK, OK, Fail}
	for i, w := range want {
		if got.Children[i].Status != w {
			t.Errorf("check %d = %+v, want %s\n%s", i, got.Children[i], w, res.Tree())
		}
	}
}
