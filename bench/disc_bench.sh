#!/usr/bin/env bash
# Issue 24's speed target: every frame of a 1080p H.264 M2TS to PNG, with the inverse telecine
# and the crop the source needs, by `pairforge frames` against the ffmpeg CLI running the same
# filter chain to PNG on the same cores (>= 2x). Reports frames/s (wall and CPU) and peak RSS.
# The source is made here as a disc holds it: 23.976 film, letterboxed 2.39:1, 3:2 telecined to
# 1080i29.97, interlaced H.264 with an AC-3 track in M2TS. Usage: bench/disc_bench.sh [seconds]
# [runs]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
seconds="${1:-10}"
runs="${2:-3}"
command -v ffmpeg > /dev/null || { echo "disc_bench.sh: ffmpeg CLI not found" >&2; exit 1; }
[ -x "$build/pairforge" ] || { echo "disc_bench.sh: build pairforge first (make build)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
src="$work/disc.m2ts"
image="$root/datasets/samples/$(ls "$root/datasets/samples" | head -n 1)"
# A real picture panning (so every film frame differs, as film does), letterboxed.
ffmpeg -nostdin -v error -y -loop 1 -framerate 24000/1001 -i "$image" \
  -f lavfi -i "sine=frequency=440:duration=$seconds" -t "$seconds" \
  -vf "scale=2400:-2,crop=1920:804:x='(iw-1920)*t/$seconds':y=(ih-804)/2,pad=1920:1080:0:138:black,telecine=first_field=top:pattern=23,format=yuv420p" \
  -c:v libx264 -preset veryfast -crf 18 -flags +ilme+ildct -x264opts tff=1 -g 30 -bf 2 \
  -c:a ac3 -f mpegts -mpegts_m2ts_mode 1 "$src"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "ffmpeg: $(ffmpeg -version | head -1)"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "source: $seconds s of 1080i29.97 telecined film (2.39:1 letterbox), H.264 + AC-3, M2TS"

# What pairforge decides (and so what ffmpeg is asked to do the same).
"$build/pairforge" frames "$src" -o "$work/probe" --end 0.5 2> "$work/probe.log" > /dev/null
chain=$(python3 -c "import json,sys; print(json.load(open('$work/probe/frames.json'))['source']['filter_chain'])")
echo "chain: $chain"

measure() {  # name, command...: prints frames/s (wall), CPU s, peak RSS
  local name="$1"
  shift
  rm -rf "$work/out" && mkdir -p "$work/out"
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" > /dev/null 2> "$work/err" ||
    { cat "$work/err" >&2; exit 1; }
  local n
  n=$(find "$work/out" -name '*.png' | wc -l)
  read -r wall user sys rss < "$work/time"
  python3 -c "print(f'$name: {$n} frames, {$wall:.2f} s wall, {$n/$wall:.1f} frames/s, {$user+$sys:.2f} CPU s, peak RSS {$rss/1024:.0f} MB')"
  echo "$name $wall" >> "$work/walls"
}

for r in $(seq "$runs"); do
  measure pairforge "$build/pairforge" frames "$src" -o "$work/out"
  measure ffmpeg ffmpeg -nostdin -v error -y -i "$src" -map 0:v -vf "$chain" -fps_mode passthrough \
    "$work/out/%06d.png"
done
python3 - "$work/walls" << 'EOF'
import sys, statistics
t = {}
for line in open(sys.argv[1]):
    name, wall = line.split()
    t.setdefault(name, []).append(float(wall))
pf, ff = statistics.median(t["pairforge"]), statistics.median(t["ffmpeg"])
print(f"median wall: pairforge {pf:.2f} s, ffmpeg {ff:.2f} s: pairforge is {ff / pf:.2f}x ffmpeg's speed")
EOF
