package taskdef_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/launchdeploy/launch/taskdef"
)

func TestLatest(t *testing.T) {
	const family = "streaming-agent"
	active, inactive := types.TaskDefinitionStatusActive, types.TaskDefinitionStatusInactive
	tests := map[string]struct {
		setup   func(f *fakeECS)
		wantARN string // "" means (nil, nil)
	}{
		"no revisions at all": {setup: func(*fakeECS) {}},
		"newest ACTIVE revision": {
			setup: func(f *fakeECS) {
				f.addRevision(family, 1, active)
				f.addRevision(family, 2, active)
			},
			wantARN: tdARN(family, 2),
		},
		"newest revision INACTIVE": {
			setup: func(f *fakeECS) {
				f.addRevision(family, 1, active)
				f.addRevision(family, 2, inactive)
			},
			wantARN: tdARN(family, 1),
		},
		"only INACTIVE revisions": {
			setup: func(f *fakeECS) {
				f.addRevision(family, 1, inactive)
				f.addRevision(family, 2, inactive)
			},
		},
		"prefix trap: a longer family sorts first": {
			setup: func(f *fakeECS) {
				f.addRevision(family, 4, active)
				f.addRevision(family+"-eu", 9, active)
				f.addRevision(family+"2", 12, active)
			},
			wantARN: tdARN(family, 4),
		},
		"prefix trap: only longer families": {
			setup: func(f *fakeECS) {
				f.addRevision(family+"-eu", 9, active)
			},
		},
		"prefix trap across pages": {
			setup: func(f *fakeECS) {
				for rev := int32(1); rev <= 250; rev++ {
					f.addRevision(family+"-eu", rev, active)
				}
				f.addRevision(family, 1, active)
				f.addRevision(family, 2, active)
			},
			wantARN: tdARN(family, 2),
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f := &fakeECS{}
			tc.setup(f)
			got, err := taskdef.Latest(context.Background(), f, family)
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantARN == "" {
				if got != nil {
					t.Fatalf("Latest = %s, want nil", aws.ToString(got.Definition.TaskDefinitionArn))
				}
				return
			}
			if got == nil {
				t.Fatalf("Latest = nil, want %s", tc.wantARN)
			}
			if arn := aws.ToString(got.Definition.TaskDefinitionArn); arn != tc.wantARN {
				t.Errorf("Latest = %s, want %s", arn, tc.wantARN)
			}
			if len(got.Tags) != 1 || aws.ToString(got.Tags[0].Value) != tc.wantARN[strings.LastIndexByte(tc.wantARN, ':')+1:] {
				t.Errorf("tags = %v, want the revision's own tags (described with include TAGS)", got.Tags)
			}
			if want := []string{"DescribeTaskDefinition " + family}; !slices.Equal(f.calls, want) {
				t.Errorf("calls = %q, want %q: one describe of the family, ECS answers its latest ACTIVE revision", f.calls, want)
			}
		})
	}
}

func TestLatestError(t *testing.T) {
	f := &fakeECS{describeErr: &types.AccessDeniedException{Message: aws.String("not authorized")}}
	_, err := taskdef.Latest(context.Background(), f, "agent")
	if err == nil || err.Error() != "describe task definition agent: AccessDeniedException: not authorized" || !errors.Is(err, f.describeErr) {
		t.Fatalf("error = %v, want the denial, not \"no revision\"", err)
	}
	f = &fakeECS{describeErr: &types.ClientException{Message: aws.String("Family contains invalid characters.")}}
	if _, err := taskdef.Latest(context.Background(), f, "agent"); err == nil {
		t.Fatal("a ClientException other than \"Unable to describe task definition\" was taken for a family without revisions")
	}
}

func TestRegister(t *testing.T) {
	f := &fakeECS{}
	f.addRevision("streaming-agent", 5, types.TaskDefinitionStatusInactive)
	desired := desiredFromBase(t)
	td, err := taskdef.Register(context.Background(), f, desired)
	if err != nil {
		t.Fatal(err)
	}
	if arn := aws.ToString(td.TaskDefinitionArn); arn != tdARN("streaming-agent", 6) {
		t.Errorf("registered %s, want revision 6", arn)
	}

	f.registErr = errors.New("ClientException: Invalid 'cpu' setting for task.")
	_, err = taskdef.Register(context.Background(), f, desired)
	if err == nil || err.Error() != "register task definition streaming-agent: ClientException: Invalid 'cpu' setting for task." || !errors.Is(err, f.registErr) {
		t.Fatalf("error = %v", err)
	}
}

