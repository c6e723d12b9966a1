#!/usr/bin/env bash
# Publishes the images: the multi-arch Linux image (amd64 + arm64, one index) and the
# wasi/wasm image, to every registry given, under semantic-version tags taken from
# Cargo.toml; writes release notes from git; optionally signs.
#
#   scripts/publish.sh --registry ghcr.io/facturation-pro-mcp [--registry ...]
#                      [--name facturation-pro-mcp] [--skip-build] [--sign-by GPG-KEY-ID]
#                      [--tls-verify=false] [--dry-run]
#
# Tags for version X.Y.Z: X.Y.Z, X.Y and latest (and X from 1.0.0 on; before 1.0 a minor
# version may break, so no X tag); a pre-release (X.Y.Z-rc.1) gets only its own tag. The
# wasm image gets X.Y.Z-wasm and wasm. Log in first (`buildah login REGISTRY`).
# --dry-run prints every command that would change something, runs none of them.
set -euo pipefail
cd "$(dirname "$0")/.."

registries=()
NAME=facturation-pro-mcp
BUILD=yes
SIGN_BY=
TLS_VERIFY=
DRY_RUN=
while [ $# -gt 0 ]; do
    case "$1" in
        --registry) registries+=("${2%/}"); shift 2 ;;
        --name) NAME=$2; shift 2 ;;
        --skip-build) BUILD=; shift ;;
        --sign-by) SIGN_BY=$2; shift 2 ;;
        --tls-verify=*) TLS_VERIFY=$1; shift ;;
        --dry-run) DRY_RUN=yes; shift ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) echo "publish.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
[ ${#registries[@]} -gt 0 ] || { echo "publish.sh: give at least one --registry" >&2; exit 2; }

VERSION=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
[[ "$VERSION" =~ ^([0-9]+)\.([0-9]+)\.([0-9]+)(-[0-9A-Za-z.-]+)?$ ]] ||
    { echo "publish.sh: Cargo.toml's version '$VERSION' is not semantic" >&2; exit 1; }
major=${BASH_REMATCH[1]} minor=${BASH_REMATCH[2]} prerelease=${BASH_REMATCH[4]}
tags=("$VERSION")
wasm_tags=("$VERSION-wasm")
if [ -z "$prerelease" ]; then
    tags+=("$major.$minor" latest)
    [ "$major" -gt 0 ] && tags+=("$major")
    wasm_tags+=(wasm)
fi

LOCAL=localhost/facturation-pro-mcp
# shellcheck source=SCRIPTDIR/container-store.sh
. scripts/container-store.sh

# Prints a command, then runs it unless this is a dry run.
run() {
    echo "+ $*"
    [ -n "$DRY_RUN" ] || "$@"
}

if [ -n "$BUILD" ]; then
    run ./scripts/build-images.sh
fi

push_options=()
[ -z "$TLS_VERIFY" ] || push_options+=("$TLS_VERIFY")
[ -z "$SIGN_BY" ] || push_options+=(--sign-by "$SIGN_BY")

for registry in "${registries[@]}"; do
    for tag in "${tags[@]}"; do
        run buildah manifest push --all "${push_options[@]}" \
            "$LOCAL:$VERSION" "docker://$registry/$NAME:$tag"
    done
    for tag in "${wasm_tags[@]}"; do
        run buildah push "${push_options[@]}" "$LOCAL:$VERSION-wasm" "docker://$registry/$NAME:$tag"
    done
done

# Release notes: the commits since the previous version tag (all of them for the first).
mkdir -p target/image
notes=target/image/release-notes-$VERSION.md
previous=$(git describe --tags --abbrev=0 --match 'v[0-9]*' HEAD^ 2>/dev/null || true)
{
    echo "# facturation-pro-mcp $VERSION"
    echo
    echo "Images: ${registries[*]/%//$NAME:$VERSION} (linux/amd64, linux/arm64; wasm: tag $VERSION-wasm)"
    echo
    echo "## Changes${previous:+ since $previous}"
    echo
    git log --no-merges --format='- %s (%h)' ${previous:+"$previous..HEAD"}
} >"$notes.tmp"
if [ -n "$DRY_RUN" ]; then
    rm "$notes.tmp"
    echo "would write $notes"
else
    mv "$notes.tmp" "$notes"
    echo "published $VERSION as ${tags[*]} (and ${wasm_tags[*]}); notes in $notes"
fi
