package service_test

import (
	"testing"

	"github.com/launchdeploy/launch/service"
)

func TestClientToken(t *testing.T) {
	a := service.ClientToken("run-1", "prod", "agent")
	if len(a) > 36 || len(a) == 0 {
		t.Fatalf("token %q: ECS takes 1 to 36 characters", a)
	}
	for _, c := range a {
		if c < 33 || c > 126 {
			t.Fatalf("token %q has %q, outside ASCII 33-126", a, c)
		}
	}
	if service.ClientToken("run-1", "prod", "agent") != a {
		t.Error("a retry within the run must reuse the token")
	}
	for _, other := range [][3]string{{"run-2", "prod", "agent"}, {"run-1", "staging", "agent"}, {"run-1", "prod", "agent-2"}, {"run-1prod", "", "agent"}} {
		if service.ClientToken(other[0], other[1], other[2]) == a {
			t.Errorf("ClientToken%v equals ClientToken(run-1, prod, agent)", other)
		}
	}
}
