// Package cli is launch's command line: it parses arguments, wires the AWS
// clients, runs a command and maps its error to an exit code in one place.
package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
	xterm "golang.org/x/term"

	"github.com/launchdeploy/launch/internal/awsconf"
	"github.com/launchdeploy/launch/internal/ghactions"
	"github.com/launchdeploy/launch/internal/term"
	"github.com/launchdeploy/launch/permissions"
	"github.com/launchdeploy/launch/rollout"
	"github.com/launchdeploy/launch/service"
	"github.com/launchdeploy/launch/spec"
	"github.com/launchdeploy/launch/taskdef"
)

// Exit codes, documented in the README.
const (
	ExitOK          = 0
	ExitFailed      = 1   // a failure while applying (AWS error, missing secret, …)
	ExitUsage       = 2   // bad usage or an invalid spec; nothing was changed
	ExitRollout     = 3   // the deployment failed or was rolled back
	ExitTimeout     = 4   // the deployment did not complete in time
	ExitInProgress  = 5   // another run's deployment is in progress; nothing was changed
	ExitInterrupted = 130 // SIGINT/SIGTERM
)

// Version, Commit and Date are set at build time with
// -ldflags "-X …/internal/cli.Version=v1.2.3 -X …/internal/cli.Commit=… -X …/internal/cli.Date=…"
// (the Makefile and .goreleaser.yaml do). Commit and Date are optional.
var Version, Commit, Date = "", "", ""

// versionLine is what --version prints: "launch v1.2.3", followed by
// " (commit abc123, built 2026-01-02T03:04:05Z)" when those were stamped.
func versionLine() string {
	line := "launch " + version()
	var extra []string
	if Commit != "" {
		extra = append(extra, "commit "+Commit)
	}
	if Date != "" {
		extra = append(extra, "built "+Date)
	}
	if len(extra) > 0 {
		line += " (" + strings.Join(extra, ", ") + ")"
	}
	return line
}

func version() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// usageError is bad usage of the command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

const mainUsage = `launch rolls an agent container out onto AWS ECS Fargate from one YAML file.

Usage:
  launch [deploy] FILE [flags]   make AWS match FILE and follow the deployment
  launch plan FILE [flags]       show what deploy would change, with diffs; writes nothing
  launch rollback FILE [--agent NAME]
                                 point services back at their previous revision and follow
  launch destroy FILE [--roles] [--yes]
                                 delete what launch created for FILE (by its ownership tag)
  launch validate FILE           check FILE offline; no AWS call
  launch render FILE [flags]     print each agent's RegisterTaskDefinition input (offline)
  launch policy FILE             print the least-privilege IAM policy the deploying identity needs
  launch schema                  print the JSON Schema of deploy.yaml (for editors)
  launch --version

Run "launch COMMAND --help" for a command's flags.

Exit codes: 0 success · 1 failure while applying · 2 bad usage or invalid spec ·
3 rollout failed or rolled back · 4 timed out · 5 another run's deployment in progress ·
130 interrupted
`

// Run runs launch with args and returns the exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, mainUsage)
		return ExitUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "-h", "--help", "-help", "help":
		fmt.Fprint(stdout, mainUsage)
		return ExitOK
	case "--version", "-version", "version":
		fmt.Fprintln(stdout, versionLine())
		return ExitOK
	case "policy":
		return exit(stderr, runPolicy(ctx, rest, stdout, stderr))
	case "schema":
		b, err := spec.Schema()
		if err == nil {
			_, err = stdout.Write(b)
		}
		return exit(stderr, err)
	case "validate":
		return exit(stderr, runValidate(rest, stdout, stderr))
	case "render":
		return exit(stderr, runRender(rest, stdout, stderr))
	case "deploy":
		return runDeploy(ctx, rest, stdout, stderr)
	case "plan":
		return runPlan(ctx, rest, stdout, stderr)
	case "rollback":
		return runRollback(ctx, rest, stdout, stderr)
	case "destroy":
		return exit(stderr, runDestroy(ctx, rest, stdout, stderr))
	default:
		if strings.HasPrefix(cmd, "-") || !strings.HasSuffix(cmd, ".yaml") && !strings.HasSuffix(cmd, ".yml") && !fileExists(cmd) {
			return exit(stderr, usageError{fmt.Sprintf("unknown command %q; run launch --help", cmd)})
		}
		return runDeploy(ctx, args, stdout, stderr)
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// exitCode maps an error to launch's exit code. It is the only place that
// knows the mapping.
func exitCode(err error) int {
	var (
		specErr spec.Errors
		usage   usageError
		ie      *service.InterruptedError
		re      *service.RolloutError
		te      *service.TimeoutError
		busy    *rollout.InProgressError
	)
	switch {
	case err == nil, errors.Is(err, errHelp):
		return ExitOK
	case errors.As(err, &usage), errors.As(err, &specErr):
		return ExitUsage
	case errors.As(err, &ie), errors.Is(err, context.Canceled):
		return ExitInterrupted
	case errors.As(err, &re):
		return ExitRollout
	case errors.As(err, &te):
		return ExitTimeout
	case errors.As(err, &busy):
		return ExitInProgress
	default:
		return ExitFailed
	}
}

