package rollout_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/google/go-cmp/cmp"

	"github.com/launchdeploy/launch/internal/awsconf"
	"github.com/launchdeploy/launch/internal/emulator"
	"github.com/launchdeploy/launch/rollout"
	"github.com/launchdeploy/launch/service"
	"github.com/launchdeploy/launch/spec"
)

// hooked logs progress through the test log and calls on with each line,
// before the run goes on: a test acts at a given point of the rollout.
type hooked struct {
	t  *testing.T
	mu sync.Mutex
	on func(line string)
	// lines are every line printed, warnings prefixed "WARNING: ".
	lines []string
}

func (h *hooked) Printf(f string, a ...any) { h.line(fmt.Sprintf(f, a...)) }
func (h *hooked) Warnf(f string, a ...any)  { h.line("WARNING: " + fmt.Sprintf(f, a...)) }
func (h *hooked) Status(string)             {}
func (h *hooked) Done()                     {}

func (h *hooked) line(s string) {
	h.t.Log(s)
	h.mu.Lock()
	h.lines = append(h.lines, s)
	on := h.on
	h.mu.Unlock()
	if on != nil {
		on(s)
	}
}

func (h *hooked) printed(s string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Contains(h.lines, s)
}

// deployHooked is deployWaves with options and a hooked reporter.
func (e *env) deployHooked(ctx context.Context, sp *spec.Spec, log *writeLog, opts rollout.Options, out *hooked) (*rollout.Report, awsconf.Calls, error) {
	e.t.Helper()
	cfg, counter, err := awsconf.Load(ctx, awsconf.Options{Region: e.cfg.Region, EndpointURL: aws.ToString(e.cfg.BaseEndpoint)})
	if err != nil {
		e.t.Fatal(err)
	}
	c := rollout.NewClients(cfg)
	log.ECSAPI = c.ECS
	c.ECS = log
	rep := rollout.NewReport(sp.Path)
	opts.PollMin, opts.PollMax = 100*time.Millisecond, 300*time.Millisecond
	err = rollout.Deploy(ctx, c, sp, opts, out, rep)
	return rep, counter.Snapshot(), err
}

// agentEnd is what the report says an agent of a rollout in waves ended on.
type agentEnd struct {
	Wave    int
	EndedOn string // family:revision
	Why     string
	Outcome string // the service's
}

func agentEnds(rep *rollout.Report) map[string]agentEnd {
	out := map[string]agentEnd{}
	for _, a := range rep.Agents {
		end := a.EndedOn
		if i := strings.LastIndex(end, "/"); i >= 0 {
			end = end[i+1:]
		}
		out[a.Name] = agentEnd{a.Wave, end, a.Why, a.Service.Outcome}
	}
	return out
}

func waveOutcomes(rep *rollout.Report) []string {
	var out []string
	for _, w := range rep.Waves {
		out = append(out, w.Outcome)
	}
	return out
}

// shortTDs is runningTaskDefs as family:revision.
func shortTDs(t *testing.T, e *env, n int) map[string]string {
	t.Helper()
	out := map[string]string{}
	for name, arn := range runningTaskDefs(t, e, n) {
		out[name] = arn[strings.LastIndex(arn, "/")+1:]
	}
	return out
}

func (l *writeLog) actions() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, w := range l.writes {
		out = append(out, w.action+" "+w.service)
	}
	return out
}

