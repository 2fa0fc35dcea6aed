package loggroup

import (
	"context"
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
