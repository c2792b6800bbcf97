#!/usr/bin/env bash
# Regenerates the seed corpus of every fuzz target under tests/fuzz/corpus/ from small real files:
# pairforge's own writers (models, manifests), the presets and training configs of this repository,
# tiny images and videos made with ffmpeg, and the first KB of the fixture models (test data kept
# outside the repository; trimmed heads only, never whole third-party weights).
#   tests/fuzz/make_corpus.sh [BUILD_DIR]     (default build; needs pairforge and ffmpeg)
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
CORPUS=tests/fuzz/corpus
FIXTURES=${PAIRFORGE_FIXTURES:-../shared/fixtures/models}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ff() { ffmpeg -hide_banner -loglevel error -y "$@"; }

# Model files: tiny Compact / SPAN / LBO written by pairforge (fuzz_make_seeds).
cmake --build "$BUILD" --target fuzz_make_seeds >/dev/null
"$BUILD/tests/fuzz_make_seeds" "$work/models"
for t in zip pickle safetensors checkpoint; do
  mkdir -p "$CORPUS/$t"
  cp "$work/models/$t"/* "$CORPUS/$t/"
done
if [ -d "$FIXTURES" ]; then
  for f in "$FIXTURES"/*.pth "$FIXTURES"/*.safetensors; do
    base=$(basename "$f")
    case "$f" in
      *.pth) head -c 1024 "$f" >"$CORPUS/zip/head_$base"; head -c 1024 "$f" >"$CORPUS/checkpoint/head_$base" ;;
      *) head -c 1024 "$f" >"$CORPUS/safetensors/head_$base"; head -c 1024 "$f" >"$CORPUS/checkpoint/head_$base" ;;
    esac
  done
  # A third-party .pth's structure without its weights: its data.pkl (the pickled layout, 7 KB)
  # and directory entries, DEFLATE-compressed as that file is, each storage cut to 16 bytes.
  python3 - "$FIXTURES/realesr-animevideov3.pth" "$CORPUS" <<'PY'
import sys, zipfile
src, corpus = sys.argv[1], sys.argv[2]
z = zipfile.ZipFile(src)
pkl = next(i for i in z.infolist() if i.filename.endswith('/data.pkl'))
open(f'{corpus}/pickle/realesr-animevideov3_data.pkl', 'wb').write(z.read(pkl))
with zipfile.ZipFile(f'{corpus}/zip/realesr-animevideov3_trimmed.pth', 'w') as out:
    for i in z.infolist()[:12]:
        data = z.read(i)
        if '/data/' in i.filename: data = data[:16]
        out.writestr(i, data, compress_type=i.compress_type)
PY
fi

# Degradation configs: the presets, plus small ones that reach every operator quickly.
mkdir -p "$CORPUS/degrade_config"
cp configs/degrade/*.yml "$CORPUS/degrade_config/"
cat >"$CORPUS/degrade_config/groups.yml" <<'YML'
scale: 2
seed: 3
alpha: composite
background: [0.2, 0.5, 1]
depth: 16
pipeline:
  - one_of: {weights: [1, 2], steps: [{blur: {sigma_x: [0.5, 2]}}, {noise: {sigma: {log_uniform: [1, 10]}}}]}
  - repeat: {times: [1, 2], steps: [{resize: {scale: {choice: [0.5, 0.75]}}}]}
  - shuffle: {steps: [{sharpen: {mode: fir}}, {chroma: {subsampling: "420"}}, {quantize: {}}]}
  - chain: {p: 0.5, steps: [{jpeg: {quality: [30, 95]}}, {webp: {quality: 50}}]}
YML
cat >"$CORPUS/degrade_config/codec.yml" <<'YML'
scale: 4
gt_size: 16
video: {context_frames: 2}
pipeline:
  - codec: {codec: {choice: [h264, mpeg2, mpeg4, mjpeg]}}
  - interlace: {}
  - color: {}
  - text: {p: 0.5}
YML

# Manifests written by `pairforge degrade`: the first line is the pair to replay.
mkdir -p "$CORPUS/manifest" "$work/in/sub"
ff -f lavfi -i "testsrc=size=40x32:rate=1" -frames:v 1 "$work/in/a.png"
ff -f lavfi -i "testsrc=size=40x32:rate=1" -frames:v 1 -pix_fmt rgba "$work/in/sub/b.png"
ff -f lavfi -i "testsrc=size=40x32:rate=5" -frames:v 4 -c:v libx264 "$work/in/clip.mkv"
for cfg in demo_x2 realesrgan liveaction_span; do
  "$BUILD/pairforge" degrade -c "configs/degrade/$cfg.yml" -i "$work/in" -o "$work/out_$cfg" \
    --threads 1 --no-progress >/dev/null 2>&1 || true
  m="$work/out_$cfg/manifest.jsonl"
  [ -s "$m" ] || continue
  name=$(head -n 1 "$m" | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["name"])')
  { echo "$name"; cat "$m"; } >"$CORPUS/manifest/$cfg.txt"
done
"$BUILD/pairforge" degrade -c "$CORPUS/degrade_config/groups.yml" -i "$work/in" -o "$work/out_groups" \
  --threads 1 --no-progress >/dev/null 2>&1 || true
if [ -s "$work/out_groups/manifest.jsonl" ]; then
  { echo "sub/b"; cat "$work/out_groups/manifest.jsonl"; } >"$CORPUS/manifest/groups_alpha.txt"
fi

# Training configs: ours and the traiNNer-redux template of the tests.
mkdir -p "$CORPUS/train_config"
cp configs/train/*.yml tests/data/train/*.yml "$CORPUS/train_config/"

# Images: every format and depth the io layer reads, 16x12.
mkdir -p "$CORPUS/image"
src="testsrc2=size=16x12:rate=1"
ff -f lavfi -i "$src" -frames:v 1 "$CORPUS/image/rgb8.png"
ff -f lavfi -i "$src" -frames:v 1 -pix_fmt rgba "$CORPUS/image/rgba8.png"
ff -f lavfi -i "$src" -frames:v 1 -pix_fmt gray "$CORPUS/image/gray8.png"
ff -f lavfi -i "$src" -frames:v 1 -pix_fmt rgb48be "$CORPUS/image/rgb16.png"
ff -f lavfi -i "$src" -frames:v 1 -pix_fmt rgba64be "$CORPUS/image/rgba16.png"
ff -f lavfi -i "$src" -frames:v 1 -pix_fmt pal8 "$CORPUS/image/palette.png"
ff -f lavfi -i "$src" -frames:v 1 -q:v 5 "$CORPUS/image/baseline.jpg"
ff -f lavfi -i "$src" -frames:v 1 -pix_fmt gray -q:v 5 "$CORPUS/image/gray.jpg"
ff -f lavfi -i "$src" -frames:v 1 -quality 50 "$CORPUS/image/lossy.webp"
ff -f lavfi -i "$src" -frames:v 1 -pix_fmt rgba -lossless 1 "$CORPUS/image/lossless_alpha.webp"
ff -f lavfi -i "$src" -frames:v 1 "$CORPUS/image/rgb.tiff"
ff -f lavfi -i "$src" -frames:v 1 "$CORPUS/image/rgb.bmp"

# Videos: the containers and codecs degrade/frames take, 32x24, a few frames each.
mkdir -p "$CORPUS/video"
vsrc="testsrc=size=32x24:rate=10"
ff -f lavfi -i "$vsrc" -frames:v 4 -c:v libx264 -preset ultrafast "$CORPUS/video/h264.mkv"
ff -f lavfi -i "$vsrc" -frames:v 4 -c:v libx264 -pix_fmt yuv420p10le -preset ultrafast "$CORPUS/video/h264_10bit.mp4"
ff -f lavfi -i "$vsrc" -frames:v 3 -c:v mpeg4 "$CORPUS/video/mpeg4.avi"
ff -f lavfi -i "$vsrc" -frames:v 3 -c:v libvpx-vp9 -b:v 50k "$CORPUS/video/vp9.webm"
ff -f lavfi -i "$vsrc" -frames:v 3 -c:v mpeg2video -f mpegts "$CORPUS/video/mpeg2.ts"
ff -f lavfi -i "$vsrc" -frames:v 3 -c:v ffv1 "$CORPUS/video/ffv1.mkv"
ff -f lavfi -i "$vsrc" -frames:v 3 -c:v mjpeg "$CORPUS/video/mjpeg.mov"
# Dictionaries of the text formats, from the option tables themselves (`pairforge ops`, `train
# --keys`), so new operators and keys are in them without editing this script.
mkdir -p tests/fuzz/dict
ops=$("$BUILD/pairforge" ops | awk '/^[a-z_]+$/ {print $1}')
params=$("$BUILD/pairforge" ops | awk '/^  [a-z_]+ +(float|int|bool|choice|string|text)/ {print $1}' | sort -u)
choices=$("$BUILD/pairforge" ops | awk '/^  [a-z_]+ +choice/ {print $4}' | tr '|' '\n' | sort -u)
{
  echo "# operators, their parameters and choices, and the config's own keys (generated)"
  for w in $ops $params $choices one_of chain repeat shuffle steps weights times log_uniform choice \
    description scale seed variants gt_size tile_step flat_threshold alpha background depth \
    final_resize video pipeline every scene_threshold dedup_distance start end context_frames \
    carry composite; do echo "\"$w\""; done
  printf '"%s"\n' ": " "- " "{" "}" "[" "]" ", " "&a " "*a" "!!float " "1e308" "-1" "0x10" ".nan" "~"
} >tests/fuzz/dict/degrade_config.dict
{
  echo "# manifest record keys, operators and parameters (generated)"
  for w in name input_root source crop variant seed scale alpha depth steps op params frame \
    next_frames background carry composite $ops $params $choices; do echo "\"\\\"$w\\\"\""; done
  printf '"%s"\n' ":" "," "{" "}" "[" "]" "-1" "1e308" "18446744073709551615" "2147483648" "null" "true"
} >tests/fuzz/dict/manifest.dict
keys=$("$BUILD/pairforge" train --keys | grep -o '^| `[a-z_0-9]*`' | tr -d '|` ' | sort -u)
{
  echo "# training config keys from the option tables, sections and types (generated)"
  for w in $keys datasets network_g path train val logger metrics losses optim_g scheduler \
    pairedimagedataset realesrgandataset otfdataset compact ultracompact superultracompact span \
    AdamW Adam SGD MultiStepLR CosineAnnealingLR charbonnierloss l1loss mseloss calculate_psnr \
    calculate_ssim; do echo "\"$w\""; done
  printf '"%s"\n' ": " "- " "{" "}" "[" "]" "~" "!!float " "1e12" "-1"
} >tests/fuzz/dict/train_config.dict
echo "seed corpus written to $CORPUS"
