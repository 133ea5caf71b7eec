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

.PHONY: test demo fmt-check clippy ring-only rust-test doc tools compat bench fuzz
.PHONY: reliability soak soak-crash
.PHONY: python python-module bench-python bench-wheel bench-addon bench-fleet bench-overhead
.PHONY: node node-build bench-node node-packaged
.PHONY: security load soak-sec
.PHONY: schemathesis soak-fuzz
.PHONY: explorer

## make test: everything that exists, from a fresh clone (CI runs exactly this).
## It ends with one "N passed, N failed" line summing every suite's results: cargo's
## "test result:" lines, pytest's closing "== N passed, N failed in Xs ==" line and node's TAP
## "# pass N" / "# fail N" lines.
test: fmt-check clippy ring-only rust-test doc compat python node node-packaged schemathesis fuzz reliability load explorer
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

## Fuzzing (fuzz/README.md): the cargo-fuzz targets query, mqtt, rest and
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

## make soak: the long versions of the reliability suites (figures in bench/RELIABILITY.md):
## fuzzing and schemathesis, crash safety and network faults, security and 10,000-device load.
soak: soak-fuzz soak-crash soak-sec

## The long versions: every fuzz target 10 minutes, schemathesis with 200 examples.
soak-fuzz:
	$(MAKE) fuzz FUZZ_SECONDS=600
	$(MAKE) schemathesis SCHEMATHESIS_EXAMPLES=200

## Tools for the official-SDK compatibility tests: a .venv with azure-iot-hub, azure-iot-device
## and pytest, and azure-iothub, azure-iot-device, azure-iot-device-mqtt in
## tests/compat/node_modules. Stamp files make a second run a no-op.
tools: $(VENV)/.compat-installed $(COMPAT)/node_modules/.package-lock.json $(VENV)/.explorer-installed

$(VENV)/.compat-installed: $(COMPAT)/requirements.txt
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r $(COMPAT)/requirements.txt
	touch $@

## The explorer's browser test: Debian's chromium (Playwright drives it; no browser download)
## and the Playwright Python package in the same .venv.
$(VENV)/.explorer-installed: tests/explorer/requirements.txt $(VENV)/.compat-installed
	command -v chromium >/dev/null || { apt-get update && apt-get install -y chromium; }
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/explorer/requirements.txt
	touch $@

$(COMPAT)/node_modules/.package-lock.json: $(COMPAT)/package.json $(COMPAT)/package-lock.json
	cd $(COMPAT) && npm ci --no-audit --no-fund
	touch $@

## The official SDKs against the emulator: service (Python azure-iot-hub, Node azure-iothub) and
## device (Python azure-iot-device, Node azure-iot-device-mqtt). Each test file starts and stops
## the emulator binary itself. The device tests need the fixed ports 8883 and 443 (the official
## device SDKs hard-code them), and so does the Node service test (443): the Python and Node
## suites run one after the other and node runs one test file at a time, so no two emulators of
## one run want them at once, and each suite holds the fixed-ports lock against other runs. Every wait inside the tests is bounded; COMPAT_TIMEOUT is the last
## resort for a suite that still hangs (timeout kills its whole process group, emulators too).
COMPAT_TIMEOUT ?= 900
## Every run that binds the fixed ports 8883/443 holds /tmp/iothub-fixed-ports.lock (re-entrant:
## `flock /tmp/iothub-fixed-ports.lock make compat` works too), so two runs wait for each other.
FIXED_PORTS := tests/with-fixed-ports-lock.sh
compat: tools
	@mkdir -p $(LOGS)
	$(CARGO) build --locked -p iothub-twin-emulator
	@py=0; $(FIXED_PORTS) timeout -k 10 $(COMPAT_TIMEOUT) $(VENV)/bin/python -m pytest -v --color=no -p no:cacheprovider \
		$(COMPAT)/python 2>&1 | tee $(LOGS)/compat-python.log || py=$$?; \
	if [ $$py -eq 5 ]; then echo "compat: pytest collected no tests (exit 5)"; fi; \
	if [ $$py -eq 124 ]; then echo "compat: pytest timed out after $(COMPAT_TIMEOUT)s"; fi; \
	nd=0; $(FIXED_PORTS) timeout -k 10 $(COMPAT_TIMEOUT) node --test --test-concurrency=1 --test-reporter=tap \
		$(COMPAT)/node/ 2>&1 | tee $(LOGS)/compat-node.log || nd=$$?; \
	if [ $$nd -eq 124 ]; then echo "compat: node --test timed out after $(COMPAT_TIMEOUT)s"; fi; \
	if [ $$py -ne 0 ] || [ $$nd -ne 0 ]; then echo "compat: pytest exit $$py, node --test exit $$nd"; exit 1; fi

