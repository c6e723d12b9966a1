#!/usr/bin/env bash
# Lints (and so type-checks) the host for the release targets this Linux machine cannot
# build: macOS on Apple silicon and Intel, and Windows. A platform break (a Unix-only call,
# a signal or a file permission with no Windows branch) shows up here, before a tag, instead
# of on the release's macOS or Windows runner. The release workflow builds and links those
# targets on their own systems; nothing built here is shipped.
#
#   scripts/check-release-targets.sh
#
# Windows is checked as x86_64-pc-windows-gnu: the release's -msvc build needs Microsoft's
# linker only to link, and the two share every line of our code and of the crates' cfgs.
set -euo pipefail
cd "$(dirname "$0")/.."

targets=(aarch64-apple-darwin x86_64-apple-darwin x86_64-pc-windows-gnu)

# The C parts of three dependencies (ring's primitives, wasmtime's small helper file,
# SQLite) are compiled by their build scripts even for a check. SQLite is left out: told
# to link a system library instead (LIBSQLITE3_SYS_USE_PKG_CONFIG), its build script only
# names it, and a check never links; the release runners build it for real. For Windows, Debian's mingw-w64 gcc
# does it. For macOS, clang targets it but there is no Apple SDK here: ring builds without
# a C library when RING_CORE_NOSTDLIBINC is set (it has that mode for such cross checks),
# and the two SDK headers still asked for get minimal stand-ins. The objects they give are
# never linked: `cargo clippy` stops before linking.
stand_ins=target/cross-check/macos-headers
mkdir -p "$stand_ins/usr/include"
printf '#define TARGET_OS_OSX 1\n#define TARGET_OS_IPHONE 0\n' \
    >"$stand_ins/usr/include/TargetConditionals.h"
printf '#include <stddef.h>\nvoid abort(void);\n' >"$stand_ins/usr/include/stdlib.h"
macos_cflags="-isysroot $PWD/$stand_ins -DRING_CORE_NOSTDLIBINC -ffreestanding"

for tool in clang x86_64-w64-mingw32-gcc; do
    command -v "$tool" >/dev/null || {
        echo "check-release-targets.sh: $tool is missing (Debian: clang, gcc-mingw-w64-x86-64)" >&2
        exit 1
    }
done

rustup toolchain install --no-self-update
rustup target add "${targets[@]}"
target_flags=()
for target in "${targets[@]}"; do
    target_flags+=(--target "$target")
done
# One cargo run for the three: the build scripts and proc macros are built once (in the
# release profile, as scripts/test.sh's other builds, which then share them). Without
# default features, as the release builds them: no compiler, only the embedded component.
env CC_aarch64_apple_darwin=clang CC_x86_64_apple_darwin=clang \
    CFLAGS_aarch64_apple_darwin="$macos_cflags" CFLAGS_x86_64_apple_darwin="$macos_cflags" \
    CC_x86_64_pc_windows_gnu=x86_64-w64-mingw32-gcc LIBSQLITE3_SYS_USE_PKG_CONFIG=1 \
    cargo clippy --release --locked -p facturation-pro-mcp --no-default-features --all-targets \
    "${target_flags[@]}" -- -D warnings
echo "check-release-targets.sh: the host passes clippy for ${targets[*]}"
