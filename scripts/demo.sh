#!/usr/bin/env bash
# A real MCP session against the bundled Facturation.PRO emulator: no account needed.
# Builds the server and the emulator, then prints the transcript of the session.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --workspace --bins --quiet
exec target/release/facturation-pro-demo "$@"
