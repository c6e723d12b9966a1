#!/usr/bin/env bash
# Every check, as CI runs it: formatting, lints, the release build (host binary with the
# embedded guest component, emulator, demo), then all unit and end-to-end tests.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
# The end-to-end tests spawn the host binary, so it must exist before they run.
cargo build --release --workspace --bins
cargo test --release --workspace
