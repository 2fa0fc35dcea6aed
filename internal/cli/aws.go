package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	xterm "golang.org/x/term"

	"github.com/launchdeploy/launch/internal/awsconf"
	"github.com/launchdeploy/launch/internal/term"
	"github.com/launchdeploy/launch/permissions"
	"github.com/launchdeploy/launch/rollout"
	"github.com/launchdeploy/launch/service"
	"github.com/launchdeploy/launch/spec"
)

// awsFlags adds the flags that override the SDK's default chain.
func awsFlags(cmd *cobra.Command, opts *awsconf.Options) {
	f := cmd.Flags()
	f.StringVar(&opts.Region, "region", "", "AWS region (default: the spec's region, then the SDK's chain)")
	f.StringVar(&opts.Profile, "profile", "", "shared config profile")
	f.StringVar(&opts.EndpointURL, "endpoint-url", "", "AWS endpoint (default: $AWS_ENDPOINT_URL), e.g. an emulator")
}

// connect loads the AWS config (the spec's region unless --region) and the
// clients, and returns the counter that sees every call.
func connect(ctx context.Context, opts awsconf.Options, sp *spec.Spec, out *term.Printer) (rollout.Clients, *awsconf.Counter, error) {
	if opts.Region == "" {
		opts.Region = sp.Region
	}
	cfg, counter, err := awsconf.Load(ctx, opts)
	if err != nil {
		return rollout.Clients{}, nil, err
	}
	if ep := awsconf.EndpointFromEnv(opts); ep != "" {
		out.Printf("using AWS endpoint %s", ep)
	}
	return rollout.NewClients(cfg), counter, nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// actions writes the job summary and step outputs under GitHub Actions.
func (a *app) actions(summary string, outputs map[string]string) {
	err := a.gh.AppendSummary(summary)
	if err == nil {
		err = a.gh.SetOutputs(outputs)
	}
	if err != nil {
		fmt.Fprintf(a.stderr, "error: %v\n", err)
	}
}

// rolloutFunc is a command that changes AWS and follows deployments:
// deploy and rollback.
type rolloutFunc func(ctx context.Context, c rollout.Clients, sp *spec.Spec, opts rollout.Options, out rollout.Reporter, rep *rollout.Report) error

func (a *app) deployCmd() *cobra.Command {
	var ifInProgress *choice
	cmd := a.rolloutCmd("deploy FILE", "Make AWS match FILE and follow the deployment",
		`Makes AWS match FILE: the task role and execution role (with the secret
grants), each agent's log group and task definition, the cluster and the
services; then follows each deployment until it completed, failed or was
rolled back. Progress goes to stderr; --output json prints a report on stdout.`,
		func(ctx context.Context, c rollout.Clients, sp *spec.Spec, opts rollout.Options, out rollout.Reporter, rep *rollout.Report) error {
			opts.IfInProgress = ifInProgress.value
			return rollout.Deploy(ctx, c, sp, opts, out, rep)
		})
	ifInProgress = choiceFlag(cmd, "if-in-progress", "when a service's deployment started by another run has not finished: wait (follow it, then plan again) or fail (stop before any write, exit 5)",
		rollout.InProgressWait, rollout.InProgressFail)
	return cmd
}

func (a *app) rollbackCmd() *cobra.Command {
	var ro rollout.RollbackOptions
	cmd := a.rolloutCmd("rollback FILE", "Point services back at their previous revision and follow",
		`Points each agent's service (or only --agent's) back at the newest ACTIVE
task definition revision older than the one it runs (or at --to), in one
UpdateService, then follows the deployment exactly as deploy does, with the
same exit codes. A rerun after an earlier rollback follows that rollback
instead of going back another revision; use --to to go further back.`,
		func(ctx context.Context, c rollout.Clients, sp *spec.Spec, opts rollout.Options, out rollout.Reporter, rep *rollout.Report) error {
			if ro.Agent != "" && !hasAgent(sp, ro.Agent) {
				return usageError{fmt.Sprintf("no agent named %q in %s", ro.Agent, sp.Path)}
			}
			if ro.ToRevision < 0 {
				return usageError{"--to takes a revision number, such as --to 7"}
			}
			return rollout.Rollback(ctx, c, sp, ro, opts, out, rep)
		})
	cmd.Flags().StringVar(&ro.Agent, "agent", "", "roll back only this agent's service")
	cmd.Flags().IntVar(&ro.ToRevision, "to", 0, "roll back to this task definition revision (default: the one before the revision the service runs)")
	return cmd
}

func hasAgent(sp *spec.Spec, name string) bool {
	for _, a := range sp.Agents {
		if a.Name == name {
			return true
		}
	}
	return false
}

// rolloutCmd is deploy or rollback: the flags they share, then do, then the
// summary and the JSON report whatever happened.
func (a *app) rolloutCmd(use, short, long string, do rolloutFunc) *cobra.Command {
	var (
		opts          awsconf.Options
		output        *choice
		noWait        bool
		timeout, poll time.Duration
	)
	cmd := fileCommand(use, short, long, func(_ *cobra.Command, path string) error {
		out := term.New(a.stderr)
		rep := rollout.NewReport(path)
		rep.Command = strings.Fields(use)[0]
		var counter *awsconf.Counter
		runErr := func() error {
			sp, err := loadSpec(path)
			if err != nil {
				return err
			}
			clients, c, err := connect(a.ctx, opts, sp, out)
			if err != nil {
				return err
			}
			counter = c
			return do(a.ctx, clients, sp, rollout.Options{NoWait: noWait, WaitTimeout: timeout, PollMin: poll}, out, rep)
		}()
		code := exitCode(runErr)
		calls := awsconf.Calls{Reads: map[string]int{}, Writes: map[string]int{}}
		if counter != nil {
			calls = counter.Snapshot()
		}
		rep.Finish(resultWord(code), runErr, calls)
		if code == ExitInterrupted {
			fmt.Fprintln(a.stderr, "interrupted: what was created or updated so far stays in place; rerun the same command to converge and to follow the deployment")
		}
		if code != ExitUsage {
			rep.Summary(a.stderr)
		}
		a.actions(rep.Markdown(), rep.Outputs())
		if output.value == "json" {
			if err := writeJSON(a.stdout, rep); err != nil {
				return codeError{ExitFailed, errors.Join(runErr, fmt.Errorf("write the JSON report: %w", err))}
			}
		}
		return runErr
	})
	f := cmd.Flags()
	output = outputFlag(cmd, "a JSON report")
	f.BoolVar(&noWait, "no-wait", false, "return once the services are created or updated")
	f.DurationVar(&timeout, "timeout", 0, "wait at most this long for each deployment (default: each agent's waitTimeout)")
	f.DurationVar(&poll, "poll-interval", service.DefaultMinInterval, "first poll interval while waiting; it grows to 2s")
	awsFlags(cmd, &opts)
	return cmd
}

func resultWord(code int) string {
	switch code {
	case ExitOK:
		return "succeeded"
	case ExitUsage:
		return "invalid"
	case ExitRollout:
		return "rollout failed"
	case ExitTimeout:
		return "timed out"
	case ExitInProgress:
		return "another deployment in progress"
	case ExitInterrupted:
		return "interrupted"
	default:
		return "failed"
	}
}

func (a *app) planCmd() *cobra.Command {
	var (
		opts     awsconf.Options
		output   *choice
		detailed bool
	)
	cmd := fileCommand("plan FILE", "Show what deploy would change, with diffs; writes nothing",
		`Reads AWS exactly as deploy does and prints, per resource, create / update /
no change with unified diffs (trust and inline policies, the task definition
as JSON, the service's fields). It makes no write call.

With --detailed-exitcode: 0 no changes, 2 changes pending, 1 error (an
invalid spec included). Without it: 0 on success, 1 on error, 2 invalid spec.`,
		func(_ *cobra.Command, path string) error {
			view, err := a.plan(path, opts)
			var pfErr *rollout.PreflightError
			planned := err == nil || errors.As(err, &pfErr) // a plan that failed preflight is still shown
			summary, outputs := "", map[string]string{}
			if planned {
				if output.value == "json" {
					if encErr := writeJSON(a.stdout, view); encErr != nil && err == nil {
						err = encErr
					}
				} else {
					fmt.Fprint(a.stdout, view.Text())
				}
				summary = view.Markdown()
				outputs["changes"] = fmt.Sprint(view.Changes)
			}
			a.actions(summary, outputs)
			switch {
			case err != nil && detailed:
				return codeError{ExitFailed, err}
			case err != nil:
				return err
			case detailed && view.Changes:
				return codeError{code: 2}
			}
			return nil
		})
	output = outputFlag(cmd, "the plan as JSON")
	cmd.Flags().BoolVar(&detailed, "detailed-exitcode", false, "exit 2 when there are changes, 0 when none, 1 on error")
	awsFlags(cmd, &opts)
	return cmd
}

func (a *app) plan(path string, opts awsconf.Options) (rollout.PlanView, error) {
	sp, err := loadSpec(path)
	if err != nil {
		return rollout.PlanView{}, err
	}
	out := term.New(a.stderr)
	clients, counter, err := connect(a.ctx, opts, sp, out)
	if err != nil {
		return rollout.PlanView{}, err
	}
	p, err := rollout.MakePlan(a.ctx, clients, sp)
	if err != nil {
		return rollout.PlanView{}, err
	}
	pf := p.Preflight(a.ctx, clients, nil)
	if pf.Err != nil {
		return rollout.PlanView{}, pf.Err
	}
	view := p.View()
	view.Preflight = &pf
	if pf.Failed() {
		// The plan is still worth reading, but it cannot be applied.
		return view, &rollout.PreflightError{Result: pf}
	}
	calls := counter.Snapshot()
	if calls.TotalWrites() != 0 { // a bug, never a user error: plan must not write
		return rollout.PlanView{}, fmt.Errorf("internal error: plan made write calls %v", calls.Writes)
	}
	out.Printf("plan made %d read calls and no write", calls.TotalReads())
	return view, nil
}

func (a *app) destroyCmd() *cobra.Command {
	var (
		opts           awsconf.Options
		output         *choice
		withRoles, yes bool
	)
	cmd := fileCommand("destroy FILE", "Delete what launch created for FILE (by its ownership tag)",
		`Deletes what launch created for one deployment instance of FILE (the
caller's account, the region of the run, the spec's cluster), and nothing
another instance still uses: each agent's service in the cluster (scaled to
0 first), the revisions this instance registered that no other service of
the region runs, and the cluster when launch created it and it is empty.
With --roles also the instance's log groups, its record tag and secrets
grant on each role, and a role launch created once no other instance uses
it. Each resource is reported as deleted, kept (still used elsewhere, with
the user), skipped (not this instance's) or absent.
Not on a terminal, --yes is required.`,
		func(_ *cobra.Command, path string) error {
			// destroy reads the spec only for names: a base task definition that no
			// longer passes the offline checks must not stop its removal.
			sp, err := spec.Load(path, os.LookupEnv)
			if err != nil {
				return err
			}
			if !yes {
				if !xterm.IsTerminal(int(os.Stdin.Fd())) {
					return usageError{"destroy deletes AWS resources: pass --yes when not running on a terminal"}
				}
				fmt.Fprintf(a.stderr, "Delete the services, task definitions%s launch created for %s in cluster %s? Type yes: ",
					map[bool]string{true: ", roles and log groups", false: ""}[withRoles], path, sp.Cluster.Name)
				if a.log != nil {
					a.log.Flush() // the question has no newline
				}
				answer, _ := bufio.NewReader(os.Stdin).ReadString('\n')
				if strings.TrimSpace(answer) != "yes" {
					return usageError{"destroy cancelled: nothing was changed"}
				}
			}
			if opts.Region == "" {
				opts.Region = sp.Region
			}
			cfg, _, err := awsconf.Load(a.ctx, opts)
			if err != nil {
				return err
			}
			items, err := rollout.Destroy(a.ctx, rollout.NewDestroyClients(cfg), sp, withRoles, term.New(a.stderr))
			if output.value == "json" {
				if encErr := writeJSON(a.stdout, items); encErr != nil && err == nil {
					err = encErr
				}
			}
			return err
		})
	f := cmd.Flags()
	f.BoolVar(&withRoles, "roles", false, "also delete the instance's log groups and its share of the roles (a role goes with its last instance)")
	f.BoolVar(&yes, "yes", false, "do not ask for confirmation (required when not on a terminal)")
	output = outputFlag(cmd, "the list of deleted and skipped resources")
	awsFlags(cmd, &opts)
	return cmd
}

func (a *app) policyCmd() *cobra.Command {
	var opts awsconf.Options
	var account, partition string
	cmd := fileCommand("policy FILE", "Print the least-privilege IAM policy the deploying identity needs",
		`Prints the least-privilege IAM policy the deploying identity (your pipeline's
role) needs to run launch deploy on FILE. Without --account, launch asks STS
who you are; when that fails, the account in the ARNs is "*" (with a warning).`,
		func(_ *cobra.Command, path string) error {
			sp, err := loadSpec(path)
			if err != nil {
				return err
			}
			in := permissions.Input{Spec: sp, Account: account, Partition: partition, Region: opts.Region}
			if in.Region == "" {
				in.Region = sp.Region
			}
			if in.Account == "" {
				out := term.New(a.stderr)
				clients, _, err := connect(a.ctx, opts, sp, out)
				var id rollout.Identity
				if err == nil {
					id, err = rollout.Identify(a.ctx, clients)
				}
				if err != nil {
					out.Warnf("cannot identify the account (%v); ARNs use \"*\" for it: pass --account", err)
				} else {
					in.Account = id.Account
					if in.Partition == "" {
						in.Partition = id.Partition
					}
					if in.Region == "" {
						in.Region = id.Region
					}
				}
			}
			b, err := permissions.For(in).JSON()
			if err == nil {
				_, err = a.stdout.Write(b)
			}
			return err
		})
	cmd.Flags().StringVar(&account, "account", "", "AWS account ID of the deployment (default: from STS)")
	cmd.Flags().StringVar(&partition, "partition", "", "AWS partition: aws, aws-cn, aws-us-gov (default: from STS, else aws)")
	awsFlags(cmd, &opts)
	jsonOnly(cmd)
	return cmd
}
