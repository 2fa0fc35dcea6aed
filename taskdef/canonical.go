package taskdef

import (
	"cmp"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/launchdeploy/launch/internal/textdiff"
)

// Defaults ECS applies when a member is left out; Canonical writes them in,
// so an omitted member and its default compare equal.
const (
	defaultHealthCheckInterval = 30
	defaultHealthCheckTimeout  = 5
	defaultHealthCheckRetries  = 3
)

// Canonical renders a definition in a normalised, deterministic JSON form, for
// the equality check and for human diffs. A definition as launch builds it and
// the same definition as DescribeTaskDefinition returns it after registration
// render the same bytes. The rules:
//
//   - cpu and memory are unit strings: "1 vCPU" → "1024", "4 GB" → "4096", as
//     ECS converts them on registration;
//   - containers are sorted by name, and so are volumes, environment, secrets,
//     log secretOptions, dependsOn, ulimits, systemControls,
//     resourceRequirements and inferenceAccelerators (their order means
//     nothing); requiresCompatibilities is sorted and deduplicated; tags are
//     sorted by key, and reserved "aws:" tags (set by AWS, never by launch) are
//     dropped; maps print with sorted keys;
//   - defaults ECS fills in are written in: essential true, portMappings
//     protocol "tcp" and, in awsvpc mode, hostPort = containerPort;
//     healthCheck interval 30, timeout 5, retries 3; versionConsistency
//     "enabled"; runtimePlatform LINUX / X86_64;
//   - empty and absent are the same: empty lists and maps, optional booleans
//     that are false (all of them default to false, except essential), a
//     healthCheck startPeriod of 0, and objects left empty by these rules
//     (a bind-mount volume's "host": {}) are removed; a container cpu of 0 is
//     not printed.
//
// Members that only DescribeTaskDefinition returns (revision, status, ARN…)
// cannot appear: both sides are RegisterTaskDefinitionInput values.
func Canonical(in *ecs.RegisterTaskDefinitionInput) []byte {
	if in == nil {
		return plainJSON(in)
	}
	d := clone(in)
	normalise(d)
	return plainJSON(d)
}

// CanonicalByName renders several definitions as one JSON object keyed by
// name (sorted), each value in Canonical's form: `launch render` without
// --agent prints it.
func CanonicalByName(defs map[string]*ecs.RegisterTaskDefinitionInput) []byte {
	out := make(map[string]*ecs.RegisterTaskDefinitionInput, len(defs))
	for name, d := range defs {
		if d != nil {
			d = clone(d)
			normalise(d)
		}
		out[name] = d
	}
	return plainJSON(out)
}

func normalise(d *ecs.RegisterTaskDefinitionInput) {
	d.Cpu = cpuUnits(d.Cpu)
	d.Memory = memoryMiB(d.Memory)
	slices.Sort(d.RequiresCompatibilities)
	d.RequiresCompatibilities = slices.Compact(d.RequiresCompatibilities)
	d.Tags = slices.DeleteFunc(d.Tags, func(t types.Tag) bool {
		return strings.HasPrefix(aws.ToString(t.Key), "aws:")
	})
	sortBy(d.Tags, func(t types.Tag) string { return aws.ToString(t.Key) })
	if d.RuntimePlatform == nil {
		d.RuntimePlatform = &types.RuntimePlatform{}
	}
	if d.RuntimePlatform.OperatingSystemFamily == "" {
		d.RuntimePlatform.OperatingSystemFamily = types.OSFamilyLinux
	}
	if d.RuntimePlatform.CpuArchitecture == "" {
		d.RuntimePlatform.CpuArchitecture = types.CPUArchitectureX8664
	}
	sortBy(d.Volumes, func(v types.Volume) string { return aws.ToString(v.Name) })
	sortBy(d.InferenceAccelerators, func(a types.InferenceAccelerator) string { return aws.ToString(a.DeviceName) })

	awsvpc := d.NetworkMode == types.NetworkModeAwsvpc
	for i := range d.ContainerDefinitions {
		normaliseContainer(&d.ContainerDefinitions[i], awsvpc)
	}
	sortBy(d.ContainerDefinitions, func(c types.ContainerDefinition) string { return aws.ToString(c.Name) })

	prune(reflect.ValueOf(d).Elem())
}

