// Signs a user in to the remote connector with the official MCP TypeScript SDK's OAuth
// client, then works as that user. Run by tests/tests/remote_connector.rs as
//
//     node typescript_oauth_client.mjs '<spec as JSON>'
//
// where the spec is {"mode": ..., "server": {"http": URL}, "login": LOGIN, "firm_id": N}.
//
// The SDK does everything a real client does by itself: the 401, the resource and
// authorization server metadata, registration, PKCE, the token request, the `iss` and
// resource checks. The one part played here is the person's browser: the consent page, the
// sign-in at the emulated Facturation.PRO as LOGIN (its `emulator_login` cookie), the
// redirects back. Prints one JSON summary line.

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const NAME = 'typescript_oauth_client.mjs';
const REDIRECT_URI = 'http://127.0.0.1:1/typescript-sdk-callback';

// The SDK lives under target/tools/mcp-client/ (see typescript_client.mjs).
const toolsDir = fileURLToPath(new URL('../../target/tools/mcp-client/', import.meta.url));
const { Client, StreamableHTTPClientTransport, UnauthorizedError } =
    createRequire(toolsDir)('@modelcontextprotocol/client');

class Failure extends Error {}

function check(condition, message) {
    if (!condition) {
        throw new Failure(message);
    }
}

/** The person's browser, from the authorization URL to the client's redirect URI. */
async function browse(url, login) {
    const get = (target, headers = {}) => fetch(target, { redirect: 'manual', headers });
    const page = await get(url, { 'accept-language': 'fr-FR,fr;q=0.9,en;q=0.5' });
    const html = await page.text();
    check(page.status === 200, `consent page: ${page.status} ${html}`);
    check(html.includes('Autoriser'), `not the French consent page: ${html}`);
    const cookie = page.headers.get('set-cookie').split(';')[0];
    const request = /name="request" value="([^"]+)"/.exec(html)[1];
    const consent = await fetch(new URL('/oauth2/authorize', url), {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ request, access: 'write', decision: 'allow' }).toString()
    });
    check(consent.status === 302, `consent: ${consent.status} ${await consent.text()}`);
    const signedIn = await get(consent.headers.get('location'), { cookie: `emulator_login=${login}` });
    check(signedIn.status === 302, `sign-in: ${signedIn.status}`);
    // The cookie that proves, at the callback, that this browser gave consent.
    const signInCookie = consent.headers.get('set-cookie').split(';')[0];
    const back = await get(signedIn.headers.get('location'), { cookie: signInCookie });
    check(back.status === 302, `callback: ${back.status} ${await back.text()}`);
    return back.headers.get('location');
}

/** An OAuth client provider that keeps everything in memory for this session. */
function memoryProvider(login, landed) {
    const kept = {};
    return {
        get redirectUrl() {
            return REDIRECT_URI;
        },
        get clientMetadata() {
            return {
                client_name: 'TypeScript SDK test',
                redirect_uris: [REDIRECT_URI],
                grant_types: ['authorization_code', 'refresh_token'],
                response_types: ['code'],
                token_endpoint_auth_method: 'none'
            };
        },
        state: () => 'typescript-sdk-state',
        clientInformation: () => kept.client,
        saveClientInformation: client => {
            kept.client = client;
        },
        tokens: () => kept.tokens,
        saveTokens: tokens => {
            kept.tokens = tokens;
        },
        redirectToAuthorization: async url => {
            landed.push(await browse(url.toString(), login));
        },
        saveCodeVerifier: verifier => {
            kept.verifier = verifier;
        },
        codeVerifier: () => kept.verifier
    };
}

async function session(spec) {
    const url = new URL(spec.server.http);
    const landed = [];
    const provider = memoryProvider(spec.login, landed);
    const client = new Client({ name: 'facturation-pro-tests-oauth', version: '1.0.0' }, {});
    try {
        await client.connect(new StreamableHTTPClientTransport(url, { authProvider: provider }));
        throw new Failure('the server let an unauthenticated client in');
    } catch (error) {
        if (!(error instanceof UnauthorizedError)) {
            throw error;
        }
    }
    check(landed.length === 1, `the SDK did not go through the browser: ${landed}`);
    const callback = new URL(landed[0]);
    check(callback.searchParams.get('state') === 'typescript-sdk-state', `state: ${callback}`);
    const transport = new StreamableHTTPClientTransport(url, { authProvider: provider });
    await transport.finishAuth(callback.searchParams);
    await client.connect(transport);
    try {
        const { tools } = await client.listTools(undefined, { cacheMode: 'refresh' });
        const listed = await client.callTool({ name: 'list_customers', arguments: { firm_id: spec.firm_id } });
        check(!listed.isError, `list_customers failed: ${JSON.stringify(listed)}`);
        const text = listed.content.filter(block => block.type === 'text').map(block => block.text).join(' ');
        return {
            sign_ins: landed.length,
            tools: tools.length,
            customers: text,
            protocol: client.getNegotiatedProtocolVersion()
        };
    } finally {
        await client.close();
    }
}

if (process.argv.length !== 3) {
    console.error(`usage: ${NAME} '<spec as JSON>'`);
    process.exit(2);
}
session(JSON.parse(process.argv[2])).then(
    summary => {
        console.log(JSON.stringify(summary));
        process.exit(0);
    },
    error => {
        console.error(error instanceof Failure ? `${NAME}: ${error.message}` : error);
        process.exit(1);
    }
);
