#!/usr/bin/env bash
# Training benchmark (issue 9): step time against Debian's Python torch, the OTF loader's share
# of time spent waiting for data, and peak RSS with 100 vs 10,000 training images.
#   - train_bench (C++) and bench/python/train_bench.py: Compact x2 and SPAN-S x2, batch 8,
#     lq_size 64, L1 + AdamW, 1 and 2 threads, NCHW and channels-last;
#   - pairforge train on bench/otf_bench.yml (bubble_animescale degraded on the fly): data wait
#     share with 1 network thread + 1 loader thread (a core each) and with 2 + 2 (shared);
#   - pairforge train (paired, SuperUltraCompact, 300 iterations) on 100 and on 10,000 pairs of
#     128x128 crops: peak RSS without the decoded-image cache and with the default 1 GB cache.
# Environment: BUILD (default build), WORK (default /tmp/pairforge-train-bench), STEPS (10).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
WORK=${WORK:-/tmp/pairforge-train-bench}
STEPS=${STEPS:-10}
PY=/usr/bin/python3
PF=$BUILD/pairforge

cmake --build "$BUILD" -j2 --target train_bench pairforge >/dev/null
mkdir -p "$WORK"
cd "$ROOT"

echo "# Training benchmark"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "## Step time (batch 8, lq 64, L1 + AdamW), median of $STEPS steps"
echo
# Alternating C++ and Python per thread count, so that load changes hit both sides alike.
: >"$WORK/cpp.csv"
: >"$WORK/py.csv"
for t in 1 2; do
  OPENBLAS_NUM_THREADS=$t "$BUILD/bench/train_bench" "$STEPS" 8 64 "$t" >>"$WORK/cpp.csv"
  OPENBLAS_NUM_THREADS=$t $PY "$ROOT/bench/python/train_bench.py" "$STEPS" 8 64 "$t" >>"$WORK/py.csv"
done
$PY - "$WORK/cpp.csv" "$WORK/py.csv" <<'PYEOF'
import sys
# Two CSVs appended per thread count: skip the repeated headers.
rows = lambda p: {(a, l, t): float(s) for a, l, t, s in
                  (line.strip().split(",") for line in open(p) if not line.startswith("arch,"))}
cpp, py = rows(sys.argv[1]), rows(sys.argv[2])
print("| arch | layout | threads | pairforge s/step | Python s/step | pairforge / Python |")
print("|---|---|---:|---:|---:|---:|")
for k in cpp:
    print(f"| {k[0]} x2 | {k[1]} | {k[2]} | {cpp[k]:.3f} | {py[k]:.3f} | {cpp[k] / py[k]:.2f}x |")
print()
for arch in ("compact", "span_s"):
    for t in ("1", "2"):
        best = min(cpp[(arch, l, t)] for l in ("nchw", "channels_last"))
        pyd = py[(arch, "nchw", t)]
        print(f"- {arch} x2, {t} thread(s): pairforge's best layout {best:.3f} s vs Python's default (NCHW) {pyd:.3f} s: **{best / pyd:.2f}x** of Python's time")
PYEOF
echo

echo "## OTF loader: share of each iteration spent waiting for data"
echo
sed "s|HQ_DIR|$ROOT/datasets/samples|" "$ROOT/bench/otf_bench.yml" >"$WORK/otf.yml"
echo "| network threads | loader threads | it/s | data wait share (iterations 21-60) |"
echo "|---:|---:|---:|---:|"
for pair in "1 1" "2 2" "2 1"; do
  set -- $pair
  rm -rf "$WORK/otf_runs"
  "$PF" train -c "$WORK/otf.yml" --experiments "$WORK/otf_runs" --threads "$1" --loader-threads "$2" \
    --no-progress >/dev/null 2>&1
  $PY - "$WORK/otf_runs/otf_bench/train_log.jsonl" "$1" "$2" <<'PYEOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if '"train"' in l][1:]
rate = sum(r["it_per_s"] for r in recs) / len(recs)
wait = sum(r["data_wait_share"] for r in recs) / len(recs)
print(f"| {sys.argv[2]} | {sys.argv[3]} | {rate:.2f} | {100 * wait:.1f} % |")
PYEOF
done
echo

echo "## Peak RSS, 100 vs 10,000 training pairs (SuperUltraCompact x2, 300 iterations)"
echo
[ -d "$WORK/pairs_10000" ] || $PY - "$ROOT/datasets/samples" "$WORK" <<'PYEOF'
import os, sys, cv2, numpy as np
src, work = sys.argv[1], sys.argv[2]
frames = [cv2.imread(os.path.join(src, f), cv2.IMREAD_COLOR) for f in sorted(os.listdir(src))]
rng = np.random.default_rng(0)
for n in (100, 10000):
    for sub in ("hq", "lq"):
        os.makedirs(f"{work}/pairs_{n}/{sub}", exist_ok=True)
    for i in range(n):
        f = frames[i % len(frames)]
        y, x = rng.integers(0, f.shape[0] - 128), rng.integers(0, f.shape[1] - 128)
        hq = f[y:y + 128, x:x + 128]
        cv2.imwrite(f"{work}/pairs_{n}/hq/{i:05d}.png", hq)
        cv2.imwrite(f"{work}/pairs_{n}/lq/{i:05d}.png", cv2.resize(hq, (64, 64), interpolation=cv2.INTER_AREA))
PYEOF
echo "| pairs | cache_mb | peak RSS MB | wall s |"
echo "|---:|---:|---:|---:|"
for n in 100 10000; do
  for cache in 0 1024; do
    cat >"$WORK/rss.yml" <<EOF2
name: rss
scale: 2
manual_seed: 1
num_gpu: 0
datasets:
  train: {name: rss, type: pairedimagedataset, dataroot_gt: [$WORK/pairs_$n/hq], dataroot_lq: [$WORK/pairs_$n/lq],
          lq_size: 48, batch_size_per_gpu: 8, num_worker_per_gpu: 2, cache_mb: $cache}
network_g: {type: superultracompact}
train:
  total_iter: 300
  optim_g: {type: AdamW, lr: !!float 5e-4}
  losses: [{type: l1loss, loss_weight: 1}]
logger: {print_freq: 100, save_checkpoint_freq: 1000000}
EOF2
    rm -rf "$WORK/rss_runs"
    start=$(date +%s.%N)
    /usr/bin/time -f '%M' -o "$WORK/rss.txt" "$PF" train -c "$WORK/rss.yml" \
      --experiments "$WORK/rss_runs" --threads 2 --no-progress >/dev/null 2>&1
    kb=$(tail -n 1 "$WORK/rss.txt")
    end=$(date +%s.%N)
    echo "| $n | $cache | $((kb / 1024)) | $(printf '%.1f' "$(echo "$end - $start" | bc)") |"
  done
done
