package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/launchdeploy/launch/internal/awsconf"
	"github.com/launchdeploy/launch/internal/term"
	"github.com/launchdeploy/launch/rollout"
)

// statusCmd shows, per agent, what runs against what the spec gives.
func (a *app) statusCmd() *cobra.Command {
	var (
		opts     awsconf.Options
		output   *choice
		detailed bool
	)
	cmd := fileCommand("status FILE", "Show what each agent runs, its health, last events and drift; writes nothing",
		`Reads AWS as plan does and prints, per agent: the revision its service runs
and the one the spec gives (drift: whatever deploy would change), its
deployment's rollout state, running/desired tasks and their health, and the
last service events. It makes no write call.

With --detailed-exitcode: 0 when AWS matches the spec and every agent is
fine, 2 when there is drift or a problem, 1 on error.`,
		func(_ *cobra.Command, path string) error {
			sp, err := loadSpec(path)
			if err != nil {
				return err
			}
			clients, _, err := connect(a.ctx, opts, sp, term.New(a.stderr))
			if err != nil {
				return err
			}
			st, err := rollout.Status(a.ctx, clients, sp)
			if err != nil {
				return err
			}
			if output.value == "json" {
				err = writeJSON(a.stdout, st)
			} else {
				fmt.Fprint(a.stdout, st.Text())
			}
			if err == nil && detailed && (st.Drift || anyProblem(st)) {
				return codeError{code: 2}
			}
			return err
		})
	output = outputFlag(cmd, "the status as JSON")
	cmd.Flags().BoolVar(&detailed, "detailed-exitcode", false, "exit 2 when there is drift or a problem, 0 when none, 1 on error")
	awsFlags(cmd, &opts)
	return cmd
}

func anyProblem(st rollout.StatusReport) bool {
	for _, ag := range st.Agents {
		if len(ag.Problems) > 0 {
			return true
		}
	}
	return false
}

// logsCmd prints an agent's log lines from CloudWatch Logs.
func (a *app) logsCmd() *cobra.Command {
	var (
		opts   awsconf.Options
		output *choice
		since  = time.Hour
		limit  int
	)
	cmd := &cobra.Command{
		Use:   "logs FILE AGENT",
		Short: "Print an agent's log lines from CloudWatch Logs",
		Long: `Prints the log lines the agent's containers wrote to CloudWatch Logs (its
awslogs group and stream prefix, from the revision its service runs), oldest
first: the last --since (default 1h), at most --limit lines (0: all).`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usageError{fmt.Sprintf("expected a spec file and an agent name, got %d arguments\nRun '%s --help' for usage.", len(args), cmd.CommandPath())}
			}
			return nil
		},
		RunE: func(_ *cobra.Command, args []string) error {
			sp, err := loadSpec(args[0])
			if err != nil {
				return err
			}
			out := term.New(a.stderr)
			clients, _, err := connect(a.ctx, opts, sp, out)
			if err != nil {
				return err
			}
			rep, err := rollout.Logs(a.ctx, clients, sp, args[1], since, limit)
			var unknown *rollout.UnknownAgentError
			if errors.As(err, &unknown) {
				return usageError{unknown.Error()}
			}
			if err != nil {
				return err
			}
			if output.value == "json" {
				return writeJSON(a.stdout, rep)
			}
			out.Printf("%s", rep.Summary())
			fmt.Fprint(a.stdout, rep.Text())
			return nil
		},
	}
	output = outputFlag(cmd, "the lines as JSON")
	cmd.Flags().DurationVar(&since, "since", since, "how far back to read")
	cmd.Flags().IntVar(&limit, "limit", 200, "print at most the newest N lines (0: all)")
	awsFlags(cmd, &opts)
	return cmd
}
