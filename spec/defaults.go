package spec

import "time"

// Built-in defaults. They are set on fresh values before the YAML is decoded
// over them, so a key the YAML leaves out keeps its default and a key it
// sets, even to zero or false, wins.

// DefaultExecutionPolicy is the managed policy the execution role gets when
// executionRole.managedPolicies is absent.
const DefaultExecutionPolicy = "service-role/AmazonECSTaskExecutionRolePolicy"

func newSpec() *Spec {
	return &Spec{
		TaskRole: TaskRole{ConfusedDeputyProtection: true},
		ExecutionRole: ExecutionRole{
			// A fresh slice each time: an explicit [] in YAML replaces it.
			ManagedPolicies: []string{DefaultExecutionPolicy},
		},
		Cluster: Cluster{Create: false},
		Rollout: Rollout{OnFailure: OnFailureStop},
	}
}

// newAgent returns an agent holding the built-in defaults. Logs.Group and
// Container depend on the agent's name and are filled after decoding.
func newAgent() Agent {
	return Agent{
		CPU:      1024,
		Memory:   4096,
		Platform: Platform{OS: "LINUX", Architecture: "X86_64"},
		Logs:     Logs{RetentionDays: 30, StreamPrefix: "ecs"},
		Network:  Network{AssignPublicIP: false},
		Service: Service{
			DesiredCount:          1,
			MinimumHealthyPercent: 0,
			MaximumPercent:        100,
			CircuitBreaker:        CircuitBreaker{Enable: true, Rollback: true},
		},
		WaitTimeout: Duration{15 * time.Minute},
	}
}
