//! Asked to stop (SIGTERM, as `docker stop`, systemd and clients send it), the real binary
//! finishes what is under way instead of dying mid-call: the answer to a call in flight
//! reaches the client, nothing new is taken, the process exits with success, and a call the
//! drain cannot wait for is cut short with its write already in the audit log. Behind a load
//! balancer, readiness turns first and requests are still served for the drain delay. Each
//! verdict comes from what the client received, the exit status, the audit log and what the
//! emulator recorded.

use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use facturation_pro_emulator::emulator::{Emulator, EmulatorConfig, Fault};
use facturation_pro_emulator::harness::http_client::{HttpEndpoint, HttpMcpServer};
use facturation_pro_emulator::harness::{ServerSetup, TestSession, audit_lines};
use serde_json::json;

fn send_signal(pid: u32, signal: &str) {
    let sent = Command::new("kill")
        .args([format!("-{signal}"), pid.to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success());
}

/// The API holds its next answer back this long.
fn slow_api(api: &Emulator, delay: Duration) {
    api.inject(Fault::Slow { times: 1, delay });
}

#[test]
fn over_stdio_a_call_in_flight_is_answered_then_the_process_exits_cleanly() {
    let mut s = TestSession::with(EmulatorConfig::without_demo_data(), |setup| setup);
    let id = s
        .emulator
        .insert_customer(1001, json!({ "company_name": "Tardive SARL" }));
    slow_api(&s.emulator, Duration::from_millis(1500));
    let call = json!({ "jsonrpc": "2.0", "id": 42, "method": "tools/call",
        "params": { "name": "get_customer", "arguments": { "customer_id": id } } });
    s.server.send_line(call.to_string().as_bytes());
    s.emulator.wait_for_requests(1);
    send_signal(s.server.pid(), "TERM");

    let answer = s.server.read_message();
    assert_eq!(answer["id"], 42, "{answer}");
    assert_eq!(answer["result"]["isError"], false, "{answer}");
    assert_eq!(
        answer["result"]["structuredContent"]["id"],
        json!(id),
        "{answer}"
    );
    // Stdin is still open: the signal, not the end of input, ends the session.
    let (status, stderr) = s.server.wait_for_exit();
    assert!(status.success(), "{status}: {stderr}");
    assert!(
        stderr.contains("SIGTERM: finishing the calls in flight"),
        "{stderr}"
    );
    assert_eq!(s.emulator.requests().len(), 1, "nothing sent twice");
}

#[test]
fn over_http_a_held_call_is_answered_and_no_new_connection_is_taken() {
    let api = Emulator::start(EmulatorConfig::without_demo_data()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let id = api.insert_customer(1001, json!({ "company_name": "Tardive SARL" }));
    let mut server = HttpMcpServer::start(&ServerSetup::against(
        &api.base_url(),
        &home.path().join("downloads"),
    ));
    slow_api(&api, Duration::from_millis(1500));
    let call = json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
        "name": "get_customer", "arguments": { "customer_id": id },
        "_meta": { "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {} } } });
    let reply = std::thread::scope(|scope| {
        let held = scope.spawn(|| {
            server.post_json(
                &[
                    ("Accept", "application/json, text/event-stream"),
                    ("MCP-Protocol-Version", "2026-07-28"),
                    ("Mcp-Method", "tools/call"),
                    ("Mcp-Name", "get_customer"),
                ],
                &call,
            )
        });
        api.wait_for_requests(1);
        send_signal(server.pid(), "TERM");
        held.join().unwrap()
    });
    assert_eq!(reply.status, 200);
    let answer = reply.json();
    assert_eq!(answer["result"]["isError"], false, "{answer}");
    assert_eq!(answer["result"]["structuredContent"]["id"], json!(id));
    // The listener closed before the drain began: nobody new gets in.
    assert!(TcpStream::connect(server.address()).is_err());
    let status = server.wait_for_exit();
    assert!(status.success(), "{status}: {}", server.stderr());
    assert_eq!(api.requests().len(), 1, "nothing sent twice");
}

#[test]
fn a_write_longer_than_the_drain_is_cut_short_and_already_audited() {
    let home = tempfile::tempdir().unwrap();
    let audit = home.path().join("audit.jsonl");
    let mut s = TestSession::with(EmulatorConfig::without_demo_data(), |setup| {
        setup.with_env("FACTURATION_AUDIT_LOG", audit.to_str().unwrap())
    });
    // Far beyond the drain: the process must not wait for it.
    slow_api(&s.emulator, Duration::from_secs(60));
    let call = json!({ "jsonrpc": "2.0", "id": 7, "method": "tools/call",
        "params": { "name": "create_customer", "arguments": { "company_name": "Lente SARL" } } });
    s.server.send_line(call.to_string().as_bytes());
    s.emulator.wait_for_requests(1);
    send_signal(s.server.pid(), "TERM");

    let (status, stderr) = s.server.wait_for_exit();
    assert!(status.success(), "{status}: {stderr}");
    let lines = audit_lines(&audit);
    assert_eq!(lines[0]["event"], "sending", "{lines:?}");
    assert_eq!(lines[0]["tool"], "create_customer", "{lines:?}");
    assert_eq!(s.emulator.requests().len(), 1, "sent once, never retried");
}

#[test]
fn a_second_signal_stops_at_once() {
    let mut s = TestSession::with(EmulatorConfig::without_demo_data(), |setup| setup);
    slow_api(&s.emulator, Duration::from_secs(60));
    let call = json!({ "jsonrpc": "2.0", "id": 9, "method": "tools/call",
        "params": { "name": "get_account", "arguments": {} } });
    s.server.send_line(call.to_string().as_bytes());
    s.emulator.wait_for_requests(1);
    let pid = s.server.pid();
    send_signal(pid, "INT");
    // Once the first one is taken (its line is out), the second ends the drain.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !s.server.stderr().contains("SIGINT: finishing") {
        assert!(
            std::time::Instant::now() < deadline,
            "{}",
            s.server.stderr()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    send_signal(pid, "INT");
    let (status, stderr) = s.server.wait_for_exit();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("SIGINT again: stopping now"), "{stderr}");
}

/// What an orchestrator sees: `/healthz` and `/readyz` answer without the token every MCP
/// request needs; once SIGTERM arrives, readiness says no while new requests are still served
/// for the drain delay (the balancer's time to move traffic away), then the listener closes
/// and the process exits with success.
#[test]
fn behind_a_balancer_readiness_turns_first_and_requests_are_served_until_the_listener_closes() {
    let api = Emulator::start(EmulatorConfig::without_demo_data()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let id = api.insert_customer(1001, json!({ "company_name": "Tardive SARL" }));
    let token = "a-token-of-at-least-thirty-two-characters";
    let mut server = HttpMcpServer::start(
        &ServerSetup::against(&api.base_url(), &home.path().join("downloads"))
            .with_env("FACTURATION_HTTP_TOKEN", token)
            .with_env("FACTURATION_HTTP_DRAIN_DELAY_SECS", "3"),
    );
    let probe = |path: &str| {
        let reply = server.send("GET", path, &[], b"");
        (
            reply.status,
            String::from_utf8_lossy(&reply.body).into_owned(),
        )
    };
    assert_eq!(probe("/healthz"), (200, "ok\n".to_string()));
    assert_eq!(probe("/readyz"), (200, "ok\n".to_string()));
    // Only GET and HEAD; the MCP endpoint itself still wants the token.
    let posted = server.send("POST", "/readyz", &[], b"{}");
    assert_eq!(posted.status, 405);
    assert_eq!(posted.header("allow"), Some("GET, HEAD"));
    let call = |id: u64| {
        let body = json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
            "name": "get_customer", "arguments": { "customer_id": id },
            "_meta": { "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientCapabilities": {} } } });
        let bearer = format!("Bearer {token}");
        server.post_json(
            &[
                ("Accept", "application/json, text/event-stream"),
                ("MCP-Protocol-Version", "2026-07-28"),
                ("Mcp-Method", "tools/call"),
                ("Mcp-Name", "get_customer"),
                ("Authorization", &bearer),
            ],
            &body,
        )
    };
    let unauthenticated = server.post_json(&[], &json!({ "jsonrpc": "2.0", "id": 1 }));
    assert_eq!(unauthenticated.status, 401);
    assert!(api.requests().is_empty());

    send_signal(server.pid(), "TERM");
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    while probe("/readyz").0 != 503 {
        assert!(std::time::Instant::now() < deadline, "{}", server.stderr());
        std::thread::sleep(Duration::from_millis(20));
    }
    let (status, text) = probe("/readyz");
    assert_eq!(status, 503);
    assert!(text.starts_with("stopping"), "{text}");
    assert_eq!(probe("/healthz").0, 200, "alive while it drains");
    // Not ready, yet still serving: a request the balancer sent before it noticed is answered.
    let late = call(id);
    assert_eq!(
        late.status,
        200,
        "{:?}",
        String::from_utf8_lossy(&late.body)
    );
    assert_eq!(late.json()["result"]["structuredContent"]["id"], json!(id));

    let status = server.wait_for_exit();
    assert!(status.success(), "{status}: {}", server.stderr());
    assert!(TcpStream::connect(server.address()).is_err());
    assert_eq!(api.requests().len(), 1, "the one call, sent once");
    let stderr = server.stderr();
    assert!(
        stderr.contains("serving new requests for 3 s more"),
        "{stderr}"
    );
    assert!(!stderr.contains(token), "the token stays out of the log");
}
