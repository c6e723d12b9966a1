#!/usr/bin/env bash
# Start-up, tools/list, per-call overhead, memory and artifact sizes, measured on this
# machine against the bundled emulator; prints a Markdown table (see README, Performance).
# It measures the binary users get: the static Linux release build for this machine's
# architecture (scripts/build-linux-binaries.sh), not a development build.
set -euo pipefail
cd "$(dirname "$0")/.."

case "$(uname -m)" in
    x86_64) arch=amd64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "bench.sh: no release build for $(uname -m)" >&2; exit 1 ;;
esac
./scripts/build-linux-binaries.sh "$arch" >/dev/null
# The rest, and the source build of the host, whose compiler runs the compile-at-start row.
cargo build --release --workspace --bins --quiet
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sm)"
export FACTURATION_MCP_BIN="$PWD/target/image/linux-$arch/facturation-pro-mcp"
exec target/release/facturation-pro-bench "$@"
