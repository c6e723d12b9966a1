#!/usr/bin/env bash
# Every check, as CI runs it: formatting, lints (also for the macOS and Windows targets), the
# release build (the static Linux host binaries with the embedded guest component, then the
# emulator, demo and bench), the container images, then all unit and end-to-end tests,
# including the ones driving independent checkers (wasmtime serve, the MCP conformance
# suite, the official Python and TypeScript SDKs, podman, skopeo, mcpb, actionlint, zizmor,
# cargo-deny).
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
# Every crate Cargo.lock names, for every platform: the builds below fetch only what their
# targets use, while cargo-deny and the SBOM checks read the whole graph offline.
cargo fetch --locked
# The test tools, under target/tools (once per checkout). Those built from source
# (wasmtime-cli, cargo-cyclonedx) are needed by the tests only: they build beside the lints
# and the release build at the lowest priority, on the cores those leave idle, and the
# tests wait for them. The rest (Debian packages, Node 22, the conformance suite, the SDKs,
# the linters) is mostly downloads, and the lints need some of it.
mkdir -p target/tools
touch target/tools/run-started
nice -n 19 ./scripts/install-test-tools.sh from-source >target/tools/from-source.log 2>&1 &
from_source=$!
trap 'pkill -P "$from_source" 2>/dev/null; kill "$from_source" 2>/dev/null || true' EXIT
./scripts/install-test-tools.sh prebuilt
stage "toolchain and downloaded test tools"

cargo fmt --all -- --check
# --release and an explicit --target, here and for the other targets' lints: cargo then
# keeps what runs on this machine during the build (build scripts, their own dependencies
# such as the wasmtime and Cranelift that host/build.rs precompiles the component with, proc
# macros) apart from the target's code, the same for every target, so those are built once,
# optimised, for these lints, the macOS and Windows lints and the static Linux binaries,
# instead of a debug build of them for each lint run and a release build for the binaries.
# A lint run builds no code of the crates themselves either way.
native=$(rustc -vV | sed -n 's/^host: //p')
cargo clippy --release --target "$native" --workspace --all-targets -- -D warnings
# The components' exports exist only in their WebAssembly builds, so those are linted too.
cargo clippy -p facturation-pro-guest -p sandbox-probe --target wasm32-wasip2 \
    --target-dir target/guest -- -D warnings
# The host for macOS (both architectures) and Windows: a platform break shows before a tag.
./scripts/check-release-targets.sh
stage "formatting and lints"
# The release binaries, static for amd64 and arm64: the end-to-end tests run the amd64 one
# as it ships (stripped, in target/image/linux-amd64), and the images carry both.
./scripts/build-linux-binaries.sh amd64 arm64
# Up to here every cargo run (the lints, the other platforms' lints, both static builds) used
# the one build-time wasmtime and Cranelift that host/build.rs precompiles the component with,
# the heaviest crates of the run. If a dependency change makes cargo resolve their features
# differently in one of those runs, they are compiled again, minutes each, silently: stop.
cranelift_builds=$(find target/release/deps -name 'libcranelift_codegen-*.rlib' \
    -newer target/tools/run-started | wc -l)
if [ "$cranelift_builds" -gt 1 ]; then
    echo "test.sh: the build-time Cranelift was compiled $cranelift_builds times in this run;" \
        "align the features of its dependencies with the pins in host/Cargo.toml's" \
        "[build-dependencies]" >&2
    exit 1
fi
# What the tests drive beside it: the emulator, the demo, the bench, and the host as a
# source build has it, with the compiler, which runs the tests' probe components
# (`--component`); it shares the wasmtime and Cranelift that precompile the component.
cargo build --release --workspace --bins
stage "release build"
# The image tests run the images: the Linux images and their multi-arch index, and the wasm
# image, built from the Dockerfile with the binaries above.
./scripts/build-images.sh
stage "container images"
# The host's unit tests (compiled for the release target so they reuse its build) and the
# end-to-end test binaries need none of the tools still building from source, so a failure
# among them shows before the wait (which then grows by as much: no time is saved).
./scripts/cargo-linux-musl.sh amd64 test --release --locked -p facturation-pro-mcp --no-default-features
cargo test --release --workspace --exclude facturation-pro-mcp --no-run
stage "host unit tests, and the end-to-end tests compiled"
if ! wait "$from_source"; then
    echo "test.sh: building the test tools from source failed:" >&2
    tail -n 30 target/tools/from-source.log >&2
    exit 1
fi
trap - EXIT
cat target/tools/from-source.log
stage "test tools built from source (what was left of them)"
export FACTURATION_MCP_BIN="$PWD/target/image/linux-amd64/facturation-pro-mcp"
# The end-to-end tests spend most of their time waiting on the processes they start and on
# the network, not computing: four at a time took a warm run from 86 s to 59 s on 2 cores.
export RUST_TEST_THREADS=${RUST_TEST_THREADS:-4}
# One check compares tests/documented_routes.txt with the vendor's API reference, which
# sits beside the repository in CI (../shared). It runs whenever the reference is there.
if [ -f ../shared/reference/facturation-pro-api.fr.md ]; then
    cargo test --release --workspace --exclude facturation-pro-mcp -- --include-ignored
else
    echo "note: ../shared/reference is absent, so the reference drift check stays ignored"
    cargo test --release --workspace --exclude facturation-pro-mcp
fi
stage "tests"
