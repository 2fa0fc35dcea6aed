package rollout_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/launchdeploy/launch/rollout"
	"github.com/launchdeploy/launch/service"
	"github.com/launchdeploy/launch/spec"
)

// recorder keeps the progress lines of a deploy.
type recorder struct {
	t     *testing.T
	mu    sync.Mutex
	lines []string
}

func (r *recorder) Printf(f string, a ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, fmt.Sprintf(f, a...))
	r.t.Logf(f, a...)
}
func (r *recorder) Warnf(f string, a ...any) { r.Printf("WARNING: "+f, a...) }
func (r *recorder) Status(string)            {}
func (r *recorder) Done()                    {}
func (r *recorder) text() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.lines, "\n")
}

// deployTo runs a deploy in-process and returns its report and progress.
func (e *env) deployTo(sp *spec.Spec) (*rollout.Report, *recorder, error) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rec := &recorder{t: e.t}
	rep := rollout.NewReport(sp.Path)
	err := rollout.Deploy(ctx, rollout.NewClients(e.cfg), sp, rollout.Options{PollMin: 100 * time.Millisecond, PollMax: 300 * time.Millisecond}, rec, rep)
	return rep, rec, err
}

// imageSpec is specYAML's one-agent spec running image.
func imageSpec(e *env, image string) *spec.Spec {
	return e.spec(strings.Replace(specYAML(nil, ""), "example.com/agent:1", image, 1))
}

func TestFailedDeployShowsTheTasksLastLogLines(t *testing.T) {
	e := newEnv(t)
	if _, _, err := e.deployTo(imageSpec(e, "example.com/agent:1")); err != nil {
		t.Fatalf("first deploy: %v", err)
	}
	var lines []string
	for i := 1; i <= 12; i++ {
		lines = append(lines, fmt.Sprintf("starting agent, step %d", i))
	}
	lines = append(lines, "error: invalid client secret")
	e.h.MarkImageCrashing(t, "example.com/agent:2", 1, lines...)
	rep, rec, err := e.deployTo(imageSpec(e, "example.com/agent:2"))
	var re *service.RolloutError
	if !errors.As(err, &re) {
		t.Fatalf("deploy: err = %v, want a RolloutError (exit 3)", err)
	}
	tl := rep.Agents[0].Service.FailedTaskLogs
	if tl == nil {
		t.Fatalf("the report has no failedTaskLogs: %+v", rep.Agents[0].Service)
	}
	if tl.StoppedReason != "Essential container in task exited" || tl.Container != "agent-a" || tl.ExitCode == nil || *tl.ExitCode != 1 || tl.Error != "" {
		t.Errorf("failed task %+v", tl)
	}
	if tl.Group != "/ecs/agent-a" || tl.Stream != "ecs/agent-a/"+tl.Task {
		t.Errorf("read %s %s, want the awslogs stream ecs/agent-a/<task id> in /ecs/agent-a", tl.Group, tl.Stream)
	}
	var got []string
	for _, l := range tl.Lines {
		got = append(got, l.Message)
	}
	if want := lines[len(lines)-rollout.FailureLogLines:]; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("lines %q, want the last %d: %q", got, rollout.FailureLogLines, want)
	}
	// In the progress output: the stopped reason, then the lines, in order.
	out := rec.text()
	reason := strings.Index(out, "task "+tl.Task[:8]+" stopped: Essential container in task exited (container agent-a, exit code 1)")
	first := strings.Index(out, "starting agent, step 4")
	last := strings.Index(out, "error: invalid client secret")
	if reason < 0 || first < reason || last < first || strings.Contains(out, "step 3\n") {
		t.Errorf("progress does not show the stopped reason followed by the last 10 lines:\n%s", out)
	}
}

func TestFailedDeployBeforeTheContainerRanReadsNoLogs(t *testing.T) {
	e := newEnv(t)
	e.h.MarkImageFailing(t, "example.com/agent:1", "") // ResourceInitializationError
	e.h.ClearRequests(t)
	rep, _, err := e.deployTo(imageSpec(e, "example.com/agent:1"))
	var re *service.RolloutError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want a RolloutError", err)
	}
	if tl := rep.Agents[0].Service.FailedTaskLogs; tl != nil {
		t.Errorf("failedTaskLogs %+v for a task whose container never started", tl)
	}
	for _, r := range e.h.Requests(t) {
		if r.Service == "logs" && strings.HasPrefix(r.Action, "Get") || r.Action == "FilterLogEvents" {
			t.Errorf("read logs (%s) of a task that never ran", r.Action)
		}
	}
}

