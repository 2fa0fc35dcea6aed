package tiny

import "testing"

func TestMax(t *testing.T) {
	if Max(1, 2) != 2 || Max(3, 2) != 3 {
		t.Error("Max")
	}
}

func TestSign(t *testing.T) {
	if Sign(-1) != "negative" || Sign(1) != "not negative" {
		t.Error("Sign")
	}
}

func TestGreet(t *testing.T) {
	if got := Greet("you"); got != "hello, you" {
		t.Errorf("Greet = %q", got)
	}
}

// The limit itself is not tried: 10 → 11 goes unnoticed.
func TestClamp(t *testing.T) {
	if Clamp(20) != 10 || Clamp(3) != 3 {
		t.Error("Clamp")
	}
}