func exit(stderr io.Writer, err error) int {
	code := exitCode(err)
	switch {
	case err == nil, errors.Is(err, errHelp):
	case code == ExitUsage:
		fmt.Fprintf(stderr, "%v\n", err)
	default:
		fmt.Fprintf(stderr, "error: %v\n", err)
	}
	return code
}

// parse parses flags that may come before or after the positional FILE.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func newFlagSet(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	return fs
}

// specArg checks that exactly one FILE was given.
func specArg(pos []string) (string, error) {
	if len(pos) != 1 {
		return "", usageError{fmt.Sprintf("expected one spec file, got %d arguments; run launch --help", len(pos))}
	}
	return pos[0], nil
}

// errHelp ends a command after its --help was printed: exit 0, no message.
var errHelp = errors.New("help shown")

func flagErr(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return errHelp
	}
	return usageError{err.Error()}
}

// loadArgs parses the flags and the one FILE argument and loads the spec.
func loadArgs(fs *flag.FlagSet, args []string, output *string) (*spec.Spec, error) {
	path, err := parseArgs(fs, args, output)
	if err != nil {
		return nil, err
	}
	return loadSpec(path)
}

// loadSpec loads the spec at path and runs the offline checks on what it
// would register (each agent's final task definition against the ECS and
// Fargate rules), so every command refuses, with exit 2 and before
// connecting to AWS, what AWS would refuse halfway through a deploy.
func loadSpec(path string) (*spec.Spec, error) {
	sp, err := spec.Load(path, os.LookupEnv)
	if err != nil {
		return nil, err
	}
	if err := rollout.CheckOffline(sp); err != nil {
		return nil, err
	}
	return sp, nil
}

// parseArgs parses the flags and the one FILE argument. When output is
// not nil it must be text or json.
func parseArgs(fs *flag.FlagSet, args []string, output *string) (string, error) {
	pos, err := parse(fs, args)
	if err != nil {
		return "", flagErr(err)
	}
	path, err := specArg(pos)
	if err == nil && output != nil {
		err = checkOutput(*output)
	}
	return path, err
}

func runValidate(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("validate", "Usage: launch validate FILE\n\nChecks FILE offline (no AWS call) and prints every problem with file:line.\n", stderr)
	sp, err := loadArgs(fs, args, nil)
	if err != nil {
		return err
	}
	path := sp.Path
	fmt.Fprintf(stdout, "%s is valid: %d agent(s) in cluster %s\n", path, len(sp.Agents), sp.Cluster.Name)
	return nil
}

func runRender(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("render", "Usage: launch render FILE [--agent NAME] [--region R] [--account ID]\n\nPrints, per agent, the RegisterTaskDefinition input as JSON, offline, exactly as deploy sends it:\nroles by name (by ARN with --account), secrets as written.\n", stderr)
	agent := fs.String("agent", "", "render only this agent")
	region := fs.String("region", "", "region for the awslogs configuration (default: the spec's region)")
	account := fs.String("account", "", "AWS account ID: name the roles by the ARNs deploy gives them")
	partition := fs.String("partition", "aws", "AWS partition of --account's role ARNs (aws, aws-cn, aws-us-gov)")
	sp, err := loadArgs(fs, args, nil)
	if err != nil {
		return err
	}
	r := *region
	if r == "" {
		r = os.Getenv("AWS_REGION")
	}
	rendered, err := rollout.RenderIn(sp, rollout.Identity{Region: r, Account: *account, Partition: *partition})
	if err != nil {
		return usageError{err.Error()}
	}
	// One rendering path: taskdef's canonical JSON, the same bytes plan's
	// "desired" diff shows and the document RegisterTaskDefinition gets
	// (no HTML escaping).
	defs := map[string]*ecs.RegisterTaskDefinitionInput{}
	for _, rd := range rendered {
		if *agent == "" || rd.Agent == *agent {
			defs[rd.Agent] = rd.Input
		}
	}
	var b []byte
	switch {
	case len(defs) == 0:
		return usageError{fmt.Sprintf("no agent named %q in %s", *agent, sp.Path)}
	case *agent != "":
		b, err = taskdef.Canonical(defs[*agent])
	default:
		b, err = taskdef.CanonicalByName(defs)
	}
	if err != nil {
		return err
	}
	_, err = stdout.Write(b)
	return err
}

