#!/usr/bin/env bash
# Issue 13's figures side by side, in alternating runs (the machine is shared, so ratios of
# interleaved runs are steadier than absolute times):
#   - start-up: `pairforge --help`, `ops`, `degrade --help`, `frames --help` (wall s, median);
#   - codec-only job: `pairforge degrade -c bench/codec_job.yml` on the 1920x1080 frames vs
#     bench/python/codec_job_reference.py (ffmpeg CLI with pipes, OpenCV PNG I/O);
#   - realesrgan.yml end to end (degrade_bench, 1 thread) vs bench/python/realesrgan_reference.py,
#     on ENGINE_COPIES (default 4) copies of the frames;
#   - SPAN x2 and Compact x2 on the CPU (infer_bench, 640x360, THREADS) vs onnxruntime-node on
#     pairforge's ONNX exports of the same models (needs ../shared/fixtures or FIXTURES; skipped
#     without).
# Environment: BUILD (default build), WORK (default /tmp/pairforge-bench), RUNS (default 3),
# STARTUP_RUNS (default 20), THREADS (default 2, the SPAN part), FIXTURES, SKIP (space-separated
# parts to leave out: startup codec engine span).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
WORK=${WORK:-/tmp/pairforge-bench}
RUNS=${RUNS:-3}
STARTUP_RUNS=${STARTUP_RUNS:-20}
SKIP=${SKIP:-}
THREADS=${THREADS:-2}
FIXTURES=${FIXTURES:-${PAIRFORGE_FIXTURES:-$ROOT/../shared/fixtures}}
PY=/usr/bin/python3
PF=${PF:-$BUILD/pairforge}  # PF=/path/to/an/older/pairforge measures a before

mkdir -p "$WORK"
[ -d "$WORK/f1080" ] || $PY "$ROOT/bench/python/make_frames.py" "$ROOT/datasets/samples" "$WORK/f1080" 1920x1080
frames=$(ls "$WORK/f1080" | wc -l)

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# Seconds of one run of "$@" (output discarded): wall, and CPU (user + system, waited-for child
# processes included: the ffmpeg processes of the Python side). On a shared machine CPU time is
# the steadier figure; wall time includes waiting for a core.
wall() { /usr/bin/time -f "%e" -o "$WORK/time.txt" "$@" >/dev/null 2>&1; cat "$WORK/time.txt"; }
# The medians of two sets of runs as a Markdown table with their ratio, then the runs:
#   compare UNIT FORMAT NAME_A NAME_B HIGHER_IS_FASTER(yes|no) "RUNS_A" "RUNS_B"
# The ratio says how many times faster A (pairforge) is than B.
compare() {
  local a b ratio
  a=$(tr ' ' '\n' <<<"$6" | median) b=$(tr ' ' '\n' <<<"$7" | median)
  if [ "$5" = yes ]; then ratio=$(echo "$a / $b" | bc -l); else ratio=$(echo "$b / $a" | bc -l); fi
  echo "| engine | $1 | ratio |"
  echo "|---|---:|---:|"
  printf "| %s | $2 | %.2fx |\n| %s | $2 | |\n" "$3" "$a" "$ratio" "$4" "$b"
  echo
  echo "$1 runs: $3 $6; $4 $7"
}
cpu() { /usr/bin/time -f "%U %S" -o "$WORK/time.txt" "$@" >/dev/null 2>&1; awk '{ print $1 + $2 }' "$WORK/time.txt"; }

echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo

if [[ " $SKIP " != *" startup "* ]]; then
  echo "## Start-up (median of $STARTUP_RUNS runs; /usr/bin/time, 10 ms resolution)"
  echo
  echo "| command | wall s | CPU s |"
  echo "|---|---:|---:|"
  for args in "--help" "ops" "degrade --help" "frames --help" "upscale --help"; do
    # shellcheck disable=SC2086
    w=$(for _ in $(seq "$STARTUP_RUNS"); do wall "$PF" $args; done | median)
    # shellcheck disable=SC2086
    u=$(for _ in $(seq "$STARTUP_RUNS"); do cpu "$PF" $args; done | median)
    printf "| pairforge %s | %.2f | %.2f |\n" "$args" "$w" "$u"
  done
  echo
fi

