package rollout_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/launchdeploy/launch/internal/emulator"
	"github.com/launchdeploy/launch/rollout"
	"github.com/launchdeploy/launch/service"
)

// launch logs says which read failed, with its cause; a window longer
// than one page of FilterLogEvents is read to its end and only the newest
// lines are kept. A failed deploy whose task's lines cannot be read still
// fails for its own reason, and says why the lines are missing.
func TestLogsFailedReadsAndAWindowLongerThanAPage(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sp := imageSpec(e, "example.com/agent:1")
	if _, _, err := e.deployTo(sp); err != nil {
		t.Fatal(err)
	}
	c := rollout.NewClients(e.cfg)
	e.deny("ecs", "DescribeServices")
	_, err := rollout.Logs(ctx, c, sp, "agent-a", 0, 0)
	wantDenied(t, err, "describe service agent-a: ")
	e.deny("logs", "FilterLogEvents")
	_, err = rollout.Logs(ctx, c, sp, "agent-a", 0, 0)
	wantDenied(t, err, "read the logs of agent agent-a from log group /ecs/agent-a: ")

	// 10,003 lines: moto's FilterLogEvents pages at 10,000 events.
	logs := cloudwatchlogs.NewFromConfig(e.cfg)
	stream := "ecs/agent-a/0123456789abcdef"
	if _, err := logs.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("/ecs/agent-a"), LogStreamName: aws.String(stream)}); err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-time.Minute).UnixMilli()
	const total = 10003
	for first := 0; first < total; first += 10000 {
		var batch []cwltypes.InputLogEvent
		for i := first; i < min(first+10000, total); i++ {
			batch = append(batch, cwltypes.InputLogEvent{Timestamp: aws.Int64(start + int64(i)), Message: aws.String(fmt.Sprintf("line %d", i))})
		}
		if _, err := logs.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("/ecs/agent-a"), LogStreamName: aws.String(stream), LogEvents: batch}); err != nil {
			t.Fatal(err)
		}
	}
	e.h.ClearRequests(t)
	rep, err := rollout.Logs(ctx, c, sp, "agent-a", 0, 3)
	if err != nil {
		t.Fatal(err)
	}
	if got := messages(rep.Lines); got != "line 10000 line 10001 line 10002" || !rep.Truncated {
		t.Errorf("limit 3: %q, truncated %v; want the last three of both pages", got, rep.Truncated)
	}
	if n := emulator.CountActions(e.h.Requests(t))["logs:FilterLogEvents"]; n != 2 {
		t.Errorf("%d FilterLogEvents calls, want 2 (two pages)", n)
	}
	if want := "agent agent-a: the newest 3 line(s) from log group /ecs/agent-a, streams ecs/agent-a/* (agent-a:1), everything kept"; rep.Summary() != want {
		t.Errorf("summary %q\nwant %q", rep.Summary(), want)
	}

	// The failed deploy's task wrote lines, which cannot be read.
	e.h.MarkImageCrashing(t, "example.com/agent:2", 1, "error: invalid client secret")
	e.deny("logs", "GetLogEvents")
	rep2, rec, err := e.deployTo(imageSpec(e, "example.com/agent:2"))
	var re *service.RolloutError
	if !errors.As(err, &re) {
		t.Fatalf("deploy: err = %v, want the RolloutError", err)
	}
	tl := rep2.Agents[0].Service.FailedTaskLogs
	if tl == nil || !strings.Contains(tl.Error, denied) || len(tl.Lines) != 0 || tl.StoppedReason != "Essential container in task exited" {
		t.Fatalf("failed task logs: %+v", tl)
	}
	if want := "its log lines could not be read from /ecs/agent-a ecs/agent-a/" + tl.Task + ": "; !strings.Contains(rec.text(), want) {
		t.Errorf("progress lacks %q:\n%s", want, rec.text())
	}

	// Without a circuit breaker the deployment never ends: the wait times
	// out, and the crashed task's lines are shown all the same.
	e.h.SetDeploymentDuration(t, 500*time.Millisecond)
	e.h.MarkImageCrashing(t, "example.com/agent:3", 1, "still failing")
	rep3, _, err := e.deployWith(noBreaker(e, "example.com/agent:3"), rollout.Options{WaitTimeout: 2 * time.Second})
	var te *service.TimeoutError
	if !errors.As(err, &te) {
		t.Fatalf("deploy without a circuit breaker: err = %v, want a TimeoutError", err)
	}
	if tl := rep3.Agents[0].Service.FailedTaskLogs; tl == nil || messages(tl.Lines) != "still failing" || tl.Error != "" {
		t.Errorf("failed task logs after the timeout: %+v", tl)
	}

	// An agent logging to splunk: no lines to read, none asked for.
	if err := os.WriteFile(filepath.Join(e.dir, "splunk.json"), []byte(strings.ReplaceAll(splunkBase, "agent-s", "agent-a")), 0o644); err != nil {
		t.Fatal(err)
	}
	e.h.MarkImageCrashing(t, "example.com/agent:4", 1, "boom")
	e.h.ClearRequests(t)
	rep4, _, err := e.deployWith(e.spec(strings.Replace(specYAML(nil, ""), "    image: example.com/agent:1\n",
		"    image: example.com/agent:4\n    baseTaskDefinition: splunk.json\n", 1)), rollout.Options{})
	if !errors.As(err, &re) || rep4.Agents[0].Service.FailedTaskLogs != nil {
		t.Errorf("splunk agent's failed deploy: %v, failed task logs %+v", err, rep4.Agents[0].Service.FailedTaskLogs)
	}
	if n := emulator.CountActions(e.h.Requests(t))["logs:GetLogEvents"]; n != 0 {
		t.Errorf("read CloudWatch logs of an agent logging to splunk (%d GetLogEvents)", n)
	}
}
