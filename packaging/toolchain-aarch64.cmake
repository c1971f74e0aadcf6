# Cross-compiling for arm64 (Raspberry Pi 3/4/5 with a 64-bit OS) on a Debian amd64 host
# with crossbuild-essential-arm64 and the :arm64 -dev packages (multiarch). Used by
# scripts/cross-arm64.sh (`make cross-arm64`). EDGELINE_ARM64_SYSROOT, when set, is an
# extra root holding the arm64 -dev packages that cannot be installed next to their
# amd64 versions (see the script).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

set(CMAKE_FIND_ROOT_PATH / /usr/aarch64-linux-gnu)
if(DEFINED ENV{EDGELINE_ARM64_SYSROOT})
  list(PREPEND CMAKE_FIND_ROOT_PATH $ENV{EDGELINE_ARM64_SYSROOT})
endif()
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config: only the arm64 .pc files (and arch-independent ones).
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")

# Test binaries (and catch_discover_tests) run under qemu. cortex-a72 is the Raspberry
# Pi 4's CPU: NEON, no SVE, so Highway dispatches to its NEON target as on a Pi.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -cpu cortex-a72)
