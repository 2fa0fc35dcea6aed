package emulator_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"

	"github.com/launchdeploy/launch/internal/emulator"
)

func taskDefinition() *ecs.RegisterTaskDefinitionInput {
	return &ecs.RegisterTaskDefinitionInput{
		Family:                  aws.String("agent"),
		RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
		NetworkMode:             ecstypes.NetworkModeAwsvpc,
		Cpu:                     aws.String("1024"),
		Memory:                  aws.String("4096"),
		ContainerDefinitions:    []ecstypes.ContainerDefinition{{Name: aws.String("agent"), Image: aws.String("repo/agent:1"), Essential: aws.Bool(true)}},
	}
}

func apiError(t *testing.T, err error) smithy.APIError {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want an AWS API error", err)
	}
	return ae
}

// The emulator refuses a RegisterTaskDefinition AWS refuses, and the Go SDK surfaces ECS's
// error code and message; nothing is registered.
func TestValidationRefusesInvalidTaskDefinition(t *testing.T) {
	h, cfg := setup(t)
	c := ecs.NewFromConfig(noRetry(cfg))
	for name, tc := range map[string]struct {
		edit func(*ecs.RegisterTaskDefinitionInput)
		msg  string
	}{
		"enum": {
			func(in *ecs.RegisterTaskDefinitionInput) { in.NetworkMode = "bridgee" },
			"1 validation error detected: Value 'bridgee' at 'networkMode' failed to satisfy constraint: Member must satisfy enum value set: [bridge, host, awsvpc, none]",
		},
		"family length": {
			func(in *ecs.RegisterTaskDefinitionInput) { in.Family = aws.String(strings.Repeat("f", 256)) },
			"1 validation error detected: Value '" + strings.Repeat("f", 256) + "' at 'family' failed to satisfy constraint: Member must have length less than or equal to 255",
		},
		"family characters": {
			func(in *ecs.RegisterTaskDefinitionInput) { in.Family = aws.String("my agent") },
			"Family contains invalid characters.",
		},
	} {
		in := taskDefinition()
		tc.edit(in)
		_, err := c.RegisterTaskDefinition(ctx, in)
		ae := apiError(t, err)
		if ae.ErrorCode() != "ClientException" || ae.ErrorMessage() != tc.msg {
			t.Errorf("%s: error = %q %q, want ClientException %q", name, ae.ErrorCode(), ae.ErrorMessage(), tc.msg)
		}
		if !strings.Contains(err.Error(), "StatusCode: 400") {
			t.Errorf("%s: err = %v, want HTTP 400", name, err)
		}
	}
	out, err := c.ListTaskDefinitions(ctx, &ecs.ListTaskDefinitionsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.TaskDefinitionArns) != 0 {
		t.Fatalf("registered %v, want nothing", out.TaskDefinitionArns)
	}
	if n := emulator.CountActions(h.Requests(t))["ecs:RegisterTaskDefinition"]; n != 3 {
		t.Fatalf("RegisterTaskDefinition requests = %d, want 3", n)
	}
	// A valid one passes.
	if _, err := c.RegisterTaskDefinition(ctx, taskDefinition()); err != nil {
		t.Fatal(err)
	}
}

// IAM refuses an inline policy without Effect with MalformedPolicyDocument.
func TestValidationRefusesMalformedPolicy(t *testing.T) {
	_, cfg := setup(t)
	c := iam.NewFromConfig(noRetry(cfg))
	if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	_, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{
		RoleName: aws.String("r"), PolicyName: aws.String("p"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Action":"s3:GetObject","Resource":"*"}]}`),
	})
	ae := apiError(t, err)
	if ae.ErrorCode() != "MalformedPolicyDocument" || ae.ErrorMessage() != "Missing required field Effect" {
		t.Fatalf("error = %q %q", ae.ErrorCode(), ae.ErrorMessage())
	}
	// The SDK deserialises it into IAM's modelled error type, as it does for AWS's answer.
	var typed *iamtypes.MalformedPolicyDocumentException
	if !errors.As(err, &typed) {
		t.Fatalf("err = %T %v, want *types.MalformedPolicyDocumentException", err, err)
	}
}

// With validation off the request reaches moto, which accepts what AWS refuses; Reset turns
// validation back on.
func TestValidationSwitch(t *testing.T) {
	h, cfg := setup(t)
	c := ecs.NewFromConfig(noRetry(cfg))
	in := taskDefinition()
	in.NetworkMode = "bridgee"
	h.SetValidation(t, false)
	if _, err := c.RegisterTaskDefinition(ctx, in); err != nil {
		t.Fatalf("validation off: %v", err)
	}
	h.Reset(t)
	if _, err := c.RegisterTaskDefinition(ctx, in); apiError(t, err).ErrorCode() != "ClientException" {
		t.Fatalf("after Reset: err = %v, want ClientException", err)
	}
}
