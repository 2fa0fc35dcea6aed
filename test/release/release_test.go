// Package release tests what ships: the release archive's binary, the
// container image recipe and the GitHub Action's install-and-run scripts.
//
// The release comes from LAUNCH_RELEASE_DIST, a goreleaser dist directory
// (`make release-action-test` builds one for the host and sets it). Without
// it the tests build a stand-in release for the host with the same layout:
// launch_<version>_<os>_<arch>.tar.gz and checksums.txt.
package release

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

const repoRoot = "../.."

// release is a directory holding checksums.txt and the host's archive.
type release struct {
	dir     string // holds checksums.txt and the archives
	archive string // the host's archive, a file name in dir
	version string // the version stamped into the binary
}

var (
	relOnce sync.Once
	rel     release
	relErr  error
)

// hostRelease returns the release under test, building the stand-in once.
func hostRelease(t *testing.T) release {
	t.Helper()
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Fatalf("the action's scripts are tested on linux and darwin, not %s", runtime.GOOS)
	}
	relOnce.Do(func() {
		if dist := os.Getenv("LAUNCH_RELEASE_DIST"); dist != "" {
			rel, relErr = goreleaserDist(dist)
		} else {
			rel, relErr = buildStandIn()
		}
	})
	if relErr != nil {
		t.Fatal(relErr)
	}
	return rel
}

// goreleaserDist reads the version from goreleaser's metadata.json and finds
// the host's archive in checksums.txt.
func goreleaserDist(dist string) (release, error) {
	dist, err := filepath.Abs(dist)
	if err != nil {
		return release{}, err
	}
	var meta struct{ Version string }
	b, err := os.ReadFile(filepath.Join(dist, "metadata.json"))
	if err != nil {
		return release{}, fmt.Errorf("LAUNCH_RELEASE_DIST: %w", err)
	}
	if err := json.Unmarshal(b, &meta); err != nil || meta.Version == "" {
		return release{}, fmt.Errorf("LAUNCH_RELEASE_DIST: metadata.json has no version (%v)", err)
	}
	sums, err := readChecksums(filepath.Join(dist, "checksums.txt"))
	if err != nil {
		return release{}, err
	}
	want := fmt.Sprintf("launch_%s_%s_%s.tar.gz", meta.Version, runtime.GOOS, runtime.GOARCH)
	if _, ok := sums[want]; !ok {
		return release{}, fmt.Errorf("%s/checksums.txt does not list %s", dist, want)
	}
	return release{dir: dist, archive: want, version: meta.Version}, nil
}

// buildStandIn builds the host binary as .goreleaser.yaml does (less
// -trimpath, so that it reuses the test run's build cache) and packs it the
// way goreleaser names and lists archives.
func buildStandIn() (release, error) {
	dir, err := os.MkdirTemp("", "launch-release-test-")
	if err != nil {
		return release{}, err
	}
	const version = "0.0.0-test"
	bin := filepath.Join(dir, "launch")
	pkg := "github.com/launchdeploy/launch/internal/cli"
	cmd := exec.Command("go", "build",
		"-ldflags", fmt.Sprintf("-s -w -X %s.Version=%s -X %s.Commit=0123abc -X %s.Date=2026-01-02T03:04:05Z", pkg, version, pkg, pkg),
		"-o", bin, "./cmd/launch")
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return release{}, fmt.Errorf("go build: %v\n%s", err, out)
	}
	name := fmt.Sprintf("launch_%s_%s_%s.tar.gz", version, runtime.GOOS, runtime.GOARCH)
	if err := writeTarGz(filepath.Join(dir, name), map[string]string{"launch": bin, "README.md": filepath.Join(repoRoot, "README.md")}); err != nil {
		return release{}, err
	}
	os.Remove(bin)
	sum, err := fileSHA256(filepath.Join(dir, name))
	if err != nil {
		return release{}, err
	}
	if err := os.WriteFile(filepath.Join(dir, "checksums.txt"), []byte(sum+"  "+name+"\n"), 0o644); err != nil {
		return release{}, err
	}
	return release{dir: dir, archive: name, version: version}, nil
}

func writeTarGz(path string, files map[string]string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	for name, src := range files {
		b, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: int64(len(b))}); err != nil {
			return err
		}
		if _, err := tw.Write(b); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := gz.Close(); err != nil {
		return err
	}
	return f.Close()
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// readChecksums maps file names to SHA-256 sums as listed in checksums.txt.
func readChecksums(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sums := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) == 2 {
			sums[fields[1]] = fields[0]
		}
	}
	return sums, sc.Err()
}

// extract returns the named file of a .tar.gz archive.
func extract(t *testing.T, archive, name string) []byte {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			t.Fatalf("%s has no %s", archive, name)
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Name == name {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
}

func TestArchiveHoldsBinaryAndReadme(t *testing.T) {
	r := hostRelease(t)
	archive := filepath.Join(r.dir, r.archive)
	readme := extract(t, archive, "README.md")
	if !strings.HasPrefix(string(readme), "# launch") {
		t.Errorf("README.md in %s is not the project's README", r.archive)
	}
	if len(extract(t, archive, "launch")) == 0 {
		t.Errorf("%s holds an empty launch binary", r.archive)
	}
}
