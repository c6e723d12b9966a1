#!/usr/bin/env bash
# Installs facturation-pro-mcp for one user and connects it to Claude Desktop:
#   1. the server: the release binary for this machine, downloaded and checked against the
#      release's SHA256SUMS, in ~/.local/bin (or --prefix); or one built from the checkout
#      (--from-source) or given (--binary); or the Docker image;
#   2. its settings: ~/.config/facturation-pro-mcp/.env, mode 0600, asked for or given as flags;
#   3. Claude Desktop: our `facturation-pro` entry merged into its config, other entries kept;
#   4. a `check` call to the API with those settings.
# Rerunning it is safe: values already in .env are kept unless a flag overrides them, and the
# Claude Desktop config is rewritten (after a backup) only when our entry changes.
# `scripts/install.sh --help` lists the options.
set -euo pipefail

readonly SERVER_NAME=facturation-pro
readonly BINARY_NAME=facturation-pro-mcp
# The release this script installs when it runs outside a checkout; inside one, the version
# comes from Cargo.toml (a test keeps the two equal).
readonly DEFAULT_VERSION=0.1.0
readonly IMAGE_REPOSITORY=ghcr.io/facturation-pro-mcp/facturation-pro-mcp
# The tag a build of a checkout gets (README, DOCKER.md): what --method docker uses while the
# release image cannot be pulled, e.g. before the version is published.
readonly LOCAL_IMAGE=facturation-pro-mcp:local
readonly REPOSITORY_URL=https://github.com/facturation-pro-mcp/facturation-pro-mcp
readonly RELEASES_URL=https://github.com/facturation-pro-mcp/facturation-pro-mcp/releases
# The named volume holding downloads when the server runs in a container (the image's
# /downloads); named volumes, unlike bind mounts, need no host path and stay writable.
readonly DOWNLOADS_VOLUME=facturation-pro-downloads

