package rollout_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/launchdeploy/launch/internal/awsconf"
	"github.com/launchdeploy/launch/internal/emulator"
	"github.com/launchdeploy/launch/rollout"
	"github.com/launchdeploy/launch/service"
	"github.com/launchdeploy/launch/spec"
)

const waveBake = time.Second

// fleetYAML is a spec of n agents agent-01…, agent i running image(i),
// with the rollout section ro (indented under rollout:).
func fleetYAML(n int, image func(i int) string, ro string) string {
	var b strings.Builder
	b.WriteString(`region: ${REGION}
cluster:
  name: apps
  create: true
taskRole:
  name: app-task
executionRole:
  name: app-exec
defaults:
  network:
    subnets: ["${SUBNET_1}"]
    securityGroups: ["${SECURITY_GROUP}"]
agents:
`)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "  - name: agent-%02d\n    image: %s\n", i, image(i))
	}
	if ro != "" {
		b.WriteString("rollout:\n" + ro)
	}
	return b.String()
}

func sameImage(image string) func(int) string { return func(int) string { return image } }

// write is one CreateService or UpdateService launch made.
type write struct {
	action, service string
	start, end      time.Time
}

// writeLog wraps the ECS client to record which service each service
// write was for (the harness logs only actions), and calls onWrite after
// each.
type writeLog struct {
	rollout.ECSAPI
	mu      sync.Mutex
	writes  []write
	onWrite func(w write, all []write)
}

func (l *writeLog) record(action, svc string, start time.Time) {
	l.mu.Lock()
	w := write{action, svc, start, time.Now()}
	l.writes = append(l.writes, w)
	all := slices.Clone(l.writes)
	l.mu.Unlock()
	if l.onWrite != nil {
		l.onWrite(w, all)
	}
}

func (l *writeLog) CreateService(ctx context.Context, in *ecs.CreateServiceInput, o ...func(*ecs.Options)) (*ecs.CreateServiceOutput, error) {
	start := time.Now()
	out, err := l.ECSAPI.CreateService(ctx, in, o...)
	l.record("CreateService", aws.ToString(in.ServiceName), start)
	return out, err
}

func (l *writeLog) UpdateService(ctx context.Context, in *ecs.UpdateServiceInput, o ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error) {
	start := time.Now()
	out, err := l.ECSAPI.UpdateService(ctx, in, o...)
	l.record("UpdateService", aws.ToString(in.Service), start)
	return out, err
}

func (l *writeLog) services() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, w := range l.writes {
		out = append(out, w.service)
	}
	return out
}

// deployWaves runs a deploy in-process under ctx, recording service writes.
func (e *env) deployWaves(ctx context.Context, sp *spec.Spec, log *writeLog) (*rollout.Report, awsconf.Calls, error) {
	e.t.Helper()
	return e.deployWavesTo(ctx, sp, log, quiet{e.t})
}

// deployWavesTo is deployWaves printing its progress to out.
func (e *env) deployWavesTo(ctx context.Context, sp *spec.Spec, log *writeLog, out rollout.Reporter) (*rollout.Report, awsconf.Calls, error) {
	e.t.Helper()
	cfg, counter, err := awsconf.Load(ctx, awsconf.Options{Region: e.cfg.Region, EndpointURL: aws.ToString(e.cfg.BaseEndpoint)})
	if err != nil {
		e.t.Fatal(err)
	}
	c := rollout.NewClients(cfg)
	log.ECSAPI = c.ECS
	c.ECS = log
	rep := rollout.NewReport(sp.Path)
	err = rollout.Deploy(ctx, c, sp, rollout.Options{PollMin: 100 * time.Millisecond, PollMax: 300 * time.Millisecond}, out, rep)
	return rep, counter.Snapshot(), err
}

func waveAgents(rep *rollout.Report) [][]string {
	var out [][]string
	for _, w := range rep.Waves {
		out = append(out, w.Agents)
	}
	return out
}

func names(from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprintf("agent-%02d", i))
	}
	return out
}

// runningTaskDefs reads each agent's service's task definition.
func runningTaskDefs(t *testing.T, e *env, n int) map[string]string {
	t.Helper()
	out, err := ecs.NewFromConfig(e.cfg).DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String("apps"), Services: names(1, min(n, 10))})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, s := range out.Services {
		got[aws.ToString(s.ServiceName)] = aws.ToString(s.TaskDefinition)
	}
	return got
}

const wavesRollout = "  waves: [1, 3, 100%]\n  bakeTime: 1s\n"