## The explorer page in a real browser (tests/explorer): Playwright for Python drives Debian's
## chromium against the emulator binary (free ports, in memory); screenshots of each step go to
## target/explorer-screenshots/.
EXPLORER_TIMEOUT ?= 300
explorer: tools
	@mkdir -p $(LOGS) target/explorer-screenshots
	$(CARGO) build --locked -p iothub-twin-emulator
	IOTHUB_TWIN_EMULATOR=$(CURDIR)/target/$(CARGO_BUILD_TARGET)/debug/iothub-twin-emulator \
		timeout -k 10 $(EXPLORER_TIMEOUT) $(VENV)/bin/python -m pytest -v --color=no \
		-p no:cacheprovider tests/explorer 2>&1 | tee $(LOGS)/explorer.log

## The Node package (bindings-node, tests/node): npm ci (stamp), a debug `napi build --platform`,
## drift check of the generated native index.js/index.d.ts, `tsc --noEmit` over the facade's
## hand-written types and a usage file, the error-mapping unit tests, the npm pack + install check, then `node --test`
## against the emulator (each test file starts its own on free ports).
NODE_DIR := bindings-node
NODE_TIMEOUT ?= 600
$(NODE_DIR)/node_modules/.package-lock.json: $(NODE_DIR)/package.json $(NODE_DIR)/package-lock.json
	cd $(NODE_DIR) && npm ci --no-audit --no-fund
	touch $@

node-build: $(NODE_DIR)/node_modules/.package-lock.json
	cd $(NODE_DIR) && npx napi build --platform
	git diff --exit-code -- $(NODE_DIR)/index.js $(NODE_DIR)/index.d.ts \
		|| { echo "node: the generated index.js/index.d.ts differ from the committed ones: commit them"; exit 1; }

node: node-build
	@mkdir -p $(LOGS)
	$(CARGO) test --locked -p iothub-twin-node --lib 2>&1 | tee $(LOGS)/node-rust.log
	$(CARGO) build --locked -p iothub-twin-emulator
	cd $(NODE_DIR) && npx tsc --noEmit -p tsconfig.json
	tests/node/pack_install.sh
	timeout -k 10 $(NODE_TIMEOUT) node --test --test-reporter=tap tests/node/ 2>&1 | tee $(LOGS)/node.log

## The npm packages as a new user gets them (tests/node/packaged/fixtures_install.js): a fresh
## copy of the repository, `npm install` of bindings-node and emulator/npm into fresh projects
## from the source trees (their install scripts build with cargo: dev profile, this target dir)
## and from `npm pack` tarballs; the README's "Testing your twin app" examples under node:test
## (ours and the official SDKs, on the fixed ports under their lock), a mocha and a jest test
## installed in the project; no emulator outlives a runner stopped by Ctrl-C or SIGKILL.
NODE_PACKAGED_TIMEOUT ?= 900
node-packaged:
	@mkdir -p $(LOGS)
	$(CARGO) build --locked -p iothub-twin-emulator
	timeout -k 10 $(NODE_PACKAGED_TIMEOUT) node --test --test-reporter=tap \
		tests/node/packaged/fixtures_install.js 2>&1 | tee $(LOGS)/node-packaged.log
	@grep -q '^# pass [1-9]' $(LOGS)/node-packaged.log || { echo "node-packaged: no test passed"; exit 1; }

## make bench: release builds, then every benchmark (figures go in bench/README.md by hand).
## service_client also runs the official Python service SDK (from the .venv `make tools` makes);
## mqtt_twin needs mosquitto (the raw-MQTT baseline), installed here when missing.
RELEASE := target/$(CARGO_BUILD_TARGET)/release
bench: $(VENV)/.compat-installed bench-python bench-node bench-overhead bench-fleet
	command -v mosquitto >/dev/null || (apt-get update && apt-get install -y mosquitto)
	$(CARGO) build --locked --release -p iothub-twin-emulator -p iothub-twin-bench
	$(RELEASE)/rest_patch $(RELEASE)/iothub-twin-emulator 5
	$(RELEASE)/service_client $(RELEASE)/iothub-twin-emulator 5 $(VENV)/bin/python
	$(RELEASE)/mqtt_twin $(RELEASE)/iothub-twin-emulator 5 1000
	$(RELEASE)/device_client $(RELEASE)/iothub-twin-emulator 5 10000