usage() {
    cat <<EOF
Usage: scripts/install.sh [OPTIONS]

Installs facturation-pro-mcp (the Facturation.PRO MCP server) for the current user, writes
its settings file, adds it to Claude Desktop and checks that it reaches the API.

How to run the server:
  --method native|docker  native (default): the facturation-pro-mcp binary;
                          docker: the Linux image, run by Claude Desktop with docker run
  --prefix DIR            native: install the binary as DIR/bin/facturation-pro-mcp
                          (default: ~/.local)
  --version X.Y.Z         native: the release to download (default: $DEFAULT_VERSION, or
                          the checkout's version when run from one)
  --release-url BASE      native: download the archive and SHA256SUMS from BASE instead of
                          $RELEASES_URL/download/vX.Y.Z (a mirror)
  --from-source           native: build the binary from the checkout this script sits in
                          (cargo install --locked --path host) instead of downloading it
  --binary PATH           native: install this binary instead of downloading one

The release binary (the default) is facturation-pro-mcp-X.Y.Z-TRIPLE.tar.gz for this machine
(x86_64 or aarch64; Linux gets the static musl build). Its SHA-256 must match its line in the
release's SHA256SUMS, or nothing is installed. Downloading needs curl or wget.
  --image REF             docker: image to pull (default: $IMAGE_REPOSITORY:VERSION;
                          when that cannot be pulled, as before its release is published,
                          the image is built from the checkout this script sits in and
                          tagged $LOCAL_IMAGE)
  --docker-cli PROGRAM    docker: container CLI (default: docker; podman works too)
  --no-pull               docker: use the image already on this machine, do not pull it

Settings, written to \${XDG_CONFIG_HOME:-~/.config}/facturation-pro-mcp/.env (mode 0600).
In a terminal, each value without a flag is asked for (Enter keeps the one already in the
file; the base URL is never asked). With --non-interactive, or without a terminal, values
already in the file are kept and nothing is asked:
  --api-id ID             FACTURATION_API_ID, from Facturation.PRO > Clé API (required)
  --api-key KEY           FACTURATION_API_KEY (required; typed without echo when asked)
  --firm-id N             FACTURATION_FIRM_ID, the firm tools use by default (optional)
  --user-agent TEXT       FACTURATION_USER_AGENT, your app name and a contact in plain
                          ASCII, e.g. "MonCabinet MCP (contact@mon-cabinet.fr)"
  --base-url URL          FACTURATION_BASE_URL (default https://www.facturation.pro)
  --non-interactive       never ask; fail if a required value is missing

Claude Desktop:
  --claude-config PATH    its config file (default: ~/.config/Claude/claude_desktop_config.json
                          on Linux, ~/Library/Application Support/Claude/claude_desktop_config.json
                          on macOS). Other servers and settings in it are kept; the previous
                          file is copied to PATH.backup-YYYYMMDD-HHMMSS when ours changes.
                          Merging needs python3.
  --no-claude             leave Claude Desktop alone

  --no-check              do not run \`facturation-pro-mcp check\` at the end
  -h, --help              show this help

The Claude Desktop entry runs the server with --env-file pointing at the settings file (or
docker run --env-file), so the API key never appears in Claude Desktop's config. The two
read values differently: a native install quotes the values that need it for the server's
dotenv reader; a docker install writes them bare, as docker run --env-file expects.
EOF
}

die() {
    echo "install.sh: $*" >&2
    exit 1
}

note() {
    echo "install.sh: $*" >&2
}

# ---- options ------------------------------------------------------------------------------

method=native
prefix=
binary=
from_source=0
release_url=
version_given=
image=
image_given=0
docker_cli=docker
claude_config=
claude=1
check=1
pull=1
interactive=1
# Values given as flags; "unset" is told apart from "given empty" by the *_given variables.
api_id='' api_key='' firm_id='' user_agent='' base_url=''
api_id_given=0 api_key_given=0 firm_id_given=0 user_agent_given=0 base_url_given=0

need_value() {
    [ "$2" -ge 2 ] || die "$1 needs a value (see --help)"
}

while [ $# -gt 0 ]; do
    case "$1" in
        --method) need_value "$1" $#; method=$2; shift ;;
        --prefix) need_value "$1" $#; prefix=$2; shift ;;
        --binary) need_value "$1" $#; binary=$2; shift ;;
        --from-source) from_source=1 ;;
        --version) need_value "$1" $#; version_given=$2; shift ;;
        --release-url) need_value "$1" $#; release_url=${2%/}; shift ;;
        --image) need_value "$1" $#; image=$2; image_given=1; shift ;;
        --docker-cli) need_value "$1" $#; docker_cli=$2; shift ;;
        --api-id) need_value "$1" $#; api_id=$2; api_id_given=1; shift ;;
        --api-key) need_value "$1" $#; api_key=$2; api_key_given=1; shift ;;
        --firm-id) need_value "$1" $#; firm_id=$2; firm_id_given=1; shift ;;
        --user-agent) need_value "$1" $#; user_agent=$2; user_agent_given=1; shift ;;
        --base-url) need_value "$1" $#; base_url=$2; base_url_given=1; shift ;;
        --claude-config) need_value "$1" $#; claude_config=$2; shift ;;
        --no-claude) claude=0 ;;
        --no-check) check=0 ;;
        --no-pull) pull=0 ;;
        --non-interactive) interactive=0 ;;
        -h | --help) usage; exit 0 ;;
        *) die "unknown option '$1' (see --help)" ;;
    esac
    shift
done

case "$method" in
    native | docker) ;;
    *) die "--method must be native or docker, not '$method'" ;;
esac
# Asking needs a terminal: without one (CI, a pipe), behave as --non-interactive.
[ -t 0 ] || interactive=0

# ---- where we are -------------------------------------------------------------------------

case "$(uname -s)" in
    Linux) os=linux ;;
    Darwin) os=macos ;;
    *) die "unsupported system '$(uname -s)': this script knows Linux and macOS (on Windows, run scripts/install.ps1 in PowerShell)" ;;
esac
case "$(uname -m)" in
    x86_64 | amd64) arch=x86_64 ;;
    aarch64 | arm64) arch=aarch64 ;;
    *) die "unsupported architecture '$(uname -m)': builds exist for x86_64 and aarch64" ;;
esac
# The release archive's target triple (the asset contract's names).
case "$os" in
    linux) triple=$arch-unknown-linux-musl ;;
    macos) triple=$arch-apple-darwin ;;
esac

[ -n "${HOME:-}" ] || die "HOME is not set"
script_dir=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$script_dir/.." && pwd)
# A checkout, as opposed to a copy of this script alone: the host crate is beside it.
in_checkout=0
[ -f "$repo/host/Cargo.toml" ] && [ -f "$repo/Cargo.toml" ] && in_checkout=1

version=$DEFAULT_VERSION
if [ "$in_checkout" = 1 ]; then
    # The first `version = "..."` of the workspace manifest is [workspace.package]'s.
    version=$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' "$repo/Cargo.toml" | head -n 1)
    [ -n "$version" ] || die "no version found in $repo/Cargo.toml"
fi
[ -z "$version_given" ] || version=${version_given#v}
[ -n "$release_url" ] || release_url="$RELEASES_URL/download/v$version"
[ -n "$image" ] || image="$IMAGE_REPOSITORY:$version"
[ -n "$prefix" ] || prefix="$HOME/.local"

config_dir="${XDG_CONFIG_HOME:-$HOME/.config}/facturation-pro-mcp"
env_file="$config_dir/.env"

if [ -z "$claude_config" ]; then
    case "$os" in
        linux) claude_config="$HOME/.config/Claude/claude_desktop_config.json" ;;
        macos) claude_config="$HOME/Library/Application Support/Claude/claude_desktop_config.json" ;;
    esac
fi

# What was done, printed at the end.
summary=()
done_step() {
    summary+=("$*")
}

# ---- 1. the server ------------------------------------------------------------------------

# Copies FILE to TARGET through a temporary name, so a running server is never left with
# half a file.
place_binary() {
    local file=$1 target=$2
    cp "$file" "$target.new.$$"
    chmod 0755 "$target.new.$$"
    mv -f "$target.new.$$" "$target"
}

# Writes URL to FILE with curl or wget; fails on an HTTP error.
download() {
    local url=$1 file=$2
    if command -v curl >/dev/null 2>&1; then
        curl --fail --silent --show-error --location --output "$file" "$url"
    elif command -v wget >/dev/null 2>&1; then
        wget --quiet --output-document="$file" "$url"
    else
        die "neither curl nor wget is installed: install one of them, or use --binary PATH"
    fi
}

sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d ' ' -f 1
    else
        shasum -a 256 "$1" | cut -d ' ' -f 1
    fi
}

# Downloads this machine's release archive and SHA256SUMS, checks the archive's SHA-256
# before anything is unpacked, and installs the binary it holds as TARGET.
install_release() {
    local target=$1 archive="$BINARY_NAME-$version-$triple.tar.gz" work expected actual
    work=$(mktemp -d)
    # shellcheck disable=SC2064 # expand now: work is local
    trap "rm -rf '$work'" EXIT
    note "downloading $archive from $release_url"
    download "$release_url/$archive" "$work/$archive" ||
        die "could not download $release_url/$archive (is version $version released for $triple?)"
    download "$release_url/SHA256SUMS" "$work/SHA256SUMS" ||
        die "could not download $release_url/SHA256SUMS"
    expected=$(awk -v name="$archive" '$2 == name || $2 == "*" name { print $1; exit }' "$work/SHA256SUMS")
    [ -n "$expected" ] ||
        die "SHA256SUMS from $release_url has no line for $archive; nothing was installed"
    actual=$(sha256_of "$work/$archive")
    [ "$actual" = "$expected" ] ||
        die "checksum mismatch for $archive: SHA256SUMS says $expected, the download is $actual; nothing was installed"
    mkdir "$work/unpacked"
    tar -xzf "$work/$archive" -C "$work/unpacked" ||
        die "could not unpack $archive; nothing was installed"
    [ -f "$work/unpacked/$BINARY_NAME" ] ||
        die "$archive holds no $BINARY_NAME; nothing was installed"
    place_binary "$work/unpacked/$BINARY_NAME" "$target"
    rm -rf "$work"
    trap - EXIT
    done_step "installed release $version ($triple, SHA-256 checked) as $target"
}

build_from_source() {
    local target=$1
    [ "$in_checkout" = 1 ] ||
        die "--from-source needs the checkout: git clone $REPOSITORY_URL, then run its scripts/install.sh"
    command -v cargo >/dev/null 2>&1 ||
        die "cargo is not installed, so $BINARY_NAME cannot be built from $repo (install Rust from https://rustup.rs, or drop --from-source to download the release)"
    note "building $BINARY_NAME from $repo (the first build takes a few minutes)"
    # rustup may not add the targets rust-toolchain.toml lists (the guest's wasm32-wasip2)
    # until asked; the build needs them.
    if command -v rustup >/dev/null 2>&1; then
        (cd "$repo" && rustup toolchain install --no-self-update) >&2
    fi
    # The checkout's own target directory: a build already made there is reused.
    (cd "$repo" && cargo install --locked --path host --root "$prefix" \
        --target-dir "$repo/target") >&2
    done_step "built $BINARY_NAME from $repo into $target"
}

install_binary() {
    local target="$prefix/bin/$BINARY_NAME"
    mkdir -p "$prefix/bin"
    if [ -n "$binary" ]; then
        [ -f "$binary" ] || die "--binary $binary: no such file"
        place_binary "$binary" "$target"
        done_step "installed $binary as $target"
    elif [ "$from_source" = 1 ]; then
        build_from_source "$target"
    else
        install_release "$target"
    fi
    # A binary for another system or architecture fails here rather than in Claude Desktop.
    "$target" --version >/dev/null 2>&1 || die "$target does not run on this machine ($os $arch)"
    installed_binary=$target
    case ":${PATH:-}:" in
        *":$prefix/bin:"*) ;;
        *) note "note: $prefix/bin is not in your PATH; Claude Desktop gets the full path anyway" ;;
    esac
}

pull_image() {
    if [ "$pull" = 0 ]; then
        done_step "did not pull $image (--no-pull)"
        return
    fi
    command -v "$docker_cli" >/dev/null 2>&1 ||
        die "'$docker_cli' is not installed: install Docker (or give --docker-cli podman)"
    if "$docker_cli" pull "$image" >&2; then
        done_step "pulled $image with $docker_cli"
    elif "$docker_cli" image inspect "$image" >/dev/null 2>&1; then
        # Offline, or an image built on this machine: the local copy will do.
        note "could not pull $image; using the copy already on this machine"
        done_step "kept the local image $image ($docker_cli could not pull it)"
    elif [ "$image_given" = 1 ]; then
        die "could not pull $image with $docker_cli"
    else
        build_local_image
    fi
}

# The release image could not be pulled and is not on this machine: most likely this
# version is not published yet. A checkout holds the Dockerfile, so build the image from it
# (as README's Docker quick start does); a copy of this script alone can only say how.
build_local_image() {
    local published=$image
    note "could not pull $published: this version may not be published yet"
    if [ "$in_checkout" = 0 ]; then
        die "$published is not available. Build the image from a checkout instead:
  git clone $REPOSITORY_URL && cd facturation-pro-mcp
  $docker_cli build --target linux -t $LOCAL_IMAGE .
then rerun with --image $LOCAL_IMAGE --no-pull (or run scripts/install.sh --method docker from the checkout, which builds it)"
    fi
    note "building $LOCAL_IMAGE from $repo instead (the first build compiles everything and takes several minutes)"
    "$docker_cli" build --target linux -t "$LOCAL_IMAGE" "$repo" >&2 ||
        die "could not build $LOCAL_IMAGE from $repo with $docker_cli (see the output above)"
    image=$LOCAL_IMAGE
    done_step "built $LOCAL_IMAGE from $repo with $docker_cli ($published could not be pulled)"
}

# ---- 2. the settings file -----------------------------------------------------------------

# The value of KEY in the existing .env, if set there (uncommented), without the quotes a
# native install puts around it.
existing_value() {
    [ -f "$env_file" ] || return 0
    sed -n -e "s/^$1='\\(.*\\)'\$/\\1/p" -e "t" -e "s/^$1=//p" "$env_file" | tail -n 1
}

# Two programs read the file, and they disagree on quotes: the server's dotenv parser needs
# quotes around a value with spaces (and expands `$` outside single quotes), while
# `docker run --env-file` takes the rest of the line as it is, quotes included. So a native
# install single-quotes values that need it, and a docker install writes them bare. Values
# holding quotes or line breaks cannot be written safely either way and are refused.
check_plain() {
    local name=$1 value=$2
    case "$value" in
        *[\"\']* | *$'\n'* | *$'\r'*)
            die "$name contains a quote or a line break, which the .env file cannot hold safely" ;;
        " "* | *" ") die "$name starts or ends with a space" ;;
    esac
}

# VALUE as it is written after `NAME=` for this install's method.
env_value() {
    case "$1" in
        *[!A-Za-z0-9_.:/@+,-]*)
            if [ "$method" = docker ]; then printf '%s' "$1"; else printf "'%s'" "$1"; fi ;;
        *) printf '%s' "$1" ;;
    esac
}

validate() {
    local name=$1 value=$2
    [ -n "$value" ] || return 0
    check_plain "$name" "$value"
    case "$name" in
        FACTURATION_FIRM_ID)
            case "$value" in
                *[!0-9]* | 0*) die "FACTURATION_FIRM_ID must be a positive whole number, not '$value'" ;;
            esac ;;
        FACTURATION_BASE_URL)
            case "$value" in
                http://* | https://*) ;;
                *) die "FACTURATION_BASE_URL must start with https:// (or http://), not '$value'" ;;
            esac ;;
        FACTURATION_USER_AGENT)
            if LC_ALL=C grep -q '[^ -~]' <<<"$value"; then
                die "FACTURATION_USER_AGENT must be plain ASCII (no accents), as the API requires"
            fi ;;
    esac
}

# Asks for a value on the terminal; a secret is read without echo. An empty answer keeps
# the current value.
ask() {
    local prompt=$1 current=$2 secret=$3 answer shown
    if [ "$secret" = 1 ]; then
        shown=${current:+(keep the current one)}
        read -r -s -p "$prompt${shown:+ $shown}: " answer
        echo >&2
    else
        read -r -p "$prompt${current:+ [$current]}: " answer
    fi
    printf '%s' "${answer:-$current}"
}

# Resolves one setting: the flag; else, in a terminal, the answer to a question whose
# default is the current value; else the current value in the file.
resolve() {
    local name=$1 given=$2 flag_value=$3 prompt=$4 secret=$5 current
    if [ "$given" = 1 ]; then
        printf '%s' "$flag_value"
        return
    fi
    current=$(existing_value "$name")
    if [ "$interactive" = 1 ]; then
        ask "$prompt" "$current" "$secret"
    else
        printf '%s' "$current"
    fi
}

write_env_file() {
    local template="$repo/.env.example" base tmp
    local new_id new_key new_firm new_agent new_url
    new_id=$(resolve FACTURATION_API_ID "$api_id_given" "$api_id" "Facturation.PRO API id" 0)
    new_key=$(resolve FACTURATION_API_KEY "$api_key_given" "$api_key" "Facturation.PRO API key" 1)
    new_firm=$(resolve FACTURATION_FIRM_ID "$firm_id_given" "$firm_id" "Default firm id (optional)" 0)
    new_agent=$(resolve FACTURATION_USER_AGENT "$user_agent_given" "$user_agent" \
        "User-Agent: your app name and a contact, e.g. MonCabinet MCP (contact@mon-cabinet.fr)" 0)
    # The base URL is for tests and unusual set-ups: a flag or the file, never a question.
    new_url=$base_url
    [ "$base_url_given" = 1 ] || new_url=$(existing_value FACTURATION_BASE_URL)

    local missing=()
    [ -n "$new_id" ] || missing+=(--api-id)
    [ -n "$new_key" ] || missing+=(--api-key)
    [ ${#missing[@]} -eq 0 ] ||
        die "missing ${missing[*]}: give them as flags, or run in a terminal to be asked"
    validate FACTURATION_API_ID "$new_id"
    validate FACTURATION_API_KEY "$new_key"
    validate FACTURATION_FIRM_ID "$new_firm"
    validate FACTURATION_USER_AGENT "$new_agent"
    validate FACTURATION_BASE_URL "$new_url"

    # The current file is the base on a rerun, so the user's own edits and other settings
    # stay; the first time, .env.example's documented template (or a minimal one).
    mkdir -p "$config_dir"
    chmod 0700 "$config_dir"
    tmp=$(mktemp "$config_dir/.env.XXXXXX")
    if [ -f "$env_file" ]; then
        base=$env_file
    elif [ -f "$template" ]; then
        base=$template
    else
        base=/dev/null
    fi

    # Each managed variable replaces its first line, commented out or not, or is appended.
    # An empty value comments the variable out, so the server's default (or its warning about
    # a missing User-Agent) applies instead of an example value.
    API_ID=$(env_value "$new_id") API_KEY=$(env_value "$new_key") FIRM_ID=$(env_value "$new_firm") \
        USER_AGENT=$(env_value "$new_agent") BASE_URL=$(env_value "$new_url") \
        awk '
        BEGIN {
            n = split("FACTURATION_API_ID FACTURATION_API_KEY FACTURATION_FIRM_ID FACTURATION_USER_AGENT FACTURATION_BASE_URL", names, " ")
            value["FACTURATION_API_ID"] = ENVIRON["API_ID"]
            value["FACTURATION_API_KEY"] = ENVIRON["API_KEY"]
            value["FACTURATION_FIRM_ID"] = ENVIRON["FIRM_ID"]
            value["FACTURATION_USER_AGENT"] = ENVIRON["USER_AGENT"]
            value["FACTURATION_BASE_URL"] = ENVIRON["BASE_URL"]
        }
        function line_for(name, current) {
            if (value[name] != "") return name "=" value[name]
            # Required ones stay as an empty assignment, optional ones become a comment.
            if (name == "FACTURATION_API_ID" || name == "FACTURATION_API_KEY") return name "="
            if (current ~ /^#/) return current
            return "# " current
        }
        {
            line = $0
            for (i = 1; i <= n; i++) {
                name = names[i]
                if (!(name in written) && (line ~ "^" name "=" || line ~ "^#[ ]*" name "=")) {
                    uncommented = line
                    sub(/^#[ ]*/, "", uncommented)
                    line = line_for(name, uncommented)
                    written[name] = 1
                    break
                }
            }
            print line
        }
        END {
            for (i = 1; i <= n; i++) {
                name = names[i]
                if (!(name in written) && value[name] != "") print name "=" value[name]
            }
        }' "$base" >"$tmp"

    chmod 0600 "$tmp"
    if [ -f "$env_file" ] && cmp -s "$tmp" "$env_file"; then
        rm -f "$tmp"
        chmod 0600 "$env_file"
        done_step "kept $env_file (no change)"
    else
        mv -f "$tmp" "$env_file"
        done_step "wrote $env_file (mode 0600)"
    fi
    if [ -z "$new_agent" ]; then
        note "warning: no FACTURATION_USER_AGENT; Facturation.PRO asks every client for one and may suspend keys without it"
    fi
    if [ "$method" = docker ] && [ -n "$(existing_value FACTURATION_DOWNLOADS_DIR)" ]; then
        note "warning: $env_file sets FACTURATION_DOWNLOADS_DIR, which overrides the image's /downloads; comment it out for --method docker"
    fi
}

# ---- 3. Claude Desktop --------------------------------------------------------------------

# Our entry as JSON: a command and its arguments. Secrets stay in the .env file.
claude_entry() {
    local command
    local args=()
    if [ "$method" = native ]; then
        command=$installed_binary
        args=(--env-file "$env_file")
    else
        # Claude Desktop may start servers with a short PATH: give the CLI's full path
        # (or the name as given, when it is not installed yet).
        command=$(command -v "$docker_cli" || printf '%s' "$docker_cli")
        args=(run -i --rm --read-only --cap-drop ALL --security-opt no-new-privileges
            --env-file "$env_file" -v "$DOWNLOADS_VOLUME:/downloads" "$image")
    fi
    python3 - "$command" "${args[@]}" <<'PY'
import json, sys
print(json.dumps({"command": sys.argv[1], "args": sys.argv[2:]}))
PY
}

merge_claude_config() {
    if ! command -v python3 >/dev/null 2>&1; then
        note "python3 is missing, so Claude Desktop's config was NOT changed."
        note "Add this under \"mcpServers\" in $claude_config yourself:"
        if [ "$method" = native ]; then
            note "  \"$SERVER_NAME\": {\"command\": \"$installed_binary\", \"args\": [\"--env-file\", \"$env_file\"]}"
        else
            note "  \"$SERVER_NAME\": {\"command\": \"$docker_cli\", \"args\": [\"run\", \"-i\", \"--rm\", \"--read-only\", \"--cap-drop\", \"ALL\", \"--security-opt\", \"no-new-privileges\", \"--env-file\", \"$env_file\", \"-v\", \"$DOWNLOADS_VOLUME:/downloads\", \"$image\"]}"
        fi
        done_step "did NOT update $claude_config (python3 is missing; entry printed above)"
        return
    fi
    local entry outcome
    entry=$(claude_entry)
    outcome=$(python3 - "$claude_config" "$SERVER_NAME" "$entry" <<'PY'
# Merges one server entry into a Claude Desktop config, keeping everything else as it was.
import datetime, json, os, shutil, sys, tempfile

path, name, entry = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])

config = {}
if os.path.exists(path) and os.path.getsize(path) > 0:
    with open(path, encoding="utf-8") as f:
        try:
            config = json.load(f)
        except ValueError as error:
            sys.exit(f"install.sh: {path} is not valid JSON ({error}); it was left untouched")
    if not isinstance(config, dict):
        sys.exit(f"install.sh: {path} does not hold a JSON object; it was left untouched")
servers = config.setdefault("mcpServers", {})
if not isinstance(servers, dict):
    sys.exit(f"install.sh: \"mcpServers\" in {path} is not an object; it was left untouched")
if os.path.exists(path) and servers.get(name) == entry:
    print("unchanged")
    sys.exit(0)
servers[name] = entry

backup = None
if os.path.exists(path):
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    backup = f"{path}.backup-{stamp}"
    counter = 1
    while os.path.exists(backup):
        backup = f"{path}.backup-{stamp}-{counter}"
        counter += 1
    shutil.copy2(path, backup)

directory = os.path.dirname(path) or "."
os.makedirs(directory, exist_ok=True)
# A temporary file renamed over the old one: Claude Desktop never reads half a file.
fd, tmp = tempfile.mkstemp(dir=directory, prefix=".claude_desktop_config.")
with os.fdopen(fd, "w", encoding="utf-8") as f:
    json.dump(config, f, indent=2, ensure_ascii=False)
    f.write("\n")
if backup:
    shutil.copymode(backup, tmp)
else:
    os.chmod(tmp, 0o644)
os.replace(tmp, path)
print(f"backup {backup}" if backup else "created")
PY
    ) || exit 1
    case "$outcome" in
        unchanged) done_step "kept $claude_config (our \"$SERVER_NAME\" entry was already there)" ;;
        created) done_step "created $claude_config with the \"$SERVER_NAME\" entry" ;;
        backup\ *) done_step "added the \"$SERVER_NAME\" entry to $claude_config (previous file: ${outcome#backup })" ;;
        *) die "unexpected answer from the config merge: $outcome" ;;
    esac
}

# ---- 4. check -----------------------------------------------------------------------------

run_check() {
    note "checking the connection to the API"
    if [ "$method" = native ]; then
        "$installed_binary" --env-file "$env_file" check ||
            die "the check failed; fix $env_file and rerun (or run: $installed_binary --env-file $env_file check)"
    else
        "$docker_cli" run -i --rm --read-only --cap-drop ALL --security-opt no-new-privileges \
            --env-file "$env_file" -v "$DOWNLOADS_VOLUME:/downloads" "$image" check ||
            die "the check failed; fix $env_file and rerun"
    fi
    done_step "checked the API connection (facturation-pro-mcp check)"
}

# ---- main ---------------------------------------------------------------------------------

note "installing for $os $arch, method $method"
installed_binary=
case "$method" in
    native) install_binary ;;
    docker) pull_image ;;
esac
write_env_file
if [ "$claude" = 1 ]; then
    merge_claude_config
else
    done_step "left Claude Desktop alone (--no-claude)"
fi
if [ "$check" = 1 ]; then
    run_check
else
    done_step "skipped the API check (--no-check)"
fi

echo
echo "facturation-pro-mcp $version is set up:"
for line in "${summary[@]}"; do
    echo "  - $line"
done
if [ "$claude" = 1 ]; then
    echo "Restart Claude Desktop to load the \"$SERVER_NAME\" server."
fi