func normaliseContainer(c *types.ContainerDefinition, awsvpc bool) {
	if c.Essential == nil {
		c.Essential = aws.Bool(true)
	}
	if c.VersionConsistency == "" {
		c.VersionConsistency = types.VersionConsistencyEnabled
	}
	sortBy(c.Environment, func(kv types.KeyValuePair) string { return aws.ToString(kv.Name) })
	sortBy(c.Secrets, func(s types.Secret) string { return aws.ToString(s.Name) })
	sortBy(c.DependsOn, func(d types.ContainerDependency) string { return aws.ToString(d.ContainerName) })
	sortBy(c.Ulimits, func(u types.Ulimit) string { return string(u.Name) })
	sortBy(c.SystemControls, func(s types.SystemControl) string { return aws.ToString(s.Namespace) })
	sortBy(c.ResourceRequirements, func(r types.ResourceRequirement) string { return string(r.Type) })
	if c.LogConfiguration != nil {
		sortBy(c.LogConfiguration.SecretOptions, func(s types.Secret) string { return aws.ToString(s.Name) })
	}
	for i := range c.PortMappings {
		pm := &c.PortMappings[i]
		if pm.Protocol == "" {
			pm.Protocol = types.TransportProtocolTcp
		}
		if awsvpc && pm.HostPort == nil && pm.ContainerPort != nil {
			pm.HostPort = aws.Int32(*pm.ContainerPort)
		}
	}
	if hc := c.HealthCheck; hc != nil {
		if hc.Interval == nil {
			hc.Interval = aws.Int32(defaultHealthCheckInterval)
		}
		if hc.Timeout == nil {
			hc.Timeout = aws.Int32(defaultHealthCheckTimeout)
		}
		if hc.Retries == nil {
			hc.Retries = aws.Int32(defaultHealthCheckRetries)
		}
		if aws.ToInt32(hc.StartPeriod) == 0 {
			hc.StartPeriod = nil
		}
	}
}

func sortBy[T any](s []T, key func(T) string) {
	slices.SortStableFunc(s, func(a, b T) int { return cmp.Compare(key(a), key(b)) })
}

var boolPtrType = reflect.TypeFor[*bool]()

// prune removes what is empty: empty slices and maps, *bool false (every
// optional boolean of a task definition defaults to false, except essential,
// which normalise has already made explicit), and pointers to structs that
// are empty after pruning. It reports whether v itself is now empty.
func prune(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return true
		}
		if v.Type() == boolPtrType {
			return false // decided by the field's name in the struct case
		}
		if prune(v.Elem()) && v.Elem().Kind() == reflect.Struct {
			v.SetZero()
			return true
		}
		return false
	case reflect.Slice, reflect.Map:
		if v.Len() == 0 {
			v.SetZero()
			return true
		}
		if v.Kind() == reflect.Slice {
			for i := range v.Len() {
				prune(v.Index(i))
			}
		}
		return false
	case reflect.Struct:
		if v.Type() == timeType {
			return v.IsZero()
		}
		empty := true
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			fv := v.Field(i)
			if fv.Type() == boolPtrType && f.Name != "Essential" && !fv.IsNil() && !fv.Elem().Bool() {
				fv.SetZero()
			}
			if !prune(fv) && !fv.IsZero() {
				empty = false
			}
		}
		return empty
	default:
		return v.IsZero()
	}
}

// cpuUnits turns "1 vCPU" / "0.25 vcpu" into CPU units ("1024", "256"), as
// ECS does on registration. Anything else is left as it is.
func cpuUnits(s *string) *string {
	return convertUnits(s, "vcpu", 1024)
}

// memoryMiB turns "4 GB" / "0.5GB" into MiB ("4096", "512").
func memoryMiB(s *string) *string {
	return convertUnits(s, "gb", 1024)
}

func convertUnits(s *string, suffix string, factor float64) *string {
	if s == nil {
		return nil
	}
	t := strings.ToLower(strings.TrimSpace(*s))
	if !strings.HasSuffix(t, suffix) {
		t = strings.TrimSpace(*s)
		return &t
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(t, suffix)), 64)
	if err != nil {
		return s
	}
	return aws.String(strconv.FormatFloat(n*factor, 'f', -1, 64))
}

// Diff returns a unified diff of the canonical JSON of current and desired,
// "" when they are equal. current may be nil (no registered revision): every
// line of desired is then an addition. currentLabel names the "from" side,
// for example "registered streaming-agent:3"; the "to" side is "desired".
func Diff(current, desired *ecs.RegisterTaskDefinitionInput, currentLabel string) string {
	var a []byte
	if current != nil {
		a = Canonical(current)
	}
	return unifiedDiff(a, Canonical(desired), currentLabel)
}

func unifiedDiff(a, b []byte, currentLabel string) string {
	return textdiff.Unified(string(a), string(b), currentLabel, "desired")
}