## Reliability (tests/reliability): the emulator binary killed with
## SIGKILL 3 times under 50 writing clients (crash_safety), and 20 devices plus service clients
## for 60 s through proxies that drop, stall and reset connections (network_faults). Figures
## are printed into the log and recorded in bench/RELIABILITY.md. Sizes: RELIABILITY_KILLS,
## RELIABILITY_CRASH_CLIENTS, RELIABILITY_SECS, RELIABILITY_DEVICES; RELIABILITY_SEED replays.
RELIABILITY_TIMEOUT ?= 900
reliability:
	@mkdir -p $(LOGS)
	$(CARGO) build --locked -p iothub-twin-emulator
	timeout -k 10 $(RELIABILITY_TIMEOUT) $(CARGO) test --locked -p iothub-twin-reliability \
		-- --ignored --nocapture --test-threads=1 2>&1 | tee $(LOGS)/reliability.log

## The reliability harnesses at full size: 10 kills, 5 minutes of network faults. The log goes
## to target/soak-logs (not test-logs, which `make test` tallies).
soak-crash:
	@mkdir -p target/soak-logs
	$(CARGO) build --locked -p iothub-twin-emulator
	RELIABILITY_KILLS=10 RELIABILITY_SECS=300 timeout -k 10 1800 $(CARGO) test --locked \
		-p iothub-twin-reliability -- --ignored --nocapture --test-threads=1 2>&1 \
		| tee target/soak-logs/soak-crash.log

## The Python package (bindings-python): `python-module` builds it into the .venv (maturin
## develop, dev profile, sharing the target dir); `python` then runs tests/python against the
## emulator binary (sync and aio clients, exceptions, exit/Ctrl-C, the guide's samples, pip and
## wheel installs into fresh venvs, iothub_twin.testing and its pytest plugin, the README's
## "Testing your twin app" examples from fresh venvs with the emulator's wheel) and stubtest on
## the hand-written stubs of the native module.
PYTHON_TIMEOUT ?= 900
python: python-module
	@mkdir -p $(LOGS)
	$(CARGO) build --locked -p iothub-twin-emulator
	@rc=0; timeout -k 10 $(PYTHON_TIMEOUT) $(VENV)/bin/python -m pytest -v --color=no -p no:cacheprovider \
		tests/python 2>&1 | tee $(LOGS)/python.log || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "python: pytest collected no tests (exit 5)"; fi; \
	if [ $$rc -eq 124 ]; then echo "python: pytest timed out after $(PYTHON_TIMEOUT)s"; fi; \
	if [ $$rc -ne 0 ]; then exit 1; fi
	$(VENV)/bin/python -m mypy.stubtest iothub_twin._native

python-module: $(VENV)/.python-tools-installed
	VIRTUAL_ENV=$(abspath $(VENV)) $(VENV)/bin/maturin develop --locked --quiet -m bindings-python/Cargo.toml

$(VENV)/.python-tools-installed: $(VENV)/.compat-installed tests/python/requirements.txt
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt
	touch $@

