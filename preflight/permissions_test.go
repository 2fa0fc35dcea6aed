package preflight

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/google/go-cmp/cmp"
)

func TestPrincipalOf(t *testing.T) {
	tests := map[string]struct {
		want     caller
		wantSkip string
	}{
		"arn:aws:sts::123456789012:assumed-role/deployer/ci-session": {
			want: caller{arn: "arn:aws:iam::123456789012:role/deployer", fromSession: "arn:aws:sts::123456789012:assumed-role/deployer/ci-session"}},
		"arn:aws-cn:sts::123456789012:assumed-role/AWSReservedSSO_Admin_1/me@example.com": {
			want: caller{arn: "arn:aws-cn:iam::123456789012:role/AWSReservedSSO_Admin_1", fromSession: "arn:aws-cn:sts::123456789012:assumed-role/AWSReservedSSO_Admin_1/me@example.com"}},
		"arn:aws:iam::123456789012:user/ci/deployer": {want: caller{arn: "arn:aws:iam::123456789012:user/ci/deployer"}},
		"arn:aws:sts::123456789012:user/moto":        {want: caller{arn: "arn:aws:iam::123456789012:user/moto"}},
		"arn:aws:iam::123456789012:root":             {wantSkip: "the caller is the account's root user, which may do everything"},
		"arn:aws:sts::123456789012:federated-user/bob": {
			wantSkip: "the caller is a federated user session, which iam:SimulatePrincipalPolicy cannot simulate"},
		"arn:aws:sts::123456789012:assumed-role/": {wantSkip: "the caller arn:aws:sts::123456789012:assumed-role/ is not an IAM user or role"},
		"nonsense": {wantSkip: `the caller's ARN "nonsense" is not an ARN`},
	}
	for in, tc := range tests {
		got, skip := principalOf(in)
		if got != tc.want || skip != tc.wantSkip {
			t.Errorf("principalOf(%q) = %+v, %q; want %+v, %q", in, got, skip, tc.want, tc.wantSkip)
		}
	}
}

func permInput(caller string) Input {
	in := input()
	in.CallerARN = caller
	in.Cluster = Cluster{Name: "c", Exists: true}
	in.RoleARNs = []string{"arn:aws:iam::123456789012:role/task", "arn:aws:iam::123456789012:role/exec"}
	in.Actions = []ActionCheck{
		{Action: "sts:GetCallerIdentity", Resources: []string{"*"}},
		{Action: "iam:GetRole", Resources: []string{"arn:aws:iam::123456789012:role/task", "arn:aws:iam::123456789012:role/exec"}},
		{Action: "ecs:CreateCluster"},
		{Action: "iam:CreateRole", Resources: []string{"arn:aws:iam::123456789012:role/exec", "arn:aws:iam::123456789012:role/task"}},
	}
	return in
}

// allow answers every action on every resource with decide(action, resource).
func allow(decide func(action, resource string) iamtypes.PolicyEvaluationDecisionType) func(*iam.SimulatePrincipalPolicyInput) (*iam.SimulatePrincipalPolicyOutput, error) {
	return func(in *iam.SimulatePrincipalPolicyInput) (*iam.SimulatePrincipalPolicyOutput, error) {
		out := &iam.SimulatePrincipalPolicyOutput{}
		res := in.ResourceArns
		if len(res) == 0 {
			res = []string{"*"}
		}
		for _, a := range in.ActionNames {
			er := iamtypes.EvaluationResult{EvalActionName: aws.String(a), EvalResourceName: aws.String("*"), EvalDecision: iamtypes.PolicyEvaluationDecisionTypeAllowed}
			for _, r := range res {
				d := decide(a, r)
				er.ResourceSpecificResults = append(er.ResourceSpecificResults, iamtypes.ResourceSpecificResult{EvalResourceName: aws.String(r), EvalResourceDecision: d})
				if d != iamtypes.PolicyEvaluationDecisionTypeAllowed {
					er.EvalDecision = d
				}
			}
			out.EvaluationResults = append(out.EvaluationResults, er)
		}
		return out, nil
	}
}

