package ghactions

import (
	"bytes"
	"io"
	"sync"
	"unicode"
)

// Writer passes output to a step's log so that no line of it can act as a
// workflow command, whatever text (an AWS error message, say) it carries.
// The runner reads a line as a command when it starts with "::" after
// spaces, or when it contains "##[" anywhere (the older syntax); Writer
// escapes those markers and leaves every other byte alone. Commands
// launch means to send go through Command. Writer buffers a partial line
// until its newline or Flush. It is safe for concurrent use.
type Writer struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
}

// NewWriter returns a Writer on w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write writes every complete line of p, made inert, and keeps the rest.
func (g *Writer) Write(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.buf = append(g.buf, p...)
	i := bytes.LastIndexByte(g.buf, '\n')
	if i < 0 {
		return len(p), nil
	}
	_, err := g.w.Write(inert(g.buf[:i+1]))
	g.buf = append(g.buf[:0], g.buf[i+1:]...)
	return len(p), err
}

// Flush writes a pending partial line.
func (g *Writer) Flush() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.flush()
}

func (g *Writer) flush() error {
	if len(g.buf) == 0 {
		return nil
	}
	_, err := g.w.Write(inert(g.buf))
	g.buf = g.buf[:0]
	return err
}

// Command writes a workflow command built by this package (such as
// Annotation.String) on a line of its own.
func (g *Writer) Command(cmd string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if err := g.flush(); err != nil {
		return err
	}
	_, err := io.WriteString(g.w, cmd+"\n")
	return err
}

// inert escapes, in each line of b (split at \n and \r, as the runner
// does), a leading "::" as ":%3A" and every "##[" as `##\u005b`, which
// reads the same inside a JSON string.
func inert(b []byte) []byte {
	if !bytes.Contains(b, []byte("::")) && !bytes.Contains(b, []byte("##[")) {
		return b
	}
	out := make([]byte, 0, len(b)+8)
	for len(b) > 0 {
		end := bytes.IndexAny(b, "\r\n") + 1
		if end == 0 {
			end = len(b)
		}
		line := b[:end]
		rest := bytes.TrimLeftFunc(line, unicode.IsSpace)
		if bytes.HasPrefix(rest, []byte("::")) {
			at := len(line) - len(rest)
			line = append(append(append([]byte{}, line[:at+1]...), "%3A"...), line[at+2:]...)
		}
		out = append(out, bytes.ReplaceAll(line, []byte("##["), []byte(`##\u005b`))...)
		b = b[end:]
	}
	return out
}
