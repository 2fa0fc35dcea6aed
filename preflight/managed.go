package preflight

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// ManagedPolicy is a managed policy the spec attaches to a role, as a full
// ARN (AWS-managed paths already expanded with the caller's partition).
type ManagedPolicy struct {
	Role string // the role it is attached to, for the message
	ARN  string
	// Attached says the role has it attached already: it exists, and no
	// call is needed to tell.
	Attached bool
}

// managedPolicy checks, with iam:GetPolicy, that a managed policy exists:
// AttachRolePolicy on a missing one fails with NoSuchEntity after the roles
// were already created or changed. Only NoSuchEntity fails the check; any
// other error (no permission, an endpoint without the call) skips it,
// because this check only advises.
func (r *run) managedPolicy(ctx context.Context, p ManagedPolicy) Check {
	name := fmt.Sprintf("managed policy %s (role %s)", p.ARN, p.Role)
	if p.Attached {
		return Check{Name: name, Status: OK, Reason: "attached"}
	}
	if r.c.IAM == nil {
		return Check{Name: name, Status: Skip, Reason: "no IAM client"}
	}
	_, err := r.c.IAM.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(p.ARN)}, advisoryRetry)
	var nse *iamtypes.NoSuchEntityException
	switch {
	case err == nil:
		return Check{Name: name, Status: OK}
	case isInterrupted(ctx, err):
		return r.interruptedCheck(name)
	case errors.As(err, &nse) || errorCode(err) == "NoSuchEntity":
		return Check{Name: name, Status: Fail, Reason: fmt.Sprintf("IAM has no policy %s; fix the ARN under managedPolicies (AWS-managed policies are arn:<partition>:iam::aws:policy/<path/name>) or create the policy first", p.ARN)}
	case isDenied(err):
		return Check{Name: name, Status: Skip, Reason: "not allowed to call iam:GetPolicy, so launch cannot tell whether the policy exists"}
	default:
		return Check{Name: name, Status: Skip, Reason: "cannot tell whether the policy exists: " + errText(err)}
	}
}

// distinctPolicies drops repeats, keeping the first role named, or the
// first that has the policy attached already (which proves it exists).
func distinctPolicies(ps []ManagedPolicy) []ManagedPolicy {
	at := map[string]int{}
	var out []ManagedPolicy
	for _, p := range ps {
		i, seen := at[p.ARN]
		switch {
		case !seen:
			at[p.ARN] = len(out)
			out = append(out, p)
		case p.Attached && !out[i].Attached:
			out[i] = p
		}
	}
	return out
}
