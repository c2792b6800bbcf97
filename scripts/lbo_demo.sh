#!/usr/bin/env bash
# docs/lbo.md, end to end on the CPU: a short clip made from datasets/ with known degradations,
# a basic-op model, the rescaling search, three LBOs, and how well each reproduces the
# degradation it was learned from (PSNR against the clip, next to a plain bicubic downscale).
#
# Usage: scripts/lbo_demo.sh [BUILD_DIR]     (default build; writes under out/lbo_demo/)
# Steps already done (their outputs exist) are skipped; delete out/lbo_demo to start over.
set -euo pipefail
cd "$(dirname "$0")/.."
PF="${1:-build}/pairforge"
OUT=out/lbo_demo
mkdir -p "$OUT"

# 1. The "real" clip: a lossless 24-frame pan over a 1080p anime frame, 960x540.
if [ ! -f "$OUT/pan_hq.mkv" ]; then
  ffmpeg -v error -y -loop 1 -framerate 8 -i datasets/samples/anime_concert.png \
    -vf "crop=960:540:'24*n':'180+6*n',format=bgr0" -frames:v 24 -c:v ffv1 "$OUT/pan_hq.mkv"
fi
# ...degraded three known ways (configs/lbo/demo/clip_*.yml): hq/ is the truth, lq/ the clip.
for kind in halo soft jaggy; do
  [ -d "$OUT/clip_$kind/lq" ] ||
    "$PF" degrade -c "configs/lbo/demo/clip_$kind.yml" -i "$OUT/pan_hq.mkv" -o "$OUT/clip_$kind"
done

# 2. The basic-op model: a SuperUltraCompact x2 trained on classical degradations only.
BASIC="$OUT/experiments/lbo_demo_basic_op/models/net_g_ema_1000.safetensors"
if [ ! -f "$BASIC" ]; then
  "$PF" train -c configs/lbo/demo/basic_op_train.yml --experiments "$OUT/experiments" \
    --set train.total_iter=1000 --no-progress
fi

# 3. The search, pseudo-HR frames and the LBO of each clip (configs/lbo/demo.yml).
for kind in halo soft jaggy; do
  [ -f "$OUT/lbo_$kind.safetensors" ] ||
    "$PF" lbo fit -c configs/lbo/demo.yml --set "name=lbo_demo_$kind" \
      --set "input=$OUT/clip_$kind/lq" --set "output=$OUT/lbo_$kind" --set "basic_op=$BASIC" \
      --experiments "$OUT/experiments" --threads 1 --no-progress
done

# 4. Each LBO applied to the clip's true HQ frames, compared with the clip itself.
for kind in halo soft jaggy; do
  cat > "$OUT/apply_$kind.yml" <<YAML
scale: 2
pipeline:
  - lbo: {weights: lbo_$kind.safetensors, device: cpu}
YAML
  [ -d "$OUT/applied_$kind/lq" ] ||
    "$PF" degrade -c "$OUT/apply_$kind.yml" -i "$OUT/clip_$kind/hq" -o "$OUT/applied_$kind"
done
/usr/bin/python3 - "$OUT" <<'PY'
import glob, os, sys
import cv2
import numpy as np

out = sys.argv[1]
def psnr(a, b):
    return 10 * np.log10(255.0**2 / np.mean((a.astype(np.float64) - b) ** 2))
print("| clip | LBO vs clip (dB) | bicubic down vs clip (dB) | frames |")
print("|---|---:|---:|---:|")
for kind in ("halo", "soft", "jaggy"):
    lbo, bic = [], []
    for lq in sorted(glob.glob(f"{out}/clip_{kind}/lq/*.png")):
        name = os.path.basename(lq)
        clip = cv2.imread(lq)
        hq = cv2.imread(f"{out}/clip_{kind}/hq/{name}")
        applied = cv2.imread(f"{out}/applied_{kind}/lq/{name}")
        down = cv2.resize(hq, (clip.shape[1], clip.shape[0]), interpolation=cv2.INTER_CUBIC)
        inner = (slice(4, -4), slice(4, -4))  # borders: padding nobody can know
        lbo.append(psnr(applied[inner], clip[inner]))
        bic.append(psnr(down[inner], clip[inner]))
    print(f"| {kind} | {np.mean(lbo):.2f} | {np.mean(bic):.2f} | {len(lbo)} |")
PY
