// Package term prints launch's progress on stderr: plain timestamped lines
// that read well in CI logs, and on a terminal one status line updated in
// place.
package term

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"
)

// Printer writes progress lines. It is safe for concurrent use.
type Printer struct {
	mu      sync.Mutex
	w       io.Writer
	tty     bool
	status  bool // a status line is on screen and must be cleared first
	now     func() time.Time
	Verbose bool
}

// New returns a Printer on w. Live status lines are shown only when w is a
// terminal; NO_COLOR and TERM=dumb turn them off as well.
func New(w io.Writer) *Printer {
	tty := false
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		tty = os.Getenv("TERM") != "dumb" && os.Getenv("NO_COLOR") == ""
	}
	return &Printer{w: w, tty: tty, now: time.Now}
}

// Printf prints one timestamped line.
func (p *Printer) Printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearStatus()
	fmt.Fprintf(p.w, "%s %s\n", p.now().UTC().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// Warnf prints a timestamped warning line.
func (p *Printer) Warnf(format string, args ...any) {
	p.Printf("WARNING: "+format, args...)
}

// Status shows line in place on a terminal; elsewhere it prints nothing,
// since the state changes already appear as lines.
func (p *Printer) Status(line string) {
	if !p.tty {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "\r\033[K%s", line)
	p.status = true
}

// Done clears a status line left on screen.
func (p *Printer) Done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearStatus()
}

func (p *Printer) clearStatus() {
	if p.status {
		fmt.Fprint(p.w, "\r\033[K")
		p.status = false
	}
}
