// Package loggroup makes sure each agent's CloudWatch Logs group exists with
// the retention the spec asks for. launch creates it because the execution
// role's managed policy cannot (it lacks logs:CreateLogGroup).
package loggroup

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"golang.org/x/sync/errgroup"
)

// API is the part of CloudWatch Logs this package calls.
type API interface {
	DescribeLogGroups(context.Context, *cloudwatchlogs.DescribeLogGroupsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogGroupsOutput, error)
	CreateLogGroup(context.Context, *cloudwatchlogs.CreateLogGroupInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.CreateLogGroupOutput, error)
	PutRetentionPolicy(context.Context, *cloudwatchlogs.PutRetentionPolicyInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.PutRetentionPolicyOutput, error)
}

// State is what CloudWatch Logs has for a group.
type State struct {
	Exists        bool
	ARN           string
	RetentionDays int // 0: never expire
}

// Read looks the group up by its exact name.
func Read(ctx context.Context, api API, name string) (State, error) {
	p := cloudwatchlogs.NewDescribeLogGroupsPaginator(api, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return State{}, fmt.Errorf("describe log group %s: %w", name, err)
		}
		for _, g := range page.LogGroups {
			if aws.ToString(g.LogGroupName) == name {
				return stateOf(g), nil
			}
		}
	}
	return State{}, nil
}

// pageSize is the most groups one DescribeLogGroups call returns.
const pageSize = 50

// ReadAll looks many groups up at once: one listing by the names' longest
// common prefix, paged, when they share one that is more than "/"; each
// name on its own (concurrently) otherwise, or for those the listing did
// not reach within its bound of pages (a prefix other groups of the
// account share too). The result has an entry for every name.
func ReadAll(ctx context.Context, api API, names []string) (map[string]State, error) {
	got := make(map[string]State, len(names))
	wanted := map[string]bool{}
	for _, n := range names {
		if n != "" {
			wanted[n] = true
		}
	}
	rest := slices.Sorted(maps.Keys(wanted))
	if prefix := commonPrefix(rest); len(rest) > 1 && len(strings.Trim(prefix, "/")) > 0 {
		in := &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(prefix), Limit: aws.Int32(pageSize)}
		found := 0
		for pages := 0; pages < len(rest)/pageSize+2; pages++ {
			out, err := api.DescribeLogGroups(ctx, in)
			if err != nil {
				return nil, fmt.Errorf("describe log groups %s*: %w", prefix, err)
			}
			for _, g := range out.LogGroups {
				if name := aws.ToString(g.LogGroupName); wanted[name] {
					got[name] = stateOf(g)
					found++
				}
			}
			if found == len(rest) || aws.ToString(out.NextToken) == "" {
				for _, n := range rest {
					if _, ok := got[n]; !ok {
						got[n] = State{}
					}
				}
				return got, nil
			}
			in.NextToken = out.NextToken
		}
		rest = slices.DeleteFunc(rest, func(n string) bool { _, ok := got[n]; return ok })
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for _, n := range rest {
		g.Go(func() error {
			st, err := Read(gctx, api, n)
			mu.Lock()
			got[n] = st
			mu.Unlock()
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return got, nil
}

func commonPrefix(names []string) string {
	if len(names) == 0 {
		return ""
	}
	p := names[0]
	for _, n := range names[1:] {
		for !strings.HasPrefix(n, p) {
			p = p[:len(p)-1]
		}
	}
	return p
}

func stateOf(g types.LogGroup) State {
	return State{Exists: true, ARN: aws.ToString(g.Arn), RetentionDays: int(aws.ToInt32(g.RetentionInDays))}
}

// Plan is what must change for one group.
type Plan struct {
	Name          string
	RetentionDays int
	Tags          map[string]string
	Create        bool
	SetRetention  bool
	Before        State
}

// Changed reports whether applying the plan writes anything.
func (p Plan) Changed() bool { return p.Create || p.SetRetention }

// PlanFor compares the wanted group with st.
func PlanFor(name string, retentionDays int, tags map[string]string, st State) Plan {
	return Plan{
		Name: name, RetentionDays: retentionDays, Tags: tags, Before: st,
		Create:       !st.Exists,
		SetRetention: st.RetentionDays != retentionDays,
	}
}

// Apply creates the group and sets its retention, as needed. It returns
// "created", "updated" or "unchanged".
func Apply(ctx context.Context, api API, p Plan) (string, error) {
	action := "unchanged"
	if p.Create {
		_, err := api.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(p.Name), Tags: p.Tags})
		var exists *types.ResourceAlreadyExistsException
		switch {
		case errors.As(err, &exists):
			// Created since it was read (a retried call or a concurrent
			// run): converge by setting its retention below.
			action = "updated"
		case err != nil:
			return action, fmt.Errorf("create log group %s: %w", p.Name, err)
		default:
			action = "created"
		}
	}
	if p.SetRetention {
		_, err := api.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String(p.Name), RetentionInDays: aws.Int32(int32(p.RetentionDays))})
		if err != nil {
			return action, fmt.Errorf("set retention of log group %s to %d days: %w", p.Name, p.RetentionDays, err)
		}
		if action == "unchanged" {
			action = "updated"
		}
	}
	return action, nil
}
