package taskdef

import "github.com/aws/aws-sdk-go-v2/service/ecs"

// Input is everything launch knows about one agent's task definition.
// Strings are already resolved by the caller (secret ARNs, role ARNs, region).
type Input struct {
	Family string
	// ContainerName is the container to patch. "" means Family if the base has
	// a container of that name, else the base's only container.
	ContainerName string
	Image         string
	// CPU and Memory are the task-level Fargate pair, already validated.
	// 0 keeps the base's value.
	CPU, Memory int
	// OS and Architecture set runtimePlatform operatingSystemFamily and
	// cpuArchitecture; "" keeps the base's value.
	OS, Architecture string
	Environment      map[string]string
	// Secrets maps an environment variable name to its valueFrom: a full
	// secret ARN, optionally followed by ":json-key::".
	Secrets map[string]string
	// TaskRoleARN and ExecutionRoleARN replace the base's roles; "" keeps them.
	TaskRoleARN, ExecutionRoleARN string
	// Logs configures the awslogs driver on the agent's container; the zero
	// value keeps the base's logConfiguration.
	Logs Logs
	Tags map[string]string
	// Base is the definition to patch; nil builds from the spec alone.
	Base *ecs.RegisterTaskDefinitionInput
}

// Logs becomes the awslogs options awslogs-group, awslogs-region and
// awslogs-stream-prefix.
type Logs struct {
	Group, Region, StreamPrefix string
}

func (l Logs) isZero() bool { return l == Logs{} }
