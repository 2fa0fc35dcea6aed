package rollout_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/launchdeploy/launch/internal/emulator"
	"github.com/launchdeploy/launch/rollout"
	"github.com/launchdeploy/launch/secrets"
)

// Ctrl-C while the preflight checks run stops the deploy with the
// interruption (exit code 130) before its first write.
func TestInterruptedPreflightWritesNothing(t *testing.T) {
	e := newEnv(t)
	sp := e.spec(specYAML(nil, ""))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &hooked{t: t, on: func(l string) {
		if strings.HasPrefix(l, "read and planned in ") { // the preflight checks start next
			cancel()
		}
	}}
	e.h.ClearRequests(t)
	err := rollout.Deploy(ctx, rollout.NewClients(e.cfg), sp, rollout.Options{}, out, rollout.NewReport(sp.Path))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("deploy interrupted during preflight: %v, want context.Canceled", err)
	}
	if w := e.writes(); len(w) != 0 {
		t.Errorf("an interrupted preflight went on to write %v", w)
	}
}

// refuseDescribe is ECS refusing DescribeTaskDefinition of one revision.
type refuseDescribe struct {
	rollout.ECSAPI
	arn string
}

func (r refuseDescribe) DescribeTaskDefinition(ctx context.Context, in *ecs.DescribeTaskDefinitionInput, opts ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error) {
	if aws.ToString(in.TaskDefinition) == r.arn {
		return nil, errors.New(denied)
	}
	return r.ECSAPI.DescribeTaskDefinition(ctx, in, opts...)
}

// When the revision a service runs is not its family's newest, plan reads
// it too; a failure of that read stops the plan with the revision it could
// not read, never taken as "nothing runs".
func TestPlanStopsWhenTheRunningRevisionCannotBeRead(t *testing.T) {
	e := newEnv(t)
	sp := e.spec(specYAML(nil, ""))
	if _, _, err := e.deploy(sp, rollout.Options{NoWait: true}); err != nil {
		t.Fatal(err)
	}
	ecsc := ecs.NewFromConfig(e.cfg)
	ctx := context.Background()
	// A newer revision the service does not run (registered by hand).
	if _, err := ecsc.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("agent-a"), NetworkMode: ecstypes.NetworkModeAwsvpc,
		RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate}, Cpu: aws.String("256"), Memory: aws.String("512"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("agent"), Image: aws.String("example.com/agent:hand")}}}); err != nil {
		t.Fatal(err)
	}
	running := fmt.Sprintf("arn:aws:ecs:%s:%s:task-definition/agent-a:1", e.cfg.Region, e.account())
	c := rollout.NewClients(e.cfg)
	c.ECS = refuseDescribe{ECSAPI: c.ECS, arn: running}
	p, err := rollout.MakePlan(ctx, c, sp)
	if want := "describe task definition " + running + ": " + denied; err == nil || err.Error() != want {
		t.Errorf("plan: %v, %v; want the error %q", p, err, want)
	}
}

// Two agents reading one secret: the grant lists it once, naming both
// agents as its readers.
func TestOneSecretReadByTwoAgentsIsGrantedOnce(t *testing.T) {
	e := newEnv(t)
	arn := emulator.CreateSecret(t, e.cfg, "agent/creds", `{"client_id":"x"}`, "")
	y := specYAML(map[string]string{"creds": "agent/creds"}, "      ID: {secret: creds, key: client_id}\n") +
		"  - name: agent-b\n    image: example.com/agent:1\n    secrets:\n      ID: {secret: creds, key: client_id}\n"
	p, err := rollout.MakePlan(context.Background(), rollout.NewClients(e.cfg), e.spec(y))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, it := range p.View().Items {
		if it.Kind == "role" && it.Name == "app-exec" {
			lines = it.Detail
		}
	}
	want := "  secret " + arn + " ← agent agent-a container agent-a secrets[ID], agent agent-b container agent-b secrets[ID]"
	if !slices.Contains(lines, want) {
		t.Errorf("plan of app-exec:\n%s\nwant the line %q", strings.Join(lines, "\n"), want)
	}
}

// cancelOnDescribe cancels the run when the secret id is described: a
// Ctrl-C at that moment.
type cancelOnDescribe struct {
	secrets.API
	id     string
	cancel context.CancelFunc
}

func (c cancelOnDescribe) DescribeSecret(ctx context.Context, in *secretsmanager.DescribeSecretInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	if aws.ToString(in.SecretId) == c.id {
		c.cancel()
	}
	return c.API.DescribeSecret(ctx, in, opts...)
}

// Ctrl-C while plan resolves a secret the base task definition reads (by
// a partial ARN) stops the plan with the interruption, not with a problem
// of that secret.
func TestPlanInterruptedWhileResolvingTheBasesSecret(t *testing.T) {
	e := newEnv(t)
	emulator.CreateSecret(t, e.cfg, "agent/other", `{"password":"p"}`, "")
	partial := fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:agent/other", e.cfg.Region, e.account())
	base := `{"family": "agent-a", "containerDefinitions": [{"name": "agent-a", "image": "x", "essential": true,
  "secrets": [{"name": "OTHER", "valueFrom": "` + partial + `"}]}]}`
	sp := e.spec(withBase(t, e, specYAML(nil, ""), base))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := rollout.NewClients(e.cfg)
	c.Secrets = cancelOnDescribe{API: c.Secrets, id: partial, cancel: cancel}
	p, err := rollout.MakePlan(ctx, c, sp)
	if !errors.Is(err, context.Canceled) || p != nil {
		t.Errorf("plan: %v, %v; want the interruption", p, err)
	}
}

// A deploy whose base task definition does not decode (a misspelt key,
// which spec.Load lets through and cmd/launch's offline check refuses)
// stops at planning, naming the agent, the file and the key: nothing is
// written.
func TestDeployOfABaseThatDoesNotDecodeWritesNothing(t *testing.T) {
	e := newEnv(t)
	sp := e.spec(withBase(t, e, specYAML(nil, ""), `{"family":"x","containerDefinitions":[{"name":"agent-a","image":"x","essentail":true}]}`))
	e.h.ClearRequests(t)
	_, _, err := e.deploy(sp, rollout.Options{})
	want := "agent agent-a: base task definition base.json: decode base task definition: 1:69: containerDefinitions[0].essentail: unknown key; did you mean essential?"
	if err == nil || err.Error() != want {
		t.Errorf("deploy: %v\nwant the error %s", err, want)
	}
	if w := e.writes(); len(w) != 0 {
		t.Errorf("wrote %v", w)
	}
}
