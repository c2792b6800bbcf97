#!/usr/bin/env bash
# Fault injection for the long jobs (issue 14): kill -9 soaks and full disks.
#
#   bench/fault_soak.sh [kill-degrade|kill-train|disk-degrade|disk-train|all]   (default all)
#
# kill-*: one uninterrupted reference run, then rounds of: run the same command into a fresh
#   folder, SIGKILL it after a random delay, run it again (degrade resumes by itself, train with
#   --resume auto), ... until a run finishes on its own; then the output must equal the
#   reference byte for byte (degrade: every file, manifest included; train: every file under
#   models/, training_states/ and visualization/, and the same records in train_log.jsonl) with
#   no temp file and nothing else left over. Rounds repeat
#   until KILLS kills were survived.
# disk-*: the job writes into a small tmpfs that fills up part-way (at DISK_FILL percent of the
#   finished output, default 20 35 50 65 80, so different files meet the full disk; root only; skipped
#   with a message where mounting is not allowed). It must stop with exit code 5 and an error that
#   says "no space left on device" and names the file; every file it left must be byte-identical
#   to the reference's (nothing torn, no temp file); after the tmpfs is grown, a rerun must finish
#   and equal the reference.
#
# Environment: BUILD (default build), WORK (default /tmp/pairforge-faults), KILLS (per kill-*
# job, default 100), DISK_FILL, SEED (of the kill delays, default 1). Prints one summary line per
# job and fill level.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
BIN=$BUILD/pairforge
WORK=${WORK:-/tmp/pairforge-faults}
KILLS=${KILLS:-100}
DISK_FILL=${DISK_FILL:-20 35 50 65 80}
RANDOM=${SEED:-1}
MODE=${1:-all}
[ -x "$BIN" ] || { echo "no $BIN: build pairforge first" >&2; exit 2; }

ff() { ffmpeg -hide_banner -loglevel error -y "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
now_ms() { date +%s%3N; }
sleep_ms() { sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"; }
temps_in() { find "$1" -name '*.tmp-*' 2>/dev/null | wc -l; }

# --- inputs ------------------------------------------------------------------------------------
# degrade: 44 stills (one with alpha, some in a subfolder) and a 12-frame video: about 3 s of
# work on 2 threads, so most kills land while pairs are being made and written.
make_degrade_inputs() {
  local in=$WORK/degrade_in
  [ -d "$in" ] && return
  mkdir -p "$in/sub"
  for i in $(seq 0 39); do
    ff -f lavfi -i "testsrc2=size=256x192:rate=25" -vf "select=eq(n\,$((i * 7)))" -frames:v 1 \
      "$in/$(printf 'f%02d' "$i").png"
  done
  for i in 0 1 2; do
    ff -f lavfi -i "mandelbrot=size=160x120:rate=25" -vf "select=eq(n\,$((i * 9)))" -frames:v 1 \
      "$in/sub/$(printf 'm%d' "$i").jpg"
  done
  ff -f lavfi -i "testsrc2=size=160x96:rate=1" -frames:v 1 -pix_fmt rgba "$in/sub/alpha.png"
  ff -f lavfi -i "testsrc=size=128x96:rate=10" -frames:v 12 -c:v libx264 -preset ultrafast \
    "$in/clip.mkv"
  cat >"$WORK/degrade.yml" <<'YML'
# realesrgan.yml's two stages in small, plus a codec and text, so pairs take some milliseconds.
scale: 2
seed: 5
variants: 2
video: {every: 3}
pipeline:
  - blur: {p: 0.8, kernel: {choice: [iso, aniso]}, sigma_x: [0.2, 2]}
  - resize: {scale: [0.5, 1.2], algorithm: {choice: [cubic, bilinear, box]}}
  - noise: {sigma: [1, 10]}
  - jpeg: {quality: [40, 95]}
  - codec: {p: 0.3, codec: {choice: [h264, mpeg4]}, preset: ultrafast}
  - text: {p: 0.3}
YML
}

# train: traiNNer-redux's Compact template (tests/data/train) on 6 small HQ/LQ pairs.
make_train_inputs() {
  local d=$WORK/train_data
  [ -d "$d" ] && return
  mkdir -p "$d"/{hr,lr,hr2,lr2,val_hr,val_lr}
  local i=0
  for p in hr:lr hr:lr hr:lr hr2:lr2 hr2:lr2 val_hr:val_lr; do
    ff -f lavfi -i "testsrc2=size=128x96:rate=25" -vf "select=eq(n\,$((i * 11)))" -frames:v 1 \
      "$d/${p%%:*}/p$i.png"
    ff -i "$d/${p%%:*}/p$i.png" -vf scale=32:24:flags=area "$d/${p##*:}/p$i.png"
    i=$((i + 1))
  done
  sed "s|DATA_ROOT|$d|g" "$ROOT/tests/data/train/trainner_compact_fidelity.yml" >"$WORK/train.yml"
}

TRAIN_ARGS="--set datasets.train.lq_size=16 --set datasets.train.batch_size_per_gpu=4
  --set network_g.num_conv=4 --set network_g.num_feat=16 --set manual_seed=3
  --set train.total_iter=200 --set logger.save_checkpoint_freq=5 --set logger.print_freq=10
  --set val.val_enabled=true --set val.val_freq=50 --set val.save_img=true
  --threads 1 --loader-threads 1 --no-progress"

degrade_cmd() { echo "$BIN degrade -c $WORK/degrade.yml -i $WORK/degrade_in -o $1 --threads 2 --no-progress"; }
train_cmd() { echo "$BIN train -c $WORK/train.yml $TRAIN_ARGS --experiments $1 --resume auto"; }

# The part of a run that must match the reference byte for byte.
compared_dir() {
  case $1 in
    degrade) echo "$2" ;;
    train) echo "$2/4x_Compact" ;;
  esac
}

