// Command launch rolls an agent container out onto AWS ECS Fargate from one
// YAML file: IAM roles, secret grants, task definition, service, and a wait
// that tells a completed deployment from a rolled-back one.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/launchdeploy/launch/internal/cli"
)

// grace is how long the first SIGINT or SIGTERM leaves the run to stop by
// itself (report what it did and exit 130) before launch exits anyway, as
// it does at once on a second signal: a run blocked where the context
// does not reach (reading a terminal, opening a pipe) still ends promptly.
const grace = 800 * time.Millisecond

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-signals
		cancel()
		select {
		case <-signals:
		case <-time.After(grace):
		}
		fmt.Fprintln(os.Stderr, "interrupted: launch stopped at once; what it changed so far stays in place")
		os.Exit(cli.ExitInterrupted)
	}()
	os.Exit(cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}
