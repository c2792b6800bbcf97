# Two commands on a fresh Debian 12 machine:
#   make demo   installs what is missing, builds, then the whole job on datasets/samples: degrade,
#               train a small model on the CPU, validate it against bicubic, export it to ONNX
#   make test   the same build, then the whole test suite
BUILD ?= build
JOBS ?= $(shell nproc)
PAIRFORGE = $(BUILD)/pairforge
DEMO_CONFIG ?= configs/degrade/realesrgan.yml

.PHONY: all deps build demo test bench asan fuzz format clean

all: build

deps:
	bash scripts/install-deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

DEMO_RUN = out/demo/experiments/tiny_demo
DEMO_MODEL = $(DEMO_RUN)/models/net_g_ema_1000.safetensors

demo: build
	$(PAIRFORGE) degrade -c $(DEMO_CONFIG) -i datasets/samples -o out/demo --threads $(JOBS)
	$(PAIRFORGE) degrade -c $(DEMO_CONFIG) --explain datasets/samples/$(shell ls datasets/samples | head -n 1) -o out/demo/explain.png
	@# Train: x2 pairs from the samples, 8 frames to train on, 2 held back (configs/train/tiny_demo.yml).
	$(PAIRFORGE) degrade -c configs/degrade/demo_x2.yml -i datasets/samples -o out/demo/pairs_x2 --threads $(JOBS)
	rm -rf out/demo/experiments
	$(PAIRFORGE) train -c configs/train/tiny_demo.yml --experiments out/demo/experiments --no-progress \
	  --threads $(JOBS) | tee out/demo/train.txt
	@grep -q "validation psnr" out/demo/train.txt && awk '/validation psnr/ { \
	  if ($$6 + 0 > $$8 + 0) print "the model beats bicubic on the held-back pairs: " $$6 " dB vs " $$8; \
	  else { print "the model did NOT beat bicubic: " $$6 " vs " $$8; exit 1 } }' \
	  FS='[ ()]+' out/demo/train.txt
	$(PAIRFORGE) plot $(DEMO_RUN) -o out/demo/curves.png
	$(PAIRFORGE) report $(DEMO_RUN) -o out/demo/report
	$(PAIRFORGE) export -m $(DEMO_MODEL) -o out/demo/tiny_demo_x2.onnx
	@echo
	@echo "HQ/LQ pairs: out/demo/hq and out/demo/lq; recipe of every pair: out/demo/manifest.jsonl"
	@echo "what each stage did to one sample: out/demo/explain.png"
	@echo "trained model: $(DEMO_MODEL) (ONNX: out/demo/tiny_demo_x2.onnx)"
	@echo "training curves: out/demo/curves.png; run page: out/demo/report/index.html"

test: build
	cd $(BUILD) && ctest --output-on-failure -j 2

bench: build
	bash bench/run.sh

asan: deps
	cmake --preset asan && cmake --build --preset asan -j $(JOBS) && ctest --preset asan

# libFuzzer targets (tests/fuzz) built with clang, ASan and UBSan in their own build folder, then
# each run for FUZZ_SECONDS from its seed corpus (FUZZ_TARGETS="zip pickle" for a subset).
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
fuzz: deps
	@command -v clang++ >/dev/null || { echo "make fuzz needs clang and its sanitizer runtimes: apt-get install clang libclang-rt-dev"; exit 1; }
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DPAIRFORGE_FUZZ=ON -DPAIRFORGE_TESTS=OFF
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_targets
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash tests/fuzz/run.sh $(FUZZ_BUILD)

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h')

clean:
	rm -rf $(BUILD) out
