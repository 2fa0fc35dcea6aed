package preflight

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"golang.org/x/sync/errgroup"
)

// ecsTasksService is the service ECS hands the task and execution roles to;
// the caller's iam:PassRole is simulated with it as iam:PassedToService.
const ecsTasksService = "ecs-tasks.amazonaws.com"

// caller is the principal whose policies are simulated.
type caller struct {
	arn string
	// fromSession is the STS session ARN the role ARN was derived from; the
	// role's path is unknown, so a role with a path is not found.
	fromSession string
}

// principalOf turns the caller's ARN (from sts:GetCallerIdentity) into the
// ARN iam:SimulatePrincipalPolicy takes, or says why it cannot.
//
//	arn:aws:sts::ACCT:assumed-role/ROLE/SESSION → arn:aws:iam::ACCT:role/ROLE
//	arn:aws:iam::ACCT:user/PATH/NAME            → as is
//	arn:aws:sts::ACCT:user/NAME (moto)          → arn:aws:iam::ACCT:user/NAME
//	arn:aws:iam::ACCT:root                      → skip: root may do everything
func principalOf(callerARN string) (caller, string) {
	a, err := arn.Parse(callerARN)
	if err != nil {
		return caller{}, fmt.Sprintf("the caller's ARN %q is not an ARN", callerARN)
	}
	if a.Resource == "root" {
		return caller{}, "the caller is the account's root user, which may do everything"
	}
	kind, rest, _ := strings.Cut(a.Resource, "/")
	iamARN := func(resource string) string {
		return arn.ARN{Partition: a.Partition, Service: "iam", AccountID: a.AccountID, Resource: resource}.String()
	}
	switch {
	case a.Service == "sts" && kind == "assumed-role":
		role, _, _ := strings.Cut(rest, "/")
		if role == "" {
			break
		}
		return caller{arn: iamARN("role/" + role), fromSession: callerARN}, ""
	case a.Service == "sts" && kind == "federated-user":
		return caller{}, "the caller is a federated user session, which iam:SimulatePrincipalPolicy cannot simulate"
	case a.Service == "sts" && kind == "user" && rest != "":
		return caller{arn: iamARN(a.Resource)}, ""
	case a.Service == "iam" && (kind == "user" || kind == "role" || kind == "group") && rest != "":
		return caller{arn: callerARN}, ""
	}
	return caller{}, fmt.Sprintf("the caller %s is not an IAM user or role", callerARN)
}

// actionGroup is the actions simulated together: same resources, same
// context.
type actionGroup struct {
	actions   []string
	resources []string // nil: any resource
	passRole  bool     // simulate with iam:PassedToService = ecs-tasks
}

// actionGroups groups the actions by resource set, in first-seen order,
// then adds iam:PassRole on the roles.
func actionGroups(in Input) []actionGroup {
	var out []actionGroup
	index := map[string]int{}
	for _, ac := range in.Actions {
		if ac.Action == "" {
			continue
		}
		res := distinct(ac.Resources)
		if len(res) == 0 || slices.Contains(res, "*") {
			res = nil
		}
		slices.Sort(res)
		key := strings.Join(res, "\x00")
		i, ok := index[key]
		if !ok {
			i = len(out)
			index[key] = i
			out = append(out, actionGroup{resources: res})
		}
		if !slices.Contains(out[i].actions, ac.Action) {
			out[i].actions = append(out[i].actions, ac.Action)
		}
	}
	if roles := distinct(in.RoleARNs); len(roles) > 0 {
		out = append(out, actionGroup{actions: []string{"iam:PassRole"}, resources: roles, passRole: true})
	}
	return out
}

func (g actionGroup) name() string {
	on := "any resource"
	if len(g.resources) > 0 {
		on = strings.Join(g.resources, ", ")
	}
	return strings.Join(g.actions, ", ") + " on " + on
}

