#!/usr/bin/env bash
# Packs facturation-pro-mcp as MCP Bundles (.mcpb): a zip holding manifest.json (from
# mcp-manifest.json) and the binary under server/, which Claude Desktop and other MCPB
# clients install with a double click and configure through the manifest's user_config.
#
#   scripts/bundle.sh [amd64] [arm64]    Linux bundles (default: both)
#   scripts/bundle.sh native             a bundle for the machine it runs on
#
# Linux bundles take the static binaries that scripts/build-linux-binaries.sh leaves in
# target/image/linux-<arch>/ (the ones the container images hold) and build them only when
# they are missing. Each goes to target/bundle/facturation-pro-mcp-<version>-linux-<arch>.mcpb.
#
# macOS and Windows bundles are made on those systems, because the binary embeds the tool
# component compiled to machine code for the very OS and CPU it is built for:
#   macOS:    install rustup and Node, run scripts/install-test-tools.sh (for the mcpb CLI),
#             then `scripts/bundle.sh native` on an Apple silicon Mac (darwin-arm64) and on
#             an Intel one (darwin-amd64).
#   Windows:  the same in Git Bash (windows-amd64, or windows-arm64 on an ARM machine); the
#             binary goes in as server/facturation-pro-mcp.exe, the name the manifest's
#             win32 override starts.
# A native bundle holds target/release/facturation-pro-mcp (built here if missing) and its
# manifest lists only that one platform, so a client never installs it on another system.
#
# The amd64 Linux bundle is the one the official MCP registry's server.json points to: its
# SHA-256 goes into target/bundle/server.json, a copy of server.json ready for
# `mcp-publisher publish` once the bundle is attached to the GitHub release v<version>.
#
# The official CLI (npm @anthropic-ai/mcpb, pinned in scripts/install-test-tools.sh)
# validates the manifest and packs; set MCPB to another cli.js to use that one.
set -euo pipefail
cd "$(dirname "$0")/.."

workspace_field() {
    sed -n "/^\[workspace.package\]/,/^\[/s/^$1 = \"\(.*\)\"\$/\1/p" Cargo.toml
}
version=$(workspace_field version)
repository=$(workspace_field repository)
if [ -z "$version" ] || [ -z "$repository" ]; then
    echo "bundle.sh: Cargo.toml's [workspace.package] lacks version or repository" >&2
    exit 1
fi

# Node 22 from target/tools when the machine's is older (install-test-tools.sh put it there).
node=node
if [ -x target/tools/bin/node ]; then
    node=target/tools/bin/node
fi
mcpb=${MCPB:-target/tools/mcpb/node_modules/@anthropic-ai/mcpb/dist/cli/cli.js}
if [ ! -f "$mcpb" ]; then
    echo "bundle.sh: the mcpb CLI is missing ($mcpb): run scripts/install-test-tools.sh" >&2
    exit 1
fi

mkdir -p target/bundle

# pack <binary> <platform> <name in server/> <bundle file>
pack() {
    local binary=$1 platform=$2 name=$3 bundle=$4
    local stage
    stage=$(mktemp -d target/bundle/stage.XXXXXX)
    mkdir "$stage/server"
    cp "$binary" "$stage/server/$name"
    chmod 755 "$stage/server/$name"
    # The committed manifest names every platform a bundle can exist for; this one holds
    # a binary for one of them only.
    "$node" -e '
        const fs = require("fs");
        const [source, target, platform] = process.argv.slice(1);
        const manifest = JSON.parse(fs.readFileSync(source, "utf8"));
        manifest.compatibility.platforms = [platform];
        fs.writeFileSync(target, JSON.stringify(manifest, null, 2) + "\n");
    ' mcp-manifest.json "$stage/manifest.json" "$platform"
    rm -f "$bundle"
    "$node" "$mcpb" pack "$stage" "$bundle" >"$stage.log" 2>&1 || {
        cat "$stage.log" >&2
        rm -rf "$stage" "$stage.log"
        echo "bundle.sh: mcpb pack failed for $bundle" >&2
        exit 1
    }
    rm -rf "$stage" "$stage.log"
    "$node" "$mcpb" info "$bundle"
}

# server.json as published: the same file plus the SHA-256 of the amd64 bundle, which the
# registry requires for an mcpb package and which exists only once the bundle does.
release_server_json() {
    local bundle=$1 sha
    sha=$(sha256sum "$bundle" | cut -d' ' -f1)
    "$node" -e '
        const fs = require("fs");
        const [source, target, url, sha] = process.argv.slice(1);
        const server = JSON.parse(fs.readFileSync(source, "utf8"));
        const mcpb = server.packages.find((p) => p.registryType === "mcpb");
        if (!mcpb || mcpb.identifier !== url) {
            console.error("bundle.sh: server.json has no mcpb package for " + url);
            process.exit(1);
        }
        mcpb.fileSha256 = sha;
        fs.writeFileSync(target, JSON.stringify(server, null, 2) + "\n");
    ' server.json target/bundle/server.json \
        "$repository/releases/download/v$version/$(basename "$bundle")" \
        "$sha"
    echo "target/bundle/server.json: fileSha256 $sha"
}

if [ "${1:-}" = native ]; then
    case "$(uname -s)" in
        Linux)
            echo "bundle.sh: on Linux, pack the static builds: scripts/bundle.sh amd64 arm64" >&2
            exit 2
            ;;
        Darwin) os=darwin platform=darwin ;;
        MINGW* | MSYS* | CYGWIN*) os=windows platform=win32 ;;
        *) echo "bundle.sh: unknown system $(uname -s)" >&2; exit 1 ;;
    esac
    case "$(uname -m)" in
        x86_64 | amd64) arch=amd64 ;;
        arm64 | aarch64) arch=arm64 ;;
        *) echo "bundle.sh: unknown CPU $(uname -m)" >&2; exit 1 ;;
    esac
    name=facturation-pro-mcp
    if [ "$platform" = win32 ]; then
        name=facturation-pro-mcp.exe
    fi
    [ -f "target/release/$name" ] || cargo build --release --locked -p facturation-pro-mcp --no-default-features
    pack "target/release/$name" "$platform" "$name" \
        "target/bundle/facturation-pro-mcp-$version-$os-$arch.mcpb"
    exit 0
fi

architectures=("$@")
[ ${#architectures[@]} -gt 0 ] || architectures=(amd64 arm64)
for arch in "${architectures[@]}"; do
    case "$arch" in
        amd64 | arm64) ;;
        *) echo "bundle.sh: unknown architecture '$arch' (amd64, arm64 or native)" >&2; exit 2 ;;
    esac
    binary="target/image/linux-$arch/facturation-pro-mcp"
    [ -f "$binary" ] || scripts/build-linux-binaries.sh "$arch"
    bundle="target/bundle/facturation-pro-mcp-$version-linux-$arch.mcpb"
    pack "$binary" linux facturation-pro-mcp "$bundle"
    if [ "$arch" = amd64 ]; then
        release_server_json "$bundle"
    fi
done
