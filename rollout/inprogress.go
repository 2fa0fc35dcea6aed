package rollout

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"golang.org/x/sync/errgroup"

	"github.com/launchdeploy/launch/service"
	"github.com/launchdeploy/launch/spec"
)

// What deploy does about a deployment another run started (Options.IfInProgress).
const (
	InProgressWait = "wait"
	InProgressFail = "fail"
)

// maxWaitRounds bounds how often deploy waits for others' deployments and
// plans again: runs that keep starting deployments would otherwise keep
// this one waiting for ever.
const maxWaitRounds = 3

// InProgressError says a service's deployment, started by another run, had
// not finished and this run stopped before writing anything.
type InProgressError struct {
	// Busy names each service with its deployment: "agent (deployment
	// ecs-svc/1 on agent:3)".
	Busy []string
	// Why says why this run did not wait, or how the wait ended.
	Why string
}

func (e *InProgressError) Error() string {
	return fmt.Sprintf("another deployment is in progress: %s; %s; nothing was changed", strings.Join(e.Busy, ", "), e.Why)
}

// busyAgents returns the agents whose service's PRIMARY deployment is
// IN_PROGRESS with none of its tasks failed. The plan was read before this
// run wrote anything, so each was started by another run (or an earlier one
// that did not wait). A deployment whose tasks already fail is not waited
// for: without a circuit breaker it stays IN_PROGRESS until someone deploys
// a fix, and this run may be that fix.
func busyAgents(p *Plan) []AgentPlan {
	var out []AgentPlan
	for _, ap := range p.Agents {
		if d := service.InProgress(ap.Service); d != nil && d.FailedTasks == 0 {
			out = append(out, ap)
		}
	}
	return out
}

func describeBusy(busy []AgentPlan) []string {
	var out []string
	for _, ap := range busy {
		d := service.InProgress(ap.Service)
		out = append(out, fmt.Sprintf("%s (deployment %s on %s)", ap.Agent.Name, aws.ToString(d.Id), shortARN(aws.ToString(d.TaskDefinition))))
	}
	return out
}

// planQuietly makes the plan once no other run's deployment is in
// progress: with InProgressWait it follows those deployments to their end
// (whatever it is: theirs to report) and plans again; with InProgressFail it
// returns an InProgressError. Either way nothing is written before.
func planQuietly(ctx context.Context, c Clients, sp *spec.Spec, opts Options, out Reporter) (*Plan, error) {
	for round := 0; ; round++ {
		p, err := MakePlan(ctx, c, sp)
		if err != nil {
			return nil, err
		}
		busy := busyAgents(p)
		if len(busy) == 0 {
			return p, nil
		}
		switch {
		case opts.IfInProgress == InProgressFail:
			return nil, &InProgressError{Busy: describeBusy(busy), Why: "--if-in-progress fail; rerun when it has ended, or use --if-in-progress wait"}
		case round == maxWaitRounds:
			return nil, &InProgressError{Busy: describeBusy(busy), Why: fmt.Sprintf("other runs kept starting deployments after %d waits", maxWaitRounds)}
		}
		for _, s := range describeBusy(busy) {
			out.Printf("service %s: another run's deployment is in progress; waiting for it to end before planning again (--if-in-progress wait)", s)
		}
		if err := awaitOthers(ctx, c, sp.Cluster.Name, busy, opts, out); err != nil {
			return nil, err
		}
	}
}

// awaitOthers follows every busy agent's deployment until it ends. A
// deployment that FAILED or rolled back is the other run's outcome: this
// run plans again from what it left. A wait that times out is an
// InProgressError.
func awaitOthers(ctx context.Context, c Clients, cluster string, busy []AgentPlan, opts Options, out Reporter) error {
	var (
		mu   sync.Mutex
		errs []error
		late []string
	)
	var g errgroup.Group
	ecs := service.Batched(c.ECS)
	for _, ap := range busy {
		d := service.InProgress(ap.Service)
		timeout := ap.Agent.WaitTimeout.Duration
		if opts.WaitTimeout > 0 {
			timeout = opts.WaitTimeout
		}
		g.Go(func() error {
			res, err := service.Follow(ctx, ecs, service.FollowOptions{
				Cluster: cluster, Service: ap.Agent.Name,
				DeploymentID: aws.ToString(d.Id), TaskDefinitionARN: aws.ToString(d.TaskDefinition),
				Timeout: timeout, Since: time.Now(), MinInterval: opts.PollMin, MaxInterval: opts.PollMax,
				Status: out.Status, StopOnFailedTasks: true,
			})
			mu.Lock()
			defer mu.Unlock()
			var (
				re *service.RolloutError
				te *service.TimeoutError
			)
			switch {
			case err == nil:
				out.Printf("service %s: the other run's deployment %s %s", ap.Agent.Name, res.DeploymentID, res.RolloutState)
			case errors.As(err, &re) && re.RolloutState == string(ecstypes.DeploymentRolloutStateInProgress):
				out.Printf("service %s: the other run's deployment %s is failing (%s); this run deploys over it", ap.Agent.Name, aws.ToString(d.Id), re.Reason)
			case errors.As(err, &re):
				out.Printf("service %s: the other run's deployment %s ended %s", ap.Agent.Name, aws.ToString(d.Id), re.RolloutState)
			case errors.As(err, &te):
				late = append(late, fmt.Sprintf("%s (deployment %s)", ap.Agent.Name, aws.ToString(d.Id)))
			default:
				errs = append(errs, err)
			}
			return nil
		})
	}
	_ = g.Wait()
	out.Done()
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if len(late) > 0 {
		return &InProgressError{Busy: late, Why: "it did not end within the wait timeout"}
	}
	return nil
}
