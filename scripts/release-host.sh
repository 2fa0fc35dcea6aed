#!/usr/bin/env bash
# make release-snapshot-host: the release pipeline for this machine's OS and
# architecture only (CI's check of .goreleaser.yaml): one archive, its SBOM
# and checksums.txt in dist/, nothing signed or published. Then checks that
# the built binary's --version carries the version goreleaser stamped, that
# the SBOM is a CycloneDX document of launch's module graph, that the
# archive's entries have the commit's time and owner root (reproducible), and that
# checksums.txt holds the right digests of both files.
set -euo pipefail
cd "$(dirname "$0")/.."

goos="$(go env GOOS)" goarch="$(go env GOARCH)"
mkdir -p bin
cfg=bin/goreleaser-host.yaml
# Same configuration, with the build's target lists narrowed to the host.
sed -e "s/^    goos: \[linux, darwin, windows\]$/    goos: [${goos}]/" \
    -e "s/^    goarch: \[amd64, arm64\]$/    goarch: [${goarch}]/" .goreleaser.yaml >"$cfg"
if cmp -s "$cfg" .goreleaser.yaml || grep -q "goos: \[linux, darwin" "$cfg"; then
  echo "release-host: could not narrow the targets in .goreleaser.yaml (its goos/goarch lines changed?)" >&2
  exit 1
fi

go tool -modfile=tools/go.mod goreleaser release --snapshot --clean --skip=sign,docker --config "$cfg"

version="$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' dist/metadata.json | head -1)"
bin="$(find dist -path "dist/launch_${goos}_${goarch}*/launch" -type f | head -1)"
got="$("$bin" --version)"
case "$got" in
  "launch ${version} (commit "*) echo "release-host: ${bin} --version: ${got}" ;;
  *) echo "release-host: ${bin} --version says '${got}', want 'launch ${version} (commit …)'" >&2; exit 1 ;;
esac

archive="launch_${version}_${goos}_${goarch}.tar.gz"
python3 - "dist" "$archive" "$(git log -1 --format=%ct)" <<'PY'
import hashlib, json, sys, tarfile
dist, archive, commit_time = sys.argv[1], sys.argv[2], int(sys.argv[3])
sbom = archive + ".cdx.json"
def fail(msg):
    sys.exit("release-host: " + msg)
doc = json.load(open(f"{dist}/{sbom}"))
if doc.get("bomFormat") != "CycloneDX":
    fail(f"{sbom} is not a CycloneDX document")
names = {c.get("name", "") for c in doc.get("components", [])}
for want in ("github.com/aws/aws-sdk-go-v2/service/ecs", "gopkg.in/yaml.v3"):
    if want not in names:
        fail(f"{sbom} does not list {want}: not launch's module graph?")
sums = {}
for line in open(f"{dist}/checksums.txt"):
    digest, name = line.split()
    sums[name] = digest
for name in (archive, sbom):
    got = hashlib.sha256(open(f"{dist}/{name}", "rb").read()).hexdigest()
    if sums.get(name) != got:
        fail(f"checksums.txt has {sums.get(name)} for {name}, the file's sha256 is {got}")
# Reproducible archives: entries carry the commit's time and root ownership,
# not the checkout's.
with tarfile.open(f"{dist}/{archive}") as tar:
    for m in tar.getmembers():
        if int(m.mtime) != commit_time or (m.uname, m.gname) != ("root", "root"):
            fail(f"{archive}: {m.name} has mtime {int(m.mtime)} and owner {m.uname}:{m.gname}, "
                 f"want the commit's time {commit_time} and root:root")
print(f"release-host: {archive}: every entry has the commit's time and root:root")
print(f"release-host: {sbom}: CycloneDX, {len(names)} components; checksums.txt matches {archive} and its SBOM")
PY