func TestWavesDeployInOrderAfterEachGate(t *testing.T) {
	e := newEnv(t)
	sp := e.spec(fleetYAML(10, sameImage("example.com/agent:1"), wavesRollout))

	// plan shows the waves: every agent is new, so 1, 3 and the other 6.
	p, err := rollout.MakePlan(context.Background(), rollout.NewClients(e.cfg), sp)
	if err != nil {
		t.Fatal(err)
	}
	view := p.View()
	if view.Waves == nil || len(view.Waves.Waves) != 3 || len(view.Waves.Waves[0].Agents) != 1 || len(view.Waves.Waves[1].Agents) != 3 || len(view.Waves.Waves[2].Agents) != 6 {
		t.Fatalf("plan waves: %+v", view.Waves)
	}
	text := view.Text()
	for _, want := range []string{"Rollout in 3 waves (bake time 1s, on failure stop):", "wave 1 [1]: agent-01 (log group create, task definition create, service create)", "wave 3 [100%]: agent-05"} {
		if !strings.Contains(text, want) {
			t.Errorf("plan text lacks %q:\n%s", want, text)
		}
	}

	e.h.ClearRequests(t)
	log := &writeLog{}
	rep, _, err := e.deployWaves(context.Background(), sp, log)
	if err != nil {
		t.Fatalf("deploy: %v", err)
	}
	want := [][]string{names(1, 1), names(2, 4), names(5, 10)}
	if got := waveAgents(rep); !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("waves %q, want %q", got, want)
	}
	for _, w := range rep.Waves {
		if w.Outcome != "passed" || w.StartedAt == nil || w.PassedAt == nil {
			t.Errorf("wave %d: %+v", w.Index, w)
		}
	}

	// From the harness's request log: the CreateService calls come in
	// groups of 1, 3 and 6, each group starting only after the previous
	// group's deployments completed and baked.
	var creates, describes []emulator.TimedRequest
	for _, r := range e.h.TimedRequests(t) {
		switch r.Action {
		case "CreateService":
			creates = append(creates, r)
		case "DescribeServices":
			describes = append(describes, r)
		}
	}
	if len(creates) != 10 {
		t.Fatalf("%d CreateService calls, want 10", len(creates))
	}
	slices.SortFunc(creates, func(a, b emulator.TimedRequest) int { return int((a.Start - b.Start) * 1e6) })
	bounds := [][2]int{{0, 1}, {1, 4}, {4, 10}}
	for k := 1; k < len(bounds); k++ {
		prevEnd := 0.0
		for _, r := range creates[bounds[k-1][0]:bounds[k-1][1]] {
			prevEnd = max(prevEnd, r.End)
		}
		first := creates[bounds[k][0]].Start
		if gap := first - prevEnd; gap < waveBake.Seconds() {
			t.Errorf("wave %d started %.2fs after wave %d's last CreateService, want at least the bake time plus the deployment", k+1, gap, k)
		}
		// The last poll before wave k+1 started shows wave k done: one came
		// after the bake time.
		polled := false
		for _, d := range describes {
			if d.End <= first && d.Start >= prevEnd+waveBake.Seconds() {
				polled = true
			}
		}
		if !polled {
			t.Errorf("no DescribeServices between the end of wave %d's bake time and wave %d", k, k+1)
		}
	}
	// And from launch's side, by service.
	got := log.services()
	if !slices.Equal(got[:1], names(1, 1)) || !slices.Equal(sortedCopy(got[1:4]), names(2, 4)) || !slices.Equal(sortedCopy(got[4:]), names(5, 10)) {
		t.Errorf("service writes in order %q", got)
	}
	for _, a := range rep.Agents {
		if a.Wave == 0 || a.Why == "" || a.EndedOn != a.TaskDefinition.ARN {
			t.Errorf("agent %s: wave %d ended on %s (%s)", a.Name, a.Wave, a.EndedOn, a.Why)
		}
	}
	md := rep.Markdown()
	if !strings.Contains(md, "| wave | agents | outcome |") || !strings.Contains(md, "| 2 | agent-02, agent-03, agent-04 | passed |") {
		t.Errorf("summary lacks the waves:\n%s", md)
	}

	// A rerun has nothing to change: the same waves, checked, no write.
	log = &writeLog{}
	rep, calls, err := e.deployWaves(context.Background(), sp, log)
	if err != nil || calls.TotalWrites() != 0 {
		t.Fatalf("rerun: %v, writes %v", err, calls.Writes)
	}
	if got := waveAgents(rep); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("rerun waves %q, want %q", got, want)
	}
	for _, w := range rep.Waves {
		if w.Outcome != "passed" {
			t.Errorf("rerun wave %+v", w)
		}
	}
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

