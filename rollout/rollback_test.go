package rollout

import (
	"context"
	"testing"
)

// A service's task definition that is no ARN (never from ECS) is refused
// before any call: every client is nil.
func TestRollbackToARevisionOfSomethingNotAnARN(t *testing.T) {
	_, err := activeRevision(context.Background(), Clients{}, "agent-a", 1)
	if err == nil || err.Error() != "agent-a is not a task definition ARN" {
		t.Errorf("err = %v", err)
	}
}
