# launch LocalStack lane: localstack-core 4.13.1 (community, pinned) + the launch harness plugin
# (ECS and ECR served by moto inside LocalStack, the /_harness controls, the ECS deployment
# patches shared with test/emulator). Include from the top-level Makefile
# (include test/localstack/localstack.mk) or run standalone from the repo root:
#   make -f test/localstack/localstack.mk localstack-venv localstack-start
#
# localstack-venv   create $(LOCALSTACK_VENV), install the pinned requirements and register the
#                   plugin's entry points (stamp-file idempotent)
# localstack-start  run LocalStack in the background on $(LOCALSTACK_BIND):$(LOCALSTACK_PORT) without
#                   Docker; wait until /_localstack/health reports every service in
#                   $(LOCALSTACK_SERVICES) "available"/"running" and /_harness/health answers
# localstack-stop   stop the LocalStack started by localstack-start
# test-localstack   the Go suite against it (test/localstack/run-tests.sh: start, test, stop)

LOCALSTACK_DIR      := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
LOCALSTACK_PORT     ?= 4566
LOCALSTACK_BIND     ?= 127.0.0.1
LOCALSTACK_PYTHON   ?= python3
LOCALSTACK_VENV     ?= $(LOCALSTACK_DIR)/.venv
LOCALSTACK_RUN      ?= $(LOCALSTACK_DIR)/.run
LOCALSTACK_SERVICES ?= ecs,ecr,ec2,iam,sts,secretsmanager,logs,kms,ssm,s3
LOCALSTACK_WAIT     ?= 120
LOCALSTACK_PID      := $(LOCALSTACK_RUN)/localstack-$(LOCALSTACK_PORT).pid
LOCALSTACK_LOG      := $(LOCALSTACK_RUN)/localstack-$(LOCALSTACK_PORT).log
LOCALSTACK_STAMP    := $(LOCALSTACK_VENV)/.requirements.stamp
LOCALSTACK_VPY      := $(LOCALSTACK_VENV)/bin/python
LOCALSTACK_URL      := http://$(LOCALSTACK_BIND):$(LOCALSTACK_PORT)
LOCALSTACK_EMULATOR_DIR := $(abspath $(LOCALSTACK_DIR)/../emulator)

# Exits 0 when /_localstack/health lists every service of $(LOCALSTACK_SERVICES) as available or
# running and the launch harness answers /_harness/health; prints what is missing otherwise.
LOCALSTACK_PROBE = $(LOCALSTACK_VPY) -c 'import json,sys,urllib.request; \
u,want=sys.argv[1],sys.argv[2].split(","); \
h=json.load(urllib.request.urlopen(u+"/_localstack/health", timeout=2)).get("services",{}); \
bad=[s+"="+str(h.get(s)) for s in want if h.get(s) not in ("available","running")]; \
bad and sys.exit("services not ready: "+" ".join(bad)); \
d=json.load(urllib.request.urlopen(u+"/_harness/health", timeout=2)); \
sys.exit(0 if d.get("harness")=="launch" else "no launch harness at "+u)' $(LOCALSTACK_URL) $(LOCALSTACK_SERVICES)

# The environment of a LocalStack started without Docker (see /work/shared/FIELD-NOTES.md):
# PYTHONPATH puts the repository's plugin code (test/localstack) and harness (test/emulator)
# ahead of the installed copy, whose only job is to register the entry points.
LOCALSTACK_ENV = \
	PYTHONPATH=$(abspath $(LOCALSTACK_DIR)):$(LOCALSTACK_EMULATOR_DIR) \
	LAUNCH_EMULATOR_DIR=$(LOCALSTACK_EMULATOR_DIR) \
	OVERRIDE_IN_DOCKER=0 DNS_ADDRESS=0 SKIP_SSL_CERT_DOWNLOAD=1 DISABLE_EVENTS=1 \
	GATEWAY_LISTEN=$(LOCALSTACK_BIND):$(LOCALSTACK_PORT) LOCALSTACK_HOST=localhost:$(LOCALSTACK_PORT) \
	FILESYSTEM_ROOT=$(abspath $(LOCALSTACK_RUN))/filesystem-$(LOCALSTACK_PORT) \
	EAGER_SERVICE_LOADING=1 SERVICES=$(LOCALSTACK_SERVICES) \
	MOTO_IAM_LOAD_MANAGED_POLICIES=true

