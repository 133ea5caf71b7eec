#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each, one after the other (2 cores: one libFuzzer process
# at a time), from the repository root. Usage: fuzz/run_all.sh SECONDS LOG_DIR [TARGET...]
#
# Each target's libFuzzer output goes to LOG_DIR/fuzz-<target>.out; LOG_DIR/fuzz.log gets one
# TAP line per target with its executions ("Done N runs in S second(s)", libFuzzer's final
# line), then "# pass N" / "# fail N" for the `make test` tally. A crash, a hang (-timeout), a
# leak or an out-of-memory stops that target, leaves the input in fuzz/artifacts/<target>/ and
# fails the run. FUZZ_BUILD_FLAGS must match the `cargo fuzz build` that came before, or
# cargo-fuzz rebuilds.
set -uo pipefail

seconds=$1
logs=$2
shift 2
if [ $# -gt 0 ]; then targets=("$@"); else targets=(query mqtt rest merge_patch); fi
read -r -a build_flags <<< "${FUZZ_BUILD_FLAGS:-}"

# Longest input per target: past the limits each one enforces (query text 8,192 characters,
# twin sections 32 KB), but no larger, so executions stay fast.
max_len() {
    case $1 in
        query) echo 9000 ;;
        merge_patch) echo 40000 ;;
        *) echo 16384 ;;
    esac
}

mkdir -p "$logs"
summary=$logs/fuzz.log
echo "TAP version 13" > "$summary"
echo "1..${#targets[@]}" >> "$summary"
pass=0
fail=0
number=0
for target in "${targets[@]}"; do
    number=$((number + 1))
    out=$logs/fuzz-$target.out
    mkdir -p "fuzz/corpus/$target"
    RUSTC_BOOTSTRAP=1 cargo fuzz run "${build_flags[@]}" "$target" \
        "fuzz/corpus/$target" "fuzz/seeds/$target" -- \
        -max_total_time="$seconds" -max_len="$(max_len "$target")" -timeout=30 \
        -print_final_stats=1 > "$out" 2>&1
    status=$?
    runs=$(grep -oE '^Done [0-9]+ runs in [0-9]+ second' "$out" | tail -n 1)
    executions=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$out" | grep -oE '[0-9]+$' | tail -n 1)
    coverage=$(grep -oE '#[0-9]+[[:space:]]+DONE[[:space:]]+cov: [0-9]+' "$out" | grep -oE '[0-9]+$' | tail -n 1)
    corpus=$(find "fuzz/corpus/$target" -type f | wc -l)
    if [ "$status" -eq 0 ] && [ -n "$runs" ]; then
        pass=$((pass + 1))
        echo "ok $number - fuzz $target: ${executions:-?} executions (${runs}s), coverage ${coverage:-?}, corpus $corpus, 0 crashes" >> "$summary"
    else
        fail=$((fail + 1))
        echo "not ok $number - fuzz $target: exit $status after ${executions:-?} executions; see $out and fuzz/artifacts/$target/" >> "$summary"
        grep -E 'panicked|ERROR: libFuzzer|SUMMARY|Test unit written' "$out" | head -n 8 | sed 's/^/#   /' >> "$summary"
    fi
done
echo "# pass $pass" >> "$summary"
echo "# fail $fail" >> "$summary"
cat "$summary"
[ "$fail" -eq 0 ]