## Release builds the Python and Node benchmarks share: the emulator, the wheel installed in
## $(BENCH_VENV), the Node addon in target/node-release.
BENCH_ADDON := target/node-release/iothub-twin.linux-x64-gnu.node
bench-wheel: $(VENV)/.python-tools-installed
	$(CARGO) build --locked --release -p iothub-twin-emulator
	rm -rf target/bench-wheels
	$(VENV)/bin/maturin build --release --locked --quiet -m bindings-python/Cargo.toml -o target/bench-wheels
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet --disable-pip-version-check --force-reinstall --no-index \
		target/bench-wheels/*.whl

bench-addon: $(COMPAT)/node_modules/.package-lock.json $(NODE_DIR)/node_modules/.package-lock.json
	$(CARGO) build --locked --release -p iothub-twin-emulator
	cd $(NODE_DIR) && npx napi build --platform --release --output-dir ../target/node-release

## Fleet scale (bench/fleet/run.py, figures in bench/README.md "## Fleet"): FLEET_DEVICES
## device clients in one process for ours and the official SDKs, Node and Python, then
## FLEET_BIG of ours idling FLEET_IDLE seconds. MQTT on 8883 (the official SDKs' port): under
## the fixed-ports lock.
FLEET_DEVICES ?= 1000
FLEET_BIG ?= 10000
FLEET_IDLE ?= 120
bench-fleet: bench-wheel bench-addon
	ulimit -n $$(ulimit -Hn) 2>/dev/null || true; \
	$(FIXED_PORTS) $(VENV)/bin/python bench/fleet/run.py $(RELEASE)/iothub-twin-emulator \
		$(BENCH_VENV)/bin/python $(VENV)/bin/python $(BENCH_ADDON) \
		$(FLEET_DEVICES) $(FLEET_BIG) $(FLEET_IDLE)

## Binding overhead (bench/overhead, figures in bench/README.md "## Overhead"): one device,
## sequential reported patches through the raw generator, the Rust DeviceClient, the Python and
## the Node package, one emulator on free ports, OVERHEAD_SECONDS each.
OVERHEAD_SECONDS ?= 5
bench-overhead: bench-wheel bench-addon
	$(CARGO) build --locked --release -p iothub-twin-bench --bin overhead
	$(RELEASE)/overhead $(RELEASE)/iothub-twin-emulator $(OVERHEAD_SECONDS) $(BENCH_VENV)/bin/python \
		$(BENCH_ADDON)

## The Python benchmark (bench/python/run.py, figures in bench/README.md): the release wheel in
## its own venv against the official SDKs in the .venv, one emulator; its MQTT endpoint is on
## 8883 (the official device SDK's fixed port), so it runs under the fixed-ports lock.
BENCH_VENV := target/bench-venv
bench-python: bench-wheel
	$(FIXED_PORTS) $(VENV)/bin/python bench/python/run.py \
		$(RELEASE)/iothub-twin-emulator $(BENCH_VENV)/bin/python $(VENV)/bin/python 5

## The Node benchmark (bench/node, figures in bench/README.md): iothub-twin's release addon against
## the official azure-iot-device-mqtt / azure-iothub on one release emulator. The official device
## SDK only connects to port 8883, so the run holds the fixed-ports lock.
bench-node: bench-addon
	$(FIXED_PORTS) node bench/node/run.js $(RELEASE)/iothub-twin-emulator \
		$(BENCH_ADDON) 5

## Security suite (emulator/tests/security.rs): every attack against the emulator
## binary logging at trace, then its log and the clients' searched for every secret used. It is
## part of rust-test (`cargo test`); this target runs it alone and counts attacks tried/refused.
security:
	@mkdir -p target
	timeout -k 10 600 $(CARGO) test --locked -p iothub-twin-emulator --test security -- --nocapture \
		2>&1 | tee target/security.log
	@awk '/^attack: / { tried++ } /^attack: .* -> refused$$/ { refused++ } \
		END { printf "security: %d attacks tried, %d refused\n", tried, refused; \
			if (tried == 0 || refused != tried) exit 1 }' target/security.log

## Load (bench/tests/load.rs): LOAD_DEVICES core device clients held for
## LOAD_SECONDS while the service client patches desired on all of them every LOAD_ROUND_SECONDS;
## a time series of p50/p99 push latency and emulator/client RSS; asserts correctness only.
## CI size with the debug emulator (measured: ~75 s in all on this machine).
LOAD_DEVICES ?= 1000
LOAD_SECONDS ?= 60
load:
	@mkdir -p $(LOGS)
	$(CARGO) build --locked -p iothub-twin-emulator
	ulimit -n $$(ulimit -Hn) 2>/dev/null || true; \
	IOTHUB_TWIN_EMULATOR=$(CURDIR)/target/$(CARGO_BUILD_TARGET)/debug/iothub-twin-emulator \
	LOAD_DEVICES=$(LOAD_DEVICES) LOAD_SECONDS=$(LOAD_SECONDS) timeout -k 10 900 \
		$(CARGO) test --locked -p iothub-twin-bench --test load -- --nocapture 2>&1 | tee $(LOGS)/load.log

## 10,000 devices for 10 minutes (release emulator and clients), then the security suite.
soak-sec: security
	$(CARGO) build --locked --release -p iothub-twin-emulator
	ulimit -n $$(ulimit -Hn) 2>/dev/null || true; \
	IOTHUB_TWIN_EMULATOR=$(CURDIR)/$(RELEASE)/iothub-twin-emulator LOAD_DEVICES=10000 LOAD_SECONDS=600 \
		timeout -k 10 3600 $(CARGO) test --locked --release -p iothub-twin-bench --test load -- \
		--nocapture 2>&1 | tee target/soak-load.log
