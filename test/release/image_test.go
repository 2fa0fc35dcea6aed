package release

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// linuxBinary is the launch binary the image ships: the host release's on
// linux, otherwise one built for linux with the release's flags.
func linuxBinary(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "launch")
	if runtime.GOOS == "linux" {
		r := hostRelease(t)
		if err := os.WriteFile(path, extract(t, filepath.Join(r.dir, r.archive), "launch"), 0o755); err != nil {
			t.Fatal(err)
		}
		return path
	}
	cmd := exec.Command("go", "build", "-o", path, "./cmd/launch")
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return path
}

// The image has no libc (distroless/static): the binary must not need a
// dynamic loader or any shared library.
func TestLinuxBinaryIsStatic(t *testing.T) {
	f, err := elf.Open(linuxBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("the binary asks for a dynamic loader (PT_INTERP): build it with CGO_ENABLED=0")
		}
		if p.Type == elf.PT_DYNAMIC {
			t.Errorf("the binary has a dynamic section (PT_DYNAMIC)")
		}
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		t.Fatal(err)
	}
	if len(libs) > 0 {
		t.Errorf("the binary needs shared libraries (DT_NEEDED): %v", libs)
	}
}

// TestDockerfile checks what `docker build` cannot check here (no daemon):
// a minimal base without a shell or libc, a non-root user, the binary from
// where goreleaser's dockers_v2 puts it, as the entrypoint, and OCI labels.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var from, user, entrypoint string
	var copies []string
	labels := map[string]bool{}
	label := regexp.MustCompile(`(org\.opencontainers\.image\.[a-z]+)=`)
	// Join continuation lines, drop comments.
	text := strings.ReplaceAll(string(b), "\\\n", " ")
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		instr, rest, _ := strings.Cut(line, " ")
		switch strings.ToUpper(instr) {
		case "FROM":
			from = rest
		case "USER":
			user = rest
		case "ENTRYPOINT":
			entrypoint = rest
		case "COPY":
			copies = append(copies, rest)
		case "LABEL":
			for _, m := range label.FindAllStringSubmatch(rest, -1) {
				labels[m[1]] = true
			}
		}
	}
	if !strings.HasPrefix(from, "gcr.io/distroless/static") && from != "scratch" {
		t.Errorf("FROM %s: want gcr.io/distroless/static (or scratch with CA certificates)", from)
	}
	if user == "" || strings.HasPrefix(user, "root") || strings.HasPrefix(user, "0:") || user == "0" {
		t.Errorf("USER %q: the image must run as a non-root user", user)
	}
	if entrypoint != `["/usr/local/bin/launch"]` {
		t.Errorf("ENTRYPOINT %s: want the binary in exec form", entrypoint)
	}
	if len(copies) != 1 || copies[0] != "${TARGETPLATFORM}/launch /usr/local/bin/launch" {
		t.Errorf("COPY %q: want the binary from goreleaser's per-platform context (${TARGETPLATFORM}/launch)", copies)
	}
	for _, l := range []string{"org.opencontainers.image.title", "org.opencontainers.image.source", "org.opencontainers.image.description"} {
		if !labels[l] {
			t.Errorf("Dockerfile has no %s label", l)
		}
	}
}
