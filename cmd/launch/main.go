// Command launch rolls an agent container out onto AWS ECS Fargate from one
// YAML file: IAM roles, secret grants, task definition, service, and a wait
// that tells a completed deployment from a rolled-back one.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/launchdeploy/launch/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second Ctrl-C kills the process at once
	}()
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
