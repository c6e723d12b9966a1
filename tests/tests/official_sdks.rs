//! The official MCP Python SDK (2.x) as an independent client: tests/sdk/python_client.py
//! runs one session (list, read, create, read back, delete with a confirmation) over stdio
//! and over Streamable HTTP, in each way the SDK can negotiate:
//!
//! - `legacy`: the `initialize` handshake, at the newest handshake-era revision;
//! - `auto` (the SDK's default): `server/discover` first, `initialize` only as a fallback;
//! - `2026-07-28`: that revision adopted outright, with no probe.
//!
//! Each test checks the script's summary and what the emulator received. The venv comes
//! from scripts/install-test-tools.sh; without it the tests fail rather than skip.

use facturation_pro_emulator::emulator::{Emulator, EmulatorConfig};
use facturation_pro_emulator::harness::{SdkTransport, ServerSetup, assert_route, run_sdk_script};
use serde_json::json;

const MODERN: &str = "2026-07-28";
const LEGACY: &str = "2025-11-25";

#[test]
fn stdio_legacy() {
    session(SdkTransport::Stdio, "legacy", LEGACY);
}

#[test]
fn stdio_auto() {
    session(SdkTransport::Stdio, "auto", MODERN);
}

#[test]
fn stdio_modern() {
    session(SdkTransport::Stdio, MODERN, MODERN);
}

#[test]
fn http_legacy() {
    session(SdkTransport::Http, "legacy", LEGACY);
}

#[test]
fn http_auto() {
    session(SdkTransport::Http, "auto", MODERN);
}

#[test]
fn http_modern() {
    session(SdkTransport::Http, MODERN, MODERN);
}

/// Runs the script's session over `transport` in `mode` against a fresh emulator, and
/// checks it negotiated `expected_version` and did exactly what it was asked.
fn session(transport: SdkTransport, mode: &str, expected_version: &str) {
    let emulator =
        Emulator::start(EmulatorConfig::without_demo_data()).expect("start the emulator");
    let home = tempfile::tempdir().expect("a temporary home");
    let setup = ServerSetup::against(&emulator.base_url(), &home.path().join("downloads"));

    let spec = json!({ "mode": mode });
    let summary = run_sdk_script("python_client.py", transport, &setup, home.path(), spec);

    assert_eq!(summary["protocol_version"], expected_version, "{summary}");
    assert_eq!(summary["tool_count"], 72, "{summary}");
    assert!(
        summary["firm_ids"]
            .as_array()
            .is_some_and(|ids| ids.contains(&json!(1001))),
        "{summary}"
    );
    assert_eq!(summary["fetched_company_name"], "SDK SARL", "{summary}");
    // The SDK declares elicitation (it has a callback), so the delete is confirmed through
    // it, except in one case: a handshake-era client over HTTP. The server keeps no state
    // between HTTP requests, so what `initialize` declared is gone by the tool call, and the
    // delete goes ahead on the client's own approval (the tool is marked destructive), as
    // for any client without elicitation. README, "Protocols and transports", says so.
    let legacy_http = mode == "legacy" && matches!(transport, SdkTransport::Http);
    let expected_questions = if legacy_http { 0 } else { 1 };
    assert_eq!(summary["elicitations"], expected_questions, "{summary}");
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
