"""Signs a user in to the remote connector with the official MCP Python SDK's OAuth client,
then works as that user. Run by tests/tests/remote_connector.rs as

    python python_oauth_client.py '<spec as JSON>'

where the spec is {"mode": ..., "server": {"http": URL}, "login": LOGIN, "firm_id": N}.

The SDK does everything a real client does by itself: the 401, the resource and
authorization server metadata, registration, PKCE, the token request, `iss` and the
resource checks. The one part played here is the person's browser: the consent page, the
sign-in at the emulated Facturation.PRO as LOGIN (its `emulator_login` cookie), the
redirects back. Prints one JSON summary line.
"""

import re
from urllib.parse import parse_qs, urlparse

import httpx2
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientMetadata

from sdk_script import all_tools, check, run

REDIRECT_URI = "http://127.0.0.1:1/python-sdk-callback"


class MemoryStorage:
    """Tokens and the registration, kept for this session only."""

    def __init__(self):
        self.tokens = None
        self.client_info = None

    async def get_tokens(self):
        return self.tokens

    async def set_tokens(self, tokens):
        self.tokens = tokens

    async def get_client_info(self):
        return self.client_info

    async def set_client_info(self, client_info):
        self.client_info = client_info


async def browse(url, login):
    """The person's browser, from the authorization URL to the client's redirect URI."""
    async with httpx2.AsyncClient(follow_redirects=False, timeout=30) as browser:
        page = await browser.get(url, headers={"Accept-Language": "en"})
        check(page.status_code == 200, f"consent page: {page.status_code} {page.text}")
        check("Allow" in page.text, f"not the English consent page: {page.text}")
        cookie = page.headers["set-cookie"].split(";")[0]
        request = re.search(r'name="request" value="([^"]+)"', page.text).group(1)
        origin = f"{urlparse(url).scheme}://{urlparse(url).netloc}"
        consent = await browser.post(
            f"{origin}/oauth2/authorize",
            data={"request": request, "access": "write", "decision": "allow"},
            headers={"Cookie": cookie},
        )
        check(consent.status_code == 302, f"consent: {consent.status_code} {consent.text}")
        signed_in = await browser.get(
            consent.headers["location"], headers={"Cookie": f"emulator_login={login}"}
        )
        check(signed_in.status_code == 302, f"sign-in: {signed_in.status_code}")
        # The cookie that proves, at the callback, that this browser gave consent.
        sign_in_cookie = consent.headers["set-cookie"].split(";")[0]
        back = await browser.get(
            signed_in.headers["location"], headers={"Cookie": sign_in_cookie}
        )
        check(back.status_code == 302, f"callback: {back.status_code} {back.text}")
        return back.headers["location"]


async def session(spec):
    landed = []

    async def redirect_handler(url):
        landed.append(await browse(url, spec["login"]))

    async def callback_handler():
        query = parse_qs(urlparse(landed[-1]).query)
        return AuthorizationCodeResult(
            code=query["code"][0], state=query["state"][0], iss=query.get("iss", [None])[0]
        )

    url = spec["server"]["http"]
    provider = OAuthClientProvider(
        server_url=url,
        client_metadata=OAuthClientMetadata(
            client_name="Python SDK test",
            redirect_uris=[REDIRECT_URI],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
        ),
        storage=MemoryStorage(),
        redirect_handler=redirect_handler,
        callback_handler=callback_handler,
    )
    http_client = httpx2.AsyncClient(auth=provider, timeout=60)
    async with Client(
        streamable_http_client(url, http_client=http_client), mode=spec["mode"], cache=None
    ) as client:
        tools = await all_tools(client)
        listed = await client.call_tool("list_customers", {"firm_id": spec["firm_id"]})
        check(not listed.is_error, f"list_customers failed: {listed.model_dump(mode='json')}")
        text = " ".join(block.text for block in listed.content if block.type == "text")
        protocol = client.protocol_version
    return {
        "sign_ins": len(landed),
        "tools": len(tools),
        "customers": text,
        "protocol": protocol,
    }


if __name__ == "__main__":
    run("python_oauth_client.py", session)
