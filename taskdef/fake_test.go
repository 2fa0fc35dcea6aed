package taskdef_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/launchdeploy/launch/taskdef"
)

// fakeECS is an in-memory ECS holding task definitions. Like ECS, it lists by
// family *prefix*, sorts by family then revision, pages, and on registration
// returns the definition the way ECS describes it (see registeredForm).
type fakeECS struct {
	defs        []types.TaskDefinition
	tags        map[string][]types.Tag // by ARN
	calls       []string
	listErr     error
	describeErr error
	registErr   error
	deregErr    error
}

var _ taskdef.API = (*fakeECS)(nil)

func tdARN(family string, rev int32) string {
	return fmt.Sprintf("arn:aws:ecs:eu-west-1:123456789012:task-definition/%s:%d", family, rev)
}

func (f *fakeECS) ListTaskDefinitions(_ context.Context, in *ecs.ListTaskDefinitionsInput, _ ...func(*ecs.Options)) (*ecs.ListTaskDefinitionsOutput, error) {
	f.calls = append(f.calls, "ListTaskDefinitions")
	if f.listErr != nil {
		return nil, f.listErr
	}
	// ECS: "This value can be between 1 and 100" (ListTaskDefinitions, maxResults).
	if in.MaxResults != nil && (*in.MaxResults < 1 || *in.MaxResults > 100) {
		return nil, &types.InvalidParameterException{Message: aws.String("maxResults must be between 1 and 100")}
	}
	var matches []types.TaskDefinition
	for _, d := range f.defs {
		if strings.HasPrefix(aws.ToString(d.Family), aws.ToString(in.FamilyPrefix)) &&
			(in.Status == "" || d.Status == in.Status) {
			matches = append(matches, d)
		}
	}
	sort.Slice(matches, func(i, j int) bool {
		a, b := matches[i], matches[j]
		if aws.ToString(a.Family) != aws.ToString(b.Family) {
			return aws.ToString(a.Family) < aws.ToString(b.Family)
		}
		return a.Revision < b.Revision
	})
	if in.Sort == types.SortOrderDesc {
		slices.Reverse(matches)
	}
	start := 0
	if in.NextToken != nil {
		start, _ = strconv.Atoi(*in.NextToken)
	}
	size := int(aws.ToInt32(in.MaxResults))
	if size == 0 {
		size = 100
	}
	out := &ecs.ListTaskDefinitionsOutput{}
	for i := start; i < len(matches) && i < start+size; i++ {
		out.TaskDefinitionArns = append(out.TaskDefinitionArns, aws.ToString(matches[i].TaskDefinitionArn))
	}
	if start+size < len(matches) {
		out.NextToken = aws.String(strconv.Itoa(start + size))
	}
	return out, nil
}

func (f *fakeECS) DescribeTaskDefinition(_ context.Context, in *ecs.DescribeTaskDefinitionInput, _ ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error) {
	f.calls = append(f.calls, "DescribeTaskDefinition "+aws.ToString(in.TaskDefinition))
	if f.describeErr != nil {
		return nil, f.describeErr
	}
	// As ECS: an ARN or family:revision names one revision; a bare family
	// names its latest ACTIVE revision.
	want := aws.ToString(in.TaskDefinition)
	var found *types.TaskDefinition
	for i, d := range f.defs {
		arn := aws.ToString(d.TaskDefinitionArn)
		switch {
		case arn == want || strings.HasSuffix(arn, "/"+want):
			found = &f.defs[i]
		case aws.ToString(d.Family) == want && d.Status == types.TaskDefinitionStatusActive && (found == nil || d.Revision > found.Revision):
			found = &f.defs[i]
		}
	}
	if found == nil {
		return nil, &types.ClientException{Message: aws.String("Unable to describe task definition.")}
	}
	d := *found
	out := &ecs.DescribeTaskDefinitionOutput{TaskDefinition: &d}
	if slices.Contains(in.Include, types.TaskDefinitionFieldTags) {
		out.Tags = f.tags[aws.ToString(d.TaskDefinitionArn)]
	}
	return out, nil
}

func (f *fakeECS) RegisterTaskDefinition(_ context.Context, in *ecs.RegisterTaskDefinitionInput, _ ...func(*ecs.Options)) (*ecs.RegisterTaskDefinitionOutput, error) {
	f.calls = append(f.calls, "RegisterTaskDefinition")
	if f.registErr != nil {
		return nil, f.registErr
	}
	var rev int32
	for _, d := range f.defs {
		if aws.ToString(d.Family) == aws.ToString(in.Family) {
			rev = max(rev, d.Revision)
		}
	}
	td, tags := registeredForm(in, rev+1)
	f.add(td, tags)
	return &ecs.RegisterTaskDefinitionOutput{TaskDefinition: &td, Tags: tags}, nil
}

