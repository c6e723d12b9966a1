#!/usr/bin/env bash
# Adds the facturation-pro server to Docker's MCP Toolkit, step by step: enable it (as the
# Toolkit profile "facturation-pro"), store the API credentials as Toolkit secrets, set the
# optional settings, and list the tools the server offers.
#
# Run it from a checkout of the repository, with Docker Desktop's MCP Toolkit (or Docker
# Engine with the docker mcp plugin). It asks for what it needs; to run it without
# questions, export FACTURATION_API_ID and FACTURATION_API_KEY (and optionally
# FACTURATION_FIRM_ID and FACTURATION_USER_AGENT) first.
# scripts/register-toolkit.sh does the same with options, a dry run and a catalog route.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)

# 1. Enable the server. The gateway reads local server files only from under
#    ~/.docker/mcp/catalogs, so the server entry is copied there first.
entry="$HOME/.docker/mcp/catalogs/facturation-pro-mcp/docker-mcp-config.json"
mkdir -p "$(dirname "$entry")"
cp "$repo/docker-mcp-config.json" "$entry"
if docker mcp profile show facturation-pro >/dev/null 2>&1; then
    # Already registered: adding the server again updates it from the file.
    docker mcp profile server add facturation-pro --server "file://$entry"
else
    docker mcp profile create --name Facturation.PRO --id facturation-pro --server "file://$entry"
fi

# 2. Secrets: the API id and key, from Facturation.PRO > "Clé API". They are read without
#    echo and handed to the Toolkit's keychain on standard input, never on a command line.
api_id=${FACTURATION_API_ID:-}
api_key=${FACTURATION_API_KEY:-}
if [ -z "$api_id" ]; then
    read -r -s -p "Facturation.PRO API id: " api_id
    echo
fi
if [ -z "$api_key" ]; then
    read -r -s -p "Facturation.PRO API key: " api_key
    echo
fi
if [ -z "$api_id" ] || [ -z "$api_key" ]; then
    echo "docker-mcp-toolkit.sh: the API id and key are both needed" >&2
    exit 1
fi
printf '%s' "$api_id" | docker mcp secret set facturation-pro.api_id
printf '%s' "$api_key" | docker mcp secret set facturation-pro.api_key

# 3. Settings that are not secret: the default firm, and the User-Agent Facturation.PRO
#    asks every client for (your app name and a contact, in plain ASCII).
firm_id=${FACTURATION_FIRM_ID:-}
user_agent=${FACTURATION_USER_AGENT:-}
[ -n "$firm_id" ] || read -r -p "Default firm id (optional, Enter to skip): " firm_id
[ -n "$user_agent" ] ||
    read -r -p "User-Agent, e.g. MonCabinet MCP (contact@mon-cabinet.fr): " user_agent
# Both are strings; a value that reads as JSON is taken as JSON, so they are given quoted.
settings=()
[ -z "$firm_id" ] || settings+=(--set "facturation-pro.firm_id=\"$firm_id\"")
[ -z "$user_agent" ] || settings+=(--set "facturation-pro.user_agent=\"$user_agent\"")
if [ ${#settings[@]} -gt 0 ]; then
    docker mcp profile config facturation-pro "${settings[@]}"
fi

# 4. The tools, as an MCP client will see them through the gateway.
docker mcp tools ls --gateway-arg=--profile=facturation-pro

echo
echo "Done. Connect a client with: docker mcp client connect claude-desktop --profile facturation-pro"
echo "(or give it the command: docker mcp gateway run --profile facturation-pro)"
