#!/usr/bin/env bash
# The classical curation measures on 1920x1080 frames, one thread: ours (curate_bench, src/prep)
# against the same measures in Python/OpenCV/NumPy (bench/python/curate_measures.py), then the
# whole `pairforge curate --dry-run` (decode included) on one and on every core.
# Needs python3-opencv. Usage: bench/curate_bench.sh [frames_dir] [count] [repeats]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
frames="${1:-${TMPDIR:-/tmp}/pf_curate_frames}"
count="${2:-10}"
repeats="${3:-5}"
/usr/bin/python3 "$root/bench/python/make_frames.py" "$root/datasets/samples" "$frames" 1920x1080 \
  "$count" > /dev/null
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build "$build" -j2 --target curate_bench pairforge > /dev/null
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "--- ours (bench/curate_bench.cpp)"
"$build/bench/curate_bench" "$frames"/*.png --repeats "$repeats"
echo "--- python (bench/python/curate_measures.py)"
/usr/bin/python3 "$root/bench/python/curate_measures.py" "$frames"/*.png --repeats "$repeats" |
  tail -1
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for threads in 1 "$(nproc)"; do
  start=$(date +%s.%N)
  "$build/pairforge" curate "$frames" -o "$out/t$threads" --dry-run --no-page --no-progress \
    --threads "$threads" > /dev/null
  end=$(date +%s.%N)
  echo "pairforge curate --dry-run --no-page --threads $threads (PNG decode included):" \
    "$(echo "($end - $start) * 1000 / $count" | bc -l | xargs printf '%.1f') ms per frame"
done