// permissions simulates the caller's policies for every action the plan
// will call, every group at once. When the simulation itself is refused or
// unsupported, that is said once for all. A plan that writes nothing
// simulates nothing.
func (r *run) permissions(ctx context.Context) []Check {
	groups := actionGroups(r.in)
	if len(groups) == 0 {
		return []Check{{Name: "permissions", Status: OK, Reason: "nothing to write, so nothing to simulate"}}
	}
	who, skip := principalOf(r.in.CallerARN)
	if skip == "" && r.c.IAM == nil {
		skip = "no IAM client"
	}
	if skip != "" {
		return []Check{{Name: "permissions", Status: Skip, Reason: skip + "; launch cannot check permissions"}}
	}
	name := "permissions of " + who.arn
	children := make([]Check, len(groups))
	skipAll := make([]string, len(groups))
	var g errgroup.Group
	g.SetLimit(concurrency)
	for i, ag := range groups {
		g.Go(func() error { children[i], skipAll[i] = r.simulate(ctx, who, ag); return nil })
	}
	_ = g.Wait()
	// A reason that holds for every simulation is said once, on its own.
	if why := skipAll[0]; why != "" && !slices.ContainsFunc(skipAll, func(s string) bool { return s != why }) {
		return []Check{{Name: name, Status: Skip, Reason: why + "; launch cannot check permissions"}}
	}
	for i, why := range skipAll {
		if why != "" {
			children[i] = Check{Name: groups[i].name(), Status: Skip, Reason: why}
		}
	}
	return []Check{group(name, children)}
}

// simulate checks one group. skipAll, when not empty, says why no
// simulation can work for this caller (and the check is to be dropped).
func (r *run) simulate(ctx context.Context, who caller, g actionGroup) (c Check, skipAll string) {
	name := g.name()
	in := &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String(who.arn),
		ActionNames:     g.actions,
		ResourceArns:    g.resources,
	}
	if g.passRole {
		in.ContextEntries = []iamtypes.ContextEntry{{
			ContextKeyName:   aws.String("iam:PassedToService"),
			ContextKeyType:   iamtypes.ContextKeyTypeEnumString,
			ContextKeyValues: []string{ecsTasksService},
		}}
	}
	var results []iamtypes.EvaluationResult
	for {
		// The simulation is advisory: a server fault makes it SKIP, so it is
		// not worth the full retry budget (an emulator without it answers 500).
		out, err := r.c.IAM.SimulatePrincipalPolicy(ctx, in, advisoryRetry)
		if err != nil {
			return r.simulateError(ctx, who, name, err)
		}
		results = append(results, out.EvaluationResults...)
		if !out.IsTruncated || aws.ToString(out.Marker) == "" {
			break
		}
		in.Marker = out.Marker
	}
	return judge(name, g, results), ""
}

// simulateError turns a failed simulation into SKIP: the simulation is
// advisory, so no error of its own (throttling, a reset connection, a 5xx,
// access denied) may block a deploy; only a denied action in its answer
// (judge) is a FAIL. The reason is one short line naming the action and the
// error code or HTTP status, never the SDK's whole error chain.
func (r *run) simulateError(ctx context.Context, who caller, name string, err error) (Check, string) {
	var noEntity *iamtypes.NoSuchEntityException
	switch {
	case isInterrupted(ctx, err):
		return r.interruptedCheck(name), ""
	case isDenied(err):
		return Check{}, "the deploying identity may not call " + simulateAction + " (" + errorReason(err) + ")"
	case isUnsupported(err):
		return Check{}, "the endpoint does not support " + simulateAction + " (" + errorReason(err) + ")"
	case errors.As(err, &noEntity) && who.fromSession != "":
		return Check{}, fmt.Sprintf("IAM has no role %s, derived from the session %s; the role's path cannot be read from a session ARN, so a role with a path is not found (%s)",
			who.arn, who.fromSession, advisoryError(simulateAction, err))
	case errors.As(err, &noEntity):
		return Check{}, fmt.Sprintf("IAM has no principal %s (%s)", who.arn, advisoryError(simulateAction, err))
	default:
		// A throttled, failed or unreachable simulator says nothing about
		// the deploy's permissions. (moto, which does not implement the
		// call, answers 500.)
		return Check{}, advisoryError(simulateAction, err)
	}
}

