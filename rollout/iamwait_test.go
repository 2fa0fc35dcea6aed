package rollout

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

type lines []string

func (l *lines) Printf(f string, a ...any) { *l = append(*l, fmt.Sprintf(f, a...)) }
func (l *lines) Warnf(f string, a ...any)  { l.Printf(f, a...) }
func (l *lines) Status(string)             {}
func (l *lines) Done()                     {}

func TestIAMWaiterRetriesPropagationErrors(t *testing.T) {
	var out lines
	w := iamWaiter{enabled: true, limit: time.Minute, out: &out, sleep: func(context.Context, time.Duration) error { return nil }}
	calls := 0
	err := w.do(context.Background(), "create service x", func() error {
		calls++
		if calls < 3 {
			return errors.New("InvalidParameterException: Unable to assume role and validate the specified targetGroupArn")
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("err %v after %d calls, want success on the 3rd", err, calls)
	}
	if len(out) != 2 || !strings.Contains(out[0], "waiting for IAM") {
		t.Errorf("progress lines: %q", out)
	}
}

func TestIAMWaiterLeavesOtherErrorsAlone(t *testing.T) {
	var out lines
	w := iamWaiter{enabled: true, limit: time.Minute, out: &out, sleep: func(context.Context, time.Duration) error { return nil }}
	calls := 0
	err := w.do(context.Background(), "x", func() error { calls++; return errors.New("ClientException: Invalid 'cpu' setting") })
	if err == nil || calls != 1 {
		t.Errorf("a non-IAM error was retried: %d calls", calls)
	}
}

func TestIAMWaiterOnlyAfterIAMChanged(t *testing.T) {
	w := iamWaiter{enabled: false}
	calls := 0
	err := w.do(context.Background(), "x", func() error { calls++; return errors.New("unable to assume role") })
	if err == nil || err.Error() != "unable to assume role" || calls != 1 {
		t.Errorf("no role changed: %d call(s), err %v; want one call and its error returned", calls, err)
	}
}

func TestIAMWaiterIsBounded(t *testing.T) {
	var out lines
	slept := time.Duration(0)
	w := iamWaiter{enabled: true, limit: 50 * time.Millisecond, out: &out,
		sleep: func(_ context.Context, d time.Duration) error {
			slept += d
			time.Sleep(10 * time.Millisecond)
			return nil
		}}
	err := w.do(context.Background(), "x", func() error { return errors.New("Unable to assume the service linked role") })
	if err == nil {
		t.Fatal("want the last error after the bound")
	}
	if len(out) == 0 || len(out) > 10 {
		t.Errorf("%d retries within a 50ms bound", len(out))
	}
}

func TestIAMWaiterInterruptedKeepsTheCancellation(t *testing.T) {
	var out lines
	w := iamWaiter{enabled: true, limit: time.Minute, out: &out, sleep: func(context.Context, time.Duration) error { return context.Canceled }}
	err := w.do(context.Background(), "x", func() error { return errors.New("Unable to assume role") })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Ctrl-C while waiting for IAM: %v does not carry context.Canceled (exit 130)", err)
	}
}

// The errors ECS returns while a new or changed role is not yet visible
// to it are recognised whatever their case or wrapping; other errors,
// even about permissions, are not.
func TestIsIAMPropagationKnowsECSMessages(t *testing.T) {
	tests := map[string]bool{
		"InvalidParameterException: ECS was unable to assume the role 'arn:aws:iam::123456789012:role/exec' that was provided for this task. Please verify that the role being passed has the proper trust relationship and permissions": true,
		"InvalidParameterException: Unable to assume the service linked role. Please verify that the ECS service linked role exists.":                                                                                                    true,
		"InvalidParameterException: Unable to assume role and validate the specified targetGroupArn":                                                                                                                                     true,
		"ClientException: Role is not valid":                   true,
		"MalformedPolicyDocument: Invalid principal in policy": true,
		"AccessDenied: User: arn:aws:sts::123456789012:assumed-role/x is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/exec": true,
		"ClientException: the role arn:aws:iam::123456789012:role/exec does not have a trust relationship with ecs-tasks.amazonaws.com":                              true,
		"AccessDeniedException: User: arn:aws:iam::123456789012:user/ci is not authorized to perform: ecs:CreateService":                                             false,
		"ClusterNotFoundException: Cluster not found.": false,
	}
	for msg, want := range tests {
		if got := IsIAMPropagation(fmt.Errorf("create service a: %w", errors.New(msg))); got != want {
			t.Errorf("IsIAMPropagation(%q) = %t, want %t", msg, got, want)
		}
	}
	if IsIAMPropagation(nil) {
		t.Error("IsIAMPropagation(nil) = true")
	}
}

// The waits double from 2 seconds and stop growing at 15: IAM usually
// settles within seconds, and a slow propagation is polled every 15.
func TestIAMWaiterBacksOffTo15Seconds(t *testing.T) {
	var slept []time.Duration
	w := iamWaiter{enabled: true, limit: 10 * time.Minute, out: &lines{},
		sleep: func(_ context.Context, d time.Duration) error {
			slept = append(slept, d.Round(time.Second))
			return nil
		}}
	calls := 0
	err := w.do(context.Background(), "x", func() error {
		if calls++; calls <= 6 {
			return errors.New("Unable to assume the service linked role")
		}
		return nil
	})
	want := []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 15 * time.Second, 15 * time.Second, 15 * time.Second}
	if err != nil || !slices.Equal(slept, want) {
		t.Errorf("err %v, waits %v; want nil after waits of %v", err, slept, want)
	}
}
