package rollout_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/launchdeploy/launch/preflight"
	"github.com/launchdeploy/launch/rollout"
)

// simulator answers iam:SimulatePrincipalPolicy as IAM would for a caller
// allowed everything but iam:PassRole (the emulator has no simulator), and
// records what was simulated.
type simulator struct {
	preflight.IAMAPI
	mu      sync.Mutex
	passed  [][]string      // the resources of each PassRole simulation
	actions map[string]bool // every action simulated
}

func (s *simulator) simulated() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.actions))
}

func (s *simulator) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.passed, s.actions = nil, nil
}

func (s *simulator) SimulatePrincipalPolicy(_ context.Context, in *iam.SimulatePrincipalPolicyInput, _ ...func(*iam.Options)) (*iam.SimulatePrincipalPolicyOutput, error) {
	out := &iam.SimulatePrincipalPolicyOutput{}
	s.mu.Lock()
	if s.actions == nil {
		s.actions = map[string]bool{}
	}
	for _, a := range in.ActionNames {
		s.actions[a] = true
	}
	s.mu.Unlock()
	for _, a := range in.ActionNames {
		d := iamtypes.PolicyEvaluationDecisionTypeAllowed
		if a == "iam:PassRole" {
			d = iamtypes.PolicyEvaluationDecisionTypeImplicitDeny
			s.mu.Lock()
			s.passed = append(s.passed, in.ResourceArns)
			s.mu.Unlock()
		}
		out.EvaluationResults = append(out.EvaluationResults, iamtypes.EvaluationResult{EvalActionName: aws.String(a), EvalResourceName: aws.String("*"), EvalDecision: d})
	}
	return out, nil
}

// A deploying identity that may not pass the roles to ECS: deploy's
// preflight simulates iam:PassRole on exactly the task and execution roles
// and stops before the first write, naming the denied action and roles; a
// plan that hands ECS no role simulates no PassRole.
func TestPreflightStopsADeployThatCannotPassTheRoles(t *testing.T) {
	e := newEnv(t)
	sp := e.spec(fleetYAML(1, sameImage("example.com/agent:1"), ""))
	sim := &simulator{}
	c := rollout.NewClients(e.cfg)
	sim.IAMAPI = c.Preflight.IAM
	c.Preflight.IAM = sim
	e.h.ClearRequests(t)
	rep := rollout.NewReport(sp.Path)
	err := rollout.Deploy(context.Background(), c, sp, rollout.Options{}, quiet{t}, rep)

	if e.h.Health(t).LocalStack != "" {
		// LocalStack's caller is the account's root user, which may do
		// everything: preflight simulates nothing and the deploy goes on
		// (README, Testing: lane differences).
		if err != nil || len(sim.simulated()) != 0 {
			t.Errorf("deploy as root: %v, simulated %q; want it deployed, nothing simulated", err, sim.simulated())
		}
		return
	}
	roles := []string{"arn:aws:iam::123456789012:role/app-task", "arn:aws:iam::123456789012:role/app-exec"}
	var pe *rollout.PreflightError
	if !errors.As(err, &pe) {
		t.Fatalf("deploy: %v, want a PreflightError", err)
	}
	want := []string{"permissions of arn:aws:iam::123456789012:user/moto / iam:PassRole on " + strings.Join(roles, ", ") +
		": denied: iam:PassRole on * (implicitDeny)"}
	if got := err.Error(); got != "preflight failed, nothing was changed:\n  "+want[0] {
		t.Errorf("deploy error:\n%s\nwant its one failure:\n  %s", got, want[0])
	}
	if len(sim.passed) != 1 || !slices.Equal(sim.passed[0], roles) {
		t.Errorf("PassRole simulated on %q, want once on %q", sim.passed, roles)
	}
	// Every write of a first deploy, and the reads only its wait makes.
	want = []string{"ecs:CreateCluster", "ecs:CreateService", "ecs:DeregisterTaskDefinition", "ecs:DescribeTasks", "ecs:ListTaskDefinitions",
		"ecs:ListTasks", "ecs:RegisterTaskDefinition", "ecs:TagResource", "iam:AttachRolePolicy", "iam:CreateRole", "iam:CreateServiceLinkedRole",
		"iam:PassRole", "iam:TagRole", "logs:CreateLogGroup", "logs:PutRetentionPolicy", "logs:TagResource"}
	if got := sim.simulated(); !slices.Equal(got, want) {
		t.Errorf("first deploy simulated %q, want %q", got, want)
	}
	if rep.Preflight == nil || !rep.Preflight.Failed() {
		t.Errorf("report's preflight %+v, want the failure", rep.Preflight)
	}
	for _, r := range e.h.Requests(t) {
		if !slices.Contains([]string{"GetCallerIdentity", "SimulatePrincipalPolicy"}, r.Action) &&
			(strings.HasPrefix(r.Action, "Create") || strings.HasPrefix(r.Action, "Put") || strings.HasPrefix(r.Action, "Register") ||
				strings.HasPrefix(r.Action, "Update") || strings.HasPrefix(r.Action, "Attach") || strings.HasPrefix(r.Action, "Tag")) {
			t.Errorf("deploy wrote %s:%s after a failed preflight", r.Service, r.Action)
		}
	}

	// Deployed (by an identity that may), the same spec hands ECS no role
	// again: nothing to simulate.
	if _, _, err := e.deploy(sp, rollout.Options{}); err != nil {
		t.Fatal(err)
	}
	sim.reset()
	p, err := rollout.MakePlan(context.Background(), c, sp)
	if err != nil {
		t.Fatal(err)
	}
	if res := p.Preflight(context.Background(), c, nil); res.Failed() || len(sim.simulated()) != 0 {
		t.Errorf("plan with nothing to change: preflight failed %v, simulated %q", res.Failed(), sim.simulated())
	}

	// A new image: a new revision and a service update hand ECS the roles.
	p, err = rollout.MakePlan(context.Background(), c, e.spec(fleetYAML(1, sameImage("example.com/agent:2"), "")))
	if err != nil {
		t.Fatal(err)
	}
	if res := p.Preflight(context.Background(), c, nil); !res.Failed() || len(sim.passed) != 1 || !slices.Equal(sim.passed[0], roles) {
		t.Errorf("plan of a new image: preflight failed %v, PassRole simulated on %q", res.Failed(), sim.passed)
	}
	want = []string{"ecs:DeregisterTaskDefinition", "ecs:DescribeTasks", "ecs:ListTaskDefinitions", "ecs:ListTasks", "ecs:RegisterTaskDefinition",
		"ecs:TagResource", "ecs:UpdateService", "iam:PassRole"}
	if got := sim.simulated(); !slices.Equal(got, want) {
		t.Errorf("new image simulated %q, want %q", got, want)
	}
}