func TestWavesFailingCanaryStopsTheRollout(t *testing.T) {
	e := newEnv(t)
	if _, _, err := e.deployWaves(context.Background(), e.spec(fleetYAML(10, sameImage("example.com/agent:1"), "")), &writeLog{}); err != nil {
		t.Fatal(err)
	}
	before := runningTaskDefs(t, e, 10)

	e.h.MarkImageFailing(t, "example.com/agent:2", "")
	sp := e.spec(fleetYAML(10, sameImage("example.com/agent:2"), wavesRollout))
	log := &writeLog{}
	rep, _, err := e.deployWaves(context.Background(), sp, log)
	var re *service.RolloutError
	if err == nil || !errorsAs(err, &re) {
		t.Fatalf("deploy: %v, want a RolloutError (exit 3)", err)
	}
	if got := log.services(); !slices.Equal(got, names(1, 1)) {
		t.Errorf("services written %q, want only the canary agent-01", got)
	}
	if rep.Waves[0].Outcome != "failed" || rep.Waves[1].Outcome != "not started" || rep.Waves[2].Outcome != "not started" {
		t.Errorf("waves %+v %+v %+v", rep.Waves[0], rep.Waves[1], rep.Waves[2])
	}
	after := runningTaskDefs(t, e, 10)
	for name, td := range before {
		if after[name] != td {
			t.Errorf("%s runs %s, want %s", name, after[name], td)
		}
	}
	for _, a := range rep.Agents {
		if a.EndedOn != before[a.Name] || a.Why == "" {
			t.Errorf("agent %s ended on %s (%s), want %s", a.Name, a.EndedOn, a.Why, before[a.Name])
		}
	}
}

// A write AWS refuses in a wave fails that wave at once, naming the
// refusal: no service of the wave is touched and the later waves do not
// start.
func TestWavesStopOnARefusedWrite(t *testing.T) {
	e := newEnv(t)
	if _, _, err := e.deployWaves(context.Background(), e.spec(fleetYAML(4, sameImage("example.com/agent:1"), "")), &writeLog{}); err != nil {
		t.Fatal(err)
	}
	before := runningTaskDefs(t, e, 4)
	e.h.InjectFault(t, emulator.Fault{Service: "ecs", Action: "RegisterTaskDefinition", Status: 400, Code: "AccessDeniedException", Message: "registration refused by the test"})
	log := &writeLog{}
	rep, _, err := e.deployWaves(context.Background(), e.spec(fleetYAML(4, sameImage("example.com/agent:2"), wavesRollout)), log)
	if err == nil || !strings.Contains(err.Error(), "registration refused by the test") {
		t.Fatalf("deploy: %v, want the refused registration", err)
	}
	if got := log.services(); len(got) != 0 {
		t.Errorf("services written %q, want none: the canary's registration was refused", got)
	}
	if rep.Waves[0].Outcome != "failed" || rep.Waves[1].Outcome != "not started" || rep.Waves[2].Outcome != "not started" {
		t.Errorf("waves %+v %+v %+v", rep.Waves[0], rep.Waves[1], rep.Waves[2])
	}
	if after := runningTaskDefs(t, e, 4); !maps.Equal(after, before) {
		t.Errorf("running %v, want %v", after, before)
	}
}

func TestWavesRollbackReturnsTheWholeFleet(t *testing.T) {
	e := newEnv(t)
	if _, _, err := e.deployWaves(context.Background(), e.spec(fleetYAML(10, sameImage("example.com/agent:1"), "")), &writeLog{}); err != nil {
		t.Fatal(err)
	}
	before := runningTaskDefs(t, e, 10)

	// The canary's image is good; wave 2's fails.
	e.h.MarkImageFailing(t, "example.com/other:2", "")
	image := func(i int) string {
		if i == 1 {
			return "example.com/agent:2"
		}
		return "example.com/other:2"
	}
	sp := e.spec(fleetYAML(10, image, wavesRollout+"  onFailure: rollback\n"))
	log := &writeLog{}
	rep, _, err := e.deployWaves(context.Background(), sp, log)
	var re *service.RolloutError
	if err == nil || !errorsAs(err, &re) {
		t.Fatalf("deploy: %v, want a RolloutError (exit 3)", err)
	}
	if rep.Waves[0].Outcome != "passed" || rep.Waves[1].Outcome != "failed" || rep.Waves[2].Outcome != "not started" {
		t.Errorf("waves %+v %+v %+v", rep.Waves[0], rep.Waves[1], rep.Waves[2])
	}
	for _, name := range log.services() {
		if !slices.Contains(names(1, 4), name) {
			t.Errorf("wave 3's %s was written", name)
		}
	}
	after := runningTaskDefs(t, e, 10)
	for name, td := range before {
		if after[name] != td {
			t.Errorf("%s runs %s, want the revision it ran before, %s", name, after[name], td)
		}
	}
	canary := rep.Agents[0]
	if canary.EndedOn != before["agent-01"] || !strings.Contains(canary.Why, "rolled back") || canary.Service.Outcome != "rolled back" {
		t.Errorf("canary ended on %s (%s), outcome %s", canary.EndedOn, canary.Why, canary.Service.Outcome)
	}
}

