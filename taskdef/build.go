package taskdef

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Build returns the RegisterTaskDefinitionInput for in.
//
// It starts from a deep copy of in.Base (the caller's value is never changed)
// or, without a base, from one essential container named ContainerName (or
// Family). It then sets family, cpu and memory, runtimePlatform,
// requiresCompatibilities [FARGATE], networkMode awsvpc, the task and execution
// role ARNs and the tags (spec values replace same-keyed base tags, the others
// are kept), and on the agent's container only: image, environment and
// secrets (a spec name replaces a same-named base entry in either list; other
// base entries are kept; new names are appended in name order) and the awslogs
// logConfiguration (other awslogs options of the base are kept). Everything
// else in the base stays as it was.
func Build(in Input) (*ecs.RegisterTaskDefinitionInput, error) {
	if in.Family == "" {
		return nil, errors.New("build task definition: family is empty")
	}
	for name := range in.Secrets {
		if _, ok := in.Environment[name]; ok {
			return nil, fmt.Errorf("build task definition %s: %s is both an environment variable and a secret", in.Family, name)
		}
	}

	var out *ecs.RegisterTaskDefinitionInput
	var idx int
	if in.Base != nil {
		out = clone(in.Base)
		var err error
		idx, err = selectContainer(out.ContainerDefinitions, in.ContainerName, in.Family)
		if err != nil {
			return nil, fmt.Errorf("build task definition %s: %w", in.Family, err)
		}
		if idx < 0 {
			out.ContainerDefinitions = append(out.ContainerDefinitions, newContainer(in))
			idx = len(out.ContainerDefinitions) - 1
		}
	} else {
		out = &ecs.RegisterTaskDefinitionInput{
			ContainerDefinitions: []types.ContainerDefinition{newContainer(in)},
		}
	}

	out.Family = aws.String(in.Family)
	if in.CPU > 0 {
		out.Cpu = aws.String(strconv.Itoa(in.CPU))
	}
	if in.Memory > 0 {
		out.Memory = aws.String(strconv.Itoa(in.Memory))
	}
	if in.OS != "" || in.Architecture != "" {
		if out.RuntimePlatform == nil {
			out.RuntimePlatform = &types.RuntimePlatform{}
		}
		if in.OS != "" {
			out.RuntimePlatform.OperatingSystemFamily = types.OSFamily(in.OS)
		}
		if in.Architecture != "" {
			out.RuntimePlatform.CpuArchitecture = types.CPUArchitecture(in.Architecture)
		}
	}
	out.RequiresCompatibilities = []types.Compatibility{types.CompatibilityFargate}
	out.NetworkMode = types.NetworkModeAwsvpc
	if in.TaskRoleARN != "" {
		out.TaskRoleArn = aws.String(in.TaskRoleARN)
	}
	if in.ExecutionRoleARN != "" {
		out.ExecutionRoleArn = aws.String(in.ExecutionRoleARN)
	}
	out.Tags = mergeTags(out.Tags, in.Tags)

	c := &out.ContainerDefinitions[idx]
	if in.Image != "" {
		c.Image = aws.String(in.Image)
	}
	c.Environment, c.Secrets = mergeVariables(c.Environment, c.Secrets, in.Environment, in.Secrets)
	if !in.Logs.isZero() {
		c.LogConfiguration = awslogs(c.LogConfiguration, in.Logs)
	}
	return out, nil
}

func newContainer(in Input) types.ContainerDefinition {
	name := in.ContainerName
	if name == "" {
		name = in.Family
	}
	return types.ContainerDefinition{Name: aws.String(name), Essential: aws.Bool(true)}
}

// selectContainer returns the index of the container to patch, or -1 when the
// base has no containers at all (Build then adds one).
func selectContainer(cs []types.ContainerDefinition, want, family string) (int, error) {
	if len(cs) == 0 {
		return -1, nil
	}
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = aws.ToString(c.Name)
	}
	if want != "" {
		if i := slices.Index(names, want); i >= 0 {
			return i, nil
		}
		return 0, fmt.Errorf("base task definition has no container %q; it has %s", want, quoteList(names))
	}
	if i := slices.Index(names, family); i >= 0 {
		return i, nil
	}
	if len(cs) == 1 {
		return 0, nil
	}
	return 0, fmt.Errorf("base task definition has containers %s; set container: to the one launch should patch", quoteList(names))
}

