#!/usr/bin/env bash
# Registers the facturation-pro server with Docker's MCP Toolkit on this machine, from the
# server entry in docker-mcp-config.json, without publishing anything. Two routes:
#
#   profile (default): a Toolkit profile named facturation-pro holding the server. Clients
#                      then run `docker mcp gateway run --profile facturation-pro` (or
#                      `docker mcp client connect <client> --profile facturation-pro`).
#   catalog:           a local catalog file holding the server, for
#                      `docker mcp gateway run --catalog <file> --servers facturation-pro`.
#
# Secrets go to the Toolkit's keychain with `docker mcp secret set`, their values on stdin
# (never on a command line, never printed). Every command is printed before it runs;
# --dry-run prints them and runs nothing. `scripts/register-toolkit.sh --help` has the rest.
set -euo pipefail

readonly SERVER=facturation-pro
readonly PROFILE_NAME=Facturation.PRO

usage() {
    cat <<'EOF'
Usage: scripts/register-toolkit.sh [OPTIONS]

Registers the facturation-pro MCP server with Docker's MCP Toolkit (docker mcp).

  --route profile|catalog  profile (default): create (or update) the Toolkit profile
                           "facturation-pro" from docker-mcp-config.json;
                           catalog: write a local catalog holding the server, for
                           docker mcp gateway run --catalog
  --entry PATH             the server entry (default: docker-mcp-config.json beside scripts/)
  --api-id ID              secret facturation-pro.api_id (default: $FACTURATION_API_ID)
  --api-key KEY            secret facturation-pro.api_key (default: $FACTURATION_API_KEY)
  --firm-id N              setting facturation-pro.firm_id (default: $FACTURATION_FIRM_ID)
  --user-agent TEXT        setting facturation-pro.user_agent (default: $FACTURATION_USER_AGENT)
  --dry-run                print the commands, run nothing
  -h, --help               show this help

Secrets and settings are set only when a value is given. Secret values are passed on
standard input and printed as ***.

Docker's gateway reads local server files only from under ~/.docker/mcp/catalogs, so the
entry is copied there first. On a rerun of the profile route, an existing profile has its
server updated (docker mcp profile server add) instead of being created; --dry-run shows
the commands for a first registration.
EOF
}

die() {
    echo "register-toolkit.sh: $*" >&2
    exit 1
}

route=profile
entry=
dry_run=0
api_id=${FACTURATION_API_ID:-}
api_key=${FACTURATION_API_KEY:-}
firm_id=${FACTURATION_FIRM_ID:-}
user_agent=${FACTURATION_USER_AGENT:-}

need_value() {
    [ "$2" -ge 2 ] || die "$1 needs a value (see --help)"
}

while [ $# -gt 0 ]; do
    case "$1" in
        --route) need_value "$1" $#; route=$2; shift ;;
        --entry) need_value "$1" $#; entry=$2; shift ;;
        --api-id) need_value "$1" $#; api_id=$2; shift ;;
        --api-key) need_value "$1" $#; api_key=$2; shift ;;
        --firm-id) need_value "$1" $#; firm_id=$2; shift ;;
        --user-agent) need_value "$1" $#; user_agent=$2; shift ;;
        --dry-run) dry_run=1 ;;
        -h | --help) usage; exit 0 ;;
        *) die "unknown option '$1' (see --help)" ;;
    esac
    shift
done

case "$route" in
    profile | catalog) ;;
    *) die "--route must be profile or catalog, not '$route'" ;;
esac
[ -n "${HOME:-}" ] || die "HOME is not set"
if [ -z "$entry" ]; then
    entry="$(cd "$(dirname "$0")/.." && pwd)/docker-mcp-config.json"
fi
[ -f "$entry" ] || die "no server entry at $entry"
entry="$(cd "$(dirname "$entry")" && pwd)/$(basename "$entry")"
case "$firm_id" in
    *[!0-9]*) die "the firm id must be a whole number, not '$firm_id'" ;;
esac
case "$user_agent" in
    *[\"\\]* | *$'\n'*) die "the User-Agent may not hold quotes, backslashes or line breaks" ;;
esac
if [ "$dry_run" = 0 ]; then
    command -v docker >/dev/null 2>&1 || die "docker is not installed (Docker Desktop, or Docker Engine with the MCP plugin)"
fi

# The directory Docker's gateway trusts for local server and catalog files.
catalogs="$HOME/.docker/mcp/catalogs"
local_entry="$catalogs/facturation-pro-mcp/docker-mcp-config.json"
catalog_file="$catalogs/$SERVER.yaml"
config_file="$HOME/.docker/mcp/$SERVER-config.yaml"

# One argument, quoted for a POSIX shell only when it needs it.
quote() {
    case "$1" in
        '' | *[!A-Za-z0-9_./:=@%+,-]*) printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")" ;;
        *) printf '%s' "$1" ;;
    esac
}

