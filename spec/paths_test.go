package spec

import "testing"

// parent walks a path up one element at a time, as isBad and at do to find
// an ancestor that could not be read or was written; a quoted map key is
// one element whatever it holds.
func TestParent(t *testing.T) {
	for _, tc := range []struct{ path, want string }{
		{"agents[1].network.subnets", "agents[1].network"},
		{"agents[1].network", "agents[1]"},
		{"agents[1]", "agents"},
		{"agents", ""},
		{"", ""},
		{"rollout.waves[10]", "rollout.waves"},
		{joinKey("tags", "app.example.com/team"), "tags"},
		{joinKey("agents[0].environment", `say "a.b[c]"`), "agents[0].environment"},
		{joinKey(joinKey("x", `q"["`), "y"), joinKey("x", `q"["`)},
	} {
		if got := parent(tc.path); got != tc.want {
			t.Errorf("parent(%s) = %q, want %q", tc.path, got, tc.want)
		}
	}
}
