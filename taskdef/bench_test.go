package taskdef_test

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/launchdeploy/launch/taskdef"
)

// BenchmarkCanonical measures the per-agent comparison cost on a definition
// with ten containers, each with environment, secrets, ports, mounts, a
// health check, ulimits, labels and logs.
func BenchmarkCanonical(b *testing.B) {
	d := desiredFromBase(b)
	agent := d.ContainerDefinitions[0]
	d.ContainerDefinitions = d.ContainerDefinitions[:0]
	for i := range 10 {
		c := taskdef.CloneInput(&ecs.RegisterTaskDefinitionInput{ContainerDefinitions: []types.ContainerDefinition{agent}}).ContainerDefinitions[0]
		c.Name = aws.String(fmt.Sprintf("container-%02d", 9-i))
		d.ContainerDefinitions = append(d.ContainerDefinitions, c)
	}
	b.ReportAllocs()
	for b.Loop() {
		taskdef.Canonical(d)
	}
}