func TestLogsReadsTheAgentsStreamsNewestLast(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sp := imageSpec(e, "example.com/agent:1")
	c := rollout.NewClients(e.cfg)
	if _, err := rollout.Logs(ctx, c, sp, "agent-a", 0, 0); err == nil || !strings.Contains(err.Error(), "agent agent-a has no task definition") {
		t.Errorf("logs before any deploy: %v", err)
	}
	if _, _, err := e.deployTo(sp); err != nil {
		t.Fatal(err)
	}
	// Two tasks' streams and one of another container in the same group.
	logs := cloudwatchlogs.NewFromConfig(e.cfg)
	now := time.Now().UnixMilli()
	put := func(stream string, at int64, msg string) {
		t.Helper()
		_, _ = logs.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("/ecs/agent-a"), LogStreamName: aws.String(stream)})
		if _, err := logs.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("/ecs/agent-a"), LogStreamName: aws.String(stream),
			LogEvents: []cwltypes.InputLogEvent{{Timestamp: aws.Int64(at), Message: aws.String(msg)}}}); err != nil {
			t.Fatal(err)
		}
	}
	put("ecs/agent-a/1111111111aaaa", now-3000, "one")
	put("ecs/agent-a/2222222222bbbb", now-2000, "two")
	put("ecs/agent-a/1111111111aaaa", now-1000, "three")
	put("ecs/sidecar/1111111111aaaa", now-1500, "not the agent's")
	put("ecs/agent-a/3333333333cccc", now-20*60*1000, "old")

	rep, err := rollout.Logs(ctx, c, sp, "agent-a", 10*time.Minute, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := messages(rep.Lines); got != "one two three" {
		t.Errorf("lines %q, want the agent container's lines of the last 10 minutes interleaved by time", got)
	}
	if rep.Lines[1].Task != "2222222222bbbb" || rep.Group != "/ecs/agent-a" || rep.StreamPrefix != "ecs/agent-a/" || rep.Truncated {
		t.Errorf("report %+v", rep)
	}
	if !strings.HasSuffix(strings.Split(rep.Text(), "\n")[0], " 11111111 one") {
		t.Errorf("text:\n%s", rep.Text())
	}
	rep, err = rollout.Logs(ctx, c, sp, "agent-a", 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got := messages(rep.Lines); got != "two three" || !rep.Truncated {
		t.Errorf("limit 2: %q truncated=%v, want the newest two", got, rep.Truncated)
	}
	if rep, _ := rollout.Logs(ctx, c, sp, "agent-a", 0, 0); messages(rep.Lines) != "old one two three" {
		t.Errorf("without --since: %q", messages(rep.Lines))
	}

	_, err = rollout.Logs(ctx, c, sp, "agent-b", 0, 0)
	var ua *rollout.UnknownAgentError
	if !errors.As(err, &ua) || !strings.Contains(err.Error(), `did you mean "agent-a"?`) {
		t.Errorf("unknown agent: %v", err)
	}
}

func messages(lines []rollout.LogLine) string {
	var out []string
	for _, l := range lines {
		out = append(out, l.Message)
	}
	return strings.Join(out, " ")
}

const healthBase = `{
  "family": "agent-a",
  "requiresCompatibilities": ["FARGATE"],
  "networkMode": "awsvpc",
  "cpu": "1024",
  "memory": "2048",
  "containerDefinitions": [{
    "name": "agent-a",
    "image": "placeholder",
    "essential": true,
    "healthCheck": {"command": ["CMD-SHELL", "curl -f http://localhost:8080/health || exit 1"], "interval": 30, "timeout": 5, "retries": 3}
  }]
}`

func TestHealthCheckFailureFailsTheDeploy(t *testing.T) {
	e := newEnv(t)
	yaml := withBase(t, e, specYAML(nil, ""), healthBase)
	rep, rec, err := e.deployTo(e.spec(yaml))
	if err != nil {
		t.Fatalf("deploy with a passing health check: %v", err)
	}
	if rep.Agents[0].Service.Outcome != "completed" || !strings.Contains(rec.text(), "agent-a: 1/1 task(s) HEALTHY") {
		t.Errorf("outcome %q; progress:\n%s", rep.Agents[0].Service.Outcome, rec.text())
	}

	e.h.MarkImageUnhealthy(t, "example.com/agent:2")
	rep, _, err = e.deployTo(e.spec(strings.Replace(yaml, "example.com/agent:1", "example.com/agent:2", 1)))
	var re *service.RolloutError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want a RolloutError (exit 3)", err)
	}
	want := "container agent-a (check: CMD-SHELL curl -f http://localhost:8080/health || exit 1) failed its health check"
	if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "UNHEALTHY") {
		t.Errorf("error %q does not name the container and its check", err)
	}
	if rep.Agents[0].Service.Outcome != "failed" {
		t.Errorf("outcome %q", rep.Agents[0].Service.Outcome)
	}
}
