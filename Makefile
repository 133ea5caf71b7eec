# iothub-twin: the two commands are `make demo` and `make test` (see README.md).
#
# One target triple for cargo, maturin and napi, so all three share one target dir
# (spec/toolchain.md gotcha 1).
export CARGO_BUILD_TARGET ?= $(shell rustc -vV | sed -n 's/^host: //p')
export CARGO_TERM_COLOR ?= never
CARGO ?= cargo
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
LOGS := target/test-logs
PYTHON ?= python3
VENV := .venv
COMPAT := tests/compat

.PHONY: test demo fmt-check clippy ring-only rust-test doc tools compat bench fuzz schemathesis soak soak-fuzz

## make test: everything that exists, from a fresh clone (CI runs exactly this).
## It ends with one "N passed, N failed" line summing every suite's results: cargo's
## "test result:" lines, pytest's closing "== N passed, N failed in Xs ==" line and node's TAP
## "# pass N" / "# fail N" lines.
test: fmt-check clippy ring-only rust-test doc compat fuzz schemathesis
	@cat $(LOGS)/*.log | awk '/^test result:/ { p += $$4; f += $$6 } \
		/^=+ ([0-9]+ [a-z]+, )*[0-9]+ [a-z]+ in [0-9.]+s/ { \
			for (i = 2; i <= NF; i++) { \
				if ($$i ~ /^passed,?$$/) p += $$(i-1); \
				if ($$i ~ /^(failed|errors?),?$$/) f += $$(i-1) } } \
		/^# pass [0-9]+$$/ { p += $$3 } /^# fail [0-9]+$$/ { f += $$3 } \
		END { printf "make test: %d passed, %d failed\n", p, f; if (p == 0 || f > 0) exit 1 }'


## make demo: the main job on the embedded default: the emulator on free ports and a temporary
## data dir, the guides' device and back-end flows against it (samples/demo.sh).
demo:
	samples/demo.sh

fmt-check:
	$(CARGO) fmt --all --check

clippy:
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings

# TLS is rustls with ring only: aws-lc-rs must not be anywhere in the graph.
ring-only:
	@out=$$($(CARGO) tree --locked --workspace --target all -e all -i aws-lc-rs 2>&1 || true); \
	if echo "$$out" | grep -q "did not match any packages"; then \
		echo "ring-only: aws-lc-rs is not in the dependency graph"; \
	else \
		echo "ring-only: aws-lc-rs found (or cargo tree failed):"; echo "$$out"; exit 1; \
	fi

rust-test:
	@mkdir -p $(LOGS)
	$(CARGO) test --locked 2>&1 | tee $(LOGS)/rust.log

doc:
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --locked --no-deps -p iothub-twin -p iothub-twin-emulator

## Fuzzing (issue #10 item 3, fuzz/README.md): the cargo-fuzz targets query, mqtt, rest and
## merge_patch, FUZZ_SECONDS each, one after the other; executions per target land in
## target/test-logs/fuzz.log (TAP, counted by the tally). fuzz/ is its own workspace with its own
## target dir. FUZZ_BUILD_FLAGS go to both `cargo fuzz build` and `run`; empty = cargo-fuzz's
## defaults (1 codegen unit), which measured cheaper to build and faster to run here than 16
## (bench/RELIABILITY.md, "## Fuzzing").
FUZZ_SECONDS ?= 60
FUZZ_BUILD_FLAGS ?=
export FUZZ_BUILD_FLAGS
fuzz:
	command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz --version 0.13.2 --locked
	@mkdir -p $(LOGS)
	RUSTC_BOOTSTRAP=1 timeout -k 10 3600 $(CARGO) fuzz build $(FUZZ_BUILD_FLAGS) 2>&1 | tail -n 3
	timeout -k 10 $$((4 * $(FUZZ_SECONDS) + 600)) fuzz/run_all.sh $(FUZZ_SECONDS) $(LOGS)

## schemathesis (tests/schemathesis/run.py) against the emulator binary's OpenAPI description:
## no 5xx, every response as documented. SCHEMATHESIS_EXAMPLES per operation and phase.
SCHEMATHESIS_VENV := .venv-schemathesis
SCHEMATHESIS_EXAMPLES ?= 10
$(SCHEMATHESIS_VENV)/.installed: tests/schemathesis/requirements.txt
	test -x $(SCHEMATHESIS_VENV)/bin/pip || $(PYTHON) -m venv --clear $(SCHEMATHESIS_VENV)
	$(SCHEMATHESIS_VENV)/bin/pip install --quiet --disable-pip-version-check -r $<
	touch $@

schemathesis: $(SCHEMATHESIS_VENV)/.installed
	@mkdir -p $(LOGS)
	$(CARGO) build --locked -p iothub-twin-emulator
	timeout -k 10 $$((60 * $(SCHEMATHESIS_EXAMPLES) + 600)) $(SCHEMATHESIS_VENV)/bin/python \
		tests/schemathesis/run.py target/$(CARGO_BUILD_TARGET)/debug/iothub-twin-emulator \
		--max-examples $(SCHEMATHESIS_EXAMPLES) 2>&1 | tee $(LOGS)/schemathesis.log

## make soak: the long versions of the reliability suites (bench/RELIABILITY.md).
soak: soak-fuzz

## The long versions: every fuzz target 10 minutes, schemathesis with 200 examples.
soak-fuzz:
	$(MAKE) fuzz FUZZ_SECONDS=600
	$(MAKE) schemathesis SCHEMATHESIS_EXAMPLES=200

## Tools for the official-SDK compatibility tests: a .venv with azure-iot-hub, azure-iot-device
## and pytest, and azure-iothub, azure-iot-device, azure-iot-device-mqtt in
## tests/compat/node_modules. Stamp files make a second run a no-op.
tools: $(VENV)/.compat-installed $(COMPAT)/node_modules/.package-lock.json

$(VENV)/.compat-installed: $(COMPAT)/requirements.txt
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r $(COMPAT)/requirements.txt
	touch $@

$(COMPAT)/node_modules/.package-lock.json: $(COMPAT)/package.json $(COMPAT)/package-lock.json
	cd $(COMPAT) && npm ci --no-audit --no-fund
	touch $@

## The official SDKs against the emulator: service (Python azure-iot-hub, Node azure-iothub) and
## device (Python azure-iot-device, Node azure-iot-device-mqtt). Each test file starts and stops
## the emulator binary itself. The device tests need the fixed ports 8883 and 443 (the official
## device SDKs hard-code them), and so does the Node service test (443): the Python and Node
## suites run one after the other and node runs one test file at a time, so no two emulators
## ever want them at once. Every wait inside the tests is bounded; COMPAT_TIMEOUT is the last
## resort for a suite that still hangs (timeout kills its whole process group, emulators too).
COMPAT_TIMEOUT ?= 900
compat: tools
	@mkdir -p $(LOGS)
	$(CARGO) build --locked -p iothub-twin-emulator
	@py=0; timeout -k 10 $(COMPAT_TIMEOUT) $(VENV)/bin/python -m pytest -v --color=no -p no:cacheprovider \
		$(COMPAT)/python 2>&1 | tee $(LOGS)/compat-python.log || py=$$?; \
	if [ $$py -eq 5 ]; then echo "compat: pytest collected no tests (exit 5)"; fi; \
	if [ $$py -eq 124 ]; then echo "compat: pytest timed out after $(COMPAT_TIMEOUT)s"; fi; \
	nd=0; timeout -k 10 $(COMPAT_TIMEOUT) node --test --test-concurrency=1 --test-reporter=tap \
		$(COMPAT)/node/ 2>&1 | tee $(LOGS)/compat-node.log || nd=$$?; \
	if [ $$nd -eq 124 ]; then echo "compat: node --test timed out after $(COMPAT_TIMEOUT)s"; fi; \
	if [ $$py -ne 0 ] || [ $$nd -ne 0 ]; then echo "compat: pytest exit $$py, node --test exit $$nd"; exit 1; fi

## make bench: release builds, then every benchmark (figures go in bench/README.md by hand).
## service_client also runs the official Python service SDK (from the .venv `make tools` makes);
## mqtt_twin needs mosquitto (the raw-MQTT baseline), installed here when missing.
RELEASE := target/$(CARGO_BUILD_TARGET)/release
bench: $(VENV)/.compat-installed
	command -v mosquitto >/dev/null || (apt-get update && apt-get install -y mosquitto)
	$(CARGO) build --locked --release -p iothub-twin-emulator -p iothub-twin-bench
	$(RELEASE)/rest_patch $(RELEASE)/iothub-twin-emulator 5
	$(RELEASE)/service_client $(RELEASE)/iothub-twin-emulator 5 $(VENV)/bin/python
	$(RELEASE)/mqtt_twin $(RELEASE)/iothub-twin-emulator 5 1000
	$(RELEASE)/device_client $(RELEASE)/iothub-twin-emulator 5 10000
