#!/usr/bin/env bash
# CycloneDX SBOMs of what a release ships, from Cargo.lock (no network):
#   DIR/facturation-pro-mcp-X.Y.Z.cdx.json            the host binary's crates
#   DIR/facturation-pro-mcp-X.Y.Z-component.cdx.json  the wasm component's crates
#
#   scripts/sbom.sh [--out DIR]      (default DIR: target/release-assets)
#
# cargo-cyclonedx (scripts/install-test-tools.sh puts it in target/tools/bin) writes each
# SBOM beside its Cargo.toml; they are moved out, so the tree is left as it was.
set -euo pipefail
cd "$(dirname "$0")/.."

out=target/release-assets
while [ $# -gt 0 ]; do
    case "$1" in
        --out) out=$2; shift 2 ;;
        -h | --help) sed -n '2,10p' "$0"; exit 0 ;;
        *) echo "sbom.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
cyclonedx=${CARGO_CYCLONEDX:-target/tools/bin/cargo-cyclonedx}
[ -x "$cyclonedx" ] || cyclonedx=$(command -v cargo-cyclonedx) || {
    echo "sbom.sh: cargo-cyclonedx is missing (scripts/install-test-tools.sh installs it)" >&2
    exit 1
}
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
mkdir -p "$out"

# SBOM of the crate in FOLDER for TARGET (with any further cargo-cyclonedx options), moved
# to DIR/NAME. Build scripts' own crates are left out: they run at build time and ship
# nothing. cargo-cyclonedx writes one for every workspace member whatever the manifest
# given; only FOLDER's is kept.
readonly SCRATCH_NAME=sbom-of-release
sbom() {
    local folder=$1 target=$2 name=$3
    shift 3
    "$cyclonedx" cyclonedx --manifest-path "$folder/Cargo.toml" --format json \
        --target "$target" --no-build-deps --spec-version 1.5 "$@" \
        --override-filename "$SCRATCH_NAME" --quiet
    mv "$folder/$SCRATCH_NAME.json" "$out/$name"
    find . -path ./target -prune -o -name "$SCRATCH_NAME.json" -type f -exec rm -f {} +
    echo "$out/$name"
}

# The host as it ships: without the `compiler` feature (no Cranelift inside).
sbom host x86_64-unknown-linux-musl "facturation-pro-mcp-$version.cdx.json" --no-default-features
sbom guest wasm32-wasip2 "facturation-pro-mcp-$version-component.cdx.json"
