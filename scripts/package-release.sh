#!/usr/bin/env bash
# Packs the release's binary archives and their SHA256SUMS, as the release asset contract
# says (PUBLISHING.md). The release workflow calls it on each runner (Linux, macOS, and
# Windows under Git Bash); scripts/install.sh and install.ps1 consume what it writes.
#
#   scripts/package-release.sh archive --target TRIPLE --binary PATH [--out DIR]
#       DIR/facturation-pro-mcp-X.Y.Z-TRIPLE.tar.gz (.zip for Windows) holding, at its root,
#       the binary as facturation-pro-mcp(.exe) (mode 0755), LICENSE and README.md.
#   scripts/package-release.sh checksums [--out DIR]
#       DIR/SHA256SUMS over every other file in DIR, sorted by name.
#
# DIR defaults to target/release-assets. X.Y.Z is [workspace.package] version in Cargo.toml.
set -euo pipefail

readonly BINARY_NAME=facturation-pro-mcp
# The same instant for every archived file, so two packings of one binary give one archive.
readonly FIXED_MTIME=200001010000
readonly FIXED_MTIME_ISO=2000-01-01T00:00:00Z

die() {
    echo "package-release.sh: $*" >&2
    exit 1
}

usage() {
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
}

repo=$(cd "$(dirname "$0")/.." && pwd)

workspace_version() {
    local version
    # The first `version = "..."` of the workspace manifest is [workspace.package]'s.
    version=$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' "$repo/Cargo.toml" | head -n 1)
    [ -n "$version" ] || die "no version found in $repo/Cargo.toml"
    printf '%s' "$version"
}

# The archive's extension for TRIPLE, or a refusal for a triple the contract does not list.
archive_extension() {
    case "$1" in
        x86_64-unknown-linux-musl | aarch64-unknown-linux-musl | \
            aarch64-apple-darwin | x86_64-apple-darwin) echo tar.gz ;;
        x86_64-pc-windows-msvc) echo zip ;;
        *) die "unknown target '$1': the release ships x86_64/aarch64-unknown-linux-musl, aarch64/x86_64-apple-darwin and x86_64-pc-windows-msvc" ;;
    esac
}

# The tar.gz of the files in STAGE (names given sorted, as BSD tar has no --sort), owned by
# 0:0. GNU tar and macOS's bsdtar spell the owner options differently; gzip -n leaves the
# time and name out of the gzip header.
pack_tar() {
    local stage=$1 output=$2
    shift 2
    local owner=(--uid 0 --gid 0)
    if tar --version 2>/dev/null | grep -q 'GNU tar'; then
        owner=(--owner=0 --group=0 --numeric-owner --mtime="$FIXED_MTIME_ISO")
    fi
    (cd "$stage" && tar -cf - "${owner[@]}" "$@") | gzip -n -9 >"$output"
}

# The zip of the files in STAGE. Info-ZIP's zip is on Linux and macOS runners; GitHub's
# Windows runners have 7-Zip but no zip in Git Bash, so 7z is the fallback there.
pack_zip() {
    local stage=$1 output=$2
    shift 2
    rm -f "$output"
    if command -v zip >/dev/null 2>&1; then
        # -X leaves out the extra fields holding owner ids and extra timestamps.
        (cd "$stage" && zip -q -X "$output" "$@")
    elif command -v 7z >/dev/null 2>&1; then
        (cd "$stage" && 7z a -tzip -bso0 -bsp0 "$output" "$@")
    else
        die "neither zip nor 7z is installed: install zip (apt-get install zip) or 7-Zip"
    fi
}

archive() {
    local target='' binary='' out="$repo/target/release-assets"
    while [ $# -gt 0 ]; do
        case "$1" in
            --target) [ $# -ge 2 ] || die "--target needs a value"; target=$2; shift ;;
            --binary) [ $# -ge 2 ] || die "--binary needs a value"; binary=$2; shift ;;
            --out) [ $# -ge 2 ] || die "--out needs a value"; out=$2; shift ;;
            *) die "archive: unknown option '$1'" ;;
        esac
        shift
    done
    [ -n "$target" ] || die "archive needs --target TRIPLE"
    [ -n "$binary" ] || die "archive needs --binary PATH"
    [ -f "$binary" ] || die "--binary $binary: no such file"
    local extension name_in_archive stage output
    extension=$(archive_extension "$target")
    name_in_archive=$BINARY_NAME
    [ "$extension" = zip ] && name_in_archive=$BINARY_NAME.exe

    mkdir -p "$out"
    out=$(cd "$out" && pwd)
    output="$out/$BINARY_NAME-$(workspace_version)-$target.$extension"
    stage=$(mktemp -d)
    # shellcheck disable=SC2064 # expand now: stage is local
    trap "rm -rf '$stage'" EXIT
    cp "$binary" "$stage/$name_in_archive"
    cp "$repo/LICENSE" "$repo/README.md" "$stage/"
    chmod 0755 "$stage/$name_in_archive"
    chmod 0644 "$stage/LICENSE" "$stage/README.md"
    touch -t "$FIXED_MTIME" "$stage"/*
    # C-locale order: upper case first.
    local files=(LICENSE README.md "$name_in_archive")
    if [ "$extension" = zip ]; then
        pack_zip "$stage" "$output" "${files[@]}"
    else
        pack_tar "$stage" "$output" "${files[@]}"
    fi
    echo "$output"
}

checksums() {
    local out="$repo/target/release-assets"
    while [ $# -gt 0 ]; do
        case "$1" in
            --out) [ $# -ge 2 ] || die "--out needs a value"; out=$2; shift ;;
            *) die "checksums: unknown option '$1'" ;;
        esac
        shift
    done
    [ -d "$out" ] || die "$out: no such folder"
    local sha=(sha256sum)
    command -v sha256sum >/dev/null 2>&1 || sha=(shasum -a 256)
    local files=()
    while IFS= read -r name; do
        files+=("$name")
    done < <(cd "$out" && find . -maxdepth 1 -type f ! -name SHA256SUMS | sed 's|^\./||' | LC_ALL=C sort)
    [ ${#files[@]} -gt 0 ] || die "$out holds no file to sum"
    # Written beside, then renamed: a reader never sees half a list. Git Bash's sha256sum
    # marks binary mode with '*'; the contract's format has two spaces.
    (cd "$out" && "${sha[@]}" "${files[@]}") | sed 's/ \*/  /' >"$out/SHA256SUMS.tmp"
    mv -f "$out/SHA256SUMS.tmp" "$out/SHA256SUMS"
    echo "$out/SHA256SUMS"
}

case "${1:-}" in
    archive) shift; archive "$@" ;;
    checksums) shift; checksums "$@" ;;
    -h | --help) usage ;;
    *) usage >&2; exit 2 ;;
esac
