// Package cli is launch's command line: a cobra command tree that parses
// arguments, wires the AWS clients, runs a command and maps its error to
// an exit code in one place.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/launchdeploy/launch/internal/ghactions"
	"github.com/launchdeploy/launch/internal/suggest"
	"github.com/launchdeploy/launch/rollout"
	"github.com/launchdeploy/launch/service"
	"github.com/launchdeploy/launch/spec"
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

// codeError ends a run with code instead of the one err maps to; a nil err
// prints nothing.
type codeError struct {
	code int
	err  error
}

func (e codeError) Error() string { return fmt.Sprint(e.err) }
func (e codeError) Unwrap() error { return e.err }

// app is one run of launch: where it writes and whether it runs under
// GitHub Actions.
type app struct {
	ctx            context.Context
	stdout, stderr io.Writer
	gh             ghactions.Env
	log            *ghactions.Writer // stderr under GitHub Actions, else nil
}

// Run runs launch with args and returns the exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	a := &app{ctx: ctx, stdout: stdout, stderr: stderr, gh: ghactions.FromEnv(os.Getenv)}
	if a.gh.Enabled {
		// No text launch prints, AWS's included, may act as a workflow command.
		out := ghactions.NewWriter(stdout)
		a.stdout, a.log = out, ghactions.NewWriter(stderr)
		a.stderr = a.log
		defer out.Flush()
		defer a.log.Flush()
	}
	root := a.root()
	root.SetArgs(impliedDeploy(root, args))
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	return a.exit(root.ExecuteContext(ctx))
}

const rootHelp = `launch rolls agent containers out onto AWS ECS Fargate from one YAML file.
"launch FILE [flags]" is short for "launch deploy FILE [flags]".

Exit codes: 0 success · 1 failure while applying · 2 bad usage or invalid spec ·
3 rollout failed or rolled back · 4 timed out · 5 another run's deployment in progress ·
130 interrupted`

func (a *app) root() *cobra.Command {
	root := &cobra.Command{
		Use:           "launch [deploy] FILE",
		Short:         "Deploy agent containers to ECS Fargate from one YAML file",
		Long:          rootHelp,
		Version:       version(),
		SilenceErrors: true,
		SilenceUsage:  true,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return nil
			}
			msg := fmt.Sprintf("unknown command %q", args[0])
			if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
				msg += "; did you mean " + s[0] + "?"
			}
			return usageError{msg + "\nRun 'launch --help' for usage."}
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			cmd.SetOut(a.stderr)
			cmd.Help()
			return codeError{code: ExitUsage}
		},
		PersistentPreRunE: checkFlags,
	}
	root.SuggestionsMinimumDistance = 2
	root.SetVersionTemplate(versionLine() + "\n")
	root.SetFlagErrorFunc(flagError)
	root.SetUsageFunc(rootUsage(root.UsageFunc()))
	root.AddCommand(a.deployCmd(), a.planCmd(), a.statusCmd(), a.logsCmd(), a.rollbackCmd(), a.destroyCmd(),
		a.validateCmd(), a.renderCmd(), a.policyCmd(), a.schemaCmd(), versionCmd())
	return root
}

// rootUsage lists every command with its flags on launch's own usage and
// leaves the commands' usage to def.
func rootUsage(def func(*cobra.Command) error) func(*cobra.Command) error {
	return func(c *cobra.Command) error {
		if c.HasParent() {
			return def(c)
		}
		w := c.OutOrStderr()
		fmt.Fprint(w, "Usage:\n  launch [deploy] FILE [flags]\n  launch COMMAND [flags]\n\nCommands:\n")
		for _, sub := range c.Commands() {
			if !sub.IsAvailableCommand() {
				continue
			}
			fmt.Fprintf(w, "  %-10s  %s\n", sub.Name(), sub.Short)
			var names []string
			sub.Flags().VisitAll(func(f *pflag.Flag) {
				if !f.Hidden && f.Name != "help" {
					names = append(names, "--"+f.Name)
				}
			})
			if len(names) > 0 {
				fmt.Fprintf(w, "  %-10s  %s\n", "", strings.Join(names, " "))
			}
		}
		_, err := fmt.Fprintf(w, "\nFlags:\n%s\nRun \"launch COMMAND --help\" for what each flag does.\n", c.LocalFlags().FlagUsages())
		return err
	}
}

