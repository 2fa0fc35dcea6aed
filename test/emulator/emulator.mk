# launch AWS emulator harness (moto 5.2.5 + test controls).
# Include from the top-level Makefile (include test/emulator/emulator.mk) or run standalone
# from the repo root: make -f test/emulator/emulator.mk emulator-venv emulator-start
#
# emulator-venv   create $(EMULATOR_VENV) and install the pinned requirements (stamp-file idempotent)
# emulator-start  run the harness in the background on 127.0.0.1:$(EMULATOR_PORT); no-op if it answers
# emulator-stop   stop the harness started by emulator-start
# emulator-test   pytest of the harness itself (starts its own server on a free port)

EMULATOR_DIR    := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
EMULATOR_PORT   ?= 4566
EMULATOR_HOST   ?= 127.0.0.1
EMULATOR_PYTHON ?= python3
EMULATOR_VENV   ?= $(EMULATOR_DIR)/.venv
EMULATOR_RUN    ?= $(EMULATOR_DIR)/.run
EMULATOR_PID    := $(EMULATOR_RUN)/server-$(EMULATOR_PORT).pid
EMULATOR_LOG    := $(EMULATOR_RUN)/server-$(EMULATOR_PORT).log
EMULATOR_STAMP  := $(EMULATOR_VENV)/.requirements.stamp
EMULATOR_VPY    := $(EMULATOR_VENV)/bin/python
EMULATOR_URL    := http://$(EMULATOR_HOST):$(EMULATOR_PORT)

# Prints the harness health answer and exits 0 when the launch harness answers at $(EMULATOR_URL).
EMULATOR_PROBE = $(EMULATOR_VPY) -c 'import json,sys,urllib.request; \
d=json.load(urllib.request.urlopen(sys.argv[1]+"/_harness/health", timeout=2)); \
sys.exit(0 if d.get("harness")=="launch" else 1)' $(EMULATOR_URL)

.PHONY: emulator-venv emulator-start emulator-stop emulator-test

emulator-venv: $(EMULATOR_STAMP)

$(EMULATOR_STAMP): $(EMULATOR_DIR)/requirements.txt
	@test -x $(EMULATOR_VPY) || $(EMULATOR_PYTHON) -m venv $(EMULATOR_VENV)
	$(EMULATOR_VPY) -m pip install --disable-pip-version-check -q -r $(EMULATOR_DIR)/requirements.txt
	@touch $@

emulator-start: emulator-venv
	@mkdir -p $(EMULATOR_RUN)
	@if $(EMULATOR_PROBE) 2>/dev/null; then \
		echo "emulator: launch harness already answers at $(EMULATOR_URL)"; exit 0; \
	fi; \
	if [ -f $(EMULATOR_PID) ] && kill -0 $$(cat $(EMULATOR_PID)) 2>/dev/null; then \
		echo "emulator: pid $$(cat $(EMULATOR_PID)) is running but not answering; run emulator-stop" >&2; exit 1; \
	fi; \
	nohup $(EMULATOR_VPY) $(EMULATOR_DIR)/server.py --host $(EMULATOR_HOST) --port $(EMULATOR_PORT) \
		> $(EMULATOR_LOG) 2>&1 < /dev/null & echo $$! > $(EMULATOR_PID); \
	i=0; while [ $$i -lt 60 ]; do \
		if $(EMULATOR_PROBE) 2>/dev/null; then \
			echo "emulator: up at $(EMULATOR_URL) (pid $$(cat $(EMULATOR_PID)), log $(EMULATOR_LOG))"; \
			echo "export AWS_ENDPOINT_URL=$(EMULATOR_URL)"; exit 0; \
		fi; \
		if ! kill -0 $$(cat $(EMULATOR_PID)) 2>/dev/null; then break; fi; \
		sleep 0.5; i=$$((i+1)); \
	done; \
	echo "emulator: FAILED to start at $(EMULATOR_URL); last lines of $(EMULATOR_LOG):" >&2; \
	tail -n 40 $(EMULATOR_LOG) >&2; \
	kill $$(cat $(EMULATOR_PID)) 2>/dev/null; rm -f $(EMULATOR_PID); exit 1

emulator-stop:
	@if [ -f $(EMULATOR_PID) ]; then \
		pid=$$(cat $(EMULATOR_PID)); \
		if kill $$pid 2>/dev/null; then \
			i=0; while kill -0 $$pid 2>/dev/null && [ $$i -lt 50 ]; do sleep 0.1; i=$$((i+1)); done; \
			kill -0 $$pid 2>/dev/null && kill -9 $$pid; \
			echo "emulator: stopped pid $$pid"; \
		else echo "emulator: pid $$pid was not running"; fi; \
		rm -f $(EMULATOR_PID); \
	else echo "emulator: not started by emulator-start (no $(EMULATOR_PID))"; fi

emulator-test: emulator-venv
	$(EMULATOR_VPY) -m pytest -q -p no:cacheprovider $(EMULATOR_DIR)/test_harness.py