// TestDeployTwiceRegistersOnce is the whole cycle: the first run registers,
// the second finds the registered revision equal and reuses it.
func TestDeployTwiceRegistersOnce(t *testing.T) {
	f := &fakeECS{}
	ctx := context.Background()
	registrations := 0
	for run := 1; run <= 2; run++ {
		desired := desiredFromBase(t)
		cur, err := taskdef.Latest(ctx, f, "streaming-agent")
		if err != nil {
			t.Fatal(err)
		}
		plan := taskdef.PlanFor(desired, cur)
		if plan.Action == taskdef.ActionRegister {
			if _, err := taskdef.Register(ctx, f, desired); err != nil {
				t.Fatal(err)
			}
			registrations++
		} else if plan.ARN() != tdARN("streaming-agent", 1) {
			t.Errorf("run %d reuses %q, want revision 1", run, plan.ARN())
		}
	}
	if registrations != 1 {
		t.Errorf("%d registrations over two identical runs, want 1", registrations)
	}
}

// Describe reads the revision a service runs, with its tags (the plan
// compares them); a failed call names the revision.
func TestDescribe(t *testing.T) {
	f := &fakeECS{}
	f.addRevision("streaming-agent", 1, types.TaskDefinitionStatusActive)
	f.addRevision("streaming-agent", 2, types.TaskDefinitionStatusInactive)
	arn := tdARN("streaming-agent", 2)
	got, err := taskdef.Describe(context.Background(), f, arn)
	if err != nil {
		t.Fatal(err)
	}
	if a := aws.ToString(got.Definition.TaskDefinitionArn); a != arn || len(got.Tags) != 1 || aws.ToString(got.Tags[0].Value) != "2" {
		t.Errorf("Describe = %s with tags %v, want %s with its own tags", a, got.Tags, arn)
	}

	f.describeErr = &types.AccessDeniedException{Message: aws.String("not authorized")}
	_, err = taskdef.Describe(context.Background(), f, arn)
	if want := "describe task definition " + arn + ": AccessDeniedException: not authorized"; err == nil || err.Error() != want || !errors.Is(err, f.describeErr) {
		t.Errorf("Describe error = %v, want %q", err, want)
	}
}

// emptyReplies answers every call with an output that holds no task
// definition, as no ECS does but a broken proxy might.
type emptyReplies struct{ fakeECS }

func (emptyReplies) DescribeTaskDefinition(context.Context, *ecs.DescribeTaskDefinitionInput, ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error) {
	return &ecs.DescribeTaskDefinitionOutput{}, nil
}

func (emptyReplies) RegisterTaskDefinition(context.Context, *ecs.RegisterTaskDefinitionInput, ...func(*ecs.Options)) (*ecs.RegisterTaskDefinitionOutput, error) {
	return &ecs.RegisterTaskDefinitionOutput{}, nil
}

// A reply without a task definition is an error, not a nil revision that
// panics later.
func TestEmptyRepliesAreErrors(t *testing.T) {
	api := &emptyReplies{}
	arn := tdARN("streaming-agent", 2)
	if got, err := taskdef.Describe(context.Background(), api, arn); err == nil || err.Error() != "describe task definition "+arn+": response has no task definition" {
		t.Errorf("Describe = %v, %v", got, err)
	}
	if got, err := taskdef.Register(context.Background(), api, desiredFromBase(t)); err == nil || err.Error() != "register task definition streaming-agent: response has no task definition" {
		t.Errorf("Register = %v, %v", got, err)
	}
}

// Family tells which family a service's task definition ARN names: the plan
// compares it with the agent's name.
func TestFamily(t *testing.T) {
	for arn, want := range map[string]string{
		tdARN("streaming-agent", 12):                                        "streaming-agent",
		"arn:aws-cn:ecs:cn-north-1:123456789012:task-definition/agent_v2:3": "agent_v2",
		"": "",
		"arn:aws:ecs:eu-west-1:123456789012:service/streaming/streaming-agent": "",
		"arn:aws:ecs:eu-west-1:123456789012:task-definition/streaming-agent":   "",
		"arn:aws:ecs:eu-west-1:123456789012:task-definition/streaming-agent:x": "",
	} {
		if got := taskdef.Family(arn); got != want {
			t.Errorf("Family(%q) = %q, want %q", arn, got, want)
		}
	}
}
