package taskdef

import "github.com/aws/aws-sdk-go-v2/service/ecs"

// Input is everything launch knows about one agent's task definition.
// Strings are already resolved by the caller (secret ARNs, role ARNs, region).
//
// Every value that launch may also take from a base comes in two kinds: the
// spec's explicit value (CPU, Memory, OS, Architecture, Logs), which wins over
// the base, and launch's default (Defaults), which applies only where neither
// the spec nor the base says anything. Explicit spec value > base > default.
type Input struct {
	Family string
	// ContainerName is the container to patch. "" means Family if the base has
	// a container of that name, else the base's only container.
	ContainerName string
	// Image replaces that container's image; "" keeps the base's.
	Image string
	// CPU and Memory are the task-level sizes the spec sets explicitly; 0
	// keeps the base's value (else Defaults').
	CPU, Memory int
	// OS and Architecture are the runtimePlatform operatingSystemFamily and
	// cpuArchitecture the spec sets explicitly, each on its own; "" keeps
	// the base's value (else Defaults').
	OS, Architecture string
	Environment      map[string]string
	// Secrets maps an environment variable name to its valueFrom: a full
	// secret ARN, optionally followed by ":json-key::".
	Secrets map[string]string
	// TaskRoleARN and ExecutionRoleARN replace the base's roles; "" keeps them.
	TaskRoleARN, ExecutionRoleARN string
	// Logs are the awslogs settings the spec sets explicitly. When any is
	// set, the agent's container logs with awslogs even if the base uses
	// another driver; each option is this value, else the base's awslogs
	// option, else Defaults'. The zero value keeps the base's
	// logConfiguration (filling in an awslogs one's missing options from
	// Defaults).
	Logs Logs
	// Defaults are launch's values for what neither the spec nor the base
	// sets.
	Defaults Defaults
	Tags     map[string]string
	// Base is the definition to patch; nil builds from the spec alone.
	Base *ecs.RegisterTaskDefinitionInput
}

// Defaults are launch's own values: used only where the spec sets nothing
// and the base has no value.
type Defaults struct {
	CPU, Memory      int
	OS, Architecture string
	// Logs is the awslogs configuration of a container that has none; its
	// Region is also the awslogs-region whenever the group is not the
	// base's. The zero value adds no logConfiguration.
	Logs Logs
}

// Logs becomes the awslogs options awslogs-group, awslogs-region and
// awslogs-stream-prefix.
type Logs struct {
	Group, Region, StreamPrefix string
}

func (l Logs) isZero() bool { return l == Logs{} }