const simulateAction = "iam:SimulatePrincipalPolicy"

// advisoryError says in one short line why an advisory call did not answer:
// the action and the AWS error code with the HTTP status ("iam:X failed:
// Throttling, HTTP 400"), or the kind of network failure. At most
// maxReasonLen characters.
func advisoryError(action string, err error) string {
	line := action + " failed: " + errorReason(err)
	if len(line) > maxReasonLen {
		line = line[:maxReasonLen-1] + "…"
	}
	return line
}

// errorReason is the AWS error code and HTTP status of err ("Throttling,
// HTTP 400"), or the network failure's own short text.
func errorReason(err error) string {
	code, status := errorCode(err), httpStatus(err)
	switch {
	case code != "" && status != 0:
		return fmt.Sprintf("%s, HTTP %d", code, status)
	case code != "":
		return code
	case status != 0:
		return fmt.Sprintf("HTTP %d", status)
	default:
		return networkReason(err)
	}
}

const maxReasonLen = 120

// networkReason names a failure that has no AWS answer: the innermost
// error's text, which for a network fault is short ("connection reset by
// peer", "EOF", "i/o timeout").
func networkReason(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			break
		}
		err = next
	}
	return oneLine(err.Error())
}

// judge turns the evaluation results into a check: FAIL naming each denied
// action and resource; SKIP when the only denials depend on context keys
// the simulation lacked (they may be allowed at deploy time); else OK.
func judge(name string, g actionGroup, results []iamtypes.EvaluationResult) Check {
	var denied, unsure []string
	note := func(action, resource string, d iamtypes.PolicyEvaluationDecisionType, missing []string) {
		if resource == "" {
			resource = "*"
		}
		if d == iamtypes.PolicyEvaluationDecisionTypeImplicitDeny && len(missing) > 0 {
			unsure = append(unsure, fmt.Sprintf("%s on %s (depends on %s)", action, resource, strings.Join(missing, ", ")))
			return
		}
		denied = append(denied, fmt.Sprintf("%s on %s (%s)", action, resource, d))
	}
	seen := map[string]bool{}
	for _, er := range results {
		action := aws.ToString(er.EvalActionName)
		seen[strings.ToLower(action)] = true
		n := len(denied) + len(unsure)
		for _, rs := range er.ResourceSpecificResults {
			if rs.EvalResourceDecision != iamtypes.PolicyEvaluationDecisionTypeAllowed {
				note(action, aws.ToString(rs.EvalResourceName), rs.EvalResourceDecision, rs.MissingContextValues)
			}
		}
		if er.EvalDecision != iamtypes.PolicyEvaluationDecisionTypeAllowed && len(denied)+len(unsure) == n {
			note(action, aws.ToString(er.EvalResourceName), er.EvalDecision, er.MissingContextValues)
		}
	}
	for _, a := range g.actions {
		if !seen[strings.ToLower(a)] {
			unsure = append(unsure, a+" (not in the simulation's answer)")
		}
	}
	switch {
	case len(denied) > 0:
		reason := "denied: " + strings.Join(denied, "; ")
		if len(unsure) > 0 {
			reason += "; cannot tell: " + strings.Join(unsure, "; ")
		}
		return Check{Name: name, Status: Fail, Reason: reason}
	case len(unsure) > 0:
		return Check{Name: name, Status: Skip, Reason: "cannot tell: " + strings.Join(unsure, "; ")}
	default:
		return Check{Name: name, Status: OK, Reason: "allowed"}
	}
}
