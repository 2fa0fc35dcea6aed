package loggroup

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

// racing is a CloudWatch Logs whose group appeared after launch read it.
type racing struct {
	API
	retention []int32
}

func (r *racing) CreateLogGroup(context.Context, *cloudwatchlogs.CreateLogGroupInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.CreateLogGroupOutput, error) {
	return nil, &types.ResourceAlreadyExistsException{Message: aws.String("The specified log group already exists")}
}

func (r *racing) PutRetentionPolicy(_ context.Context, in *cloudwatchlogs.PutRetentionPolicyInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.PutRetentionPolicyOutput, error) {
	r.retention = append(r.retention, aws.ToInt32(in.RetentionInDays))
	return &cloudwatchlogs.PutRetentionPolicyOutput{}, nil
}

func TestApplyConvergesWhenTheGroupAppeared(t *testing.T) {
	api := &racing{}
	action, err := Apply(context.Background(), api, PlanFor("/ecs/a", 30, nil, State{}))
	if err != nil || action != "updated" || len(api.retention) != 1 || api.retention[0] != 30 {
		t.Errorf("action %q err %v retention %v", action, err, api.retention)
	}
}

func TestPlanFor(t *testing.T) {
	if p := PlanFor("/ecs/a", 30, nil, State{Exists: true, RetentionDays: 30}); p.Changed() {
		t.Error("an existing group with the right retention must not change")
	}
	if p := PlanFor("/ecs/a", 30, nil, State{Exists: true, RetentionDays: 0}); !p.SetRetention || p.Create {
		t.Errorf("never-expire group: %+v", p)
	}
}

// listing is a CloudWatch Logs holding groups, answering DescribeLogGroups by
// prefix in pages as the service does (sorted by name, Limit per page).
type listing struct {
	API
	groups   []string // sorted
	prefixes []string // one per call
}

func (l *listing) DescribeLogGroups(_ context.Context, in *cloudwatchlogs.DescribeLogGroupsInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogGroupsOutput, error) {
	prefix := aws.ToString(in.LogGroupNamePrefix)
	l.prefixes = append(l.prefixes, prefix)
	limit := int(aws.ToInt32(in.Limit))
	if limit == 0 {
		limit = 50
	}
	start := 0
	if in.NextToken != nil {
		start, _ = strconv.Atoi(*in.NextToken)
	}
	var matching []string
	for _, g := range l.groups {
		if strings.HasPrefix(g, prefix) {
			matching = append(matching, g)
		}
	}
	out := &cloudwatchlogs.DescribeLogGroupsOutput{}
	for _, g := range matching[min(start, len(matching)):min(start+limit, len(matching))] {
		out.LogGroups = append(out.LogGroups, types.LogGroup{LogGroupName: aws.String(g), Arn: aws.String("arn:" + g), RetentionInDays: aws.Int32(7)})
	}
	if start+limit < len(matching) {
		out.NextToken = aws.String(strconv.Itoa(start + limit))
	}
	return out, nil
}

func TestReadAll(t *testing.T) {
	fleet := func(n int) []string {
		var names []string
		for i := 1; i <= n; i++ {
			names = append(names, fmt.Sprintf("/ecs/agent-%02d", i))
		}
		return names
	}
	for _, tc := range []struct {
		name      string
		existing  []string
		read      []string
		wantCalls []string // the prefix of each DescribeLogGroups call, in order
	}{
		{"one group: by its own name", fleet(1), fleet(1), []string{"/ecs/agent-01"}},
		{"a fleet of 50: one listing by the common prefix", fleet(50), fleet(50), []string{"/ecs/agent-"}},
		{"half exist: the listing tells the missing ones", fleet(5), fleet(10), []string{"/ecs/agent-"}},
		{"nothing in common but /: each by its name", []string{"/a/x", "/b/y"}, []string{"/a/x", "/b/y"}, []string{"/a/x", "/b/y"}},
		{
			"a prefix shared by many other groups: bounded listing, then by name",
			append(fleet(199), "/ecs/agent-zz"), []string{"/ecs/agent-01", "/ecs/agent-zz"},
			[]string{"/ecs/agent-", "/ecs/agent-", "/ecs/agent-zz"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api := &listing{groups: slices.Sorted(slices.Values(tc.existing))}
			got, err := ReadAll(context.Background(), api, tc.read)
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(api.prefixes)
			if want := slices.Sorted(slices.Values(tc.wantCalls)); !slices.Equal(api.prefixes, want) {
				t.Errorf("DescribeLogGroups prefixes = %q, want %q", api.prefixes, want)
			}
			if len(got) != len(tc.read) {
				t.Errorf("got %d states, want one per name (%d)", len(got), len(tc.read))
			}
			for _, n := range tc.read {
				st, ok := got[n]
				if exists := slices.Contains(tc.existing, n); !ok || st.Exists != exists || (exists && (st.ARN != "arn:"+n || st.RetentionDays != 7)) {
					t.Errorf("%s: state %+v (present %v), want exists=%v with its ARN and retention", n, st, ok, exists)
				}
			}
		})
	}
}
