#!/usr/bin/env bash
# Runs the libFuzzer targets built by `make fuzz` (tests/fuzz/CMakeLists.txt), one after the other
# at the lowest priority, each for FUZZ_SECONDS (default 60) or FUZZ_RUNS executions, starting from
# tests/fuzz/corpus/<target> and the kept findings in tests/fuzz/regressions/<target>. The corpus
# a run grows stays in BUILD/fuzz-work/<target>, so later runs continue from it; crashes, hangs,
# leaks and over-large allocations land in BUILD/fuzz-artifacts/<target>/.
#   FUZZ_SECONDS=600 FUZZ_TARGETS="zip pickle" tests/fuzz/run.sh [BUILD_DIR]
# FUZZ_NICE (default 19) is the niceness the fuzzers run at; FUZZ_OUT (default BUILD_DIR) the folder
# that holds fuzz-work/, fuzz-artifacts/, the logs and fuzz-summary.txt (the ctest entries of the
# fuzz build use a fresh one, so they replay the seeds only and leave the long runs' files alone).
# Prints one line per target (executions, rate, corpus size, outcome); exits 1 if any target
# found something.
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build-fuzz}
SECS=${FUZZ_SECONDS:-60}
RUNS=${FUZZ_RUNS:--1}
NICE=${FUZZ_NICE:-19}
OUT=${FUZZ_OUT:-$BUILD}
ALL="zip pickle safetensors checkpoint degrade_config manifest train_config image video"
TARGETS=${FUZZ_TARGETS:-$ALL}

# Per target: the largest input to try (a few KB: enough for every seed) and the per-input time
# limit. libFuzzer measures wall time, and at a high niceness on a shared machine a 0.5 s input can take
# 15 s: the limits are far above any input's own time, so only real hangs reach them.
max_len() {
  case $1 in
    checkpoint) echo 32768 ;;
    manifest | video | zip | pickle | safetensors) echo 16384 ;;
    *) echo 8192 ;;
  esac
}
# Per target: the most one input may allocate at once and in all (libFuzzer's -malloc_limit_mb and
# -rss_limit_mb, ASan's overhead included). Low on purpose: an input of a few KB that makes a
# reader allocate hundreds of MB is an allocation bomb (a YAML alias bomb, a PNG chunk length of
# 2^31, a .pth storage inflated before its shape is checked), and the fuzzer reports it as one.
# image and video decode legitimate 16-megapixel frames (the image target's limit), so they
# get more room.
malloc_limit_mb() {
  case $1 in
    image | video) echo 512 ;;
    *) echo 256 ;;
  esac
}
rss_limit_mb() {
  case $1 in
    image | video) echo 1536 ;;
    *) echo 1024 ;;
  esac
}
timeout_s() {
  case $1 in
    degrade_config | manifest | video | checkpoint) echo 120 ;;
    *) echo 60 ;;
  esac
}

status=0
mkdir -p "$OUT"
summary="$OUT/fuzz-summary.txt"  # appended to, one block per run
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'): ${SECS} s or ${RUNS} runs per target" >>"$summary"
printf '%-15s %12s %9s %8s  %s\n' target executions exec/s corpus outcome | tee -a "$summary"
for t in $TARGETS; do
  bin="$BUILD/tests/fuzz/fuzz_$t"
  if [ ! -x "$bin" ]; then
    echo "$t: $bin is missing (make fuzz builds it)" >&2
    status=1
    continue
  fi
  work="$OUT/fuzz-work/$t"
  artifacts="$OUT/fuzz-artifacts/$t"
  mkdir -p "$work" "$artifacts"
  dirs=("$work" "tests/fuzz/corpus/$t")
  [ -d "tests/fuzz/regressions/$t" ] && dirs+=("tests/fuzz/regressions/$t")
  dict=()
  [ -f "tests/fuzz/dict/$t.dict" ] && dict=(-dict="tests/fuzz/dict/$t.dict")
  log="$OUT/fuzz-$t.log"
  # Leaks count (libFuzzer checks each input that grows the heap); lsan.supp names the
  # memory that libraries we call lose on their own (fontconfig, x265), not leaks of ours.
  LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/fuzz/lsan.supp:print_suppressions=0} \
    nice -n "$NICE" "$bin" -max_total_time="$SECS" -runs="$RUNS" -max_len="$(max_len "$t")" \
    -timeout="$(timeout_s "$t")" -rss_limit_mb="$(rss_limit_mb "$t")" \
    -malloc_limit_mb="$(malloc_limit_mb "$t")" \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "${dict[@]}" "${dirs[@]}" >"$log" 2>&1
  rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
  corpus=$(find "$work" -type f | wc -l)
  outcome=ok
  if [ $rc -ne 0 ]; then
    outcome="FOUND: $(grep -m1 -E 'ERROR: |==ERROR|runtime error: |deadly signal|fuzz: ' "$log" | cut -c1-100) (see $log)"
    status=1
  fi
  printf '%-15s %12s %9s %8s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "$corpus" "$outcome" |
    tee -a "$summary"
done
exit $status
