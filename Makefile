# Two commands on a fresh Debian 12 machine:
#   make demo   installs what is missing, builds, degrades datasets/samples into out/demo
#   make test   the same, then the whole test suite
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

demo: build
	$(PAIRFORGE) degrade -c $(DEMO_CONFIG) -i datasets/samples -o out/demo --threads $(JOBS)
	$(PAIRFORGE) degrade -c $(DEMO_CONFIG) --explain datasets/samples/$(shell ls datasets/samples | head -n 1) -o out/demo/explain.png
	@echo
	@echo "HQ/LQ pairs: out/demo/hq and out/demo/lq; recipe of every pair: out/demo/manifest.jsonl"
	@echo "what each stage did to one sample: out/demo/explain.png"

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
