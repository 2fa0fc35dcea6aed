package taskdef

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// twinWindow is how many ACTIVE revisions just below the new one are
// checked for a twin: a retried call, or a few runs at once, make a handful.
const twinWindow = 10

// Registered is what RegisterOnce did.
type Registered struct {
	// ARN is the revision to run.
	ARN string
	// Duplicate is the revision this call registered and then deregistered
	// because an identical older twin (ARN) was registered after newest; ""
	// when there was none.
	Duplicate string
	// Warning, when set, says what could not be tidied: the twin check or the
	// duplicate's deregistration failed. ARN is still right to run; at worst
	// an identical revision stays ACTIVE.
	Warning error
}

// RegisterOnce registers desired and makes sure the family gains one
// revision for it, however many times the call reached ECS.
//
// RegisterTaskDefinition takes no client token: when its reply is lost and
// the SDK retries, ECS registers the definition twice; two runs of the same
// spec at once do the same. So after registering, RegisterOnce looks at the
// ACTIVE revisions newer than newest (the family's newest ACTIVE revision
// when the run planned, 0 for none) and older than the one it got. When one
// is Equivalent to desired, that twin is the revision to run, and the one
// just registered is deregistered. The lowest twin wins, so every run that
// races converges on the same revision, and each run only deregisters the
// revision it registered itself.
func RegisterOnce(ctx context.Context, api API, desired *ecs.RegisterTaskDefinitionInput, newest int32) (Registered, error) {
	td, err := Register(ctx, api, desired)
	if err != nil {
		return Registered{}, err
	}
	got := Registered{ARN: aws.ToString(td.TaskDefinitionArn)}
	twin, err := olderTwin(ctx, api, desired, td, newest)
	if err != nil {
		got.Warning = fmt.Errorf("look for an identical revision registered by a retried call: %w", err)
		return got, nil
	}
	if twin == "" {
		return got, nil
	}
	got.ARN, got.Duplicate = twin, aws.ToString(td.TaskDefinitionArn)
	if _, err := api.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: td.TaskDefinitionArn}); err != nil {
		got.Warning = fmt.Errorf("deregister the duplicate %s of %s: %w", shortRevision(got.Duplicate), shortRevision(twin), err)
	}
	return got, nil
}

// olderTwin returns the lowest ACTIVE revision of td's family after newest
// and before td that is Equivalent to desired, or "".
func olderTwin(ctx context.Context, api API, desired *ecs.RegisterTaskDefinitionInput, td *types.TaskDefinition, newest int32) (string, error) {
	family := aws.ToString(td.Family)
	if td.Revision-1 <= newest {
		return "", nil // nothing registered in between
	}
	out, err := api.ListTaskDefinitions(ctx, &ecs.ListTaskDefinitionsInput{
		FamilyPrefix: aws.String(family),
		Status:       types.TaskDefinitionStatusActive,
		Sort:         types.SortOrderDesc,
		MaxResults:   aws.Int32(listPageSize),
	})
	if err != nil {
		return "", fmt.Errorf("list task definitions %s: %w", family, err)
	}
	type rev struct {
		arn string
		n   int
	}
	var between []rev
	for _, arn := range out.TaskDefinitionArns {
		fam, n, ok := parseTaskDefinitionARN(arn)
		if ok && fam == family && n > int(newest) && n < int(td.Revision) {
			between = append(between, rev{arn, n})
		}
	}
	slices.SortFunc(between, func(a, b rev) int { return a.n - b.n })
	if len(between) > twinWindow {
		between = between[len(between)-twinWindow:]
	}
	for _, r := range between {
		cur, err := Describe(ctx, api, r.arn)
		if err != nil {
			return "", err
		}
		if cur.Definition.Status != types.TaskDefinitionStatusActive {
			continue
		}
		if Equivalent(desired, cur) {
			return r.arn, nil
		}
	}
	return "", nil
}

// shortRevision turns a task definition ARN into "family:revision".
func shortRevision(arn string) string {
	if fam, n, ok := parseTaskDefinitionARN(arn); ok {
		return fmt.Sprintf("%s:%d", fam, n)
	}
	return arn
}
