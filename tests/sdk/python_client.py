"""One session of the official MCP Python SDK (2.x) against facturation-pro-mcp.

An independent client: nothing here comes from our code, so what it negotiates and how it
reads our replies is the SDK's own doing. Run by tests/tests/official_sdks.rs as

    python python_client.py '<spec as JSON>'

where the spec is {"mode": "legacy" | "auto" | "2026-07-28", "server": S} and S is either
{"stdio": {"command": ..., "args": [...], "env": {...}, "cwd": ...}} or {"http": URL}.

It lists the tools, reads the account, creates a customer, reads it back and deletes it,
accepting the confirmation the server asks for. On success it prints one JSON line (the
summary the Rust test checks) and exits 0; on any failure it exits non-zero with the reason
(and the SDK's traceback) on stderr.
"""

from mcp import Client, types

from sdk_script import all_tools, check, run, target_of

TOOL_COUNT = 72
FIRM_ID = 1001
COMPANY = "SDK SARL"


def structured(result, what):
    """The structured content of a successful call, or a failure naming the call."""
    check(not result.is_error, f"{what} failed: {result.model_dump(mode='json')}")
    check(
        isinstance(result.structured_content, dict),
        f"{what} has no structured content: {result.model_dump(mode='json')}",
    )
    return result.structured_content


async def session(spec):
    questions = []

    # Accepts every confirmation, remembering what was asked so the test can tell the
    # callback ran exactly once (only the delete asks).
    async def elicit(_context, params):
        questions.append(params.message)
        return types.ElicitResult(action="accept", content={"confirm": True})

    async with Client(
        target_of(spec["server"]),
        mode=spec["mode"],
        elicitation_callback=elicit,
        # A listing served from the SDK's cache would hide a broken second request.
        cache=None,
        read_timeout_seconds=60,
    ) as client:
        version = client.protocol_version
        info = client.server_info

        tools = await all_tools(client)
        check(len(tools) == TOOL_COUNT, f"{len(tools)} tools listed, not {TOOL_COUNT}")

        account = structured(await client.call_tool("get_account", {}), "get_account")
        firm_ids = [firm.get("id") for firm in account.get("firms", [])]
        check(FIRM_ID in firm_ids, f"firm {FIRM_ID} missing from get_account: {account}")

        created = structured(
            await client.call_tool("create_customer", {"company_name": COMPANY}),
            "create_customer",
        )
        customer_id = created.get("id")
        check(isinstance(customer_id, int), f"no customer id in {created}")
        fetched = structured(
            await client.call_tool("get_customer", {"customer_id": customer_id}),
            "get_customer",
        )
        check(fetched.get("company_name") == COMPANY, f"get_customer gave {fetched}")

        deleted = await client.call_tool("delete_customer", {"customer_id": customer_id})
        deleted = structured(deleted, "delete_customer")

    return {
        "protocol_version": version,
        "server_name": info.name if info else None,
        "tool_count": len(tools),
        "firm_ids": firm_ids,
        "customer_id": customer_id,
        "fetched_company_name": fetched.get("company_name"),
        "elicitations": len(questions),
        "elicitation_messages": questions,
        "delete_result": deleted,
    }


if __name__ == "__main__":
    run("python_client.py", session)
