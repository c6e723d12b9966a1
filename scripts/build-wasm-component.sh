#!/usr/bin/env bash
# The bare component for the `wasm` image (Docker's Wasm runtime, wasmtime serve, Spin):
# the same .wasm the native host embeds, left at target/image/wasm/facturation-pro-mcp.wasm.
# The Dockerfile's wasm builder stage runs this script, and so does CI.
set -euo pipefail
cd "$(dirname "$0")/.."

rustup toolchain install --no-self-update
# The profile and target directory host/build.rs uses, so a native build already made it.
cargo build --locked --profile component --target wasm32-wasip2 \
    -p facturation-pro-guest --target-dir target/guest
mkdir -p target/image/wasm
cp target/guest/wasm32-wasip2/component/facturation_pro_guest.wasm \
    target/image/wasm/facturation-pro-mcp.wasm
echo "built target/image/wasm/facturation-pro-mcp.wasm ($(du -h target/image/wasm/facturation-pro-mcp.wasm | cut -f1))"
