#!/usr/bin/env bash
# A real MCP session against the bundled Facturation.PRO emulator: no account needed.
# Builds the server and the emulator, then prints the transcript of the session.
set -euo pipefail
cd "$(dirname "$0")/.."

# rustup does not always add the targets rust-toolchain.toml lists (wasm32-wasip2): ask.
rustup toolchain install --no-self-update
cargo build --release --workspace --bins --quiet
exec target/release/facturation-pro-demo "$@"