same_output() {  # job ref out
  local a b
  a=$(compared_dir "$1" "$2")
  b=$(compared_dir "$1" "$3")
  if [ "$1" = degrade ]; then
    diff -r "$a" "$b" >/dev/null || { diff -rq "$a" "$b" | head -5 >&2; return 1; }
  else
    for sub in models training_states visualization; do
      diff -r "$a/$sub" "$b/$sub" >/dev/null || { diff -rq "$a/$sub" "$b/$sub" | head -5 >&2; return 1; }
    done
    same_train_log "$a/train_log.jsonl" "$b/train_log.jsonl" || return 1
    # Nothing but the run folder itself (an archived copy would be a stray).
    [ "$(ls "$3")" = "4x_Compact" ] || { ls "$3" >&2; return 1; }
  fi
}

# train_log.jsonl holds times, so it cannot equal the reference's byte for byte: every line must
# be whole, the records must be the reference's (event, iteration, learning rate, validation
# metrics) in its order, none lost or doubled. The mean losses of the first record after a resume
# are left out: they average over the iterations since the checkpoint, not since the last record.
same_train_log() {  # reference.jsonl run.jsonl
  /usr/bin/python3 - "$1" "$2" <<'PY' >&2
import json, sys
def records(path):
    out = []
    for n, line in enumerate(open(path), 1):
        try:
            r = json.loads(line)
        except ValueError:
            sys.exit(f"{path}:{n}: a torn line")
        out.append((r.get("event"), r.get("iter"), r.get("lr"), json.dumps(r.get("metrics"))))
    return out
a, b = records(sys.argv[1]), records(sys.argv[2])
if a != b:
    sys.exit(f"{sys.argv[2]}: {len(b)} records, not the reference's {len(a)}, or different ones")
PY
}

reference() {  # job -> prints the reference folder, made once
  local ref=$WORK/ref_$1
  if [ ! -d "$ref" ]; then
    local cmd
    cmd=$("${1}_cmd" "$ref")
    (cd "$WORK" && $cmd >"$WORK/ref_$1.log" 2>&1) || fail "$1 reference run failed (see $WORK/ref_$1.log)"
  fi
  echo "$ref"
}

# --- kill -9 soak ------------------------------------------------------------------------------
kill_soak() {
  local job=$1 ref t0 t1 full_ms startup_ms kills=0 rounds=0 mid_write=0 runs=0
  ref=$(reference "$job")
  t0=$(now_ms)
  "$BIN" --version >/dev/null
  t1=$(now_ms)
  startup_ms=$((t1 - t0))
  # One timed run gives the delay range: kills land anywhere from start-up to the last write.
  t0=$(now_ms)
  (cd "$WORK" && $("${job}_cmd" "$WORK/timing_$job") >/dev/null 2>&1)
  t1=$(now_ms)
  full_ms=$((t1 - t0))
  rm -rf "$WORK/timing_$job"
  while [ $kills -lt "$KILLS" ]; do
    rounds=$((rounds + 1))
    local out=$WORK/soak_$job
    rm -rf "$out"
    while true; do
      runs=$((runs + 1))
      (cd "$WORK" && exec $("${job}_cmd" "$out") >>"$WORK/soak_$job.log" 2>&1) &
      # From half the start-up time (loading the libraries) to the end of an uninterrupted run.
      local pid=$! delay=$((startup_ms / 2 + RANDOM % (full_ms - startup_ms / 2 + 1)))
      sleep_ms $delay
      [ -n "${VERBOSE:-}" ] && echo "round $rounds run $runs: kill after $delay ms" >&2
      # The exit status tells a kill from a run that ended first (a zombie still takes the kill).
      local rc=0
      kill -9 $pid 2>/dev/null || true
      wait $pid 2>/dev/null || rc=$?
      if [ $rc -eq 137 ]; then
        kills=$((kills + 1))
        [ "$(temps_in "$out")" -gt 0 ] && mid_write=$((mid_write + 1))
      elif [ $rc -eq 0 ]; then
        break
      else
        fail "$job: a resumed run failed (exit $rc, see $WORK/soak_$job.log)"
      fi
    done
    same_output "$job" "$ref" "$out" || fail "$job: round $rounds differs from the reference"
    [ "$(temps_in "$out")" -eq 0 ] || fail "$job: temp files left after round $rounds"
  done
  printf 'kill-%s: %d kills survived in %d rounds (%d runs; %d kills left a temp file mid-write, '\
'all removed by the next run); every round byte-identical to the uninterrupted run\n' \
    "$job" "$kills" "$rounds" "$runs" "$mid_write"
}

