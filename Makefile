# edgeline: the two commands of the README's quick start are `make demo` and `make test`.
# Both install missing Debian packages first (scripts/install-deps.sh) and build with CMake.

BUILD ?= build
BUILD_TYPE ?= Debug
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=

.PHONY: all deps configure build test test-unit test-integration test-asan test-asan-unit \
	test-tsan fuzz demo bench clean format deb cross-arm64

all: build

deps:
	@scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS) >/dev/null

build: configure
	@MAKEFLAGS= MAKELEVEL= cmake --build $(BUILD) -j$(JOBS) -- --no-print-directory

test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

test-unit: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) -L unit

test-integration: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) -L integration

# The unit and integration suites under ASan+UBSan, and under TSan, in their own build dirs.
SAN_ENV = ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$(CURDIR)/tests/tsan.supp
test-asan:
	@$(MAKE) --no-print-directory build BUILD=build-asan CMAKE_FLAGS=-DEDGELINE_SANITIZE=address
	cd build-asan && $(SAN_ENV) ctest --output-on-failure -j$(JOBS)

test-asan-unit:
	@$(MAKE) --no-print-directory build BUILD=build-asan CMAKE_FLAGS=-DEDGELINE_SANITIZE=address
	cd build-asan && $(SAN_ENV) ctest --output-on-failure -j$(JOBS) -L unit

test-tsan:
	@$(MAKE) --no-print-directory build BUILD=build-tsan CMAKE_FLAGS=-DEDGELINE_SANITIZE=thread
	cd build-tsan && $(SAN_ENV) ctest --output-on-failure -j$(JOBS)

# libFuzzer over every decoder; FUZZ_SECONDS per target (default 60).
fuzz:
	@scripts/fuzz.sh

# KEEP=1 leaves the demo stack running and prints its URLs.
demo: build
	@BUILD=$(BUILD) KEEP=$(KEEP) scripts/demo.sh

# The edgeline-agent Debian package for this machine's architecture: an agent-only
# Release build in $(DEB_BUILD), profile-guided (scripts/pgo-build.sh: a minute of training
# on generated data, then the unit tests run on the build that is packaged; PGO=0 for a
# plain Release build without tests), then CPack (packaging/cpack.cmake).
DEB_BUILD ?= build-deb
PGO ?= 1
DEB_OPTIONS = -DEDGELINE_BUILD_AGGREGATOR=OFF -DEDGELINE_BUILD_CLI=OFF
deb: deps
ifeq ($(PGO),1)
	@MAKEFLAGS= MAKELEVEL= JOBS=$(JOBS) scripts/pgo-build.sh $(DEB_BUILD) $(DEB_OPTIONS) \
	  -DEDGELINE_BUILD_TESTS=ON
else
	@cmake -S . -B $(DEB_BUILD) -DCMAKE_BUILD_TYPE=Release -DEDGELINE_PGO=OFF $(DEB_OPTIONS) \
	  -DEDGELINE_BUILD_TESTS=OFF >/dev/null
	@MAKEFLAGS= MAKELEVEL= cmake --build $(DEB_BUILD) -j$(JOBS) -- --no-print-directory
endif
	cd $(DEB_BUILD) && cpack -G DEB

# arm64: cross-compile the agent (crossbuild-essential-arm64, :arm64 libraries), run its
# unit tests under qemu-aarch64 on a Raspberry Pi 4's CPU (NEON), and build the arm64
# .deb in build-arm64/. Installs what it needs with apt; slow; not part of `make test`.
cross-arm64:
	@JOBS=$(JOBS) scripts/cross-arm64.sh

clean:
	rm -rf $(BUILD)

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')
