package rollout_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/launchdeploy/launch/internal/emulator"
	"github.com/launchdeploy/launch/rollout"
)

// Another run that starts a new deployment each time the previous one
// ended keeps this deploy waiting only three times: then it stops, says
// why, and has written nothing.
func TestDeployStopsWaitingForRunsThatKeepDeploying(t *testing.T) {
	e := newEnv(t)
	sp := e.spec(specYAML(nil, ""))
	if _, _, err := e.deploy(sp, rollout.Options{}); err != nil {
		t.Fatal(err)
	}
	// Each deployment of the other run lasts long enough for the next plan
	// to find it in progress.
	e.h.SetDeploymentDuration(t, 2*time.Second)
	ecsc := ecs.NewFromConfig(e.cfg)
	redeploy := func() {
		if _, err := ecsc.UpdateService(context.Background(), &ecs.UpdateServiceInput{Cluster: aws.String("apps"), Service: aws.String("agent-a"), ForceNewDeployment: true}); err != nil {
			t.Error(err)
		}
	}
	redeploy()
	started := 1
	out := &hooked{t: t, on: func(l string) {
		if strings.HasPrefix(l, "service agent-a: the other run's deployment ") {
			redeploy() // the other run's next deployment
			started++
		}
	}}
	e.h.ClearRequests(t)
	err := rollout.Deploy(context.Background(), rollout.NewClients(e.cfg), e.spec(strings.Replace(specYAML(nil, ""), "agent:1", "agent:2", 1)),
		rollout.Options{IfInProgress: rollout.InProgressWait}, out, rollout.NewReport(sp.Path))
	var ip *rollout.InProgressError
	want := regexp.MustCompile(`^another deployment is in progress: agent-a \(deployment ecs-svc/\d+ on agent-a:1\); other runs kept starting deployments after 3 waits; nothing was changed$`)
	if !errors.As(err, &ip) || !want.MatchString(err.Error()) {
		t.Errorf("deploy: %v\nwant it to match %s", err, want)
	}
	if started != 4 {
		t.Errorf("%d deployments started by the other run, want 4 (the first and one after each of 3 waits)", started)
	}
	calls := emulator.CountActions(e.h.Requests(t))
	if calls["ecs:UpdateService"] != started-1 || calls["ecs:RegisterTaskDefinition"] != 0 || calls["iam:TagRole"] != 0 {
		t.Errorf("calls %v: want only the other run's %d UpdateService", calls, started-1)
	}
}