func TestWavesResumeAfterInterrupt(t *testing.T) {
	e := newEnv(t)
	e.h.SetDeploymentDuration(t, time.Second)
	if _, _, err := e.deployWaves(context.Background(), e.spec(fleetYAML(10, sameImage("example.com/agent:1"), "")), &writeLog{}); err != nil {
		t.Fatal(err)
	}
	// A bake time the rerun's wait for wave 2 cannot use up on a slow
	// machine (see below).
	sp := e.spec(fleetYAML(10, sameImage("example.com/agent:2"), "  waves: [1, 3, 100%]\n  bakeTime: 3s\n"))

	// Interrupt once wave 2's three UpdateService calls are made (the
	// deployments then run on in ECS, as after Ctrl-C).
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := &writeLog{onWrite: func(_ write, all []write) {
		if len(all) == 4 {
			cancel()
		}
	}}
	rep, _, err := e.deployWaves(ctx, sp, log)
	var ie *service.InterruptedError
	if !errorsAs(err, &ie) {
		t.Fatalf("interrupted deploy: %v", err)
	}
	if rep.Waves[1].Outcome != "interrupted" || rep.Waves[2].Outcome != "not started" {
		t.Errorf("waves %+v %+v", rep.Waves[1], rep.Waves[2])
	}

	// The rerun keeps the waves: wave 1 and wave 2 (followed by the plan
	// to the end of its deployments, then checked) make no write.
	e.h.ClearRequests(t)
	log = &writeLog{}
	progress := &recorder{t: t}
	rep, _, err = e.deployWavesTo(context.Background(), sp, log, progress)
	if err != nil {
		t.Fatalf("rerun: %v", err)
	}
	// Wave 1 passed its bake before the interrupt: checked once, no bake.
	// Wave 2's deployments, made by the interrupted run, complete while
	// the rerun follows them: it bakes what is left of its bake time, from
	// their completion (nearly all of it), before wave 3 starts.
	lines := strings.Split(progress.text(), "\n")
	for _, want := range []string{
		"wave 1/3: deployed by an earlier run of this rollout; checking it without a bake time",
		"wave 2/3: deployed by an earlier run of this rollout; baking the rest of its bake time",
	} {
		if !slices.Contains(lines, want) {
			t.Errorf("rerun lacks the line %q:\n%s", want, progress.text())
		}
	}
	var bakes []string
	for _, l := range lines {
		if strings.HasPrefix(l, "baking ") {
			bakes = append(bakes, l)
		}
	}
	wave2 := "baking 3 agents: agent-02, agent-03, agent-04 must stay healthy for "
	if len(bakes) != 2 || !strings.HasPrefix(bakes[0], wave2) ||
		bakes[1] != "baking 6 agents: agent-05, agent-06, agent-07, agent-08, agent-09, agent-10 must stay healthy for 3s" {
		t.Fatalf("rerun baked\n%q\nwant wave 2's rest of 3s, then wave 3's 3s", bakes)
	}
	if left, err := time.ParseDuration(strings.TrimPrefix(bakes[0], wave2)); err != nil || left <= 0 || left >= 3*time.Second {
		t.Errorf("wave 2 baked %q (%v), want what is left of 3s", bakes[0], err)
	}
	if got, want := waveAgents(rep), [][]string{names(1, 1), names(2, 4), names(5, 10)}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("rerun waves %q, want %q", got, want)
	}
	var firstWrite float64
	for _, r := range e.h.TimedRequests(t) {
		if r.Action == "UpdateService" || r.Action == "RegisterTaskDefinition" || r.Action == "TagResource" {
			firstWrite = r.Start
			break
		}
	}
	if rep.Waves[2].StartedAt == nil || rep.Waves[1].PassedAt == nil || rep.Waves[1].PassedAt.After(*rep.Waves[2].StartedAt) ||
		float64(rep.Waves[1].PassedAt.UnixNano())/1e9 > firstWrite {
		t.Errorf("wave 3 did not wait for wave 2: %+v %+v, first write at %f", rep.Waves[1], rep.Waves[2], firstWrite)
	}
	got := sortedCopy(log.services())
	if !slices.Equal(got, names(5, 10)) {
		t.Errorf("rerun wrote services %q, want only wave 3's agent-05…agent-10", got)
	}
	for _, a := range rep.Agents[:4] {
		if a.Service.Action != "unchanged" || !strings.HasPrefix(a.Why, "deployed in wave") {
			t.Errorf("rerun: %s %s (%s)", a.Name, a.Service.Action, a.Why)
		}
	}
	after := runningTaskDefs(t, e, 10)
	for name, td := range after {
		if !strings.HasSuffix(td, ":2") {
			t.Errorf("%s runs %s, want revision 2", name, td)
		}
	}
}

func errorsAs[T error](err error, target *T) bool { return errors.As(err, target) }
