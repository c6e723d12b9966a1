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

use std::path::{Path, PathBuf};
use std::process::Command;

use facturation_pro_emulator::emulator::{Emulator, EmulatorConfig};
use facturation_pro_emulator::harness::http_client::{HttpEndpoint, HttpMcpServer};
use facturation_pro_emulator::harness::{ServerSetup, assert_route, host_binary};
use serde_json::{Value, json};

const MODERN: &str = "2026-07-28";
const LEGACY: &str = "2025-11-25";

#[derive(Clone, Copy, Debug)]
enum Transport {
    Stdio,
    Http,
}

#[test]
fn stdio_legacy() {
    session(Transport::Stdio, "legacy", LEGACY);
}

#[test]
fn stdio_auto() {
    session(Transport::Stdio, "auto", MODERN);
}

#[test]
fn stdio_modern() {
    session(Transport::Stdio, MODERN, MODERN);
}

#[test]
fn http_legacy() {
    session(Transport::Http, "legacy", LEGACY);
}

#[test]
fn http_auto() {
    session(Transport::Http, "auto", MODERN);
}

#[test]
fn http_modern() {
    session(Transport::Http, MODERN, MODERN);
}

/// target/tools/python/bin/python, the venv holding the pinned SDK.
fn python() -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace")
        .join("target/tools/python/bin/python");
    assert!(
        path.is_file(),
        "{} is missing: run scripts/install-test-tools.sh (it installs the MCP Python SDK)",
        path.display()
    );
    path
}

/// Runs the script's session over `transport` in `mode` against a fresh emulator, and
/// checks it negotiated `expected_version` and did exactly what it was asked.
fn session(transport: Transport, mode: &str, expected_version: &str) {
    let emulator =
        Emulator::start(EmulatorConfig::without_demo_data()).expect("start the emulator");
    let home = tempfile::tempdir().expect("a temporary home");
    let setup = ServerSetup::against(&emulator.base_url(), &home.path().join("downloads"));

    // Kept alive until the script is done; None on stdio, where the SDK spawns the server.
    let mut http_server = None;
    let server = match transport {
        Transport::Stdio => {
            // The SDK adds a few variables of its own environment (PATH, HOME, ...) to what
            // it is given; HOME here keeps the audit log in the temporary home.
            let mut env: serde_json::Map<String, Value> = setup
                .env
                .iter()
                .map(|(name, value)| (name.clone(), json!(value)))
                .collect();
            env.insert("HOME".into(), json!(home.path()));
            json!({ "stdio": {
                "command": host_binary(),
                "args": setup.args,
                "env": env,
                "cwd": setup.cwd,
            } })
        }
        Transport::Http => {
            let started = HttpMcpServer::start(&setup);
            let url = format!("http://{}/mcp", started.address());
            http_server = Some(started);
            json!({ "http": url })
        }
    };
    let spec = json!({ "mode": mode, "server": server });

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("sdk/python_client.py");
    let output = Command::new(python())
        .arg(script)
        .arg(spec.to_string())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("run the Python SDK client");
    let said = || {
        format!(
            "\n--- script stdout:\n{}\n--- script stderr:\n{}\n--- server stderr:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            http_server
                .as_ref()
                .map(HttpMcpServer::stderr)
                .unwrap_or_else(|| "(spawned by the SDK, which shows it above)".into()),
        )
    };
    assert!(
        output.status.success(),
        "{transport:?} / {mode}: the SDK session failed ({}){}",
        output.status,
        said()
    );
    let summary: Value = String::from_utf8_lossy(&output.stdout)
        .lines()
        .last()
        .and_then(|line| serde_json::from_str(line).ok())
        .unwrap_or_else(|| panic!("no JSON summary on the last line{}", said()));

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
    let legacy_http = mode == "legacy" && matches!(transport, Transport::Http);
    let expected_questions = if legacy_http { 0 } else { 1 };
    assert_eq!(
        summary["elicitations"],
        expected_questions,
        "{summary}{}",
        said()
    );
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
    drop(http_server);
}
