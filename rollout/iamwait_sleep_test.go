package rollout

import (
	"context"
	"errors"
	"testing"
	"time"
)

// Without a test's sleep the waiter really waits, within its limit: a
// propagation error that lasts past the limit is returned after one retry.
func TestIAMWaiterSleepsWithinItsLimit(t *testing.T) {
	var out lines
	w := iamWaiter{enabled: true, limit: 30 * time.Millisecond, out: &out}
	calls := 0
	start := time.Now()
	err := w.do(context.Background(), "create service x", func() error { calls++; return errors.New("unable to assume role") })
	if d := time.Since(start); err == nil || calls != 2 || d < 25*time.Millisecond || d > 5*time.Second {
		t.Errorf("err %v after %d calls in %s; want the error after 2 calls and about 30ms", err, calls, d)
	}
	want := "waiting for IAM to propagate the role changes before create service x (attempt 2): unable to assume role"
	if len(out) != 1 || out[0] != want {
		t.Errorf("progress %q, want %q", out, want)
	}
}

// Ctrl-C during the default wait (2 minutes) ends it at once, with the
// cancellation and the IAM error.
func TestIAMWaiterDefaultWaitIsInterruptible(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	w := iamWaiter{enabled: true, out: &lines{}}
	start := time.Now()
	err := w.do(ctx, "x", func() error { return errors.New("Invalid principal in policy") })
	if !errors.Is(err, context.Canceled) || err.Error() != "context canceled\nInvalid principal in policy" || time.Since(start) > 5*time.Second {
		t.Errorf("err %q after %s, want the cancellation and the IAM error at once", err, time.Since(start))
	}
}
