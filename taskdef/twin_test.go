package taskdef_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/launchdeploy/launch/taskdef"
)

func (f *fakeECS) DeregisterTaskDefinition(_ context.Context, in *ecs.DeregisterTaskDefinitionInput, _ ...func(*ecs.Options)) (*ecs.DeregisterTaskDefinitionOutput, error) {
	f.calls = append(f.calls, "DeregisterTaskDefinition "+aws.ToString(in.TaskDefinition))
	if f.deregErr != nil {
		return nil, f.deregErr
	}
	for i := range f.defs {
		if aws.ToString(f.defs[i].TaskDefinitionArn) == aws.ToString(in.TaskDefinition) {
			f.defs[i].Status = types.TaskDefinitionStatusInactive
			return &ecs.DeregisterTaskDefinitionOutput{TaskDefinition: &f.defs[i]}, nil
		}
	}
	return nil, errors.New("ClientException: The specified task definition does not exist.")
}

// register registers in with the fake, as another run would have.
func register(t *testing.T, f *fakeECS, in *ecs.RegisterTaskDefinitionInput) {
	t.Helper()
	if _, err := f.RegisterTaskDefinition(context.Background(), in); err != nil {
		t.Fatal(err)
	}
}

func activeRevisions(f *fakeECS, family string) []int32 {
	var out []int32
	for _, d := range f.defs {
		if aws.ToString(d.Family) == family && d.Status == types.TaskDefinitionStatusActive {
			out = append(out, d.Revision)
		}
	}
	slices.Sort(out)
	return out
}

// A retried RegisterTaskDefinition (the first reply was lost) left revision
// 2; the retry's answer is 3. RegisterOnce keeps 2 and deregisters 3.
func TestRegisterOnceReusesTheTwinOfARetriedCall(t *testing.T) {
	f := &fakeECS{}
	f.addRevision("streaming-agent", 1, types.TaskDefinitionStatusActive) // newest before the run, different
	desired := desiredFromBase(t)
	if _, err := f.RegisterTaskDefinition(context.Background(), desired); err != nil { // the lost first call
		t.Fatal(err)
	}
	got, err := taskdef.RegisterOnce(context.Background(), f, desired, 1)
	if err != nil || got.Warning != nil {
		t.Fatalf("RegisterOnce: %+v, %v", got, err)
	}
	if got.ARN != tdARN("streaming-agent", 2) || got.Duplicate != tdARN("streaming-agent", 3) {
		t.Fatalf("RegisterOnce = %+v, want to run :2 and deregister :3", got)
	}
	if revs := activeRevisions(f, "streaming-agent"); !slices.Equal(revs, []int32{1, 2}) {
		t.Errorf("ACTIVE revisions = %v, want [1 2]", revs)
	}
}

func TestRegisterOnceWithoutTwin(t *testing.T) {
	for name, tc := range map[string]struct {
		setup  func(t *testing.T, f *fakeECS, desired *ecs.RegisterTaskDefinitionInput)
		newest int32
	}{
		"empty family": {setup: func(*testing.T, *fakeECS, *ecs.RegisterTaskDefinitionInput) {}},
		// An identical revision at or below the newest one the plan saw is
		// not a twin of this run (the plan chose not to reuse it).
		"identical revision not newer than the plan's newest": {
			setup: func(t *testing.T, f *fakeECS, d *ecs.RegisterTaskDefinitionInput) {
				register(t, f, d)
			},
			newest: 1,
		},
		"a different revision registered meanwhile": {
			setup: func(t *testing.T, f *fakeECS, d *ecs.RegisterTaskDefinitionInput) {
				other := taskdef.CloneInput(d)
				other.Cpu = aws.String("4096")
				register(t, f, other)
			},
		},
		"an identical revision that was deregistered meanwhile": {
			setup: func(t *testing.T, f *fakeECS, d *ecs.RegisterTaskDefinitionInput) {
				register(t, f, d)
				f.defs[len(f.defs)-1].Status = types.TaskDefinitionStatusInactive
			},
		},
	} {
		t.Run(name, func(t *testing.T) {
			f := &fakeECS{}
			desired := desiredFromBase(t)
			tc.setup(t, f, desired)
			before := len(f.defs)
			got, err := taskdef.RegisterOnce(context.Background(), f, desired, tc.newest)
			if err != nil || got.Warning != nil {
				t.Fatalf("RegisterOnce: %+v, %v", got, err)
			}
			if want := tdARN("streaming-agent", int32(before+1)); got.ARN != want || got.Duplicate != "" {
				t.Errorf("RegisterOnce = %+v, want to run the new %s", got, want)
			}
		})
	}
}