# Prints a command, then runs it unless this is a dry run.
run() {
    local line="+" arg
    for arg in "$@"; do
        line="$line $(quote "$arg")"
    done
    echo "$line"
    [ "$dry_run" = 1 ] || "$@"
}

# The same, with the command's output written to FILE.
run_to() {
    local file=$1 line="+" arg
    shift
    for arg in "$@"; do
        line="$line $(quote "$arg")"
    done
    echo "$line > $(quote "$file")"
    [ "$dry_run" = 1 ] || "$@" >"$file"
}

# `docker mcp secret set NAME`, the value on standard input (printed as ***). The value is
# written without a trailing newline: the Toolkit stores standard input as it comes.
set_secret() {
    local name=$1 value=$2
    echo "+ printf %s '***' | docker mcp secret set $name"
    [ "$dry_run" = 1 ] || printf '%s' "$value" | docker mcp secret set "$name"
}

set_secrets() {
    [ -z "$api_id" ] || set_secret "$SERVER.api_id" "$api_id"
    [ -z "$api_key" ] || set_secret "$SERVER.api_key" "$api_key"
}

# The non-secret settings given, as `name=value` pairs. Both are strings in the entry's
# config schema; `docker mcp profile config --set` reads a value that parses as JSON as
# JSON (1001 would become a number), so the values are given as JSON strings.
settings=()
[ -z "$firm_id" ] || settings+=("$SERVER.firm_id=\"$firm_id\"")
[ -z "$user_agent" ] || settings+=("$SERVER.user_agent=\"$user_agent\"")
if [ -z "$user_agent" ]; then
    echo "register-toolkit.sh: note: no --user-agent; the server entry requires $SERVER.user_agent" >&2
fi

register_profile() {
    local server_ref="file://$local_entry"
    run mkdir -p "$(dirname "$local_entry")"
    run cp "$entry" "$local_entry"
    if [ "$dry_run" = 0 ] && docker mcp profile show "$SERVER" >/dev/null 2>&1; then
        # Adding a server the profile already has updates it from the file.
        run docker mcp profile server add "$SERVER" --server "$server_ref"
    else
        run docker mcp profile create --name "$PROFILE_NAME" --id "$SERVER" --server "$server_ref"
    fi
    set_secrets
    if [ ${#settings[@]} -gt 0 ]; then
        local args=() setting
        for setting in "${settings[@]}"; do
            args+=(--set "$setting")
        done
        run docker mcp profile config "$SERVER" "${args[@]}"
    fi
    run docker mcp tools ls "--gateway-arg=--profile=$SERVER"
    echo
    echo "Connect a client with:  docker mcp client connect claude-desktop --profile $SERVER"
    echo "or give it this command: docker mcp gateway run --profile $SERVER"
}

register_catalog() {
    local gateway_args="--catalog=$catalog_file,--servers=$SERVER"
    run mkdir -p "$catalogs"
    # A catalog file is an object naming the catalog, with the servers under "registry".
    # The entry is JSON, and JSON is YAML, so wrapping it in braces makes the catalog.
    # shellcheck disable=SC2016 # `$` is sed's last-line address, not a shell expansion
    run_to "$catalog_file" sed \
        -e "1s/^/{\"name\": \"$SERVER\", \"displayName\": \"$PROFILE_NAME (local)\", \"registry\": {\"$SERVER\": /" \
        -e '$s/$/}}/' "$entry"
    set_secrets
    if [ ${#settings[@]} -gt 0 ]; then
        # The gateway reads settings per server from a YAML file: facturation-pro: {name: value}.
        # The values are JSON strings already, which YAML reads the same way.
        local lines=("$SERVER:") setting
        for setting in "${settings[@]}"; do
            setting=${setting#"$SERVER".}
            lines+=("  ${setting%%=*}: ${setting#*=}")
        done
        run_to "$config_file" printf '%s\n' "${lines[@]}"
        gateway_args="$gateway_args,--config=$config_file"
    fi
    run docker mcp tools ls "--gateway-arg=$gateway_args"
    echo
    echo "Give a client this command: docker mcp gateway run ${gateway_args//,/ }"
}

case "$route" in
    profile) register_profile ;;
    catalog) register_catalog ;;
esac
