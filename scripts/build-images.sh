#!/usr/bin/env bash
# Builds the container images from the Dockerfile with buildah (no Docker daemon needed):
#   <image>:<version>-linux-amd64, <image>:<version>-linux-arm64   the Linux image per arch
#   <image>:<version>                                              their multi-arch index
#   <image>:<version>-wasm                                         the wasi/wasm image
# and exports the index and the wasm image as OCI layouts under target/image/oci and
# target/image/oci-wasm, where the tests and scripts/publish.sh find them.
#
#   scripts/build-images.sh [--image NAME] [--from-source]
#
# By default the binaries are built on this machine first (scripts/build-linux-binaries.sh,
# scripts/build-wasm-component.sh) and the Dockerfile copies them (BINARIES=prebuilt), which
# works without pulling any base image. --from-source lets the Dockerfile's builder stages
# compile them instead (needs the Rust image from a registry).
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=localhost/facturation-pro-mcp
BINARIES=prebuilt
while [ $# -gt 0 ]; do
    case "$1" in
        --image) IMAGE=$2; shift 2 ;;
        --from-source) BINARIES=source; shift ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) echo "build-images.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
VERSION=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
# shellcheck source=SCRIPTDIR/container-store.sh
. scripts/container-store.sh

if [ "$BINARIES" = prebuilt ]; then
    ./scripts/build-linux-binaries.sh amd64 arm64
    ./scripts/build-wasm-component.sh
fi

# Seconds since $1 (milliseconds since the epoch), to the millisecond.
elapsed() { awk -v ms="$(( $(date +%s%N) / 1000000 - $1 ))" 'BEGIN { printf "%.3f", ms / 1000 }'; }

buildah manifest rm "$IMAGE:$VERSION" >/dev/null 2>&1 || true
buildah manifest create "$IMAGE:$VERSION" >/dev/null
for arch in amd64 arm64; do
    start=$(( $(date +%s%N) / 1000000 ))
    buildah build --quiet --layers=false --platform "linux/$arch" --target linux \
        --build-arg "BINARIES=$BINARIES" --build-arg "VERSION=$VERSION" \
        --tag "$IMAGE:$VERSION-linux-$arch" . >/dev/null
    buildah manifest add "$IMAGE:$VERSION" "containers-storage:$IMAGE:$VERSION-linux-$arch" >/dev/null
    echo "built $IMAGE:$VERSION-linux-$arch in $(elapsed "$start") s"
done
start=$(( $(date +%s%N) / 1000000 ))
buildah build --quiet --layers=false --platform wasi/wasm --target wasm \
    --build-arg "BINARIES=$BINARIES" --build-arg "VERSION=$VERSION" \
    --tag "$IMAGE:$VERSION-wasm" . >/dev/null
echo "built $IMAGE:$VERSION-wasm in $(elapsed "$start") s"

rm -rf target/image/oci target/image/oci-wasm
buildah manifest push --quiet --all "$IMAGE:$VERSION" "oci:target/image/oci:$VERSION"
buildah push --quiet "$IMAGE:$VERSION-wasm" "oci:target/image/oci-wasm:$VERSION"
echo "exported target/image/oci (index of linux/amd64 + linux/arm64) and target/image/oci-wasm"