// Launch's own tags (which instance registered a revision) do not make a
// revision different: the same agent in two clusters shares it.
func TestRegisterOnceIgnoresLaunchTagsOfTheTwin(t *testing.T) {
	f := &fakeECS{}
	desired := desiredFromBase(t)
	other := taskdef.CloneInput(desired)
	other.Tags = append(other.Tags, types.Tag{Key: aws.String("launch:instance"), Value: aws.String("prod")})
	if _, err := f.RegisterTaskDefinition(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	got, err := taskdef.RegisterOnce(context.Background(), f, desired, 0)
	if err != nil || got.ARN != tdARN("streaming-agent", 1) || got.Duplicate != tdARN("streaming-agent", 2) {
		t.Fatalf("RegisterOnce = %+v, %v", got, err)
	}
}

func TestRegisterOnceDeregisterFailureIsAWarning(t *testing.T) {
	f := &fakeECS{deregErr: errors.New("ThrottlingException: Rate exceeded")}
	desired := desiredFromBase(t)
	register(t, f, desired)
	got, err := taskdef.RegisterOnce(context.Background(), f, desired, 0)
	if err != nil || got.ARN != tdARN("streaming-agent", 1) {
		t.Fatalf("RegisterOnce = %+v, %v", got, err)
	}
	if got.Warning == nil || got.Warning.Error() != "deregister the duplicate streaming-agent:2 of streaming-agent:1: ThrottlingException: Rate exceeded" {
		t.Errorf("Warning = %v", got.Warning)
	}
}

// The revision the service runs comes first: after a rollback to :1 (or in a
// second cluster) a spec equal to :1 reuses :1 although :2 is newer.
func TestPlanForPrefersTheRunningRevision(t *testing.T) {
	desired := desiredFromBase(t)
	running := current(desired)
	running.Definition.Revision = 1
	running.Definition.TaskDefinitionArn = aws.String(tdARN("streaming-agent", 1))
	newer := taskdef.CloneInput(desired)
	newer.ContainerDefinitions[0].Image = aws.String("public.ecr.aws/matillion/streaming-agent:9")
	latest := current(newer)

	plan := taskdef.PlanFor(desired, running, latest)
	if plan.Action != taskdef.ActionReuse || plan.ARN() != tdARN("streaming-agent", 1) {
		t.Fatalf("PlanFor(running, latest) = %s %q; want reuse of :1", plan.Action, plan.ARN())
	}
	// Nothing runs (or what runs differs): the newest ACTIVE one is reused.
	plan = taskdef.PlanFor(newer, running, latest)
	if plan.Action != taskdef.ActionReuse || plan.ARN() != tdARN("streaming-agent", 3) {
		t.Fatalf("PlanFor = %s %q; want reuse of :3", plan.Action, plan.ARN())
	}
	// Neither matches: register, with the diff against what runs.
	changed := taskdef.CloneInput(desired)
	changed.Cpu = aws.String("4096")
	plan = taskdef.PlanFor(changed, running, latest)
	if plan.Action != taskdef.ActionRegister || plan.Current != running {
		t.Fatalf("PlanFor = %s (current %v); want register against the running :1", plan.Action, plan.Current.Label())
	}
	// A running revision that was deregistered is not reused.
	running.Definition.Status = types.TaskDefinitionStatusInactive
	plan = taskdef.PlanFor(desired, running, nil)
	if plan.Action != taskdef.ActionRegister {
		t.Fatalf("PlanFor(INACTIVE running) = %s; want register", plan.Action)
	}
}

func TestEquivalentTags(t *testing.T) {
	desired := desiredFromBase(t)
	withLaunch := taskdef.CloneInput(desired)
	withLaunch.Tags = append(withLaunch.Tags, types.Tag{Key: aws.String("launch:instance"), Value: aws.String("123456789012/eu-west-1/prod")})
	if !taskdef.Equivalent(desired, current(withLaunch)) {
		t.Error("a revision differing only in launch: tags: Equivalent = false; want true")
	}
	withUser := taskdef.CloneInput(desired)
	withUser.Tags = append(withUser.Tags, types.Tag{Key: aws.String("cost-centre"), Value: aws.String("42")})
	if taskdef.Equivalent(desired, current(withUser)) {
		t.Error("a revision with another user tag: Equivalent = true; want false")
	}
}

// When the look for a twin fails, the new revision is still the one to run:
// RegisterOnce returns it with a warning saying what could not be checked,
// not an error that would fail a deploy whose registration worked.
func TestRegisterOnceTwinLookupFailureIsAWarning(t *testing.T) {
	denied := &types.AccessDeniedException{Message: aws.String("not authorized")}
	for name, tc := range map[string]struct {
		fail func(f *fakeECS)
		want string
	}{
		"list fails": {
			fail: func(f *fakeECS) { f.listErr = denied },
			want: "look for an identical revision registered by a retried call: list task definitions streaming-agent: AccessDeniedException: not authorized",
		},
		"describe fails": {
			fail: func(f *fakeECS) { f.describeErr = denied },
			want: "look for an identical revision registered by a retried call: describe task definition " + tdARN("streaming-agent", 1) + ": AccessDeniedException: not authorized",
		},
	} {
		t.Run(name, func(t *testing.T) {
			f := &fakeECS{}
			desired := desiredFromBase(t)
			register(t, f, desired) // :1, by a retried call
			tc.fail(f)
			got, err := taskdef.RegisterOnce(context.Background(), f, desired, 0)
			if err != nil {
				t.Fatal(err)
			}
			if got.ARN != tdARN("streaming-agent", 2) || got.Duplicate != "" {
				t.Errorf("RegisterOnce = %+v, want to run the new :2 and deregister nothing", got)
			}
			if got.Warning == nil || got.Warning.Error() != tc.want || !errors.Is(got.Warning, denied) {
				t.Errorf("Warning = %v, want %q", got.Warning, tc.want)
			}
			if revs := activeRevisions(f, "streaming-agent"); !slices.Equal(revs, []int32{1, 2}) {
				t.Errorf("ACTIVE revisions = %v, want [1 2]", revs)
			}
		})
	}
}

// deregisteredAfterList is ECS while another run deregisters the twin: the
// list still shows it ACTIVE, the describe just after shows it INACTIVE.
type deregisteredAfterList struct {
	*fakeECS
	arn string
}

func (d deregisteredAfterList) ListTaskDefinitions(ctx context.Context, in *ecs.ListTaskDefinitionsInput, opts ...func(*ecs.Options)) (*ecs.ListTaskDefinitionsOutput, error) {
	out, err := d.fakeECS.ListTaskDefinitions(ctx, in, opts...)
	for i := range d.defs {
		if aws.ToString(d.defs[i].TaskDefinitionArn) == d.arn {
			d.defs[i].Status = types.TaskDefinitionStatusInactive
		}
	}
	return out, err
}

// A twin deregistered meanwhile cannot serve: ECS refuses an INACTIVE
// revision for a deployment. RegisterOnce keeps the revision it registered.
func TestRegisterOnceSkipsATwinDeregisteredMeanwhile(t *testing.T) {
	f := &fakeECS{}
	desired := desiredFromBase(t)
	register(t, f, desired)
	api := deregisteredAfterList{f, tdARN("streaming-agent", 1)}
	got, err := taskdef.RegisterOnce(context.Background(), api, desired, 0)
	if err != nil || got.Warning != nil {
		t.Fatalf("RegisterOnce: %+v, %v", got, err)
	}
	if got.ARN != tdARN("streaming-agent", 2) || got.Duplicate != "" {
		t.Errorf("RegisterOnce = %+v, want to run the new :2 and deregister nothing", got)
	}
	if revs := activeRevisions(f, "streaming-agent"); !slices.Equal(revs, []int32{2}) {
		t.Errorf("ACTIVE revisions = %v, want [2]", revs)
	}
}

// Three runs of one spec at once, or a call retried twice, leave several
// twins: every run picks the lowest, so all of them converge on one revision.
func TestRegisterOnceChoosesTheLowestTwin(t *testing.T) {
	f := &fakeECS{}
	f.addRevision("streaming-agent", 1, types.TaskDefinitionStatusActive) // newest when planned
	desired := desiredFromBase(t)
	register(t, f, desired) // :2
	other := taskdef.CloneInput(desired)
	other.Cpu = aws.String("4096")
	register(t, f, other)   // :3, another spec
	register(t, f, desired) // :4
	got, err := taskdef.RegisterOnce(context.Background(), f, desired, 1)
	if err != nil || got.Warning != nil {
		t.Fatalf("RegisterOnce: %+v, %v", got, err)
	}
	if got.ARN != tdARN("streaming-agent", 2) || got.Duplicate != tdARN("streaming-agent", 5) {
		t.Errorf("RegisterOnce = %+v, want to run :2 and deregister its own :5", got)
	}
	if revs := activeRevisions(f, "streaming-agent"); !slices.Equal(revs, []int32{1, 2, 3, 4}) {
		t.Errorf("ACTIVE revisions = %v, want [1 2 3 4]: a run deregisters only its own", revs)
	}
}

// The look for a twin reads at most the 10 revisions just below the new one
// (DescribeTaskDefinition is throttled): a twin further down, registered
// before ten others, is left alone and the new revision runs.
func TestRegisterOnceLooksAtTheTenRevisionsBelowTheNewOne(t *testing.T) {
	f := &fakeECS{}
	desired := desiredFromBase(t)
	register(t, f, desired) // :1, the twin
	for i := range 10 {     // :2 … :11, other specs
		other := taskdef.CloneInput(desired)
		other.ContainerDefinitions[0].Image = aws.String(fmt.Sprintf("public.ecr.aws/matillion/streaming-agent:1.%d", i))
		register(t, f, other)
	}
	f.calls = nil
	got, err := taskdef.RegisterOnce(context.Background(), f, desired, 0)
	if err != nil || got.Warning != nil {
		t.Fatalf("RegisterOnce: %+v, %v", got, err)
	}
	if got.ARN != tdARN("streaming-agent", 12) || got.Duplicate != "" {
		t.Errorf("RegisterOnce = %+v, want to run the new :12", got)
	}
	var described []string
	for _, c := range f.calls {
		if arn, ok := strings.CutPrefix(c, "DescribeTaskDefinition "); ok {
			described = append(described, arn)
		}
	}
	var want []string
	for rev := int32(2); rev <= 11; rev++ {
		want = append(want, tdARN("streaming-agent", rev))
	}
	if !slices.Equal(described, want) {
		t.Errorf("described %v, want :2 … :11 from the lowest", described)
	}
}

// A registration ECS refused is an error: there is no revision to run.
func TestRegisterOnceRegistrationRefused(t *testing.T) {
	f := &fakeECS{registErr: &types.ClientException{Message: aws.String("Invalid 'cpu' setting for task.")}}
	got, err := taskdef.RegisterOnce(context.Background(), f, desiredFromBase(t), 0)
	if want := "register task definition streaming-agent: ClientException: Invalid 'cpu' setting for task."; err == nil || err.Error() != want || !errors.Is(err, f.registErr) {
		t.Errorf("error = %v, want %q", err, want)
	}
	if got != (taskdef.Registered{}) {
		t.Errorf("RegisterOnce = %+v, want nothing to run", got)
	}
}
