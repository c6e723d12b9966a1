//! Asking a legacy (handshake-era) client's user before irreversible actions, through MCP
//! elicitation: the component answers with an `input_required` result, the host turns it into
//! `elicitation/create` sent in the middle of the tool call, and the call goes ahead only on a
//! clear yes. (tests/tests/modern_protocol.rs covers the 2026-07-28 round trip itself.)

use facturation_pro_emulator::emulator::{EmulatorConfig, RecordedRequest};
use facturation_pro_emulator::harness::{McpServer, ServerSetup, TestSession, assert_route};
use serde_json::{Value, json};

/// A session whose client declares (or not) the elicitation capability.
fn session(elicitation: bool, adjust: impl FnOnce(ServerSetup) -> ServerSetup) -> TestSession {
    let capabilities = if elicitation {
        json!({ "elicitation": {} })
    } else {
        json!({})
    };
    TestSession::with_client(EmulatorConfig::without_demo_data(), adjust, capabilities)
}

/// Starts a delete_customer call without waiting for its answer.
fn start_delete(server: &mut McpServer, id: u64) {
    let call = json!({ "jsonrpc": "2.0", "id": 77, "method": "tools/call",
        "params": { "name": "delete_customer", "arguments": { "customer_id": id } } });
    server.send_line(call.to_string().as_bytes());
}

/// Reads the server's question and checks its shape.
fn question(server: &mut McpServer) -> Value {
    let question = server.read_message();
    assert_eq!(question["method"], "elicitation/create", "{question}");
    assert!(
        question["id"].is_string() || question["id"].is_number(),
        "{question}"
    );
    let message = question["params"]["message"].as_str().unwrap();
    assert!(
        message.contains("Delete a customer") && message.contains("cannot be undone"),
        "{message}"
    );
    assert_eq!(
        question["params"]["requestedSchema"]["properties"]["confirm"]["type"],
        "boolean"
    );
    question
}

fn answer(server: &mut McpServer, question: &Value, result: Value) {
    let reply = json!({ "jsonrpc": "2.0", "id": question["id"], "result": result });
    server.send_line(reply.to_string().as_bytes());
}

fn deletes(requests: &[RecordedRequest]) -> usize {
    requests
        .iter()
        .filter(|request| request.method == "DELETE")
        .count()
}

#[test]
fn a_confirmed_delete_goes_ahead() {
    let mut s = session(true, |setup| setup);
    let id = s
        .emulator
        .insert_customer(1001, json!({ "company_name": "Doomed" }));
    start_delete(&mut s.server, id);
    let asked = question(&mut s.server);
    assert!(
        asked["params"]["message"]
            .as_str()
            .unwrap()
            .contains(&id.to_string())
    );
    assert!(
        s.emulator.requests().is_empty(),
        "nothing is sent before the answer"
    );

    answer(
        &mut s.server,
        &asked,
        json!({ "action": "accept", "content": { "confirm": true } }),
    );
    let response = s.server.read_message();
    assert_eq!(response["id"], 77);
    assert_eq!(response["result"]["isError"], false, "{response}");
    let request = s.only_request();
    assert_route(
        &request,
        "DELETE",
        &format!("/firms/1001/customers/{id}.json"),
    );
    assert!(s.emulator.customer(1001, id).is_none());
}

#[test]
fn declining_or_dismissing_changes_nothing() {
    for (result, reason) in [
        (json!({ "action": "decline" }), "declined"),
        (json!({ "action": "cancel" }), "dismissed"),
        (
            json!({ "action": "accept", "content": { "confirm": false } }),
            "did not tick",
        ),
    ] {
        let mut s = session(true, |setup| setup);
        let id = s
            .emulator
            .insert_customer(1001, json!({ "company_name": "Kept" }));
        start_delete(&mut s.server, id);
        let asked = question(&mut s.server);
        answer(&mut s.server, &asked, result);
        let response = s.server.read_message();
        assert_eq!(response["result"]["isError"], true, "{response}");
        let text = response["result"]["content"][0]["text"].as_str().unwrap();
        assert!(
            text.contains(reason) && text.contains("Nothing was sent"),
            "{text}"
        );
        assert_eq!(deletes(&s.emulator.requests()), 0);
        assert!(s.emulator.customer(1001, id).is_some());
    }
}

#[test]
fn other_requests_are_served_while_the_user_decides() {
    let mut s = session(true, |setup| setup);
    let id = s
        .emulator
        .insert_customer(1001, json!({ "company_name": "Patient" }));
    start_delete(&mut s.server, id);
    let asked = question(&mut s.server);
    s.server
        .send_line(br#"{"jsonrpc":"2.0","id":"p1","method":"ping"}"#);
    assert_eq!(
        s.server.read_message(),
        json!({ "jsonrpc": "2.0", "id": "p1", "result": {} })
    );
    s.server
        .send_line(br#"{"jsonrpc":"2.0","id":"l1","method":"tools/list"}"#);
    let listed = s.server.read_message();
    assert_eq!(listed["id"], "l1");
    assert!(listed["result"]["tools"].as_array().unwrap().len() > 50);
    assert_eq!(
        deletes(&s.emulator.requests()),
        0,
        "still waiting for the user"
    );
    answer(
        &mut s.server,
        &asked,
        json!({ "action": "accept", "content": { "confirm": true } }),
    );
    assert_eq!(s.server.read_message()["result"]["isError"], false);
}

#[test]
fn a_cancelled_call_is_not_carried_out() {
    let mut s = session(true, |setup| setup);
    let id = s
        .emulator
        .insert_customer(1001, json!({ "company_name": "Reprieved" }));
    start_delete(&mut s.server, id);
    question(&mut s.server);
    s.server.send_line(
        br#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":77}}"#,
    );
    // No answer comes for the cancelled call: the next message answers the ping.
    s.server
        .send_line(br#"{"jsonrpc":"2.0","id":"p2","method":"ping"}"#);
    assert_eq!(s.server.read_message()["id"], "p2");
    assert_eq!(deletes(&s.emulator.requests()), 0);
}

#[test]
fn without_elicitation_or_with_confirm_off_nothing_is_asked() {
    for (elicitation, confirm) in [(false, "1"), (true, "0")] {
        let mut s = session(elicitation, |setup| {
            setup.with_env("FACTURATION_CONFIRM", confirm)
        });
        let id = s
            .emulator
            .insert_customer(1001, json!({ "company_name": "Quick" }));
        // The answer comes straight back: no question in between.
        let result = s
            .server
            .call_tool("delete_customer", json!({ "customer_id": id }));
        assert_eq!(result["isError"], false, "{result}");
        assert_eq!(deletes(&s.emulator.requests()), 1);
    }
}

#[test]
fn reads_are_never_held_up_by_a_question() {
    let mut s = session(true, |setup| setup);
    let id = s
        .emulator
        .insert_customer(1001, json!({ "company_name": "Read me" }));
    let result = s
        .server
        .call_tool("get_customer", json!({ "customer_id": id }));
    assert_eq!(result["isError"], false, "{result}");
}
