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
  libavfilter-dev  # disc sources: idet, fieldmatch, decimate, bwdif, cropdetect, zscale, tonemap
  libmagick++-6.q16-dev imagemagick fonts-dejavu fontconfig
  libfontconfig-dev  # text operator: font families and files through fontconfig
  libdeflate-dev libpng-dev  # PNG writing (libdeflate) and reading (src/io/native_decode.cpp)
  libhwy-dev  # Google Highway: the vectorised filters of src/degrade/simd, dispatched at run time
  fonts-wqy-microhei  # a CJK font, so the text operator's cjk charset is tested
  # models / train / infer
  libtorch-dev libopenblas0 libonnx-dev libprotobuf-dev
  libgloo-dev  # c10d's Gloo process group header includes it: data-parallel training
  # `pairforge plot` draws training curves with gnuplot
  gnuplot-nox
  time  # GNU time: peak RSS in bench/train_bench.sh
  # tests
  libgtest-dev libgmock-dev
  python3-yaml  # PyYAML reads the config_resolved.yml a training run writes (tests/cli/train_check_cli_test.cpp)
  # reference implementations used by the benchmarks and interop tests
  python3 python3-numpy python3-opencv python3-torch
  ffmpeg  # the CLI that bench/codec_bench compares the in-process codec round-trip against
  nodejs  # runs onnxruntime-node, which checks the ONNX exports in tests/infer and bench/
  chromium  # the browser that tests/pages drives (puppeteer-core) to check the HTML pages
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

# npm packages, into tools/ (which git ignores). onnxruntime-node runs the ONNX export tests and
# benchmarks: it ships its prebuilt CPU binary, so its install script (which would download GPU
# binaries) is skipped. uplot is the chart library that CMake embeds into `pairforge report`
# pages. puppeteer-core drives Debian's chromium in the page tests (it downloads no browser; 24.x
# is the last line that runs on Debian's node 20). npm prunes what a later --no-save install does
# not name, so all of them go in one command. npm comes with nodesource's nodejs; Debian's nodejs
# needs the npm package.
npm_packages=(onnxruntime-node@1.30.0 uplot@1.6.32 puppeteer-core@24.43.1)
tools_dir="$(cd "$(dirname "$0")/.." && pwd)/tools"
npm_missing=0
for spec in "${npm_packages[@]}"; do
  json="$tools_dir/node_modules/${spec%@*}/package.json"
  if ! { [ -f "$json" ] && grep -q "\"version\": \"${spec##*@}\"" "$json"; }; then
    npm_missing=1
  fi
done
if [ "$npm_missing" = 0 ]; then
  echo "install-deps: npm packages present: ${npm_packages[*]}"
else
  if ! command -v npm > /dev/null; then  # Debian's nodejs comes without npm
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends npm
  fi
  mkdir -p "$tools_dir"
  ONNXRUNTIME_NODE_INSTALL=skip PUPPETEER_SKIP_DOWNLOAD=1 npm install --no-save --no-audit \
    --no-fund --prefix "$tools_dir" "${npm_packages[@]}"
fi
