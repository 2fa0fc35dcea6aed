package rollout_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/launchdeploy/launch/internal/emulator"
	"github.com/launchdeploy/launch/rollout"
)

// Status keeps a service's last StatusEvents events, newest first, as ECS
// lists them; a read that fails stops it with the cause.
func TestStatusKeepsTheLastEventsAndStopsOnAFailedRead(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sp := imageSpec(e, "example.com/agent:1")
	if _, _, err := e.deployTo(sp); err != nil {
		t.Fatal(err)
	}
	// More deployments, more events.
	ecsc := ecs.NewFromConfig(e.cfg)
	for range 2 {
		if _, err := ecsc.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("apps"), Service: aws.String("agent-a"), ForceNewDeployment: true}); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			s := activeService(t, e.cfg, "apps", "agent-a")
			if len(s.Deployments) == 1 && s.Deployments[0].RolloutState == ecstypes.DeploymentRolloutStateCompleted {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the forced deployment did not complete")
			}
		}
	}
	events := activeService(t, e.cfg, "apps", "agent-a").Events
	if len(events) <= rollout.StatusEvents {
		t.Fatalf("the service has %d events; the test needs more than %d", len(events), rollout.StatusEvents)
	}

	rep := status(t, e, sp)
	a := rep.Agents[0]
	if len(a.Events) != 5 {
		t.Fatalf("%d events, want the last 5", len(a.Events))
	}
	var want strings.Builder
	want.WriteString("  last events (newest first):\n")
	for i, ev := range a.Events {
		if ev.Message != aws.ToString(events[i].Message) || !ev.Time.Equal(aws.ToTime(events[i].CreatedAt)) {
			t.Errorf("event %d: %+v, want ECS's %d-th: %s %s", i, ev, i, aws.ToTime(events[i].CreatedAt), aws.ToString(events[i].Message))
		}
		want.WriteString("    " + aws.ToTime(events[i].CreatedAt).UTC().Format(time.RFC3339) + " " + aws.ToString(events[i].Message) + "\n")
	}
	if !strings.Contains(rep.Text(), want.String()) {
		t.Errorf("text lacks the five events:\n%s\nwant:\n%s", rep.Text(), want.String())
	}

	// The log group deleted by hand: drift on the agent's log group.
	if _, err := cloudwatchlogs.NewFromConfig(e.cfg).DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("/ecs/agent-a")}); err != nil {
		t.Fatal(err)
	}
	a = status(t, e, sp).Agents[0]
	if len(a.Changes) != 1 || a.Changes[0].Kind != "log group" || !a.Drift || !slices.Contains(a.Problems, "drift: a deploy would change the log group") {
		t.Errorf("log group deleted: drift %v, changes %+v, problems %q", a.Drift, a.Changes, a.Problems)
	}

	c := rollout.NewClients(e.cfg)
	e.deny("sts", "GetCallerIdentity")
	_, err := rollout.Status(ctx, c, sp)
	wantDenied(t, err, "identify the caller (sts:GetCallerIdentity): ")
	e.deny("ecs", "ListTasks")
	_, err = rollout.Status(ctx, c, sp)
	wantDenied(t, err, "list the tasks of service agent-a: ")
	// The last DescribeTaskDefinition of a status is of the revision the
	// service runs, for its health checks.
	e.h.ClearRequests(t)
	status(t, e, sp)
	n := emulator.CountActions(e.h.Requests(t))["ecs:DescribeTaskDefinition"]
	e.h.SetThrottle(t, "DescribeTaskDefinition", n-1, 0.001)
	cfg := e.cfg.Copy()
	cfg.Retryer = faultsAtOnce
	_, err = rollout.Status(ctx, rollout.NewClients(cfg), sp)
	e.unthrottle("DescribeTaskDefinition")
	wantThrottled(t, err, "describe task definition arn:aws:ecs:"+e.cfg.Region+":"+e.account()+":task-definition/agent-a:1: ")
}
