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
// Family). Every value launch also has a default for follows one precedence:
// the spec's explicit value, else the base's, else launch's default. That
// holds for task cpu and memory, runtimePlatform's operatingSystemFamily and
// cpuArchitecture (each on its own) and the agent container's
// logConfiguration (see logConfiguration). Build forces family,
// requiresCompatibilities [FARGATE] and networkMode awsvpc (Fargate needs
// them), sets the task and execution role ARNs and merges the tags (spec
// values replace same-keyed base tags, the others are kept), and on the
// agent's container only: image, environment and secrets (a spec name
// replaces a same-named base entry in either list; other base entries are
// kept; new names are appended in name order). Everything else in the base
// stays as it was.
//
// The result is in canonical form (see Canonical): JSON(result) and
// Canonical(result) are the same bytes, and the SDK sends the same document.
func Build(in Input) (*ecs.RegisterTaskDefinitionInput, error) {
	out, err := merge(in)
	if err != nil {
		return nil, err
	}
	// One form everywhere: the value Build returns is what render prints,
	// what plan's "desired" diff shows and what RegisterTaskDefinition gets.
	normalise(out)
	return out, nil
}

// merge is Build before the canonical form: the base with the spec's values
// and launch's defaults applied, in the base's own order and shape.
func merge(in Input) (*ecs.RegisterTaskDefinitionInput, error) {
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
	out.Cpu = size(in.CPU, out.Cpu, in.Defaults.CPU)
	out.Memory = size(in.Memory, out.Memory, in.Defaults.Memory)
	out.RuntimePlatform = runtimePlatform(out.RuntimePlatform, in)
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
	c.LogConfiguration = logConfiguration(c.LogConfiguration, in.Logs, in.Defaults.Logs)
	return out, nil
}

// size is a task cpu or memory: the spec's value, else the base's, else
// launch's default (nil when there is none).
func size(spec int, base *string, def int) *string {
	switch {
	case spec > 0:
		return aws.String(strconv.Itoa(spec))
	case aws.ToString(base) != "":
		return base
	case def > 0:
		return aws.String(strconv.Itoa(def))
	}
	return base
}

// runtimePlatform sets operatingSystemFamily and cpuArchitecture each on its
// own: the spec's value, else the base's, else launch's default.
func runtimePlatform(base *types.RuntimePlatform, in Input) *types.RuntimePlatform {
	out := types.RuntimePlatform{}
	if base != nil {
		out = *base
	}
	out.OperatingSystemFamily = types.OSFamily(first(in.OS, string(out.OperatingSystemFamily), in.Defaults.OS))
	out.CpuArchitecture = types.CPUArchitecture(first(in.Architecture, string(out.CpuArchitecture), in.Defaults.Architecture))
	if base == nil && out == (types.RuntimePlatform{}) {
		return nil
	}
	return &out
}

// first returns the first non-empty value.
func first(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
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

// logConfiguration returns the agent container's log configuration.
//
// When the spec sets no logs option, the base's configuration stands: a
// FireLens, splunk or other driver as it is, an awslogs one with its own
// group, region and prefix (missing ones filled from def); a container
// without one gets launch's awslogs default, def (none when def is zero).
//
// When the spec sets logs, the container logs with awslogs. Each of group and
// stream prefix is the spec's value, else the base's awslogs option, else
// def's. The region goes with the group: the base's when the group is the
// base's, else the spec's or def's (the region launch creates its group in).
// Other options of a base that already uses awslogs (mode, max-buffer-size, …)
// and its secretOptions are kept.
func logConfiguration(base *types.LogConfiguration, spec, def Logs) *types.LogConfiguration {
	baseAwslogs := base != nil && base.LogDriver == types.LogDriverAwslogs
	switch {
	case spec.isZero() && base != nil && !baseAwslogs:
		return base
	case spec.isZero() && base == nil && def.isZero():
		return nil
	}
	out := &types.LogConfiguration{LogDriver: types.LogDriverAwslogs, Options: map[string]string{}}
	var baseOpts map[string]string
	if baseAwslogs {
		baseOpts = base.Options
		maps.Copy(out.Options, base.Options)
		out.SecretOptions = base.SecretOptions
	}
	groupFromBase := spec.Group == "" && baseOpts[awslogsGroup] != ""
	set := func(k string, values ...string) {
		if v := first(values...); v != "" {
			out.Options[k] = v
		}
	}
	set(awslogsGroup, spec.Group, baseOpts[awslogsGroup], def.Group)
	if groupFromBase {
		set(awslogsRegion, baseOpts[awslogsRegion], spec.Region, def.Region)
	} else {
		set(awslogsRegion, spec.Region, def.Region)
	}
	set(awslogsStreamPrefix, spec.StreamPrefix, baseOpts[awslogsStreamPrefix], def.StreamPrefix)
	return out
}

const (
	awslogsGroup        = "awslogs-group"
	awslogsRegion       = "awslogs-region"
	awslogsStreamPrefix = "awslogs-stream-prefix"
)

// LogGroup is the awslogs group the container named container logs to in td,
// "" when it uses another driver or none.
func LogGroup(td *ecs.RegisterTaskDefinitionInput, container string) string {
	if td == nil {
		return ""
	}
	for _, c := range td.ContainerDefinitions {
		if aws.ToString(c.Name) == container && c.LogConfiguration != nil && c.LogConfiguration.LogDriver == types.LogDriverAwslogs {
			return c.LogConfiguration.Options[awslogsGroup]
		}
	}
	return ""
}
