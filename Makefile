# Entry points for developers and CI (GNU make; Linux and macOS):
#   make deps | build | test | demo | bench | asan | tsan | abi-check | abi-baseline | clean | format
# PRESET names a configure/build/test preset of CMakePresets.json. It defaults to
# `dev`, or to `ci` (warnings as errors) when the environment has CI=true.

# Keeps the makefiles that CMake generates from printing "Entering directory" lines.
export GNUMAKEFLAGS := --no-print-directory

ifeq ($(CI),true)
PRESET ?= ci
else
PRESET ?= dev
endif

NCPU := $(shell nproc 2>/dev/null || sysctl -n hw.ncpu 2>/dev/null || echo 2)
BUILDDIR := build$(if $(filter dev,$(PRESET)),,-$(PRESET))
BINDIR := $(BUILDDIR)/bin
CLANG_FORMAT ?= clang-format
FORMAT_DIRS := $(wildcard cpp capi bindings tests)

# GCC 12's ThreadSanitizer (and Clang's before 18) aborts with "unexpected memory
# mapping" on kernels whose vm.mmap_rnd_bits is above 28 (32 on e.g. Ubuntu 24.04).
# Turning off address-space randomisation for our own process tree with
# `setarch -R` avoids it without root. The build is wrapped as well, because
# doctest_discover_tests runs the test binary right after linking it.
ifeq ($(PRESET),tsan)
ifeq ($(shell test "$$(cat /proc/sys/vm/mmap_rnd_bits 2>/dev/null || echo 0)" -gt 28 && echo high),high)
RUN := $(shell setarch "$$(uname -m)" -R true 2>/dev/null && echo setarch "$$(uname -m)" -R)
ifeq ($(RUN),)
$(warning vm.mmap_rnd_bits > 28 and setarch -R is not permitted: TSan may fail; try 'sudo sysctl vm.mmap_rnd_bits=28')
endif
endif
endif

.DEFAULT_GOAL := build
.PHONY: deps build test demo bench asan tsan abi-check abi-baseline clean format

deps:
	@sh cmake/install-deps.sh

build: deps
	cmake --preset $(PRESET)
	$(RUN) cmake --build --preset $(PRESET) -j $(NCPU)

test: build
	$(RUN) ctest --preset $(PRESET) --output-on-failure -j $(NCPU)

demo: build
	$(BINDIR)/uvmapi-demo $(DEMO_ARGS)

# The benchmarks (tests/bench): an optimised build of their own (the bench
# preset, build-bench/), then every case several times; writes
# docs/performance.md and docs/performance.json. BENCH_ARGS go to the driver,
# e.g. BENCH_ARGS="--only latency --repeats 3".
bench: deps
	cmake --preset bench
	cmake --build --preset bench -j $(NCPU)
	python3 tests/bench/run_bench.py --bin build-bench/bin --out docs $(BENCH_ARGS)

asan tsan:
	@$(MAKE) --no-print-directory test PRESET=$@

# The ABI of libuvmapi.so.1 against the committed baseline capi/abi/libuvmapi.so.1.abi
# (Linux, needs abidw and abidiff from abigail-tools; see cmake/abi-check.sh).
# abi-baseline rewrites the baseline on purpose, for a release.
abi-check abi-baseline: deps
	JOBS=$(NCPU) sh cmake/abi-check.sh $(patsubst abi-%,%,$@)

clean:
	rm -rf build build-release build-ci build-asan build-tsan build-abi build-bench

format:
ifneq ($(FORMAT_DIRS),)
	find $(FORMAT_DIRS) -type f \( -name '*.h' -o -name '*.hpp' -o -name '*.c' -o -name '*.cpp' \) \
	  -exec $(CLANG_FORMAT) -i {} +
endif
