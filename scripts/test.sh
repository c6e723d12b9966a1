#!/usr/bin/env bash
# Every check, as CI runs it: formatting, lints, the release build (host binary with the
# embedded guest component, emulator, demo), the container images, then all unit and
# end-to-end tests, including the ones driving independent checkers (wasmtime serve, the MCP
# conformance suite, the official Python and TypeScript SDKs, podman, skopeo, mcpb).
set -euo pipefail
cd "$(dirname "$0")/.."

# Each stage's duration, so the cost of every part of the run is visible in CI's log.
run_started=$SECONDS
stage_started=$SECONDS
stage() {
    echo "test.sh: stage done in $((SECONDS - stage_started)) s (total $((SECONDS - run_started)) s): $1"
    stage_started=$SECONDS
}

# rustup does not always add the targets rust-toolchain.toml lists (wasm32-wasip2): ask,
# without letting it replace itself on the way.
rustup toolchain install --no-self-update
# wasmtime-cli, Node 22 and the conformance suite, under target/tools (once per checkout).
./scripts/install-test-tools.sh
stage "toolchain and test tools"

cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
# The images' host is built without the keyring (see host/Cargo.toml): lint that build too.
cargo clippy -p facturation-pro-mcp --no-default-features -- -D warnings
# The guest's export exists only in its WebAssembly build, so that build is linted too.
cargo clippy -p facturation-pro-guest --target wasm32-wasip2 --target-dir target/guest -- -D warnings
stage "formatting and lints"
# The end-to-end tests spawn the host binary, so it must exist before they run.
cargo build --release --workspace --bins
stage "release build"
# The image tests run the images: static binaries for amd64 and arm64, the wasm component,
# the Linux images and their multi-arch index and the wasm image, built from the Dockerfile.
./scripts/build-images.sh
stage "container images"
# One check compares tests/documented_routes.txt with the vendor's API reference, which
# sits beside the repository in CI (../shared). It runs whenever the reference is there.
if [ -f ../shared/reference/facturation-pro-api.fr.md ]; then
    cargo test --release --workspace -- --include-ignored
else
    echo "note: ../shared/reference is absent, so the reference drift check stays ignored"
    cargo test --release --workspace
fi
stage "tests"
