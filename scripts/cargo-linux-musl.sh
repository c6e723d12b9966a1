#!/usr/bin/env bash
# Runs cargo for the static (musl) Linux target of one architecture, with the C compiler and
# linker that target needs on this machine. scripts/build-linux-binaries.sh builds the
# released binaries through it, and scripts/test.sh runs the host's unit tests through it,
# so both compile with the same settings and the tests reuse the release build.
#
#   scripts/cargo-linux-musl.sh amd64|arm64 CARGO-SUBCOMMAND [ARGS...]
#   e.g. scripts/cargo-linux-musl.sh amd64 test --release -p facturation-pro-mcp
#   scripts/cargo-linux-musl.sh amd64|arm64 triple      prints the target triple only
#
# Prints nothing of its own; fails naming the Debian package when a tool is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

[ $# -ge 2 ] || { sed -n '2,11p' "$0" >&2; exit 2; }
arch=$1
subcommand=$2
shift 2

case "$arch" in
    amd64) triple=x86_64-unknown-linux-musl ;;
    arm64) triple=aarch64-unknown-linux-musl ;;
    *) echo "cargo-linux-musl.sh: unknown architecture '$arch' (amd64 or arm64)" >&2; exit 2 ;;
esac
if [ "$subcommand" = triple ]; then
    echo "$triple"
    exit 0
fi

# On a machine of that architecture, Debian's musl-gcc compiles the C parts of dependencies
# (ring) and the plain cc links (musl-gcc would link dynamically; Rust brings musl's start
# files and libc itself). Elsewhere, Debian's cross gcc for that architecture does both: an
# amd64 machine building arm64, or an arm64 one (Apple silicon) building amd64.
machine=$(uname -m)
if [ "${triple%%-*}" = "$machine" ]; then
    compiler=musl-gcc linker=cc
else
    compiler=${triple%%-*}-linux-gnu-gcc linker=$compiler
fi
for tool in "$compiler" "$linker"; do
    command -v "$tool" >/dev/null || {
        echo "cargo-linux-musl.sh: $tool is missing (Debian: musl-tools, and" \
            "gcc-aarch64-linux-gnu on amd64 or gcc-x86-64-linux-gnu on arm64)" >&2
        exit 1
    }
done

rustup target add "$triple" >/dev/null 2>&1 || rustup target add "$triple"
upper=$(echo "$triple" | tr 'a-z-' 'A-Z_')
# SQLite (the remote connector's store) is compiled in. Through the cross gcc it sees
# glibc's headers, which rename file calls to their *64 forms that musl does not export;
# on these 64-bit targets the plain calls are already 64-bit, so SQLite is told not to ask
# for the large-file variants. mimalloc (the allocator of these builds, host/Cargo.toml)
# would otherwise commit each arena it reserves whole, on Linux: 8 MB more resident memory
# from the start for no measurable speed; told not to, it commits pages as they are used.
exec env "CC_${triple//-/_}=$compiler" "CARGO_TARGET_${upper}_LINKER=$linker" \
    "CFLAGS_${triple//-/_}=-DSQLITE_DISABLE_LFS -DMI_DEFAULT_ARENA_EAGER_COMMIT=0" \
    cargo "$subcommand" --target "$triple" "$@"