// mergeVariables applies the spec's environment and secrets to a container's
// lists. A spec name removes a same-named base entry from the other list (a
// variable moved from plain text to a secret, or back), replaces it in its own
// list in place, and is appended in name order when the base lacks it.
func mergeVariables(env []types.KeyValuePair, secrets []types.Secret, specEnv, specSecrets map[string]string) ([]types.KeyValuePair, []types.Secret) {
	if len(specEnv) == 0 && len(specSecrets) == 0 {
		return env, secrets
	}
	env = slices.DeleteFunc(env, func(kv types.KeyValuePair) bool {
		_, isSecret := specSecrets[aws.ToString(kv.Name)]
		return isSecret
	})
	secrets = slices.DeleteFunc(secrets, func(s types.Secret) bool {
		_, isEnv := specEnv[aws.ToString(s.Name)]
		return isEnv
	})

	env = mergeNamed(env, specEnv, func(kv types.KeyValuePair) string { return aws.ToString(kv.Name) },
		func(kv *types.KeyValuePair, v string) { kv.Value = aws.String(v) },
		func(n, v string) types.KeyValuePair {
			return types.KeyValuePair{Name: aws.String(n), Value: aws.String(v)}
		})
	secrets = mergeNamed(secrets, specSecrets, func(s types.Secret) string { return aws.ToString(s.Name) },
		func(s *types.Secret, v string) { s.ValueFrom = aws.String(v) },
		func(n, v string) types.Secret { return types.Secret{Name: aws.String(n), ValueFrom: aws.String(v)} })
	return env, secrets
}

func mergeTags(base []types.Tag, spec map[string]string) []types.Tag {
	// AWS sets aws:-prefixed tags itself (CloudFormation's, for one) and
	// RegisterTaskDefinition rejects them: a base copied from such a
	// definition must not carry them over.
	base = slices.DeleteFunc(base, func(t types.Tag) bool { return strings.HasPrefix(aws.ToString(t.Key), "aws:") })
	return mergeNamed(base, spec, func(t types.Tag) string { return aws.ToString(t.Key) },
		func(t *types.Tag, v string) { t.Value = aws.String(v) },
		func(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} })
}

// mergeNamed sets the value of every item of list whose name is in want, in
// place, and appends the names list lacks in sorted order: spec values win,
// the base's order and other items stay.
func mergeNamed[T any](list []T, want map[string]string, name func(T) string, set func(*T, string), newItem func(name, value string) T) []T {
	seen := map[string]bool{}
	for i := range list {
		if v, ok := want[name(list[i])]; ok {
			set(&list[i], v)
			seen[name(list[i])] = true
		}
	}
	for _, n := range slices.Sorted(maps.Keys(want)) {
		if !seen[n] {
			list = append(list, newItem(n, want[n]))
		}
	}
	return list
}

// awslogs returns the agent's log configuration: the awslogs driver with the
// spec's group, region and stream prefix. Other options of a base that already
// uses awslogs (mode, max-buffer-size, …) and its secretOptions are kept; a
// base using another driver is replaced.
func awslogs(base *types.LogConfiguration, l Logs) *types.LogConfiguration {
	out := &types.LogConfiguration{LogDriver: types.LogDriverAwslogs, Options: map[string]string{}}
	if base != nil && base.LogDriver == types.LogDriverAwslogs {
		maps.Copy(out.Options, base.Options)
		out.SecretOptions = base.SecretOptions
	}
	set := func(k, v string) {
		if v != "" {
			out.Options[k] = v
		}
	}
	set("awslogs-group", l.Group)
	set("awslogs-region", l.Region)
	set("awslogs-stream-prefix", l.StreamPrefix)
	return out
}
