package spec

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Spec is a loaded, defaulted and validated deploy.yaml. Every agent in
// Agents already has the spec's defaults applied, so consumers never look
// at defaults themselves.
type Spec struct {
	// Path is the file the spec was loaded from; Dir is its directory, which
	// relative paths in the spec (policy files, base task definitions) are
	// resolved against. Neither comes from YAML.
	Path string `yaml:"-"`
	Dir  string `yaml:"-"`

	// Region is optional: empty means the AWS SDK's default chain decides.
	Region string `yaml:"region"`
	// Cluster is the ECS cluster every agent's service runs in.
	Cluster Cluster `yaml:"cluster"`
	// Tags go on everything launch creates (roles, log groups, task
	// definitions, cluster, services), next to launch's ownership tag.
	Tags map[string]string `yaml:"tags"`

	TaskRole      TaskRole      `yaml:"taskRole"`
	ExecutionRole ExecutionRole `yaml:"executionRole"`

	// Secrets declares, by a local ID, every Secrets Manager secret the
	// agents may read. The value is a secret name, a partial ARN or a full
	// ARN. Agents refer to secrets by the ID only.
	Secrets map[string]string `yaml:"secrets"`

	// Defaults holds agent settings shared by every agent; an agent's own
	// settings override them (maps merge key by key).
	Defaults Agent `yaml:"defaults"`
	// Agents are the containers to run: one task definition family and one
	// ECS service each.
	Agents []Agent `yaml:"agents"`

	// Rollout splits the agents into waves deployed one after another;
	// without waves every agent deploys at once.
	Rollout Rollout `yaml:"rollout"`
}

// Rollout is the optional rollout: section.
type Rollout struct {
	// Waves are deployed in order, each once the previous passed its gate.
	Waves []Wave `yaml:"waves"`
	// BakeTime is how long a wave must stay healthy, with no task stopped,
	// before the next starts.
	BakeTime Duration `yaml:"bakeTime"`
	// OnFailure is "stop" (the default: later waves are left alone) or
	// "rollback" (the waves already done are rolled back too).
	OnFailure string `yaml:"onFailure"`
}

// What Rollout.OnFailure may say.
const (
	OnFailureStop     = "stop"
	OnFailureRollback = "rollback"
)

// Enabled reports whether the spec deploys in waves.
func (r Rollout) Enabled() bool { return len(r.Waves) > 0 }

// Wave is one item of rollout.waves: a count of agents ("1"), a cumulative
// percentage of the agents not named by any wave ("25%", "100%" = all the
// rest), or a selector naming agents and/or labels. Count and percentage
// waves take agents that have something to change, in the spec's order.
type Wave struct {
	Count   int `yaml:"-"`
	Percent int `yaml:"-"`
	// Agents and Labels select agents by name and by label.
	Agents []string `yaml:"agents"`
	Labels []string `yaml:"labels"`
	// Line is where the wave was written, for error messages.
	Line int `yaml:"-"`
}

// IsSelector reports whether the wave names agents or labels.
func (w Wave) IsSelector() bool { return w.Count == 0 && w.Percent == 0 }

// String is the wave as written: "1", "25%" or "agents [a b], labels [x]".
func (w Wave) String() string {
	switch {
	case w.Count > 0:
		return strconv.Itoa(w.Count)
	case w.Percent > 0:
		return strconv.Itoa(w.Percent) + "%"
	}
	var parts []string
	if len(w.Agents) > 0 {
		parts = append(parts, "agents "+strings.Join(w.Agents, ", "))
	}
	if len(w.Labels) > 0 {
		parts = append(parts, "labels "+strings.Join(w.Labels, ", "))
	}
	return strings.Join(parts, "; ")
}

// Selects reports whether the selector wave w names agent a, by name or
// by one of its labels.
func (w Wave) Selects(a *Agent) bool {
	if slices.Contains(w.Agents, a.Name) {
		return true
	}
	for _, l := range w.Labels {
		if slices.Contains(a.Labels, l) {
			return true
		}
	}
	return false
}

// Cluster names the ECS cluster.
type Cluster struct {
	Name string `yaml:"name"`
	// Create makes launch create the cluster when it does not exist. When
	// false, a missing cluster is an error before any write.
	Create bool `yaml:"create"`
}

// TaskRole is the IAM role the running agent uses.
type TaskRole struct {
	Name string `yaml:"name"`
	// TrustedServices are service principals trusted besides
	// ecs-tasks.amazonaws.com, which is always trusted.
	TrustedServices []string `yaml:"trustedServices"`
	// ManagedPolicies are full policy ARNs, or AWS-managed policy paths such
	// as "service-role/AmazonECSTaskExecutionRolePolicy" that launch expands
	// with the caller's partition.
	ManagedPolicies []string       `yaml:"managedPolicies"`
	InlinePolicies  []InlinePolicy `yaml:"inlinePolicies"`
	// ConfusedDeputyProtection adds the aws:SourceAccount / aws:SourceArn
	// condition to the ecs-tasks.amazonaws.com trust statement. Default true.
	ConfusedDeputyProtection bool `yaml:"confusedDeputyProtection"`
}

// InlinePolicy is an inline policy to put on the task role. Exactly one of
// File and Document is set in YAML; after loading, Document always holds the
// policy JSON (File's content when File was given).
type InlinePolicy struct {
	Name     string `yaml:"name"`
	File     string `yaml:"file"`
	Document string `yaml:"document"`
	// Line is where the policy was declared, for error messages.
	Line int `yaml:"-"`
}

