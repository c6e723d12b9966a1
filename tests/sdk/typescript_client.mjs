// One session of the official MCP TypeScript SDK (2.x, `@modelcontextprotocol/client`)
// against facturation-pro-mcp: the same session as python_client.py, by a second client
// that shares no code with ours nor with the Python SDK. Run by tests/tests/official_sdks.rs
// as
//
//     node typescript_client.mjs '<spec as JSON>'
//
// where the spec is {"mode": "legacy" | "auto" | "2026-07-28", "server": S} and S is either
// {"stdio": {"command": ..., "args": [...], "env": {...}, "cwd": ...}} or {"http": URL}.
//
// It lists the tools, reads the account, creates a customer, reads it back and deletes it,
// accepting the confirmation the server asks for. On success it prints one JSON line (the
// summary the Rust test checks, with the same keys as python_client.py's) and exits 0; on
// any failure it exits non-zero with the reason (and the SDK's stack) on stderr.

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const NAME = 'typescript_client.mjs';
const TOOL_COUNT = 72;
const FIRM_ID = 1001;
const COMPANY = 'SDK SARL';
const MODERN = '2026-07-28';

// scripts/install-test-tools.sh installs the SDK under target/tools/mcp-client/, which is
// not on the node_modules path Node walks up from this file. A `require` rooted there
// finds it, and goes through the package's own `exports` map (its CommonJS build, which
// the package ships alongside the ES one) rather than through paths inside dist/.
const toolsDir = fileURLToPath(new URL('../../target/tools/mcp-client/', import.meta.url));
const requireSdk = createRequire(toolsDir);
let sdk;
let stdio;
try {
    sdk = requireSdk('@modelcontextprotocol/client');
    stdio = requireSdk('@modelcontextprotocol/client/stdio');
} catch (error) {
    console.error(error);
    fail(`the MCP TypeScript SDK is missing from ${toolsDir}: run scripts/install-test-tools.sh`);
}
const { Client, StreamableHTTPClientTransport } = sdk;
const { StdioClientTransport } = stdio;

/** A check of this script failed (as opposed to the SDK throwing). */
class Failure extends Error {}

function check(condition, message) {
    if (!condition) {
        throw new Failure(message);
    }
}

function fail(message) {
    console.error(`${NAME}: ${message}`);
    process.exit(1);
}

// The spec's modes, in the SDK's own words (`ClientOptions.versionNegotiation.mode`):
// 'legacy' is the plain `initialize` handshake (also what the SDK does when the option is
// left out); 'auto' probes with `server/discover` and falls back to `initialize` unless the
// answer is clearly modern; `{ pin }` adopts that revision through `server/discover`, with
// no fallback at all.
function negotiationOf(mode) {
    switch (mode) {
        case 'legacy':
        case 'auto':
            return { mode };
        case MODERN:
            return { mode: { pin: MODERN } };
        default:
            throw new Failure(`unknown mode ${JSON.stringify(mode)}`);
    }
}

/** The SDK's transport to the server the spec names. */
function transportOf(server) {
    check(server && typeof server === 'object', `no server in the spec: ${JSON.stringify(server)}`);
    if (server.stdio) {
        const { command, args = [], env, cwd } = server.stdio;
        // Like the Python SDK, the transport adds a few variables of this process's own
        // environment (PATH, HOME, ...) under what it is given. The server's stderr comes
        // through on ours, where the Rust test shows it when the session fails.
        return new StdioClientTransport({ command, args, env, cwd, stderr: 'inherit' });
    }
    check(typeof server.http === 'string', `no server in the spec: ${JSON.stringify(server)}`);
    return new StreamableHTTPClientTransport(new URL(server.http));
}

/** The structured content of a successful call, or a failure naming the call. */
function structured(result, what) {
    check(!result.isError, `${what} failed: ${JSON.stringify(result)}`);
    const content = result.structuredContent;
    check(
        content !== null && typeof content === 'object' && !Array.isArray(content),
        `${what} has no structured content: ${JSON.stringify(result)}`
    );
    return content;
}

async function session(spec) {
    const questions = [];
    const client = new Client(
        { name: 'facturation-pro-tests-typescript', version: '1.0.0' },
        {
            // Form-mode elicitation only: the confirmation the delete asks for is a form.
            capabilities: { elicitation: { form: {} } },
            versionNegotiation: negotiationOf(spec.mode)
        }
    );
    // Accepts every confirmation, remembering what was asked so the test can tell the
    // handler ran exactly once (only the delete asks). On a handshake-era connection it
    // answers the server's `elicitation/create` request; on a 2026-07-28 one the SDK calls
    // this same handler for the `input_required` result and retries the call itself.
    client.setRequestHandler('elicitation/create', async request => {
        questions.push(request.params.message);
        return { action: 'accept', content: { confirm: true } };
    });

    await client.connect(transportOf(spec.server));
    try {
        const version = client.getNegotiatedProtocolVersion();
        const info = client.getServerVersion();

        // Without a cursor the SDK walks every page itself, following `nextCursor`, and
        // keeps the whole listing: that is what `callTool` checks each tool's structured
        // content against (its `outputSchema`), so every call below is validated too.
        // 'refresh' makes sure the listing comes from the server, never from a cache.
        const { tools } = await client.listTools(undefined, { cacheMode: 'refresh' });
        check(tools.length === TOOL_COUNT, `${tools.length} tools listed, not ${TOOL_COUNT}`);

        const call = async (name, args) =>
            structured(await client.callTool({ name, arguments: args }), name);

        const account = await call('get_account', {});
        const firmIds = (account.firms ?? []).map(firm => firm.id);
        check(
            firmIds.includes(FIRM_ID),
            `firm ${FIRM_ID} missing from get_account: ${JSON.stringify(account)}`
        );

        const created = await call('create_customer', { company_name: COMPANY });
        const customerId = created.id;
        check(Number.isInteger(customerId), `no customer id in ${JSON.stringify(created)}`);
        const fetched = await call('get_customer', { customer_id: customerId });
        check(fetched.company_name === COMPANY, `get_customer gave ${JSON.stringify(fetched)}`);

        const deleted = await call('delete_customer', { customer_id: customerId });

        return {
            protocol_version: version ?? null,
            server_name: info?.name ?? null,
            tool_count: tools.length,
            firm_ids: firmIds,
            customer_id: customerId,
            fetched_company_name: fetched.company_name ?? null,
            elicitations: questions.length,
            elicitation_messages: questions,
            delete_result: deleted
        };
    } finally {
        await client.close();
    }
}

if (process.argv.length !== 3) {
    fail(`usage: ${NAME} '<spec as JSON>'`);
}
let spec;
try {
    spec = JSON.parse(process.argv[2]);
} catch (error) {
    fail(`the spec is not JSON (${error.message})`);
}
try {
    const summary = await session(spec);
    console.log(JSON.stringify(summary));
} catch (error) {
    if (error instanceof Failure) {
        fail(error.message);
    }
    console.error(error);
    fail(`the SDK threw (mode ${JSON.stringify(spec.mode)}); stack above`);
}