func permCheck(t *testing.T, f *fakeIAM, in Input) Check {
	t.Helper()
	res := Run(context.Background(), Clients{IAM: f}, in)
	for _, c := range res.Checks {
		if strings.HasPrefix(c.Name, "permissions") {
			return c
		}
	}
	t.Fatalf("no permissions check in\n%s", res.Tree())
	return Check{}
}

func TestPermissionsAllowed(t *testing.T) {
	f := &fakeIAM{fn: allow(func(string, string) iamtypes.PolicyEvaluationDecisionType {
		return iamtypes.PolicyEvaluationDecisionTypeAllowed
	})}
	got := permCheck(t, f, permInput("arn:aws:sts::123456789012:assumed-role/deployer/s"))
	want := Check{Name: "permissions of arn:aws:iam::123456789012:role/deployer", Status: OK, Children: []Check{
		{Name: "sts:GetCallerIdentity, ecs:CreateCluster on any resource", Status: OK, Reason: "allowed"},
		{Name: "iam:GetRole, iam:CreateRole on arn:aws:iam::123456789012:role/exec, arn:aws:iam::123456789012:role/task", Status: OK, Reason: "allowed"},
		{Name: "iam:PassRole on arn:aws:iam::123456789012:role/task, arn:aws:iam::123456789012:role/exec", Status: OK, Reason: "allowed"},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	if len(f.calls) != 3 {
		t.Fatalf("%d SimulatePrincipalPolicy calls, want one per resource set", len(f.calls))
	}
	for _, c := range f.calls {
		if aws.ToString(c.PolicySourceArn) != "arn:aws:iam::123456789012:role/deployer" {
			t.Errorf("PolicySourceArn = %s", aws.ToString(c.PolicySourceArn))
		}
		passRole := c.ActionNames[0] == "iam:PassRole"
		if passRole != (len(c.ContextEntries) == 1) {
			t.Errorf("call %v: context entries %+v; want iam:PassedToService on the PassRole call only", c.ActionNames, c.ContextEntries)
		}
		if passRole && (aws.ToString(c.ContextEntries[0].ContextKeyName) != "iam:PassedToService" || c.ContextEntries[0].ContextKeyValues[0] != "ecs-tasks.amazonaws.com") {
			t.Errorf("PassRole context = %+v", c.ContextEntries[0])
		}
	}
}

func TestPermissionsDenied(t *testing.T) {
	f := &fakeIAM{fn: allow(func(a, r string) iamtypes.PolicyEvaluationDecisionType {
		switch {
		case a == "iam:PassRole" && strings.HasSuffix(r, "/exec"):
			return iamtypes.PolicyEvaluationDecisionTypeImplicitDeny
		case a == "ecs:CreateCluster":
			return iamtypes.PolicyEvaluationDecisionTypeExplicitDeny
		}
		return iamtypes.PolicyEvaluationDecisionTypeAllowed
	})}
	got := permCheck(t, f, permInput("arn:aws:iam::123456789012:user/deployer"))
	want := Check{Name: "permissions of arn:aws:iam::123456789012:user/deployer", Status: Fail, Children: []Check{
		{Name: "sts:GetCallerIdentity, ecs:CreateCluster on any resource", Status: Fail, Reason: "denied: ecs:CreateCluster on * (explicitDeny)"},
		{Name: "iam:GetRole, iam:CreateRole on arn:aws:iam::123456789012:role/exec, arn:aws:iam::123456789012:role/task", Status: OK, Reason: "allowed"},
		{Name: "iam:PassRole on arn:aws:iam::123456789012:role/task, arn:aws:iam::123456789012:role/exec", Status: Fail,
			Reason: "denied: iam:PassRole on arn:aws:iam::123456789012:role/exec (implicitDeny)"},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}

func TestPermissionsJudge(t *testing.T) {
	g := actionGroup{actions: []string{"a:One", "a:Two"}}
	res := func(action string, d iamtypes.PolicyEvaluationDecisionType, missing ...string) iamtypes.EvaluationResult {
		return iamtypes.EvaluationResult{EvalActionName: aws.String(action), EvalResourceName: aws.String("*"), EvalDecision: d, MissingContextValues: missing}
	}
	tests := map[string]struct {
		results []iamtypes.EvaluationResult
		want    Check
	}{
		"missing context is not a denial": {
			[]iamtypes.EvaluationResult{res("a:One", "allowed"), res("a:Two", "implicitDeny", "aws:SourceIp")},
			Check{Status: Skip, Reason: "cannot tell: a:Two on * (depends on aws:SourceIp)"}},
		"action not answered": {
			[]iamtypes.EvaluationResult{res("A:ONE", "allowed")},
			Check{Status: Skip, Reason: "cannot tell: a:Two (not in the simulation's answer)"}},
		"denied wins": {
			[]iamtypes.EvaluationResult{res("a:One", "explicitDeny", "aws:SourceIp"), res("a:Two", "implicitDeny", "aws:SourceIp")},
			Check{Status: Fail, Reason: "denied: a:One on * (explicitDeny); cannot tell: a:Two on * (depends on aws:SourceIp)"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := judge("n", g, tc.results)
			tc.want.Name = "n"
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestPermissionsPaginated(t *testing.T) {
	f := &fakeIAM{}
	f.fn = func(in *iam.SimulatePrincipalPolicyInput) (*iam.SimulatePrincipalPolicyOutput, error) {
		one := func(a string) []iamtypes.EvaluationResult {
			return []iamtypes.EvaluationResult{{EvalActionName: aws.String(a), EvalResourceName: aws.String("*"), EvalDecision: "allowed"}}
		}
		if in.Marker == nil {
			return &iam.SimulatePrincipalPolicyOutput{EvaluationResults: one(in.ActionNames[0]), IsTruncated: true, Marker: aws.String("m")}, nil
		}
		return &iam.SimulatePrincipalPolicyOutput{EvaluationResults: one(in.ActionNames[1])}, nil
	}
	in := input()
	in.Actions = []ActionCheck{{Action: "a:One"}, {Action: "a:Two"}}
	got := permCheck(t, f, in)
	if got.Status != OK || len(f.calls) != 2 {
		t.Fatalf("got %+v after %d calls; want OK after 2 pages", got, len(f.calls))
	}
}

func TestPermissionsCannotSimulate(t *testing.T) {
	const why = "; launch cannot check permissions"
	tests := map[string]struct {
		caller string
		err    error
		want   Check
		calls  int
	}{
		"simulation denied": {"arn:aws:iam::123456789012:user/deployer", httpErr(403, "AccessDenied", "User is not authorized to perform: iam:SimulatePrincipalPolicy"),
			Check{Name: "permissions of arn:aws:iam::123456789012:user/deployer", Status: Skip,
				Reason: "the deploying identity may not call iam:SimulatePrincipalPolicy (AccessDenied, HTTP 403)" + why}, 3},
		"not implemented (501)": {"arn:aws:iam::123456789012:user/deployer", httpErr(501, "", "not implemented"),
			Check{Name: "permissions of arn:aws:iam::123456789012:user/deployer", Status: Skip,
				Reason: "the endpoint does not support iam:SimulatePrincipalPolicy (HTTP 501)" + why}, 3},
		"invalid action": {"arn:aws:iam::123456789012:user/deployer", httpErr(400, "InvalidAction", "unknown"),
			Check{Name: "permissions of arn:aws:iam::123456789012:user/deployer", Status: Skip,
				Reason: "the endpoint does not support iam:SimulatePrincipalPolicy (InvalidAction, HTTP 400)" + why}, 3},
		"server fault (moto answers 500)": {"arn:aws:iam::123456789012:user/deployer", httpErr(500, "", "Internal Server Error"),
			Check{Name: "permissions of arn:aws:iam::123456789012:user/deployer", Status: Skip,
				Reason: "iam:SimulatePrincipalPolicy failed: HTTP 500" + why}, 3},
		"assumed role not found: path unknown": {"arn:aws:sts::123456789012:assumed-role/deployer/s", &iamtypes.NoSuchEntityException{Message: aws.String("no role deployer")},
			Check{Name: "permissions of arn:aws:iam::123456789012:role/deployer", Status: Skip,
				Reason: "IAM has no role arn:aws:iam::123456789012:role/deployer, derived from the session arn:aws:sts::123456789012:assumed-role/deployer/s; the role's path cannot be read from a session ARN, so a role with a path is not found (iam:SimulatePrincipalPolicy failed: NoSuchEntity)" + why}, 3},
		"user not found": {"arn:aws:iam::123456789012:user/ghost", &iamtypes.NoSuchEntityException{Message: aws.String("no user ghost")},
			Check{Name: "permissions of arn:aws:iam::123456789012:user/ghost", Status: Skip,
				Reason: "IAM has no principal arn:aws:iam::123456789012:user/ghost (iam:SimulatePrincipalPolicy failed: NoSuchEntity)" + why}, 3},
		"throttled": {"arn:aws:iam::123456789012:user/deployer", httpErr(400, "Throttling", "Rate exceeded"),
			Check{Name: "permissions of arn:aws:iam::123456789012:user/deployer", Status: Skip,
				Reason: "iam:SimulatePrincipalPolicy failed: Throttling, HTTP 400" + why}, 3},
		"any other error": {"arn:aws:iam::123456789012:user/deployer", httpErr(400, "InvalidInput", "bad action name"),
			Check{Name: "permissions of arn:aws:iam::123456789012:user/deployer", Status: Skip,
				Reason: "iam:SimulatePrincipalPolicy failed: InvalidInput, HTTP 400" + why}, 3},
		"connection reset": {"arn:aws:iam::123456789012:user/deployer", fmt.Errorf("operation error IAM: SimulatePrincipalPolicy, exceeded maximum number of attempts, 2, https response error: %w",
			&net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}),
			Check{Name: "permissions of arn:aws:iam::123456789012:user/deployer", Status: Skip,
				Reason: "iam:SimulatePrincipalPolicy failed: connection reset by peer" + why}, 3},
		"root": {"arn:aws:iam::123456789012:root", nil,
			Check{Name: "permissions", Status: Skip, Reason: "the caller is the account's root user, which may do everything" + why}, 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f := &fakeIAM{fn: func(*iam.SimulatePrincipalPolicyInput) (*iam.SimulatePrincipalPolicyOutput, error) {
				return nil, tc.err
			}}
			got := permCheck(t, f, permInput(tc.caller))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
			if len(f.calls) != tc.calls {
				t.Fatalf("%d SimulatePrincipalPolicy calls, want %d: every group is simulated at once, and the refusal said once", len(f.calls), tc.calls)
			}
		})
	}
}

func TestPermissionsNone(t *testing.T) {
	in := input()
	in.Cluster = Cluster{Name: "c", Exists: true}
	res := Run(context.Background(), Clients{IAM: &fakeIAM{fn: func(*iam.SimulatePrincipalPolicyInput) (*iam.SimulatePrincipalPolicyOutput, error) {
		return nil, errors.New("called")
	}}}, in)
	want := []Check{{Name: "cluster c", Status: OK, Reason: "exists"}, {Name: "permissions", Status: OK, Reason: "nothing to write, so nothing to simulate"}}
	if diff := cmp.Diff(want, res.Checks); diff != "" {
		t.Fatalf("checks without actions or roles (-want +got):\n%s", diff)
	}
}
