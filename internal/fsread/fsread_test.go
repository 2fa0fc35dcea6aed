//go:build unix

package fsread

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "spec.yaml")
	if err := os.WriteFile(file, []byte("cluster: {name: c}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	pipe := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(pipe, 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(pipe, link); err != nil {
		t.Fatal(err)
	}
	fileLink := filepath.Join(dir, "file-link")
	if err := os.Symlink(file, fileLink); err != nil {
		t.Fatal(err)
	}

	for name, tc := range map[string]struct {
		path   string
		limit  int64
		want   string // the file's content, when it can be read
		reason string
	}{
		"regular file":        {path: file, limit: 100, want: "cluster: {name: c}\n"},
		"symlink to a file":   {path: fileLink, limit: 100, want: "cluster: {name: c}\n"},
		"file at the limit":   {path: file, limit: 19, want: "cluster: {name: c}\n"},
		"file over the limit": {path: file, limit: 18, reason: "is larger than the 18-byte limit"},
		"named pipe":          {path: pipe, limit: 100, reason: "is a named pipe, not a regular file"},
		"symlink to a pipe":   {path: link, limit: 100, reason: "is a named pipe, not a regular file"},
		"directory":           {path: dir, limit: 100, reason: "is a directory, not a regular file"},
		"character device":    {path: os.DevNull, limit: 100, reason: "is a device, not a regular file"},
		"missing file":        {path: filepath.Join(dir, "nope"), limit: 100, reason: "does not exist"},
		"missing parent":      {path: filepath.Join(file, "x"), limit: 100, reason: "cannot be read: not a directory"},
	} {
		t.Run(name, func(t *testing.T) {
			done := make(chan struct{})
			var data []byte
			var err error
			go func() {
				defer close(done)
				data, err = ReadFile(tc.path, tc.limit)
			}()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatalf("ReadFile(%s) still blocked after 5s", tc.path)
			}
			if tc.reason == "" {
				if err != nil || string(data) != tc.want {
					t.Fatalf("ReadFile = %q, %v; want %q", data, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("ReadFile = %q, want an error", data)
			}
			if got := Reason(err); got != tc.reason {
				t.Errorf("Reason = %q, want %q", got, tc.reason)
			}
			if tc.reason == "does not exist" && !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("error %v does not match fs.ErrNotExist", err)
			}
		})
	}
}
