package taskdef_test

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/google/go-cmp/cmp"

	"github.com/launchdeploy/launch/taskdef"
)

// allExported lets cmp look into the SDK shapes, whose only unexported field
// is the empty document.NoSerde marker.
var allExported = cmp.Exporter(func(reflect.Type) bool { return true })

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// bareFixture returns the fixture's taskDefinition object on its own, the
// other shape DecodeBase accepts, with the tags moved inside it.
func bareFixture(t testing.TB) []byte {
	t.Helper()
	var wrapped struct {
		TaskDefinition map[string]any `json:"taskDefinition"`
		Tags           any            `json:"tags"`
	}
	if err := json.Unmarshal(readFixture(t, "describe-two-containers.json"), &wrapped); err != nil {
		t.Fatal(err)
	}
	wrapped.TaskDefinition["tags"] = wrapped.Tags
	b, err := json.Marshal(wrapped.TaskDefinition)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeFixture(t testing.TB) *ecs.RegisterTaskDefinitionInput {
	t.Helper()
	base, err := taskdef.DecodeBase(readFixture(t, "describe-two-containers.json"))
	if err != nil {
		t.Fatal(err)
	}
	return base
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := taskdef.JSON(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
