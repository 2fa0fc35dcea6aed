#!/usr/bin/env bash
# Installs a released launch binary for this machine's OS and architecture
# (the GitHub Action's first step). The archive is checked against the
# release's checksums.txt before anything is unpacked; a mismatch stops here.
#
# Environment:
#   LAUNCH_VERSION      release tag (v1.2.3) or "latest"
#   LAUNCH_RELEASE_URL  where the release's files are, instead of the GitHub
#                       release of LAUNCH_VERSION (https://…, file:///dir)
#   LAUNCH_INSTALL_DIR  where to put the binary (default: $RUNNER_TEMP/launch)
# Appends the directory to $GITHUB_PATH and writes the binary's path as the
# step output "path" when those files are set.
set -euo pipefail

die() { echo "::error::launch install: $*" >&2; exit 1; }

version="${LAUNCH_VERSION:-}"
if [[ "$version" == [0-9]* ]]; then version="v${version}"; fi
base="${LAUNCH_RELEASE_URL:-}"
if [[ -z "$base" ]]; then
  case "$version" in
    latest) base="https://github.com/launchdeploy/launch/releases/latest/download" ;;
    v[0-9]*) base="https://github.com/launchdeploy/launch/releases/download/${version}" ;;
    *) die "version '${version}' is not a release tag (v1.2.3) or 'latest': set the action's version input" ;;
  esac
fi
base="${base%/}"

case "${RUNNER_OS:-$(uname -s)}" in
  Linux) os=linux ;;
  macOS | Darwin) os=darwin ;;
  Windows | MINGW* | MSYS* | CYGWIN*) os=windows ;;
  *) die "unsupported OS ${RUNNER_OS:-$(uname -s)}" ;;
esac
case "${RUNNER_ARCH:-$(uname -m)}" in
  X64 | x86_64 | amd64) arch=amd64 ;;
  ARM64 | aarch64 | arm64) arch=arm64 ;;
  *) die "unsupported architecture ${RUNNER_ARCH:-$(uname -m)}" ;;
esac
ext=tar.gz exe=""
if [[ $os == windows ]]; then ext=zip exe=.exe; fi

sha256() {
  if command -v sha256sum >/dev/null; then sha256sum "$1" | cut -d' ' -f1; else shasum -a 256 "$1" | cut -d' ' -f1; fi
}
fetch() { curl -fsSL --retry 3 -o "$2" "$1" || die "could not download $1"; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fetch "${base}/checksums.txt" "${work}/checksums.txt"

# The archive is named launch_<version>_<os>_<arch>.<ext> (.goreleaser.yaml).
names="$(awk -v suffix="_${os}_${arch}.${ext}" '{
  n = length($2) - length(suffix)
  if (substr($2, 1, 7) == "launch_" && n > 7 && substr($2, n + 1) == suffix) print $2
}' "${work}/checksums.txt")"
[[ -n "$names" ]] || die "no ${os}/${arch} archive listed in ${base}/checksums.txt"
[[ "$names" != *$'\n'* ]] || die "several ${os}/${arch} archives listed in ${base}/checksums.txt"
name="$names"
want="$(awk -v n="$name" '$2 == n { print $1 }' "${work}/checksums.txt")"

fetch "${base}/${name}" "${work}/${name}"
got="$(sha256 "${work}/${name}")"
if [[ "$got" != "$want" ]]; then
  die "${name}: SHA-256 ${got} does not match checksums.txt (${want}); not installing it"
fi
echo "launch install: ${name} matches checksums.txt (sha256 ${got})"

dir="${LAUNCH_INSTALL_DIR:-${RUNNER_TEMP:-$work}/launch}"
mkdir -p "$dir"
if [[ $ext == zip ]]; then
  if command -v unzip >/dev/null; then
    unzip -o -q "${work}/${name}" "launch${exe}" -d "$dir"
  else
    powershell -NoProfile -Command "Expand-Archive -Force -Path '${work}/${name}' -DestinationPath '${work}/x'"
    cp "${work}/x/launch${exe}" "$dir/"
  fi
else
  tar -xzf "${work}/${name}" -C "$dir" "launch${exe}"
fi
bin="${dir}/launch${exe}"
chmod +x "$bin"
"$bin" --version

if [[ -n "${GITHUB_PATH:-}" ]]; then echo "$dir" >>"$GITHUB_PATH"; fi
if [[ -n "${GITHUB_OUTPUT:-}" ]]; then echo "path=${bin}" >>"$GITHUB_OUTPUT"; fi