.PHONY: localstack-venv localstack-start localstack-stop test-localstack

localstack-venv: $(LOCALSTACK_STAMP)

$(LOCALSTACK_STAMP): $(LOCALSTACK_DIR)/requirements.txt $(LOCALSTACK_DIR)/pyproject.toml
	@test -x $(LOCALSTACK_VPY) || $(LOCALSTACK_PYTHON) -m venv $(LOCALSTACK_VENV)
	$(LOCALSTACK_VPY) -m pip install --disable-pip-version-check -q -r $(LOCALSTACK_DIR)/requirements.txt
	$(LOCALSTACK_VPY) -m pip install --disable-pip-version-check -q --no-deps --no-build-isolation --force-reinstall $(LOCALSTACK_DIR)
	@rm -rf $(LOCALSTACK_DIR)/build $(LOCALSTACK_DIR)/*.egg-info
	@touch $@

localstack-start: localstack-venv
	@mkdir -p $(LOCALSTACK_RUN)
	@if $(LOCALSTACK_PROBE) 2>/dev/null; then \
		echo "localstack: already answers at $(LOCALSTACK_URL) with the launch harness"; exit 0; \
	fi; \
	if [ -f $(LOCALSTACK_PID) ] && kill -0 $$(cat $(LOCALSTACK_PID)) 2>/dev/null; then \
		echo "localstack: pid $$(cat $(LOCALSTACK_PID)) is running but not ready; run localstack-stop" >&2; exit 1; \
	fi; \
	$(LOCALSTACK_ENV) nohup $(LOCALSTACK_VPY) -m localstack.runtime.main \
		> $(LOCALSTACK_LOG) 2>&1 < /dev/null & echo $$! > $(LOCALSTACK_PID); \
	i=0; while [ $$i -lt $$(( $(LOCALSTACK_WAIT) * 2 )) ]; do \
		if why=$$($(LOCALSTACK_PROBE) 2>&1); then \
			echo "localstack: up at $(LOCALSTACK_URL) after $$((i/2))s (pid $$(cat $(LOCALSTACK_PID)), log $(LOCALSTACK_LOG))"; \
			echo "export AWS_ENDPOINT_URL=$(LOCALSTACK_URL)"; exit 0; \
		fi; \
		if ! kill -0 $$(cat $(LOCALSTACK_PID)) 2>/dev/null; then why="process exited"; break; fi; \
		sleep 0.5; i=$$((i+1)); \
	done; \
	echo "localstack: FAILED to start at $(LOCALSTACK_URL) ($$(echo "$$why" | tail -n 1)); last lines of $(LOCALSTACK_LOG):" >&2; \
	tail -n 40 $(LOCALSTACK_LOG) >&2; \
	kill $$(cat $(LOCALSTACK_PID)) 2>/dev/null; rm -f $(LOCALSTACK_PID); exit 1

localstack-stop:
	@if [ -f $(LOCALSTACK_PID) ]; then \
		pid=$$(cat $(LOCALSTACK_PID)); \
		if kill $$pid 2>/dev/null; then \
			i=0; while kill -0 $$pid 2>/dev/null && [ $$i -lt 100 ]; do sleep 0.1; i=$$((i+1)); done; \
			kill -0 $$pid 2>/dev/null && kill -9 $$pid; \
			echo "localstack: stopped pid $$pid"; \
		else echo "localstack: pid $$pid was not running"; fi; \
		rm -f $(LOCALSTACK_PID); \
	else echo "localstack: not started by localstack-start (no $(LOCALSTACK_PID))"; fi

test-localstack: localstack-venv
	LOCALSTACK_PORT=$(LOCALSTACK_PORT) $(LOCALSTACK_DIR)/run-tests.sh
