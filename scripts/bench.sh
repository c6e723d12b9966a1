#!/usr/bin/env bash
# Start-up, tools/list, per-call overhead, memory and artifact sizes, measured on this
# machine against the bundled emulator; prints a Markdown table (see README, Performance).
# It measures the binary users get: the static Linux release build for this machine's
# architecture (scripts/build-linux-binaries.sh), not a development build.
#
# An argument picks one table instead: `stages [ROUNDS]` (where a call's time goes),
# `network` (connections, TLS, a line with latency), or `cluster` (the remote connector with
# 1, 2 and 3 replicas behind HAProxy on PostgreSQL, and 1 on the embedded store: see
# HOSTING.md; it needs Debian's haproxy, wrk and postgresql, which
# scripts/install-test-tools.sh installs, and root or the postgres user for the database).
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