// A wave whose deployment another run replaces during its bake fails its
// gate: the later waves never start, and with onFailure: rollback launch
// moves back exactly the failed wave and the waves that passed before it,
// each to the revision it ran before. An agent with nothing to change and
// a selector wave that selects only it are left alone.
func TestWaveGateFailureRollsBackThePassedWaves(t *testing.T) {
	e := newEnv(t)
	if _, _, err := e.deployWaves(context.Background(), e.spec(fleetYAML(5, sameImage("example.com/agent:1"), "")), &writeLog{}); err != nil {
		t.Fatal(err)
	}
	image := func(i int) string {
		if i == 5 {
			return "example.com/agent:1"
		}
		return "example.com/agent:2"
	}
	sp := e.spec(fleetYAML(5, image, "  waves: [1, {agents: [agent-05]}, 1, 100%]\n  bakeTime: 1s\n  onFailure: rollback\n"))
	sdk := ecs.NewFromConfig(e.cfg)
	out := &hooked{t: t}
	out.on = func(line string) {
		if line == "baking 1 agent: agent-02 must stay healthy for 1s" {
			// Another run starts a deployment of agent-02 meanwhile.
			if _, err := sdk.UpdateService(context.Background(), &ecs.UpdateServiceInput{Cluster: aws.String("apps"), Service: aws.String("agent-02"), ForceNewDeployment: true}); err != nil {
				t.Error(err)
			}
		}
	}
	log := &writeLog{}
	rep, _, err := e.deployHooked(context.Background(), sp, log, rollout.Options{WaitTimeout: time.Minute}, out)

	var re *service.RolloutError
	if !errors.As(err, &re) {
		t.Fatalf("deploy: %v, want a RolloutError (exit 3)", err)
	}
	if re.Service != "agent-02" || !strings.HasPrefix(re.Reason, "wave gate: deployment ecs-svc/") ||
		!strings.HasSuffix(re.Reason, " on agent-02:2 replaced it (ECS's circuit breaker, or another run)") {
		t.Errorf("gate failure %+v", re)
	}
	if got, want := waveOutcomes(rep), []string{"passed", "skipped", "failed", "not started"}; !slices.Equal(got, want) {
		t.Errorf("waves %q, want %q", got, want)
	}
	if rep.Waves[1].StartedAt != nil || rep.Waves[2].PassedAt != nil || rep.Waves[3].StartedAt != nil {
		t.Errorf("times of waves that did not run or pass: %+v %+v %+v", rep.Waves[1], rep.Waves[2], rep.Waves[3])
	}
	want := map[string]agentEnd{
		"agent-01": {1, "agent-01:1", "deployed in an earlier wave, rolled back since wave 3 failed (onFailure: rollback); rolled back by launch", "rolled back"},
		"agent-02": {3, "agent-02:1", "wave 3 failed; rolled back by launch", "rolled back"},
		"agent-03": {4, "agent-03:1", "not deployed: wave 3 failed", ""},
		"agent-04": {4, "agent-04:1", "not deployed: wave 3 failed", ""},
		"agent-05": {0, "agent-05:1", "nothing to change", "completed"},
	}
	if diff := cmp.Diff(want, agentEnds(rep)); diff != "" {
		t.Errorf("agents (-want +got):\n%s", diff)
	}
	if got := shortTDs(t, e, 5); !cmp.Equal(got, map[string]string{"agent-01": "agent-01:1", "agent-02": "agent-02:1", "agent-03": "agent-03:1", "agent-04": "agent-04:1", "agent-05": "agent-05:1"}) {
		t.Errorf("services run %v, want every one back on revision 1", got)
	}
	// The waves' updates, then the two rollbacks; nothing for the others.
	got := log.actions()
	if len(got) != 4 || !slices.Equal(got[:2], []string{"UpdateService agent-01", "UpdateService agent-02"}) ||
		!slices.Equal(sortedCopy(got[2:]), []string{"UpdateService agent-01", "UpdateService agent-02"}) {
		t.Errorf("service writes %q", got)
	}
	for _, line := range []string{
		"rollout in 4 waves (bake time 1s, on failure rollback)",
		"task definition agent-05 unchanged: reusing agent-05:1",
		"service agent-05 unchanged",
		"wave 1/4 (1): agent-01",
		"task definition agent-01:2 registered",
		"service agent-01 updated (taskDefinition: agent-01:1 → agent-01:2)",
		"wave 1/4 passed its gate",
		"wave 2/4 (agents agent-05): no agent with something to change",
		"wave 3/4 failed its gate: later waves are not started",
		"service agent-01: rolling back from agent-01:2 to agent-01:1 (deployed in an earlier wave, rolled back since wave 3 failed (onFailure: rollback))",
		"service agent-02: rolled back to agent-02:1",
	} {
		if !out.printed(line) {
			t.Errorf("progress lacks %q", line)
		}
	}
}