func (f *fakeECS) add(td types.TaskDefinition, tags []types.Tag) {
	f.defs = append(f.defs, td)
	if f.tags == nil {
		f.tags = map[string][]types.Tag{}
	}
	f.tags[aws.ToString(td.TaskDefinitionArn)] = tags
}

// addRevision stores a minimal revision of family.
func (f *fakeECS) addRevision(family string, rev int32, status types.TaskDefinitionStatus) {
	f.add(types.TaskDefinition{
		Family:            aws.String(family),
		Revision:          rev,
		Status:            status,
		TaskDefinitionArn: aws.String(tdARN(family, rev)),
	}, []types.Tag{{Key: aws.String("rev"), Value: aws.String(strconv.Itoa(int(rev)))}})
}

// registeredForm returns in as DescribeTaskDefinition shows it after
// registration: ECS adds the ARN, revision, status, compatibilities,
// requiresAttributes and registeredAt/By, fills defaults (container cpu 0,
// essential, port protocol and hostPort, health check timings, a bind
// volume's "host": {}), returns empty lists for what was left out, and
// does not keep the order of environment, secrets or tags.
func registeredForm(in *ecs.RegisterTaskDefinitionInput, rev int32) (types.TaskDefinition, []types.Tag) {
	in = taskdef.CloneInput(in)
	family := aws.ToString(in.Family)
	td := types.TaskDefinition{
		TaskDefinitionArn:       aws.String(tdARN(family, rev)),
		Family:                  in.Family,
		Revision:                rev,
		Status:                  types.TaskDefinitionStatusActive,
		Compatibilities:         []types.Compatibility{types.CompatibilityEc2, types.CompatibilityFargate},
		RequiresAttributes:      []types.Attribute{{Name: aws.String("ecs.capability.task-eni")}},
		RegisteredAt:            aws.Time(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)),
		RegisteredBy:            aws.String("arn:aws:sts::123456789012:assumed-role/deployer/ci"),
		ContainerDefinitions:    in.ContainerDefinitions,
		Cpu:                     in.Cpu,
		Memory:                  in.Memory,
		NetworkMode:             in.NetworkMode,
		RequiresCompatibilities: in.RequiresCompatibilities,
		RuntimePlatform:         in.RuntimePlatform,
		TaskRoleArn:             in.TaskRoleArn,
		ExecutionRoleArn:        in.ExecutionRoleArn,
		Volumes:                 in.Volumes,
		EphemeralStorage:        in.EphemeralStorage,
		PlacementConstraints:    orEmpty(in.PlacementConstraints),
		EnableFaultInjection:    aws.Bool(aws.ToBool(in.EnableFaultInjection)),
	}
	for i := range td.Volumes {
		v := &td.Volumes[i]
		if v.Host == nil && v.EfsVolumeConfiguration == nil && v.DockerVolumeConfiguration == nil && v.FsxWindowsFileServerVolumeConfiguration == nil {
			v.Host = &types.HostVolumeProperties{}
		}
	}
	for i := range td.ContainerDefinitions {
		c := &td.ContainerDefinitions[i]
		if c.Essential == nil {
			c.Essential = aws.Bool(true)
		}
		c.Environment = orEmpty(c.Environment)
		slices.Reverse(c.Environment)
		slices.Reverse(c.Secrets)
		c.MountPoints = orEmpty(c.MountPoints)
		c.VolumesFrom = orEmpty(c.VolumesFrom)
		c.SystemControls = orEmpty(c.SystemControls)
		c.PortMappings = orEmpty(c.PortMappings)
		for j := range c.PortMappings {
			pm := &c.PortMappings[j]
			if pm.Protocol == "" {
				pm.Protocol = types.TransportProtocolTcp
			}
			if pm.HostPort == nil {
				pm.HostPort = pm.ContainerPort
			}
		}
		if hc := c.HealthCheck; hc != nil {
			if hc.Interval == nil {
				hc.Interval = aws.Int32(30)
			}
			if hc.Timeout == nil {
				hc.Timeout = aws.Int32(5)
			}
			if hc.Retries == nil {
				hc.Retries = aws.Int32(3)
			}
		}
	}
	tags := slices.Clone(in.Tags)
	slices.Reverse(tags)
	return td, tags
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
