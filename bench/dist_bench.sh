#!/usr/bin/env bash
# Data-parallel benchmark (issue 11): one worker with batch BATCH against `--nproc 2` with
# BATCH / 2 each (the same global batch, the same steps), Compact x4 (64 features, 16 convs)
# from traiNNer-redux's fidelity template on 16 synthetic 256x256 pairs, lq_size LQ, on the CPU
# over Gloo (127.0.0.1).
# Throughput is iterations per second between the first and the last log record (start-up and
# rendezvous left out), median over ROUNDS alternating runs: on a shared machine the load
# changes hit both sides alike. The whole machine's cores go to either side (--threads).
# Environment: BUILD (default build), WORK (default /tmp/pairforge-dist-bench), ITERS (20),
# ROUNDS (3), BATCH (8), LQ (24).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
WORK=${WORK:-/tmp/pairforge-dist-bench}
ITERS=${ITERS:-20}
BATCH=${BATCH:-8}
LQ=${LQ:-24}
ROUNDS=${ROUNDS:-3}
PY=/usr/bin/python3
PF=$BUILD/pairforge
CORES=$(nproc)

cmake --build "$BUILD" -j2 --target pairforge >/dev/null
rm -rf "$WORK" && mkdir -p "$WORK/data"
$PY - "$WORK/data" <<'PYEOF'
import os, sys
import cv2
import numpy as np
root = sys.argv[1]
rng = np.random.default_rng(0)
for hr, lr in (("hr", "lr"), ("hr2", "lr2")):
    os.makedirs(f"{root}/{hr}", exist_ok=True)
    os.makedirs(f"{root}/{lr}", exist_ok=True)
    for i in range(8):
        im = cv2.GaussianBlur(rng.integers(0, 256, (256, 256, 3), dtype=np.uint8), (0, 0), 2)
        cv2.imwrite(f"{root}/{hr}/{i}.png", im)
        cv2.imwrite(f"{root}/{lr}/{i}.png", cv2.resize(im, (64, 64), interpolation=cv2.INTER_AREA))
PYEOF
sed "s#DATA_ROOT#$WORK/data#g" "$ROOT/tests/data/train/trainner_compact_fidelity.yml" >"$WORK/c.yml"

COMMON="--set datasets.train.lq_size=$LQ --set train.total_iter=$ITERS --set logger.print_freq=5
  --set logger.save_checkpoint_freq=100000 --set manual_seed=1 --no-progress"
# it/s from the first to the last train record of a run's log.
rate() {
  $PY - "$1" <<'PYEOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if '"event":"train"' in l]
a, b = recs[0], recs[-1]
print(f"{(b['iter'] - a['iter']) / (b['time'] - a['time']):.3f}")
PYEOF
}

echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $CORES CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
: >"$WORK/rates.csv"
for r in $(seq "$ROUNDS"); do
  $PF train -c "$WORK/c.yml" $COMMON --set datasets.train.batch_size_per_gpu=$BATCH \
    --threads "$CORES" --loader-threads "$CORES" --experiments "$WORK/one" >/dev/null 2>&1
  one=$(rate "$WORK/one/4x_Compact/train_log.jsonl")
  $PF train -c "$WORK/c.yml" $COMMON --set datasets.train.batch_size_per_gpu=$((BATCH / 2)) --nproc 2 \
    --experiments "$WORK/two" >/dev/null 2>&1
  two=$(rate "$WORK/two/4x_Compact/train_log.jsonl")
  echo "round $r: 1 worker x batch $BATCH $one it/s, 2 workers x batch $((BATCH / 2)) $two it/s"
  echo "$one,$two" >>"$WORK/rates.csv"
done
$PY - "$WORK/rates.csv" <<'PYEOF'
import statistics, sys
rows = [tuple(map(float, l.split(","))) for l in open(sys.argv[1])]
one = statistics.median(r[0] for r in rows)
two = statistics.median(r[1] for r in rows)
ratios = sorted(r[1] / r[0] for r in rows)
print(f"median: 1 worker {one:.3f} it/s, 2 workers {two:.3f} it/s; "
      f"2/1 per round {', '.join(f'{x:.2f}' for x in ratios)}")
PYEOF
