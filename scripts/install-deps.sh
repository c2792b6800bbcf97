#!/usr/bin/env bash
# Installs every Debian package that pairforge's build, tests and benchmarks need.
# Idempotent: packages already present are skipped, so a second run does nothing.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake pkg-config git clang-format
  # core
  libyaml-cpp-dev libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev zlib1g-dev
  # io / degrade
  libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev libopencv-dnn-dev
  libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libturbojpeg0-dev
  libmagick++-6.q16-dev imagemagick fonts-dejavu fontconfig
  libfontconfig-dev  # text operator: font families and files through fontconfig
  fonts-wqy-microhei  # a CJK font, so the text operator's cjk charset is tested
  # models / train / infer
  libtorch-dev libopenblas0 libonnx-dev libprotobuf-dev
  # `pairforge plot` draws training curves with gnuplot
  gnuplot-nox
  # tests
  libgtest-dev libgmock-dev
  # reference implementations used by the benchmarks and interop tests
  python3 python3-numpy python3-opencv python3-torch
  ffmpeg  # the CLI that bench/codec_bench compares the in-process codec round-trip against
  nodejs  # runs onnxruntime-node, which checks the ONNX exports in tests/infer and bench/
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
else
  echo "install-deps: installing ${#missing[@]} missing packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# onnxruntime for the ONNX export tests and benchmarks: the npm package ships its prebuilt CPU
# binary, so its install script (which would download GPU binaries) is skipped. Into tools/,
# which git ignores. npm comes with nodesource's nodejs; Debian's nodejs needs the npm package.
ort_version=1.30.0
tools_dir="$(cd "$(dirname "$0")/.." && pwd)/tools"
if [ -f "$tools_dir/node_modules/onnxruntime-node/package.json" ] &&
  grep -q "\"version\": \"$ort_version\"" "$tools_dir/node_modules/onnxruntime-node/package.json"; then
  echo "install-deps: onnxruntime-node $ort_version present"
else
  if ! command -v npm > /dev/null; then  # Debian's nodejs comes without npm
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends npm
  fi
  mkdir -p "$tools_dir"
  ONNXRUNTIME_NODE_INSTALL=skip npm install --no-save --no-audit --no-fund --prefix "$tools_dir" \
    "onnxruntime-node@$ort_version"
fi