const deployUsage = `Usage: launch [deploy] FILE [flags]

Makes AWS match FILE: the task role and execution role (with the secret
grants), each agent's log group and task definition, the cluster and the
services; then follows each deployment until it completed, failed or was
rolled back. Progress goes to stderr; --output json prints a report on stdout.

Flags:
`

// rolloutFunc is a command that changes AWS and follows deployments:
// deploy and rollback.
type rolloutFunc func(ctx context.Context, c rollout.Clients, sp *spec.Spec, opts rollout.Options, out rollout.Reporter, rep *rollout.Report) error

func runDeploy(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	ifInProgress := rollout.InProgressWait
	return runRollout(ctx, "deploy", deployUsage, args, stdout, stderr,
		func(fs *flag.FlagSet) {
			fs.Func("if-in-progress", "when a service's deployment started by another run has not finished: wait (follow it, then plan again) or fail (stop before any write, exit 5) (default wait)",
				func(v string) error {
					if v != rollout.InProgressWait && v != rollout.InProgressFail {
						return fmt.Errorf("%q is neither wait nor fail", v)
					}
					ifInProgress = v
					return nil
				})
		},
		func(ctx context.Context, c rollout.Clients, sp *spec.Spec, opts rollout.Options, out rollout.Reporter, rep *rollout.Report) error {
			opts.IfInProgress = ifInProgress
			return rollout.Deploy(ctx, c, sp, opts, out, rep)
		})
}

const rollbackUsage = `Usage: launch rollback FILE [--agent NAME] [--to REVISION] [flags]

Points each agent's service (or only --agent's) back at the newest ACTIVE
task definition revision older than the one it runs (or at --to), in one
UpdateService, then follows the deployment exactly as deploy does, with the
same exit codes. A rerun after an earlier rollback follows that rollback
instead of going back another revision; use --to to go further back.

Flags:
`

func runRollback(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var ro rollout.RollbackOptions
	return runRollout(ctx, "rollback", rollbackUsage, args, stdout, stderr,
		func(fs *flag.FlagSet) {
			fs.StringVar(&ro.Agent, "agent", "", "roll back only this agent's service")
			fs.IntVar(&ro.ToRevision, "to", 0, "roll back to this task definition revision (default: the one before the revision the service runs)")
		},
		func(ctx context.Context, c rollout.Clients, sp *spec.Spec, opts rollout.Options, out rollout.Reporter, rep *rollout.Report) error {
			if ro.Agent != "" && !hasAgent(sp, ro.Agent) {
				return usageError{fmt.Sprintf("no agent named %q in %s", ro.Agent, sp.Path)}
			}
			if ro.ToRevision < 0 {
				return usageError{"--to takes a revision number, such as --to 7"}
			}
			return rollout.Rollback(ctx, c, sp, ro, opts, out, rep)
		})
}

func hasAgent(sp *spec.Spec, name string) bool {
	for _, a := range sp.Agents {
		if a.Name == name {
			return true
		}
	}
	return false
}

