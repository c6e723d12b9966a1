"""What the scripts of this folder share: how they are called, how a failed check differs
from the SDK raising, and how the server named in their spec becomes an SDK target.

Each script is run as `python <script> '<spec as JSON>'`, where the spec's "server" is
{"stdio": {"command": ..., "args": [...], "env": {...}, "cwd": ...}} or {"http": URL}. On
success it prints one JSON line (the summary the Rust test checks) and exits 0; on any
failure it exits non-zero with the reason (and the SDK's traceback) on stderr.
"""

import asyncio
import json
import sys
import traceback

from mcp import StdioServerParameters


class Failure(Exception):
    """A check of the script failed (as opposed to the SDK raising)."""


def check(condition, message):
    if not condition:
        raise Failure(message)


def target_of(server):
    """The SDK's way to reach the server the spec names."""
    if "stdio" in server:
        stdio = server["stdio"]
        return StdioServerParameters(
            command=stdio["command"],
            args=stdio.get("args", []),
            env=stdio.get("env"),
            cwd=stdio.get("cwd"),
        )
    return server["http"]


async def all_tools(client):
    """Every tool, following `nextCursor` page after page."""
    tools = []
    cursor = None
    while True:
        page = await client.list_tools(cursor=cursor)
        tools.extend(page.tools)
        cursor = page.next_cursor
        if not cursor:
            return tools


def run(name, session):
    """Runs `session(spec)` with the spec from the command line and prints its summary."""
    if len(sys.argv) != 2:
        sys.exit(f"usage: {name} '<spec as JSON>'")
    spec = json.loads(sys.argv[1])
    try:
        summary = asyncio.run(session(spec))
    except Failure as failure:
        sys.exit(f"{name}: {failure}")
    except BaseException:
        traceback.print_exc()
        sys.exit(f"{name}: the SDK raised (mode {spec['mode']!r}); traceback above")
    print(json.dumps(summary), flush=True)
