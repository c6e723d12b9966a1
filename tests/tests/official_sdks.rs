//! The official MCP SDKs as independent clients: tests/sdk/python_client.py (the Python
//! SDK, 2.x) and tests/sdk/typescript_client.mjs (the TypeScript SDK's
//! `@modelcontextprotocol/client`, 2.x) run the same session (list, read, create, read
//! back, delete with a confirmation) over stdio and over Streamable HTTP, in each way the
//! SDKs can negotiate (both call the modes alike):
//!
//! - `legacy`: the `initialize` handshake, at the newest handshake-era revision (the
//!   TypeScript SDK's default);
//! - `auto` (the Python SDK's default): `server/discover` first, `initialize` only as a
//!   fallback;
//! - `2026-07-28`: that revision adopted outright, with no fallback (the TypeScript SDK
//!   pins it, still through `server/discover`; the Python SDK skips the probe).
//!
//! Each test checks the script's summary and what the emulator received. The Python venv
//! and the TypeScript SDK come from scripts/install-test-tools.sh; without them the tests
//! fail rather than skip.

use facturation_pro_emulator::emulator::{Emulator, EmulatorConfig};
use facturation_pro_emulator::harness::{SdkTransport, ServerSetup, assert_route, run_sdk_script};
use serde_json::json;

const MODERN: &str = "2026-07-28";
const LEGACY: &str = "2025-11-25";

const PYTHON: &str = "python_client.py";
const TYPESCRIPT: &str = "typescript_client.mjs";

#[test]
fn python_stdio_legacy() {
    session(PYTHON, SdkTransport::Stdio, "legacy", LEGACY);
}

#[test]
fn python_stdio_auto() {
    session(PYTHON, SdkTransport::Stdio, "auto", MODERN);
}

#[test]
fn python_stdio_modern() {
    session(PYTHON, SdkTransport::Stdio, MODERN, MODERN);
}

#[test]
fn python_http_legacy() {
    session(PYTHON, SdkTransport::Http, "legacy", LEGACY);
}

#[test]
fn python_http_auto() {
    session(PYTHON, SdkTransport::Http, "auto", MODERN);
}

#[test]
fn python_http_modern() {
    session(PYTHON, SdkTransport::Http, MODERN, MODERN);
}

#[test]
fn typescript_stdio_legacy() {
    session(TYPESCRIPT, SdkTransport::Stdio, "legacy", LEGACY);
}

#[test]
fn typescript_stdio_auto() {
    session(TYPESCRIPT, SdkTransport::Stdio, "auto", MODERN);
}

#[test]
fn typescript_stdio_modern() {
    session(TYPESCRIPT, SdkTransport::Stdio, MODERN, MODERN);
}

#[test]
fn typescript_http_legacy() {
    session(TYPESCRIPT, SdkTransport::Http, "legacy", LEGACY);
}

#[test]
fn typescript_http_auto() {
    session(TYPESCRIPT, SdkTransport::Http, "auto", MODERN);
}

#[test]
fn typescript_http_modern() {
    session(TYPESCRIPT, SdkTransport::Http, MODERN, MODERN);
}

/// Runs `script`'s session over `transport` in `mode` against a fresh emulator, and checks
/// it negotiated `expected_version` and did exactly what it was asked.
fn session(script: &str, transport: SdkTransport, mode: &str, expected_version: &str) {
    let emulator =
        Emulator::start(EmulatorConfig::without_demo_data()).expect("start the emulator");
    let home = tempfile::tempdir().expect("a temporary home");
    // Pages of 30 tools, so listing all 72 takes three `tools/list` calls: each SDK has to
    // follow `nextCursor` (by default the server sends them all at once).
    let setup = ServerSetup::against(&emulator.base_url(), &home.path().join("downloads"))
        .with_env("FACTURATION_TOOLS_PAGE_SIZE", "30");

    let spec = json!({ "mode": mode });
    let summary = run_sdk_script(script, transport, &setup, home.path(), spec);

    assert_eq!(summary["protocol_version"], expected_version, "{summary}");
    assert_eq!(summary["tool_count"], 72, "{summary}");
    assert!(
        summary["firm_ids"]
            .as_array()
            .is_some_and(|ids| ids.contains(&json!(1001))),
        "{summary}"
    );
    assert_eq!(summary["fetched_company_name"], "SDK SARL", "{summary}");
    // Both SDKs declare elicitation (they have a handler), so the delete is confirmed through
    // it, on every wire: a handshake-era client over HTTP is asked on the session its
    // `initialize` opened, in the middle of the call (tests/tests/legacy_http_sessions.rs).
    assert_eq!(summary["elicitations"], 1, "{summary}");
    let id = summary["customer_id"]
        .as_u64()
        .expect("the new customer's id");
    assert_eq!(
        summary["delete_result"],
        json!({ "customer_id": id, "deleted": true }),
        "{summary}"
    );

    // Exactly one create and one delete reached the API, and the customer is gone.
    let requests = emulator.requests();
    let writes: Vec<_> = requests
        .iter()
        .filter(|request| request.method != "GET")
        .collect();
    assert_eq!(writes.len(), 2, "{writes:#?}");
    assert_route(writes[0], "POST", "/firms/1001/customers.json");
    assert_eq!(
        writes[0].json_body(),
        Some(json!({ "company_name": "SDK SARL" }))
    );
    assert_route(
        writes[1],
        "DELETE",
        &format!("/firms/1001/customers/{id}.json"),
    );
    assert!(emulator.customer(1001, id).is_none());
}