// runRollout parses the flags deploy and rollback share, runs do, and
// prints the summary and the JSON report whatever happened.
func runRollout(ctx context.Context, name, usage string, args []string, stdout, stderr io.Writer, extraFlags func(*flag.FlagSet), do rolloutFunc) int {
	fs := newFlagSet(name, usage, stderr)
	var (
		opts    awsconf.Options
		output  = outputFlag(fs, "a JSON report")
		noWait  = fs.Bool("no-wait", false, "return once the services are created or updated")
		timeout = fs.Duration("timeout", 0, "wait at most this long for each deployment (default: each agent's waitTimeout)")
		poll    = fs.Duration("poll-interval", service.DefaultMinInterval, "first poll interval while waiting; it grows to 2s")
	)
	awsFlags(fs, &opts)
	if extraFlags != nil {
		extraFlags(fs)
	}
	path, err := parseArgs(fs, args, output)
	if err != nil {
		return exit(stderr, err)
	}

	out := term.New(stderr)
	rep := rollout.NewReport(path)
	var counter *awsconf.Counter
	runErr := func() error {
		sp, err := loadSpec(path)
		if err != nil {
			return err
		}
		clients, c, err := connect(ctx, opts, sp, out)
		if err != nil {
			return err
		}
		counter = c
		return do(ctx, clients, sp, rollout.Options{NoWait: *noWait, WaitTimeout: *timeout, PollMin: *poll}, out, rep)
	}()
	code := exitCode(runErr)
	calls := awsconf.Calls{Reads: map[string]int{}, Writes: map[string]int{}}
	if counter != nil {
		calls = counter.Snapshot()
	}
	rep.Finish(resultWord(code), runErr, calls)
	if code == ExitInterrupted {
		fmt.Fprintln(stderr, "interrupted: what was created or updated so far stays in place; rerun the same command to converge and to follow the deployment")
	}
	exit(stderr, runErr)
	if code != ExitUsage {
		rep.Summary(stderr)
	}
	if err := reportToActions(runErr, stderr, rep.Markdown(), rep.Outputs()); err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
	}
	if *output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintf(stderr, "error: write the JSON report: %v\n", err)
			return ExitFailed
		}
	}
	return code
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

// awsFlags adds the flags that override the SDK's default chain.
func awsFlags(fs *flag.FlagSet, opts *awsconf.Options) {
	fs.StringVar(&opts.Region, "region", "", "AWS region (default: the spec's region, then the SDK's chain)")
	fs.StringVar(&opts.Profile, "profile", "", "shared config profile")
	fs.StringVar(&opts.EndpointURL, "endpoint-url", "", "AWS endpoint (default: $AWS_ENDPOINT_URL), e.g. an emulator")
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

const planUsage = `Usage: launch plan FILE [flags]

Reads AWS exactly as deploy does and prints, per resource, create / update /
no change with unified diffs (trust and inline policies, the task definition
as JSON, the service's fields). It makes no write call.

With --detailed-exitcode: 0 no changes, 2 changes pending, 1 error (an
invalid spec included). Without it: 0 on success, 1 on error, 2 invalid spec.

Flags:
`

func runPlan(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("plan", planUsage, stderr)
	var opts awsconf.Options
	output := outputFlag(fs, "the plan as JSON")
	detailed := fs.Bool("detailed-exitcode", false, "exit 2 when there are changes, 0 when none, 1 on error")
	awsFlags(fs, &opts)
	path, err := parseArgs(fs, args, output)
	if err != nil {
		return exit(stderr, err)
	}
	out := term.New(stderr)
	view, err := func() (rollout.PlanView, error) {
		sp, err := loadSpec(path)
		if err != nil {
			return rollout.PlanView{}, err
		}
		clients, counter, err := connect(ctx, opts, sp, out)
		if err != nil {
			return rollout.PlanView{}, err
		}
		p, err := rollout.MakePlan(ctx, clients, sp)
		if err != nil {
			return rollout.PlanView{}, err
		}
		pf := p.Preflight(ctx, clients, nil)
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
	}()
	var pfErr *rollout.PreflightError
	planned := err == nil || errors.As(err, &pfErr) // a plan that failed preflight is still shown
	if planned {
		if *output == "json" {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			if encErr := enc.Encode(view); encErr != nil && err == nil {
				err = encErr
			}
		} else {
			fmt.Fprint(stdout, view.Text())
		}
	}
	code := exit(stderr, err)
	summary, outputs := "", map[string]string{}
	if planned {
		summary = view.Markdown()
		outputs["changes"] = fmt.Sprint(view.Changes)
	}
	if err := reportToActions(err, stderr, summary, outputs); err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
	}
	switch {
	case err != nil && *detailed:
		return ExitFailed
	case err != nil:
		return code
	case *detailed && view.Changes:
		return 2
	}
	return ExitOK
}

// reportToActions writes the job summary and step outputs under GitHub
// Actions, and the error as an ::error:: annotation. Elsewhere it does nothing.
func reportToActions(runErr error, stderr io.Writer, summary string, outputs map[string]string) error {
	gh := ghactions.FromEnv(os.Getenv)
	if !gh.Enabled {
		return nil
	}
	if runErr != nil {
		fmt.Fprintln(stderr, ghactions.ErrorCommand(runErr.Error()))
	}
	if summary != "" {
		if err := gh.AppendSummary(summary); err != nil {
			return err
		}
	}
	return gh.SetOutputs(outputs)
}

