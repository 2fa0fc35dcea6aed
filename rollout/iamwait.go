package rollout

import (
	"context"
	"errors"
	"strings"
	"time"
)

// iamWaiter retries calls that hand a role to ECS while IAM propagates a
// role launch just created or changed. IAM is eventually consistent with no
// documented bound; like Terraform's AWS provider, launch retries the known
// transient errors for about two minutes, with backoff, and says so.
type iamWaiter struct {
	enabled bool
	limit   time.Duration
	out     Reporter
	sleep   func(context.Context, time.Duration) error // tests shorten it
}

// propagationErrors are fragments of the errors ECS returns while a new or
// changed role is not yet visible to it.
var propagationErrors = []string{
	"unable to assume the service linked role",
	"unable to assume role",
	"ecs was unable to assume the role",
	"role is not valid",
	"invalid principal",
	"not authorized to perform: sts:assumerole",
	"does not have a trust relationship",
}

// IsIAMPropagation reports whether err looks like IAM's eventual consistency.
func IsIAMPropagation(err error) bool {
	if err == nil {
		return false
	}
	msg := strings.ToLower(err.Error())
	for _, frag := range propagationErrors {
		if strings.Contains(msg, frag) {
			return true
		}
	}
	return false
}

func (w iamWaiter) do(ctx context.Context, what string, call func() error) error {
	err := call()
	if !w.enabled || !IsIAMPropagation(err) {
		return err
	}
	limit := w.limit
	if limit <= 0 {
		limit = 2 * time.Minute
	}
	sleep := w.sleep
	if sleep == nil {
		sleep = sleepCtx
	}
	deadline := time.Now().Add(limit)
	delay := 2 * time.Second
	for attempt := 2; IsIAMPropagation(err) && time.Now().Before(deadline); attempt++ {
		w.out.Printf("waiting for IAM to propagate the role changes before %s (attempt %d): %v", what, attempt, err)
		if serr := sleep(ctx, min(delay, time.Until(deadline))); serr != nil {
			return errors.Join(serr, err) // interrupted: exit 130, with the IAM error for context
		}
		delay = min(delay*2, 15*time.Second)
		err = call()
	}
	return err
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