// A wave gate that cannot read the services fails the wave: with
// onFailure: stop, launch rolls back that wave alone and keeps the waves
// that passed.
func TestWaveGateReadFailureKeepsThePassedWaves(t *testing.T) {
	e := newEnv(t)
	if _, _, err := e.deployWaves(context.Background(), e.spec(fleetYAML(3, sameImage("example.com/agent:1"), "")), &writeLog{}); err != nil {
		t.Fatal(err)
	}
	sp := e.spec(fleetYAML(3, sameImage("example.com/agent:2"), "  waves: [1, 100%]\n  bakeTime: 1s\n"))
	out := &hooked{t: t}
	out.on = func(line string) {
		if line == "baking 2 agents: agent-02, agent-03 must stay healthy for 1s" {
			e.h.InjectFault(t, emulator.Fault{Action: "DescribeServices", Service: "ecs", Code: "AccessDeniedException", Message: "not allowed to describe"})
		}
	}
	rep, _, err := e.deployHooked(context.Background(), sp, &writeLog{}, rollout.Options{}, out)
	var re *service.RolloutError
	if err == nil || errors.As(err, &re) || !strings.HasPrefix(err.Error(), "wave gate: describe service agent-02, agent-03: ") ||
		!strings.Contains(err.Error(), "not allowed to describe") {
		t.Fatalf("deploy: %v, want the gate's read error", err)
	}
	if got, want := waveOutcomes(rep), []string{"passed", "failed"}; !slices.Equal(got, want) {
		t.Errorf("waves %q, want %q", got, want)
	}
	want := map[string]agentEnd{
		"agent-01": {1, "agent-01:2", "deployed in wave 1; kept (onFailure: stop)", "completed"},
		"agent-02": {2, "agent-02:1", "wave 2 failed; rolled back by launch", "rolled back"},
		"agent-03": {2, "agent-03:1", "wave 2 failed; rolled back by launch", "rolled back"},
	}
	if diff := cmp.Diff(want, agentEnds(rep)); diff != "" {
		t.Errorf("agents (-want +got):\n%s", diff)
	}
	if got := shortTDs(t, e, 3); !cmp.Equal(got, map[string]string{"agent-01": "agent-01:2", "agent-02": "agent-02:1", "agent-03": "agent-03:1"}) {
		t.Errorf("services run %v", got)
	}
}