// ExecutionRole is the IAM role ECS uses to pull the image, write logs and
// inject secrets.
type ExecutionRole struct {
	Name string `yaml:"name"`
	// ManagedPolicies default to
	// ["service-role/AmazonECSTaskExecutionRolePolicy"]; same forms as
	// TaskRole.ManagedPolicies.
	ManagedPolicies []string `yaml:"managedPolicies"`
	// GrantAllSecrets grants secretsmanager:GetSecretValue on "*" instead of
	// on the declared secrets' ARNs. Off by default; launch warns when on.
	GrantAllSecrets bool `yaml:"grantAllSecrets"`
}

// Agent is one container to run as an ECS service on Fargate.
type Agent struct {
	// Name is the agent's name; it is also the task definition family, the
	// ECS service name and (by default) the container name.
	Name  string `yaml:"name"`
	Image string `yaml:"image"`
	// CPU is in CPU units (1024 = 1 vCPU); Memory in MiB. They must form a
	// valid Fargate pair.
	CPU      int      `yaml:"cpu"`
	Memory   int      `yaml:"memory"`
	Platform Platform `yaml:"platform"`
	// Container is the container to patch in the base task definition.
	// Default: the agent's name, or the base's only container.
	Container string `yaml:"container"`
	// BaseTaskDefinition is a path to JSON as printed by
	// `aws ecs describe-task-definition`; empty builds from the spec alone.
	BaseTaskDefinition string `yaml:"baseTaskDefinition"`
	// BaseTaskDefinitionJSON is the content of BaseTaskDefinition, read and
	// checked to be a JSON object by the loader. Nil when no base is given.
	BaseTaskDefinitionJSON []byte `yaml:"-"`

	Environment map[string]string `yaml:"environment"`
	// Secrets maps an environment variable name to a declared secret.
	Secrets map[string]SecretRef `yaml:"secrets"`

	Logs    Logs    `yaml:"logs"`
	Network Network `yaml:"network"`
	Service Service `yaml:"service"`

	// Labels name groups of agents, for rollout waves.
	Labels []string `yaml:"labels"`

	// WaitTimeout bounds how long launch follows the deployment. Default 15m.
	WaitTimeout Duration `yaml:"waitTimeout"`

	// Line is where the agent was declared, for error messages.
	Line int `yaml:"-"`

	// Explicit holds the paths, relative to the agent ("cpu",
	// "platform.os", "logs.group"), of the fields the spec writes, in the
	// agent itself or under defaults:. A field not in it holds launch's
	// built-in default, which a base task definition's value overrides:
	// explicit spec value > base task definition > launch's default.
	Explicit map[string]bool `yaml:"-"`
}

// IsSet reports whether the spec writes the agent field at path (relative
// to the agent, as in "cpu" or "logs.group"), rather than leaving it to
// launch's default.
func (a *Agent) IsSet(path string) bool { return a.Explicit[path] }

// Platform is the task's runtime platform.
type Platform struct {
	// OS is LINUX (default) or a WINDOWS_SERVER_* value.
	OS string `yaml:"os"`
	// Architecture is X86_64 (default) or ARM64.
	Architecture string `yaml:"architecture"`
}

// SecretRef points an environment variable at a declared secret, optionally
// at one key of a JSON secret.
type SecretRef struct {
	// Secret is the ID of an entry in Spec.Secrets.
	Secret string `yaml:"secret"`
	// Key is a JSON key inside the secret; empty injects the whole value.
	Key string `yaml:"key"`
}

// Logs is the awslogs configuration of the agent's container.
type Logs struct {
	// Group defaults to the base task definition's awslogs group for the
	// agent's container, else "/ecs/<agent name>". It is "" when the spec
	// does not set logs and the base's container uses another log driver:
	// launch then manages no log group for the agent.
	Group string `yaml:"group"`
	// RetentionDays defaults to 30; it must be a value CloudWatch Logs
	// accepts (1, 3, 5, 7, 14, 30, 60, 90, ...).
	RetentionDays int `yaml:"retentionDays"`
	// StreamPrefix defaults to "ecs".
	StreamPrefix string `yaml:"streamPrefix"`
}

// Network is the awsvpc network configuration of the service.
type Network struct {
	Subnets        []string `yaml:"subnets"`
	SecurityGroups []string `yaml:"securityGroups"`
	AssignPublicIP bool     `yaml:"assignPublicIp"`
}

// Service holds the ECS service's settings.
type Service struct {
	// DesiredCount defaults to 1 (one Streaming agent runs one pipeline).
	DesiredCount int `yaml:"desiredCount"`
	// MinimumHealthyPercent and MaximumPercent default to 0 and 100 so a
	// redeploy never runs two copies of one agent.
	MinimumHealthyPercent int            `yaml:"minimumHealthyPercent"`
	MaximumPercent        int            `yaml:"maximumPercent"`
	CircuitBreaker        CircuitBreaker `yaml:"circuitBreaker"`
}

// CircuitBreaker is the ECS deployment circuit breaker; both default true.
type CircuitBreaker struct {
	Enable   bool `yaml:"enable"`
	Rollback bool `yaml:"rollback"`
}

// Duration is a time.Duration written in YAML as a Go duration string
// ("15m", "90s").
type Duration struct{ time.Duration }
