package taskdef

import (
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/google/go-cmp/cmp"
)

// clone's copy is equal to the original in everything, times included
// (time.Time keeps its state in unexported fields), and shares no pointer,
// slice or map with it.
func TestCloneIsADeepCopy(t *testing.T) {
	registered := time.Date(2026, 11, 29, 10, 4, 5, 6, time.FixedZone("CET", 3600))
	in := types.TaskDefinition{
		Family:       aws.String("agent"),
		RegisteredAt: &registered,
		ContainerDefinitions: []types.ContainerDefinition{{
			Name:         aws.String("agent"),
			Environment:  []types.KeyValuePair{{Name: aws.String("A"), Value: aws.String("1")}},
			DockerLabels: map[string]string{"team": "streaming"},
		}},
	}
	out := clone(in)
	if d := cmp.Diff(in, out, cmp.Exporter(func(reflect.Type) bool { return true })); d != "" {
		t.Fatalf("clone differs (-in +out):\n%s", d)
	}
	if !out.RegisteredAt.Equal(registered) || out.RegisteredAt.Location() != registered.Location() {
		t.Errorf("RegisteredAt = %v, want %v", out.RegisteredAt, registered)
	}
	*out.Family = "changed"
	*out.RegisteredAt = time.Time{}
	out.ContainerDefinitions[0].Environment[0].Value = aws.String("2")
	out.ContainerDefinitions[0].DockerLabels["team"] = "other"
	if *in.Family != "agent" || in.RegisteredAt.IsZero() || *in.ContainerDefinitions[0].Environment[0].Value != "1" || in.ContainerDefinitions[0].DockerLabels["team"] != "streaming" {
		t.Errorf("changing the copy changed the original: %+v", in)
	}
}
