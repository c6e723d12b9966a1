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

# The machine's own architecture, in the spelling of Rust's and Debian's tool names.
machine=$(uname -m)

# The tools that build for the target's architecture: the C compiler for the C parts of
# dependencies (ring), the linker and strip. On a machine of that architecture, Debian's
# musl-gcc compiles and the plain cc links (musl-gcc would link dynamically; Rust brings
# musl's start files and libc itself). Elsewhere, Debian's cross gcc for that architecture
# does both: an amd64 machine building arm64, or an arm64 one (Apple silicon) building amd64.
tools_for() {
    local arch=${1%%-*}
    if [ "$arch" = "$machine" ]; then
        echo "musl-gcc cc strip"
    else
        echo "$arch-linux-gnu-gcc $arch-linux-gnu-gcc $arch-linux-gnu-strip"
    fi
}

rustup toolchain install --no-self-update
for arch in "${architectures[@]}"; do
    triple=$(triple_for "$arch")
    rustup target add "$triple"
    read -r compiler linker stripper <<<"$(tools_for "$triple")"
    for tool in "$compiler" "$linker" "$stripper"; do
        command -v "$tool" >/dev/null || {
            echo "build-linux-binaries.sh: $tool is missing (Debian: musl-tools, binutils, and" \
                "gcc-aarch64-linux-gnu on amd64 or gcc-x86-64-linux-gnu on arm64)" >&2
            exit 1
        }
    done
    upper=$(echo "$triple" | tr 'a-z-' 'A-Z_')
    # Without the OS keyring feature: a container has no secret store (host/Cargo.toml).
    env "CC_${triple//-/_}=$compiler" "CARGO_TARGET_${upper}_LINKER=$linker" \
        cargo build --release --locked -p facturation-pro-mcp --target "$triple" \
        --no-default-features

    root="target/image/linux-$arch"
    rm -rf "$root"
    mkdir -p "$root/etc" "$root/downloads" "$root/config"
    cp "target/$triple/release/facturation-pro-mcp" "$root/facturation-pro-mcp"
    "$stripper" "$root/facturation-pro-mcp"
    printf 'mcp:x:%s:%s:facturation-pro-mcp:/:/sbin/nologin\n' "$IMAGE_UID" "$IMAGE_UID" >"$root/etc/passwd"
    printf 'mcp:x:%s:\n' "$IMAGE_UID" >"$root/etc/group"
    echo "built $root/facturation-pro-mcp ($(du -h "$root/facturation-pro-mcp" | cut -f1))"
done