# --- full disk ---------------------------------------------------------------------------------
disk_full() {  # job percent: the tmpfs holds this share of the finished output
  local job=$1 pct=$2 ref mnt=$WORK/disk_$1 out bytes size_k log rc=0 a b
  ref=$(reference "$job")
  mkdir -p "$mnt"
  bytes=$(du -sb "$(compared_dir "$job" "$ref")" | cut -f1)
  size_k=$((bytes * pct / 100 / 1024))
  if ! mount -t tmpfs -o size=${size_k}k tmpfs "$mnt" 2>/dev/null; then
    echo "disk-$job: skipped (cannot mount a tmpfs here: needs root and mount permission)"
    return
  fi
  out=$mnt/out
  log=$WORK/disk_$job.log
  (cd "$WORK" && $("${job}_cmd" "$out") >"$log" 2>&1) || rc=$?
  local err
  # The last error is the one the run ended with (train logs a failed rescue save first).
  err=$(grep -i 'no space left' "$log" | tail -1 | sed 's/^\[[^]]*\] \[[a-z]*\] //' || true)
  # What the full disk left: no temp file, and every file byte-identical to the reference's.
  local temps torn=0 kept=0
  temps=$(temps_in "$out")
  a=$(compared_dir "$job" "$ref")
  b=$(compared_dir "$job" "$out")
  while IFS= read -r f; do
    kept=$((kept + 1))
    case $f in
      # Logs hold times, the run's config copies its paths: these must be whole, not equal.
      *.jsonl)
        /usr/bin/python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1]) if l.strip()]' \
          "$b/$f" 2>/dev/null || { torn=$((torn + 1)); echo "torn: $f" >&2; } ;;
      *.yml) ;;
      *) cmp -s "$b/$f" "$a/$f" || { torn=$((torn + 1)); echo "torn or different: $f" >&2; } ;;
    esac
  done < <(cd "$b" && find . -type f | sed 's|^\./||')
  mount -o remount,size=256m "$mnt"
  local rc2=0
  (cd "$WORK" && $("${job}_cmd" "$out") >"$log.rerun" 2>&1) || rc2=$?
  local same=no
  same_output "$job" "$ref" "$out" && same=yes
  umount "$mnt"
  [ $rc -eq 5 ] || fail "disk-$job: exit code $rc, not 5 (see $log)"
  [ -n "$err" ] || fail "disk-$job: no 'no space left on device' in the error (see $log)"
  [ "$temps" -eq 0 ] || fail "disk-$job: $temps temp files left on the full disk"
  [ $torn -eq 0 ] || fail "disk-$job: $torn torn files"
  [ $rc2 -eq 0 ] || fail "disk-$job: the rerun after freeing space failed (see $log.rerun)"
  [ $same = yes ] || fail "disk-$job: the rerun's output differs from the reference"
  echo "disk-$job: ${size_k} KiB tmpfs ($pct % of the output) filled: exit 5, '$err'; $kept files kept, none torn," \
    "no temp file; the rerun after freeing space finished byte-identical to the reference"
}

mkdir -p "$WORK"
# A failure between mounting and unmounting a tmpfs must not leave it mounted.
trap 'for m in "$WORK"/disk_*; do mountpoint -q "$m" && umount "$m"; done; true' EXIT
case $MODE in
  kill-degrade) make_degrade_inputs; kill_soak degrade ;;
  kill-train) make_train_inputs; kill_soak train ;;
  disk-degrade) make_degrade_inputs; for p in $DISK_FILL; do disk_full degrade "$p"; done ;;
  disk-train) make_train_inputs; for p in $DISK_FILL; do disk_full train "$p"; done ;;
  all)
    make_degrade_inputs; make_train_inputs
    kill_soak degrade; kill_soak train
    for p in $DISK_FILL; do disk_full degrade "$p"; disk_full train "$p"; done ;;
  *) echo "usage: $0 [kill-degrade|kill-train|disk-degrade|disk-train|all]" >&2; exit 2 ;;
esac
