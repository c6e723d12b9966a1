//! `notifications/cancelled` while a tool waits on the API: the host drops the instance that
//! runs the call, and with it the call's HTTP requests; no response is sent for a cancelled
//! request, as the protocol asks, and the session goes on at once.

use std::time::Duration;

use facturation_pro_emulator::emulator::{EmulatorConfig, Fault};
use facturation_pro_emulator::harness::TestSession;
use serde_json::{Value, json};

/// Starts a tool call with id 42 and returns without waiting for its answer.
fn start_call(s: &mut TestSession, tool: &str, arguments: Value) {
    let call = json!({ "jsonrpc": "2.0", "id": 42, "method": "tools/call",
        "params": { "name": tool, "arguments": arguments } });
    s.server.send_line(call.to_string().as_bytes());
}

/// Cancels call 42 once the emulator has received its request.
fn cancel_once_sent(s: &mut TestSession) {
    while s.emulator.requests().is_empty() {
        std::thread::sleep(Duration::from_millis(20));
    }
    s.server.send_line(br#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":42,"reason":"changed my mind"}}"#);
}

/// The next message, which must be the answer to a ping sent now: nothing for call 42 may
/// come before it (or ever, as the last test of each case checks by closing the session).
fn ping_answered_first(s: &mut TestSession) {
    s.server
        .send_line(br#"{"jsonrpc":"2.0","id":43,"method":"ping"}"#);
    let response = s.server.read_message();
    assert_eq!(response["id"], 43, "{response}");
}

#[test]
fn a_cancelled_read_gets_no_answer_and_is_not_retried() {
    let mut s = TestSession::with(EmulatorConfig::without_demo_data(), |setup| setup);
    let id = s
        .emulator
        .insert_customer(1001, json!({ "company_name": "Slow" }));
    // Without the cancellation this call would succeed once the API answers.
    s.emulator.inject(Fault::Slow {
        times: 1,
        delay: Duration::from_secs(20),
    });
    start_call(&mut s, "get_customer", json!({ "customer_id": id }));
    cancel_once_sent(&mut s);
    ping_answered_first(&mut s);
    assert_eq!(
        s.emulator.requests().len(),
        1,
        "not retried after the cancellation"
    );

    // The session goes on normally.
    s.emulator.clear_requests();
    assert_eq!(
        s.call("get_customer", json!({ "customer_id": id }))["id"],
        json!(id)
    );
    let (status, _) = s.server.finish();
    assert!(status.success());
}

#[test]
fn a_cancelled_write_is_not_resent() {
    let mut s = TestSession::with(EmulatorConfig::without_demo_data(), |setup| setup);
    s.emulator.inject(Fault::Slow {
        times: 1,
        delay: Duration::from_secs(20),
    });
    start_call(
        &mut s,
        "create_customer",
        json!({ "company_name": "Maybe SARL" }),
    );
    cancel_once_sent(&mut s);
    ping_answered_first(&mut s);
    // Long enough for a resend to have shown up, had there been one.
    std::thread::sleep(Duration::from_millis(500));
    let posts = s
        .emulator
        .requests()
        .iter()
        .filter(|request| request.method == "POST")
        .count();
    assert_eq!(posts, 1);
}

#[test]
fn cancelling_another_call_changes_nothing() {
    let mut s = TestSession::with(EmulatorConfig::without_demo_data(), |setup| setup);
    let id = s
        .emulator
        .insert_customer(1001, json!({ "company_name": "Steady" }));
    s.emulator.inject(Fault::Slow {
        times: 1,
        delay: Duration::from_millis(500),
    });
    s.server.send_line(
        br#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":41}}"#,
    );
    start_call(&mut s, "get_customer", json!({ "customer_id": id }));
    let response = s.server.read_message();
    assert_eq!(response["result"]["isError"], false, "{response}");
}
