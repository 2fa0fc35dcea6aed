package taskdef

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// API is the seam to ECS: only the methods taskdef calls, with the SDK v2
// signatures, so *ecs.Client satisfies it as is.
type API interface {
	ListTaskDefinitions(ctx context.Context, in *ecs.ListTaskDefinitionsInput, optFns ...func(*ecs.Options)) (*ecs.ListTaskDefinitionsOutput, error)
	DescribeTaskDefinition(ctx context.Context, in *ecs.DescribeTaskDefinitionInput, optFns ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
	RegisterTaskDefinition(ctx context.Context, in *ecs.RegisterTaskDefinitionInput, optFns ...func(*ecs.Options)) (*ecs.RegisterTaskDefinitionOutput, error)
	DeregisterTaskDefinition(ctx context.Context, in *ecs.DeregisterTaskDefinitionInput, optFns ...func(*ecs.Options)) (*ecs.DeregisterTaskDefinitionOutput, error)
}

var _ API = (*ecs.Client)(nil)

// Current is a registered revision with its tags.
type Current struct {
	Definition *types.TaskDefinition
	Tags       []types.Tag
}

// Label names the revision for diffs and messages: "registered family:3".
func (c *Current) Label() string {
	if c == nil || c.Definition == nil {
		return "(no active revision)"
	}
	return fmt.Sprintf("registered %s:%d", aws.ToString(c.Definition.Family), c.Definition.Revision)
}

// listPageSize is the largest page ListTaskDefinitions allows.
const listPageSize = 100

// Latest returns the family's newest ACTIVE revision with its tags, or
// (nil, nil) when the family has none: one DescribeTaskDefinition of the
// bare family, which ECS answers with the latest ACTIVE revision and, when
// there is none, with ClientException "Unable to describe task definition."
// (moto differs; the test harness patches it: test/emulator/harness/ecs.py).
func Latest(ctx context.Context, api API, family string) (*Current, error) {
	if family == "" {
		return nil, errors.New("describe task definition: family is empty")
	}
	cur, err := Describe(ctx, api, family)
	if isNoActiveRevision(err) {
		return nil, nil
	}
	return cur, err
}

// isNoActiveRevision tells ECS's answer for a family without an ACTIVE
// revision from other ClientExceptions (a denied or malformed call).
func isNoActiveRevision(err error) bool {
	var ce *types.ClientException
	return errors.As(err, &ce) && strings.Contains(ce.ErrorMessage(), "Unable to describe task definition")
}

// Describe returns the revision arn (a full task definition ARN) with its
// tags.
func Describe(ctx context.Context, api API, arn string) (*Current, error) {
	out, err := api.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{
		TaskDefinition: aws.String(arn),
		Include:        []types.TaskDefinitionField{types.TaskDefinitionFieldTags},
	})
	if err != nil {
		return nil, fmt.Errorf("describe task definition %s: %w", arn, err)
	}
	if out.TaskDefinition == nil {
		return nil, fmt.Errorf("describe task definition %s: response has no task definition", arn)
	}
	return &Current{Definition: out.TaskDefinition, Tags: out.Tags}, nil
}

// Family returns the family of a task definition ARN, "" when arn is not one.
func Family(arn string) string {
	family, _, _ := parseTaskDefinitionARN(arn)
	return family
}

// parseTaskDefinitionARN splits
// arn:aws:ecs:eu-west-1:123456789012:task-definition/family:3 into its family
// and revision.
func parseTaskDefinitionARN(arn string) (family string, revision int, ok bool) {
	_, rest, found := strings.Cut(arn, ":task-definition/")
	if !found {
		return "", 0, false
	}
	i := strings.LastIndexByte(rest, ':')
	if i < 0 {
		return "", 0, false
	}
	rev, err := strconv.Atoi(rest[i+1:])
	if err != nil {
		return "", 0, false
	}
	return rest[:i], rev, true
}

// Register calls RegisterTaskDefinition and returns the new revision.
func Register(ctx context.Context, api API, desired *ecs.RegisterTaskDefinitionInput) (*types.TaskDefinition, error) {
	if desired == nil {
		return nil, errors.New("register task definition: no definition")
	}
	family := aws.ToString(desired.Family)
	out, err := api.RegisterTaskDefinition(ctx, desired)
	if err != nil {
		return nil, fmt.Errorf("register task definition %s: %w", family, err)
	}
	if out.TaskDefinition == nil {
		return nil, fmt.Errorf("register task definition %s: response has no task definition", family)
	}
	return out.TaskDefinition, nil
}