if [[ " $SKIP " != *" codec "* ]]; then
  echo "## Codec-only job ($frames frames of 1920x1080, x264 crf 23 medium, 8-bit PNG in and out; median of $RUNS alternating runs)"
  echo
  c=() p=() cw=() pw=()
  for _ in $(seq "$RUNS"); do
    rm -rf "$WORK/codec_cpp" "$WORK/codec_py"
    c+=("$(cpu "$PF" degrade -c "$ROOT/bench/codec_job.yml" -i "$WORK/f1080" -o "$WORK/codec_cpp" --threads 1 --no-progress)")
    p+=("$(cpu $PY "$ROOT/bench/python/codec_job_reference.py" "$WORK/f1080" "$WORK/codec_py")")
  done
  rm -rf "$WORK/codec_cpp" "$WORK/codec_py"
  for _ in $(seq "$RUNS"); do
    rm -rf "$WORK/codec_cpp" "$WORK/codec_py"
    cw+=("$(wall "$PF" degrade -c "$ROOT/bench/codec_job.yml" -i "$WORK/f1080" -o "$WORK/codec_cpp" --threads 1 --no-progress)")
    pw+=("$(wall $PY "$ROOT/bench/python/codec_job_reference.py" "$WORK/f1080" "$WORK/codec_py")")
  done
  tc=$(printf '%s\n' "${c[@]}" | median) tp=$(printf '%s\n' "${p[@]}" | median)
  twc=$(printf '%s\n' "${cw[@]}" | grep . | median) twp=$(printf '%s\n' "${pw[@]}" | median)
  echo "| job | CPU s | wall s | CPU ratio | wall ratio |"
  echo "|---|---:|---:|---:|---:|"
  printf "| pairforge degrade | %.2f | %.2f | %.2fx | %.2fx |\n" "$tc" "$twc" "$(echo "$tp / $tc" | bc -l)" "$(echo "$twp / $twc" | bc -l)"
  printf "| Python + ffmpeg CLI | %.2f | %.2f | | |\n" "$tp" "$twp"
  echo
  echo "CPU runs: pairforge ${c[*]}; Python ${p[*]}"
  echo "HQ+LQ bytes: pairforge $(du -cb "$WORK"/codec_cpp/{hq,lq} | tail -1 | cut -f1), Python $(du -cb "$WORK"/codec_py/{hq,lq} | tail -1 | cut -f1)"
  echo
fi

if [[ " $SKIP " != *" engine "* ]]; then
  cmake --build "$BUILD" -j2 --target degrade_bench >/dev/null
  # ENGINE_COPIES copies of each frame (default 4: 40 pairs): each side draws its own random
  # kernels, noise and codec settings, and a sinc kernel at 1080p costs ten Gaussians, so ten
  # pairs leave the ratio to the luck of the draw.
  copies=${ENGINE_COPIES:-4}
  engine_in="$WORK/f1080_x$copies"
  if [ ! -d "$engine_in" ]; then
    mkdir -p "$engine_in"
    for i in $(seq "$copies"); do
      for f in "$WORK"/f1080/*.png; do cp "$f" "$engine_in/${i}_$(basename "$f")"; done
    done
  fi
  pairs=$(ls "$engine_in" | wc -l)
  echo "## realesrgan.yml, $pairs pairs of 1920x1080, 1 thread (CPU ms/pair, median of $RUNS alternating runs)"
  echo
  c=() p=()
  for _ in $(seq "$RUNS"); do
    rm -rf "$WORK/out" "$WORK/py_out"
    json=$("$BUILD/bench/degrade_bench" "$ROOT/configs/degrade/realesrgan.yml" "$engine_in" "$WORK/out" 1 2>/dev/null | tail -n 1)
    c+=("$($PY -c 'import json,sys; r=json.loads(sys.argv[1]); print(1000*r["cpu_s"]/r["pairs"])' "$json")")
    out=$($PY "$ROOT/bench/python/realesrgan_reference.py" "$engine_in" "$WORK/py_out" --pairs "$pairs" --size 1920x1080 --seed 0)
    p+=("$(echo "$out" | sed -n 's/.*end to end.*[^0-9.]\([0-9.]*\) ms\/pair.*/\1/p' | head -1)")
  done
  compare "CPU ms/pair" "%.0f" "pairforge (degrade_bench)" "Python reference" no "${c[*]}" "${p[*]}"
  echo
fi

if [[ " $SKIP " != *" span "* ]]; then
  span="$FIXTURES/models/2xLiveActionV1_SPAN.safetensors"
  ort="$ROOT/tools/node_modules/onnxruntime-node"
  if [ ! -f "$span" ] || [ ! -d "$ort" ]; then
    echo "## SPAN x2 vs onnxruntime: skipped ($span or $ort is missing)"
  else
    cmake --build "$BUILD" -j2 --target infer_bench >/dev/null
    # One infer_bench run times both models (it also writes the ONNX exports onnxruntime reads).
    cs=() cc=() os=() oc=()
    for _ in $(seq "$RUNS"); do
      out=$("$BUILD/bench/infer_bench" "$FIXTURES" "$WORK/infer" "$THREADS" 3)
      cs+=("$(grep '^pairforge,span_x2,640,' <<<"$out" | cut -d, -f7)")
      cc+=("$(grep '^pairforge,compact_x2,640,' <<<"$out" | cut -d, -f7)")
      os+=("$(node "$ROOT/bench/infer_ort_bench.js" "$ort" "$WORK/infer/span_x2.onnx" span_x2 640 360 "$THREADS" 3 | cut -d, -f7)")
      oc+=("$(node "$ROOT/bench/infer_ort_bench.js" "$ort" "$WORK/infer/compact_x2.onnx" compact_x2 640 360 "$THREADS" 3 | cut -d, -f7)")
    done
    echo "## SPAN x2, 640x360, $THREADS threads (fps, median of $RUNS; alternating)"
    echo
    compare fps "%.3f" pairforge onnxruntime-node yes "${cs[*]}" "${os[*]}"
    echo
    echo "## Compact x2 (2x_AnimeJaNai), 640x360, $THREADS threads (fps, median of $RUNS; alternating)"
    echo
    compare fps "%.3f" pairforge onnxruntime-node yes "${cc[*]}" "${oc[*]}"
  fi
fi
