// Package ghactions writes what GitHub Actions reads from a step: a Markdown
// job summary ($GITHUB_STEP_SUMMARY), step outputs ($GITHUB_OUTPUT) and
// ::error:: workflow commands.
package ghactions

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"syscall"
)

// Env is the GitHub Actions environment of this process.
type Env struct {
	Enabled     bool   // GITHUB_ACTIONS=true
	SummaryPath string // GITHUB_STEP_SUMMARY
	OutputPath  string // GITHUB_OUTPUT
}

// FromEnv reads the environment; Enabled is false outside GitHub Actions.
func FromEnv(getenv func(string) string) Env {
	return Env{
		Enabled:     getenv("GITHUB_ACTIONS") == "true",
		SummaryPath: getenv("GITHUB_STEP_SUMMARY"),
		OutputPath:  getenv("GITHUB_OUTPUT"),
	}
}

// AppendSummary appends Markdown to the job summary.
func (e Env) AppendSummary(markdown string) error {
	if !e.Enabled || e.SummaryPath == "" {
		return nil
	}
	return appendFile(e.SummaryPath, strings.TrimRight(markdown, "\n")+"\n")
}

// SetOutputs appends step outputs, in key order. Values with a newline use
// the heredoc form with a random delimiter, as GitHub documents.
func (e Env) SetOutputs(outputs map[string]string) error {
	if !e.Enabled || e.OutputPath == "" || len(outputs) == 0 {
		return nil
	}
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(outputs)) {
		v := outputs[k]
		if !strings.Contains(v, "\n") {
			fmt.Fprintf(&b, "%s=%s\n", k, v)
			continue
		}
		delim := delimiter()
		fmt.Fprintf(&b, "%s<<%s\n%s\n%s\n", k, delim, v, delim)
	}
	return appendFile(e.OutputPath, b.String())
}

// Annotation is an ::error:: workflow command; File, Line and Col place it
// in the repository when known (0 and "" leave them out).
type Annotation struct {
	File      string
	Line, Col int
	Message   string
}

// String is the workflow command, escaped as GitHub documents so that a
// multi-line message stays one annotation and no value can end a property.
func (a Annotation) String() string {
	var props []string
	if a.File != "" {
		props = append(props, "file="+propertyEscaper.Replace(a.File))
		if a.Line > 0 {
			props = append(props, fmt.Sprintf("line=%d", a.Line))
			if a.Col > 0 {
				props = append(props, fmt.Sprintf("col=%d", a.Col))
			}
		}
	}
	cmd := "::error"
	if len(props) > 0 {
		cmd += " " + strings.Join(props, ",")
	}
	return cmd + "::" + dataEscaper.Replace(a.Message)
}

// ErrorCommand is the ::error:: workflow command for msg, not tied to a file.
func ErrorCommand(msg string) string { return Annotation{Message: msg}.String() }

var (
	dataEscaper     = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	propertyEscaper = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
)

func delimiter() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return "launch_" + hex.EncodeToString(b)
}

// appendFile appends text to the regular file at path, created if need
// be. Anything else (a named pipe) is refused before it can block the open;
// O_NONBLOCK covers one swapped in after the check.
func appendFile(path, text string) error {
	if info, err := os.Stat(path); err == nil && !info.Mode().IsRegular() {
		return fmt.Errorf("github actions: %s is not a regular file", path)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY|syscall.O_NONBLOCK, 0o644)
	if err != nil {
		return fmt.Errorf("github actions: %w", err)
	}
	if info, err := f.Stat(); err != nil || !info.Mode().IsRegular() {
		f.Close()
		return fmt.Errorf("github actions: %s is not a regular file", path)
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return fmt.Errorf("github actions: %w", err)
	}
	return f.Close()
}
