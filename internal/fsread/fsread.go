// Package fsread reads the files a user names (the spec, base task
// definitions, policy files) and refuses anything but a regular file before
// a read could block: a named pipe, a device or a directory is an error at
// once, not a hang.
package fsread

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// NotRegularError says that a path names something other than a regular
// file. Kind describes it: "a named pipe", "a directory", "a device", ….
type NotRegularError struct {
	Path string
	Mode fs.FileMode
	Kind string
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s is %s, not a regular file", e.Path, e.Kind)
}

// TooLargeError says that a file holds more than the limit allows.
type TooLargeError struct {
	Path  string
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s is larger than the %d-byte limit", e.Path, e.Limit)
}

// ReadFile returns the contents of the regular file at path, of at most
// limit bytes. The file is checked with stat before it is opened, opened
// without blocking (O_NONBLOCK: opening a named pipe would otherwise wait
// for a writer) and checked again on the open descriptor, so a file swapped
// in between is refused too. A missing file gives an error that matches
// fs.ErrNotExist.
func ReadFile(path string, limit int64) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := regular(path, info); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if info, err = f.Stat(); err != nil {
		return nil, err
	}
	if err := regular(path, info); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, &TooLargeError{Path: path, Limit: limit}
	}
	return data, nil
}

func regular(path string, info fs.FileInfo) error {
	m := info.Mode()
	if m.IsRegular() {
		return nil
	}
	kind := "a special file"
	switch {
	case m&fs.ModeNamedPipe != 0:
		kind = "a named pipe"
	case m.IsDir():
		kind = "a directory"
	case m&fs.ModeSocket != 0:
		kind = "a socket"
	case m&fs.ModeDevice != 0, m&fs.ModeCharDevice != 0:
		kind = "a device"
	}
	return &NotRegularError{Path: path, Mode: m, Kind: kind}
}

// Reason returns the part of err that follows a file's name in a message:
// "does not exist", "is a named pipe, not a regular file", "cannot be read:
// permission denied".
func Reason(err error) string {
	var nr *NotRegularError
	var tl *TooLargeError
	var pe *fs.PathError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "does not exist"
	case errors.As(err, &nr):
		return fmt.Sprintf("is %s, not a regular file", nr.Kind)
	case errors.As(err, &tl):
		return fmt.Sprintf("is larger than the %d-byte limit", tl.Limit)
	case errors.As(err, &pe):
		return fmt.Sprintf("cannot be read: %v", pe.Err)
	}
	return fmt.Sprintf("cannot be read: %v", err)
}
