#!/usr/bin/env bash
# Static (musl) Linux builds of facturation-pro-mcp, the component precompiled inside, for
# the container images. The Dockerfile's builder stage runs this script, and so does CI
# (scripts/build-images.sh), so the from-source path is exercised even where no builder
# image can be pulled.
#
#   scripts/build-linux-binaries.sh [amd64] [arm64]    (default: both)
#
# For each architecture it leaves target/image/linux-<arch>/ holding the image's root
# filesystem: the stripped binary, /etc/passwd naming the unprivileged user, and the two
# empty folders it writes to, /downloads and /config (OAuth tokens). Any build machine works: the component is precompiled for the target's
# architecture by the build script, whatever the machine's own.
set -euo pipefail
cd "$(dirname "$0")/.."

# The user the images run as; the Dockerfile uses the same number.
readonly IMAGE_UID=10001

architectures=("$@")
[ ${#architectures[@]} -gt 0 ] || architectures=(amd64 arm64)

triple_for() {
    case "$1" in
        amd64) echo x86_64-unknown-linux-musl ;;
        arm64) echo aarch64-unknown-linux-musl ;;
        *) echo "build-linux-binaries.sh: unknown architecture '$1' (amd64 or arm64)" >&2; exit 2 ;;
    esac
}

# The C parts of dependencies (ring) need a C compiler for the target (Debian's names).
c_compiler_for() {
    case "$1" in
        x86_64-unknown-linux-musl) echo musl-gcc ;;
        aarch64-unknown-linux-musl) echo aarch64-linux-gnu-gcc ;;
    esac
}

# The final link needs a linker for the target's architecture. Rust brings musl's start
# files and libc itself, so any gcc for that architecture will do; musl-gcc would not, as
# it makes a dynamically linked executable.
linker_for() {
    case "$1" in
        x86_64-unknown-linux-musl) echo cc ;;
        aarch64-unknown-linux-musl) echo aarch64-linux-gnu-gcc ;;
    esac
}

rustup toolchain install
for arch in "${architectures[@]}"; do
    triple=$(triple_for "$arch")
    rustup target add "$triple"
    compiler=$(c_compiler_for "$triple")
    command -v "$compiler" >/dev/null || {
        echo "build-linux-binaries.sh: $compiler is missing (Debian: musl-tools, gcc-aarch64-linux-gnu)" >&2
        exit 1
    }
    upper=$(echo "$triple" | tr 'a-z-' 'A-Z_')
    # Without the OS keyring feature: a container has no secret store (host/Cargo.toml).
    env "CC_${triple//-/_}=$compiler" "CARGO_TARGET_${upper}_LINKER=$(linker_for "$triple")" \
        cargo build --release --locked -p facturation-pro-mcp --target "$triple" \
        --no-default-features

    root="target/image/linux-$arch"
    rm -rf "$root"
    mkdir -p "$root/etc" "$root/downloads" "$root/config"
    cp "target/$triple/release/facturation-pro-mcp" "$root/facturation-pro-mcp"
    case "$arch" in
        amd64) strip "$root/facturation-pro-mcp" ;;
        arm64) aarch64-linux-gnu-strip "$root/facturation-pro-mcp" ;;
    esac
    printf 'mcp:x:%s:%s:facturation-pro-mcp:/:/sbin/nologin\n' "$IMAGE_UID" "$IMAGE_UID" >"$root/etc/passwd"
    printf 'mcp:x:%s:\n' "$IMAGE_UID" >"$root/etc/group"
    echo "built $root/facturation-pro-mcp ($(du -h "$root/facturation-pro-mcp" | cut -f1))"
done
