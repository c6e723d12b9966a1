"""Resources, prompts and completions of facturation-pro-mcp, through the official MCP
Python SDK (2.x) as an independent client.

Run by tests/tests/resources_prompts_completions.rs as

    python python_library_client.py '<spec as JSON>'

where the spec is {"mode": "legacy" | "2026-07-28", "server": S, "invoice_id": N,
"outside_uris": [...]} and S is {"stdio": {"command", "args", "env", "cwd"}} or
{"http": URL}.

It reads what the SDK parsed and reports it; the Rust test judges it against what the
emulator holds and recorded. On success it prints one JSON line and exits 0; on any
failure it exits non-zero with the reason on stderr.
"""

import base64
import hashlib
import json

from mcp import Client, types
from mcp.shared.exceptions import MCPError

from sdk_script import Failure, check, run, target_of

FIRM_ID = 1001


def only_text(result, what):
    """The text of a read that returned exactly one text content."""
    check(len(result.contents) == 1, f"{what}: {len(result.contents)} contents")
    content = result.contents[0]
    check(isinstance(content, types.TextResourceContents), f"{what} is not text: {content}")
    return content.text


async def refusal(client, uri):
    """The error code and message of a read that must fail."""
    try:
        result = await client.read_resource(uri)
    except MCPError as error:
        return {"code": error.code, "message": error.message}
    raise Failure(f"reading {uri} succeeded: {result.model_dump(mode='json')}")


async def session(spec):
    async with Client(
        target_of(spec["server"]),
        mode=spec["mode"],
        # Every answer must come from the server, not from the SDK's cache.
        cache=None,
        read_timeout_seconds=60,
    ) as client:
        version = client.protocol_version
        # Only a handshake tells the SDK what the server offers; a client adopting
        # 2026-07-28 outright has not asked.
        offered = client.server_capabilities
        capabilities = {
            "resources": offered.resources is not None,
            "prompts": offered.prompts is not None,
            "completions": offered.completions is not None,
        }

        listed = await client.list_resources()
        templates = await client.list_resource_templates()

        account = json.loads(only_text(await client.read_resource("facturation-pro://account"), "account"))
        terms = json.loads(
            only_text(await client.read_resource("facturation-pro://values/payment-terms"), "payment terms")
        )
        invoice_uri = f"facturation-pro://firms/{FIRM_ID}/invoices/{spec['invoice_id']}"
        invoice = json.loads(only_text(await client.read_resource(invoice_uri), "invoice"))

        # The file a tool saved, read back by the link the tool gave.
        downloaded = await client.call_tool("download_invoice_pdf", {"invoice_id": spec["invoice_id"]})
        check(not downloaded.is_error, f"download failed: {downloaded.model_dump(mode='json')}")
        links = [item for item in downloaded.content if isinstance(item, types.ResourceLink)]
        check(len(links) == 1, f"expected one resource link: {downloaded.model_dump(mode='json')}")
        link = str(links[0].uri)
        file_read = await client.read_resource(link)
        check(len(file_read.contents) == 1, f"{link}: {len(file_read.contents)} contents")
        blob = file_read.contents[0]
        check(isinstance(blob, types.BlobResourceContents), f"{link} is not a blob: {blob}")
        file_bytes = base64.b64decode(blob.blob)

        refusals = {uri: await refusal(client, uri) for uri in spec["outside_uris"]}
        missing = await refusal(client, f"facturation-pro://firms/{FIRM_ID}/invoices/999999")

        prompts = await client.list_prompts()
        prompt = await client.get_prompt("invoice_customer", {"customer": "Acme"})
        try:
            await client.get_prompt("invoice_customer", {})
            missing_argument = None
        except MCPError as error:
            missing_argument = {"code": error.code, "message": error.message}

        names = await client.complete(
            types.PromptReference(type="ref/prompt", name="invoice_customer"),
            {"name": "customer", "value": "Acm"},
        )
        ids = await client.complete(
            types.ResourceTemplateReference(
                type="ref/resource", uri="facturation-pro://firms/{firm_id}/customers/{customer_id}"
            ),
            {"name": "customer_id", "value": "acm"},
            context_arguments={"firm_id": str(FIRM_ID)},
        )

    return {
        "protocol_version": version,
        "capabilities": capabilities,
        "resource_uris": [str(resource.uri) for resource in listed.resources],
        "resource_titles": [resource.title for resource in listed.resources],
        "resources_cache_scope": listed.cache_scope,
        "template_uris": [template.uri_template for template in templates.resource_templates],
        "firm_ids": [firm.get("id") for firm in account.get("firms", [])],
        "payment_terms": [entry.get("value") for entry in terms.get("values", [])],
        "invoice": {"id": invoice.get("id"), "customer_id": invoice.get("customer_id")},
        "link": link,
        "link_mime_type": blob.mime_type,
        "file_sha256": hashlib.sha256(file_bytes).hexdigest(),
        "refusals": refusals,
        "missing_record": missing,
        "prompt_names": [prompt.name for prompt in prompts.prompts],
        "prompt_titles": [prompt.title for prompt in prompts.prompts],
        "prompt_text": prompt.messages[0].content.text,
        "missing_argument": missing_argument,
        "completed_names": names.completion.values,
        "completed_ids": ids.completion.values,
        "completed_ids_total": ids.completion.total,
    }


if __name__ == "__main__":
    run("python_library_client.py", session)
