#!/usr/bin/env bash
# Static (musl) Linux builds of facturation-pro-mcp, the component precompiled inside: the
# binary of the Linux release archives and of the container images. The Dockerfile's builder stage runs this script, and so does CI
# (scripts/build-images.sh), so the from-source path is exercised even where no builder
# image can be pulled.
#
#   scripts/build-linux-binaries.sh [amd64] [arm64]    (default: both)
#
# For each architecture it leaves target/image/linux-<arch>/ holding the image's root
# filesystem: the stripped binary, /etc/passwd naming the unprivileged user, and the two
# empty folders it writes to, /downloads and /config (OAuth tokens). Any build machine
# works: the component is precompiled for the target's architecture by the build script,
# whatever the machine's own.
set -euo pipefail
cd "$(dirname "$0")/.."

# The user the images run as; the Dockerfile uses the same number.
readonly IMAGE_UID=10001

architectures=("$@")
[ ${#architectures[@]} -gt 0 ] || architectures=(amd64 arm64)

# strip for the target's architecture: the machine's own, or Debian's cross binutils.
strip_for() {
    local arch=${1%%-*}
    if [ "$arch" = "$(uname -m)" ]; then echo strip; else echo "$arch-linux-gnu-strip"; fi
}

rustup toolchain install --no-self-update
for arch in "${architectures[@]}"; do
    triple=$(./scripts/cargo-linux-musl.sh "$arch" triple)
    stripper=$(strip_for "$triple")
    command -v "$stripper" >/dev/null || {
        echo "build-linux-binaries.sh: $stripper is missing (Debian: binutils, or the cross" \
            "binutils that come with gcc-aarch64-linux-gnu / gcc-x86-64-linux-gnu)" >&2
        exit 1
    }
    # The binary the release archives and both images ship (the OS keyring included: in a
    # container no session bus is announced and the token file is used), without the
    # compiler: it runs only the component precompiled inside.
    ./scripts/cargo-linux-musl.sh "$arch" build --release --locked -p facturation-pro-mcp --no-default-features

    root="target/image/linux-$arch"
    rm -rf "$root"
    mkdir -p "$root/etc" "$root/downloads" "$root/config"
    cp "target/$triple/release/facturation-pro-mcp" "$root/facturation-pro-mcp"
    "$stripper" "$root/facturation-pro-mcp"
    printf 'mcp:x:%s:%s:facturation-pro-mcp:/:/sbin/nologin\n' "$IMAGE_UID" "$IMAGE_UID" >"$root/etc/passwd"
    printf 'mcp:x:%s:\n' "$IMAGE_UID" >"$root/etc/group"
    echo "built $root/facturation-pro-mcp ($(du -h "$root/facturation-pro-mcp" | cut -f1))"
done
