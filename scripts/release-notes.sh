#!/usr/bin/env bash
# Prints the release notes of one version: its "## [X.Y.Z]" section of CHANGELOG.md, without
# the heading. The release workflow attaches them to the GitHub release.
#
#   scripts/release-notes.sh X.Y.Z
#   scripts/release-notes.sh --tag vX.Y.Z   also fails unless the tag is v + Cargo.toml's version
#
# Fails when the section is missing or empty: a release without notes is a forgotten step.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo_version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
case "${1:-}" in
    --tag)
        tag=${2:-}
        if [ "$tag" != "v$cargo_version" ]; then
            echo "release-notes.sh: tag '$tag' does not match Cargo.toml's version $cargo_version (expected v$cargo_version)" >&2
            exit 1
        fi
        version=$cargo_version
        ;;
    "" | -h | --help) sed -n '2,8p' "$0" >&2; exit 2 ;;
    *) version=$1 ;;
esac

notes=$(awk -v heading="## [$version]" '
    index($0, heading) == 1 { inside = 1; next }
    inside && /^## / { exit }
    inside { print }
' CHANGELOG.md)
if [ -z "$(printf '%s' "$notes" | tr -d '[:space:]')" ]; then
    echo "release-notes.sh: CHANGELOG.md has no notes under '## [$version]'" >&2
    exit 1
fi
# Without the blank lines that surround the section.
printf '%s\n' "$notes" | sed -e '/./,$!d' | sed -e ':a' -e '/^\n*$/{$d;N;ba' -e '}'
