package rollout

import "testing"

// Progress lines and reports name a task definition as family:revision,
// and rollback orders revisions by their number.
func TestShortARNAndRevision(t *testing.T) {
	tests := []struct {
		arn, short string
		rev        int
	}{
		{"arn:aws:ecs:eu-west-1:123456789012:task-definition/streaming-agent:12", "streaming-agent:12", 12},
		{"streaming-agent:3", "streaming-agent:3", 3},
		{"streaming-agent", "streaming-agent", 0},
		// No number after the colon: no revision, not a guess.
		{"streaming-agent:latest", "streaming-agent:latest", 0},
		{"arn:aws:ecs:eu-west-1:123456789012:task-definition/streaming-agent:", "streaming-agent:", 0},
	}
	for _, tc := range tests {
		if got := shortARN(tc.arn); got != tc.short {
			t.Errorf("shortARN(%s) = %q, want %q", tc.arn, got, tc.short)
		}
		if got := revision(tc.arn); got != tc.rev {
			t.Errorf("revision(%s) = %d, want %d", tc.arn, got, tc.rev)
		}
	}
}