// impliedDeploy turns the shorthand "launch FILE …" (and "launch --flag …
// FILE") into "launch deploy …": a first argument that names no command
// but a YAML or existing file, or a flag other than the root's.
func impliedDeploy(root *cobra.Command, args []string) []string {
	if len(args) == 0 {
		return args
	}
	first := args[0]
	if first == "-help" || first == "-version" { // accepted before launch used cobra
		return append([]string{"-" + first}, args[1:]...)
	}
	for _, c := range root.Commands() {
		if c.Name() == first || slices.Contains(c.Aliases, first) {
			return args
		}
	}
	switch {
	case slices.Contains([]string{"-h", "--help", "-v", "--version", "help", "completion"}, first),
		strings.HasPrefix(first, "__complete"): // cobra's own commands and flags
		return args
	case strings.HasPrefix(first, "-"), strings.HasSuffix(first, ".yaml"), strings.HasSuffix(first, ".yml"), fileExists(first):
		return append([]string{"deploy"}, args...)
	}
	return args
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// exitCode maps an error to launch's exit code. It is the only place that
// knows the mapping.
func exitCode(err error) int {
	var (
		code    codeError
		specErr spec.Errors
		usage   usageError
		ie      *service.InterruptedError
		re      *service.RolloutError
		te      *service.TimeoutError
		busy    *rollout.InProgressError
	)
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &code):
		return code.code
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

// exit prints err once and returns its exit code: as ::error:: annotations
// under GitHub Actions (one per spec problem, at its line), else as text.
func (a *app) exit(err error) int {
	code := exitCode(err)
	var ce codeError
	if errors.As(err, &ce) {
		err = ce.err
	}
	switch {
	case err == nil:
	case a.log != nil:
		for _, an := range a.annotations(err) {
			a.log.Command(an.String())
		}
	case exitCode(err) == ExitUsage:
		fmt.Fprintln(a.stderr, err)
	default:
		fmt.Fprintf(a.stderr, "error: %v\n", err)
	}
	return code
}

// annotations are err's ::error:: commands: one per spec problem, with its
// file (relative to the workspace) and position.
func (a *app) annotations(err error) []ghactions.Annotation {
	var problems spec.Errors
	if !errors.As(err, &problems) || len(problems) == 0 {
		return []ghactions.Annotation{{Message: err.Error()}}
	}
	ws := os.Getenv("GITHUB_WORKSPACE")
	var out []ghactions.Annotation
	for _, p := range problems {
		file := p.File
		if rel, err := filepath.Rel(ws, file); ws != "" && filepath.IsAbs(file) && err == nil && !strings.HasPrefix(rel, "..") {
			file = rel
		}
		out = append(out, ghactions.Annotation{File: file, Line: p.Line, Col: p.Column, Message: spec.Problem{Path: p.Path, Message: p.Message}.String()})
	}
	return out
}

// flagError turns a flag parsing error into a usage error with a hint: the
// flag meant, or the two dashes a long flag takes.
func flagError(cmd *cobra.Command, err error) error {
	msg := err.Error()
	var unknown *pflag.NotExistError
	if errors.As(err, &unknown) {
		var names []string
		cmd.Flags().VisitAll(func(f *pflag.Flag) {
			if !f.Hidden {
				names = append(names, f.Name)
			}
		})
		// "-timeout" reaches pflag as shorthands: t, i, …; in "-help" the
		// h was taken as -h.
		group := unknown.GetSpecifiedShortnames()
		long := ""
		for _, l := range []string{group, "h" + group} {
			if len(l) > 1 && slices.Contains(names, l) {
				long = l
			}
		}
		switch s := suggest.Closest(unknown.GetSpecifiedName(), names); {
		case long != "":
			msg = fmt.Sprintf("unknown flag -%s; long flags take two dashes: --%s", long, long)
		case s != "" && group == "":
			msg += "; did you mean --" + s + "?"
		}
	}
	return usageError{fmt.Sprintf("%s\nRun '%s --help' for usage.", msg, cmd.CommandPath())}
}

// checkFlags checks flag values as the spec's own are checked, before any
// file is read or AWS called: durations must be positive and a region
// must look like one.
func checkFlags(cmd *cobra.Command, _ []string) error {
	var err error
	cmd.Flags().Visit(func(f *pflag.Flag) {
		switch {
		case err != nil:
		case f.Value.Type() == "duration":
			if d, _ := cmd.Flags().GetDuration(f.Name); d <= 0 {
				example := f.DefValue
				if example == "0s" {
					example = "15m"
				}
				err = usageError{fmt.Sprintf("--%s %s is not positive; write a duration such as %s", f.Name, d, example)}
			}
		case f.Name == "region" && !spec.IsRegionName(f.Value.String()):
			err = usageError{fmt.Sprintf("--region %q is not an AWS region name; write one such as eu-west-1, or leave --region out to use the spec's region", f.Value.String())}
		}
	})
	return err
}

// fileCommand is a command on one spec FILE; run gets its path.
func fileCommand(use, short, long string, run func(cmd *cobra.Command, path string) error) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Long:  long,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{fmt.Sprintf("expected one spec file, got %d arguments\nRun '%s --help' for usage.", len(args), cmd.CommandPath())}
			}
			return nil
		},
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return []string{"yaml", "yml"}, cobra.ShellCompDirectiveFilterFileExt
		},
		RunE: func(cmd *cobra.Command, args []string) error { return run(cmd, args[0]) },
	}
}

// choice is a flag value that takes one of a few words.
type choice struct {
	value   string
	allowed []string
}

func (c *choice) String() string { return c.value }
func (c *choice) Type() string   { return strings.Join(c.allowed, "|") }
func (c *choice) Set(v string) error {
	if !slices.Contains(c.allowed, v) {
		return fmt.Errorf("must be %s", strings.Join(c.allowed, " or "))
	}
	c.value = v
	return nil
}

// choiceFlag adds --name taking one of allowed, the first by default.
func choiceFlag(cmd *cobra.Command, name, usage string, allowed ...string) *choice {
	c := &choice{value: allowed[0], allowed: allowed}
	cmd.Flags().Var(c, name, usage)
	cmd.RegisterFlagCompletionFunc(name, cobra.FixedCompletions(allowed, cobra.ShellCompDirectiveNoFileComp))
	return c
}

// outputFlag adds --output text|json; json prints what on stdout.
func outputFlag(cmd *cobra.Command, what string) *choice {
	return choiceFlag(cmd, "output", "text, or json for "+what+" on stdout", "text", "json")
}

// jsonOnly adds --output json to a command whose output is JSON anyway, so
// scripts can pass it to every command.
func jsonOnly(cmd *cobra.Command) {
	choiceFlag(cmd, "output", "the output is JSON whatever this says", "json")
}

func versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print launch's version",
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), versionLine())
		},
	}
}
