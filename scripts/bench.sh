#!/usr/bin/env bash
# Start-up, tools/list, per-call overhead, memory and artifact sizes, measured on this
# machine against the bundled emulator; prints a Markdown table (see README, Performance).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --workspace --bins --quiet
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sm)"
exec target/release/facturation-pro-bench "$@"