// Ctrl-C during a wave's bake is an interruption: exit 130 and "rerun",
// the wave left as it is (not rolled back, even with onFailure: rollback),
// the later waves not started.
func TestWaveInterruptedDuringItsBake(t *testing.T) {
	e := newEnv(t)
	if _, _, err := e.deployWaves(context.Background(), e.spec(fleetYAML(2, sameImage("example.com/agent:1"), "")), &writeLog{}); err != nil {
		t.Fatal(err)
	}
	sp := e.spec(fleetYAML(2, sameImage("example.com/agent:2"), "  waves: [1, 100%]\n  bakeTime: 3s\n  onFailure: rollback\n"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &hooked{t: t}
	out.on = func(line string) {
		if line == "baking 1 agent: agent-01 must stay healthy for 3s" {
			time.AfterFunc(500*time.Millisecond, cancel)
		}
	}
	log := &writeLog{}
	rep, _, err := e.deployHooked(ctx, sp, log, rollout.Options{}, out)
	var ie *service.InterruptedError
	var re *service.RolloutError
	if !errors.As(err, &ie) || errors.As(err, &re) || !errors.Is(err, context.Canceled) {
		t.Fatalf("deploy: %v, want an interruption alone", err)
	}
	if ie.Service != "agent-01" || ie.DeploymentID != "(bake time)" {
		t.Errorf("interruption %+v", ie)
	}
	if got, want := waveOutcomes(rep), []string{"interrupted", "not started"}; !slices.Equal(got, want) {
		t.Errorf("waves %q, want %q", got, want)
	}
	want := map[string]agentEnd{
		"agent-01": {1, "agent-01:2", "wave 1 interrupted: rerun launch to follow it and go on", "completed"},
		"agent-02": {2, "agent-02:1", "not deployed: wave 1 interrupted", ""},
	}
	if diff := cmp.Diff(want, agentEnds(rep)); diff != "" {
		t.Errorf("agents (-want +got):\n%s", diff)
	}
	if got := log.actions(); !slices.Equal(got, []string{"UpdateService agent-01"}) {
		t.Errorf("service writes %q, want only wave 1's", got)
	}
	if got := shortTDs(t, e, 2); !cmp.Equal(got, map[string]string{"agent-01": "agent-01:2", "agent-02": "agent-02:1"}) {
		t.Errorf("services run %v", got)
	}

	// The plan of the rerun keeps agent-01 in wave 1, though it has nothing
	// left to change.
	p, err := rollout.MakePlan(context.Background(), rollout.NewClients(e.cfg), sp)
	if err != nil {
		t.Fatal(err)
	}
	wantPlan := "Rollout in 2 waves (bake time 3s, on failure rollback):\n" +
		"  wave 1 [1]: agent-01 (deployed by an earlier run of this rollout)\n" +
		"  wave 2 [100%]: agent-02 (task definition update, service update)\n"
	if diff := cmp.Diff(wantPlan, p.View().Waves.Text()); diff != "" {
		t.Errorf("plan of the rerun (-want +got):\n%s", diff)
	}
}

// What launch says when it cannot roll a failed wave back: a service this
// run created has no revision to go back to; a rollback AWS refuses, a
// failed read of the services and a rollback deployment that fails are
// errors beside the wave's, each agent saying where it was left.
func TestWaveRollbackThatCannotComplete(t *testing.T) {
	e := newEnv(t)
	ro := "  waves: [1, 100%]\n  bakeTime: 0s\n  onFailure: rollback\n"
	images := func(first, rest string) func(int) string {
		return func(i int) string {
			if i == 1 {
				return first
			}
			return rest
		}
	}
	deploy := func(sp *spec.Spec, on func(string)) (*rollout.Report, *hooked, error) {
		t.Helper()
		out := &hooked{t: t, on: on}
		rep, _, err := e.deployHooked(context.Background(), sp, &writeLog{}, rollout.Options{}, out)
		return rep, out, err
	}
	gateFailed := "wave 2/2 failed its gate: later waves are not started"

	// A canary this run created fails: nothing to roll back to, and the
	// next wave's agent is never created.
	e.h.MarkImageFailing(t, "example.com/bad:1", "")
	rep, out, err := deploy(e.spec(fleetYAML(2, images("example.com/bad:1", "example.com/agent:1"), ro)), nil)
	var re *service.RolloutError
	if !errors.As(err, &re) || re.Service != "agent-01" {
		t.Fatalf("deploy: %v, want agent-01's RolloutError", err)
	}
	want := map[string]agentEnd{
		"agent-01": {1, "agent-01:1", "wave 1 failed; this run created the service, so it has no earlier revision to roll back to", "failed"},
		"agent-02": {2, "", "not deployed: wave 1 failed", ""},
	}
	if diff := cmp.Diff(want, agentEnds(rep)); diff != "" {
		t.Errorf("created canary: agents (-want +got):\n%s", diff)
	}
	if !out.printed("WARNING: service agent-01: created by this run, so it has no earlier revision to roll back to: left on agent-01:1") {
		t.Errorf("no warning that agent-01 stays on agent-01:1")
	}
	if got := shortTDs(t, e, 2); !cmp.Equal(got, map[string]string{"agent-01": "agent-01:1"}) {
		t.Errorf("services run %v, want agent-02 never created", got)
	}
	e.h.ClearFailingImages(t)
	if _, _, err := deploy(e.spec(fleetYAML(2, sameImage("example.com/agent:1"), "")), nil); err != nil {
		t.Fatal(err)
	}

	// Wave 2 fails (ECS's circuit breaker moves it back); the rollback of
	// wave 1's agent-01 is refused.
	e.h.MarkImageFailing(t, "example.com/other:2", "")
	rep, _, err = deploy(e.spec(fleetYAML(2, images("example.com/agent:2", "example.com/other:2"), ro)), func(line string) {
		if line == gateFailed {
			e.h.InjectFault(t, emulator.Fault{Action: "UpdateService", Service: "ecs", Code: "AccessDeniedException", Message: "no update for you"})
		}
	})
	if !errors.As(err, &re) || re.Service != "agent-02" || !strings.Contains(err.Error(), "no update for you") {
		t.Fatalf("deploy: %v, want agent-02's RolloutError and the refused rollback", err)
	}
	ends := agentEnds(rep)
	if a := ends["agent-01"]; a.EndedOn != "agent-01:3" || !strings.HasPrefix(a.Why, "deployed in an earlier wave, rolled back since wave 2 failed (onFailure: rollback); the rollback failed: ") ||
		!strings.Contains(a.Why, "no update for you") {
		t.Errorf("refused rollback: agent-01 %+v", a)
	}
	if a, want := ends["agent-02"], (agentEnd{2, "agent-02:1", "wave 2 failed; back on its earlier revision: ECS's circuit breaker rolled it back", "rolled back"}); a != want {
		t.Errorf("refused rollback: agent-02 %+v, want %+v", a, want)
	}
	if got := shortTDs(t, e, 2); !cmp.Equal(got, map[string]string{"agent-01": "agent-01:3", "agent-02": "agent-02:1"}) {
		t.Errorf("services run %v", got)
	}

	// The same, but the services cannot be read before the rollback.
	e.h.MarkImageFailing(t, "example.com/other:3", "")
	_, _, err = deploy(e.spec(fleetYAML(2, images("example.com/agent:3", "example.com/other:3"), ro)), func(line string) {
		if line == gateFailed {
			e.h.InjectFault(t, emulator.Fault{Action: "DescribeServices", Service: "ecs", Code: "AccessDeniedException", Message: "no describe for you"})
		}
	})
	if !errors.As(err, &re) || re.Service != "agent-02" || !strings.Contains(err.Error(), "\nroll back: describe service agent-01, agent-02: ") {
		t.Fatalf("deploy: %v, want agent-02's RolloutError and the failed read", err)
	}
	if got := shortTDs(t, e, 2); !cmp.Equal(got, map[string]string{"agent-01": "agent-01:4", "agent-02": "agent-02:1"}) {
		t.Errorf("services run %v", got)
	}

	// The same, but the revision agent-01 goes back to fails to start now.
	e.h.MarkImageFailing(t, "example.com/other:4", "")
	rep, _, err = deploy(e.spec(fleetYAML(2, images("example.com/agent:4", "example.com/other:4"), ro)), func(line string) {
		if line == gateFailed {
			e.h.MarkImageFailing(t, "example.com/agent:3", "")
		}
	})
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "\nroll back service agent-01 to agent-01:4: ") {
		t.Fatalf("deploy: %v, want the failed rollback", err)
	}
	if a, want := agentEnds(rep)["agent-01"], (agentEnd{1, "agent-01:5", "deployed in an earlier wave, rolled back since wave 2 failed (onFailure: rollback); the rollback to agent-01:4 did not complete", "completed"}); a != want {
		t.Errorf("failed rollback: agent-01 %+v, want %+v", a, want)
	}
}

// What stops a rollout in waves before its first wave writes a service: a
// role write that fails, a service that cannot be marked as part of the
// rollout.
func TestWavesStopBeforeTheFirstWave(t *testing.T) {
	e := newEnv(t)
	ro := "  waves: [1, 100%]\n  bakeTime: 0s\n"
	deploy := func(sp *spec.Spec) (*rollout.Report, *writeLog, error) {
		t.Helper()
		log := &writeLog{}
		rep, _, err := e.deployHooked(context.Background(), sp, log, rollout.Options{}, &hooked{t: t})
		return rep, log, err
	}
	notStarted := []string{"not started", "not started"}

	e.h.InjectFault(t, emulator.Fault{Action: "CreateRole", Service: "iam", Code: "AccessDenied", Status: 403, Message: "no roles for you"})
	rep, log, err := deploy(e.spec(fleetYAML(2, sameImage("example.com/agent:1"), ro)))
	if err == nil || !strings.Contains(err.Error(), "no roles for you") {
		t.Fatalf("deploy: %v, want the refused CreateRole", err)
	}
	if got := waveOutcomes(rep); !slices.Equal(got, notStarted) || len(log.actions()) != 0 {
		t.Errorf("role refused: waves %q, service writes %q; want none started", got, log.actions())
	}

	if _, _, err := deploy(e.spec(fleetYAML(2, sameImage("example.com/agent:1"), ""))); err != nil {
		t.Fatal(err)
	}

	e.h.InjectFault(t, emulator.Fault{Action: "TagResource", Service: "ecs", Code: "AccessDeniedException", Message: "no tags for you"})
	rep, log, err = deploy(e.spec(fleetYAML(2, sameImage("example.com/agent:2"), ro)))
	if err == nil || !strings.HasPrefix(err.Error(), "mark service agent-01 as part of this rollout: ") || !strings.Contains(err.Error(), "no tags for you") {
		t.Fatalf("deploy: %v, want the refused TagResource", err)
	}
	if got := waveOutcomes(rep); !slices.Equal(got, []string{"failed", "not started"}) || len(log.actions()) != 0 {
		t.Errorf("mark refused: waves %q, service writes %q; want wave 1 failed before its update", got, log.actions())
	}
}