const destroyUsage = `Usage: launch destroy FILE [--roles] [--yes] [flags]

Deletes what launch created for one deployment instance of FILE (the
caller's account, the region of the run, the spec's cluster), and nothing
another instance still uses: each agent's service in the cluster (scaled to
0 first), the revisions this instance registered that no other service of
the region runs, and the cluster when launch created it and it is empty.
With --roles also the instance's log groups, its record tag and secrets
grant on each role, and a role launch created once no other instance uses
it. Each resource is reported as deleted, kept (still used elsewhere, with
the user), skipped (not this instance's) or absent.
Not on a terminal, --yes is required.

Flags:
`

func runDestroy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("destroy", destroyUsage, stderr)
	var opts awsconf.Options
	withRoles := fs.Bool("roles", false, "also delete the instance's log groups and its share of the roles (a role goes with its last instance)")
	yes := fs.Bool("yes", false, "do not ask for confirmation (required when not on a terminal)")
	output := outputFlag(fs, "the list of deleted and skipped resources")
	awsFlags(fs, &opts)
	// destroy reads the spec only for names: a base task definition that no
	// longer passes the offline checks must not stop its removal.
	path, err := parseArgs(fs, args, output)
	if err != nil {
		return err
	}
	sp, err := spec.Load(path, os.LookupEnv)
	if err != nil {
		return err
	}
	if !*yes {
		if !isTerminal(os.Stdin) {
			return usageError{"destroy deletes AWS resources: pass --yes when not running on a terminal"}
		}
		fmt.Fprintf(stderr, "Delete the services, task definitions%s launch created for %s in cluster %s? Type yes: ",
			map[bool]string{true: ", roles and log groups", false: ""}[*withRoles], path, sp.Cluster.Name)
		answer, _ := bufio.NewReader(os.Stdin).ReadString('\n')
		if strings.TrimSpace(answer) != "yes" {
			return usageError{"destroy cancelled: nothing was changed"}
		}
	}
	out := term.New(stderr)
	if opts.Region == "" {
		opts.Region = sp.Region
	}
	cfg, _, err := awsconf.Load(ctx, opts)
	if err != nil {
		return err
	}
	items, err := rollout.Destroy(ctx, rollout.NewDestroyClients(cfg), sp, *withRoles, out)
	if *output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if encErr := enc.Encode(items); encErr != nil && err == nil {
			err = encErr
		}
	}
	return err
}

// isTerminal asks the terminal driver; a character device such as
// /dev/null is not a terminal.
func isTerminal(f *os.File) bool { return xterm.IsTerminal(int(f.Fd())) }

const policyUsage = `Usage: launch policy FILE [--account ID] [--region R] [--partition P]

Prints the least-privilege IAM policy the deploying identity (your pipeline's
role) needs to run launch deploy on FILE. Without --account, launch asks STS
who you are; when that fails, the account in the ARNs is "*" (with a warning).

Flags:
`

func runPolicy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("policy", policyUsage, stderr)
	var opts awsconf.Options
	account := fs.String("account", "", "AWS account ID of the deployment (default: from STS)")
	partition := fs.String("partition", "", "AWS partition: aws, aws-cn, aws-us-gov (default: from STS, else aws)")
	awsFlags(fs, &opts)
	sp, err := loadArgs(fs, args, nil)
	if err != nil {
		return err
	}
	in := permissions.Input{Spec: sp, Account: *account, Partition: *partition, Region: opts.Region}
	if in.Region == "" {
		in.Region = sp.Region
	}
	if in.Account == "" {
		out := term.New(stderr)
		clients, _, err := connect(ctx, opts, sp, out)
		var id rollout.Identity
		if err == nil {
			id, err = rollout.Identify(ctx, clients)
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
	if err != nil {
		return err
	}
	_, err = stdout.Write(b)
	return err
}

// outputFlag adds --output; json prints what on stdout.
func outputFlag(fs *flag.FlagSet, what string) *string {
	return fs.String("output", "text", "text, or json for "+what+" on stdout")
}

func checkOutput(v string) error {
	if v != "text" && v != "json" {
		return usageError{fmt.Sprintf("--output must be text or json, not %q", v)}
	}
	return nil
}
