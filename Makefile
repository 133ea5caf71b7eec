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

.PHONY: test demo fmt-check clippy ring-only rust-test doc

## make test: everything that exists, from a fresh clone (CI runs exactly this).
## It ends with one "N passed, N failed" line summing every suite's results.
test: fmt-check clippy ring-only rust-test doc
	@cat $(LOGS)/*.log | awk '/^test result:/ { p += $$4; f += $$6 } \
		END { printf "make test: %d passed, %d failed\n", p, f; if (p == 0 || f > 0) exit 1 }'


## make demo: the main job on the embedded default.
demo:
	$(CARGO) run --quiet --locked -p iothub-twin-samples --bin auth_demo

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
