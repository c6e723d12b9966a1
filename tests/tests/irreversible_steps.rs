//! What real clients tripped over, through the real binary: an edit of a draft invoice asks
//! nothing, while the steps that make a final, numbered invoice (finalising, creating one
//! without `type_doc: draft`, converting a quote) each ask the user first and say exactly
//! what will happen; and ids below 1 never reach the API.

use facturation_pro_emulator::emulator::EmulatorConfig;
use facturation_pro_emulator::harness::{McpServer, TestSession, assert_route};
use serde_json::{Value, json};

const FIRM: u64 = 1001;

/// A session whose client can show its user a form, so confirmations are asked.
fn session() -> TestSession {
    TestSession::with_client(
        EmulatorConfig::without_demo_data(),
        |setup| setup,
        json!({ "elicitation": {} }),
    )
}

fn draft_invoice(s: &TestSession) -> u64 {
    let customer = s
        .emulator
        .insert_customer(FIRM, json!({ "company_name": "Brouillon SA" }));
    s.emulator.insert_record(
        FIRM,
        "invoices",
        json!({ "customer_id": customer, "draft": true, "title": "Ancien titre",
            "items": [{ "title": "Audit", "quantity": 1, "unit_price": 100, "vat": 0.2 }] }),
    )
}

/// Sends a tool call without waiting for its answer.
fn start_call(server: &mut McpServer, tool: &str, arguments: Value) {
    let call = json!({ "jsonrpc": "2.0", "id": 9, "method": "tools/call",
        "params": { "name": tool, "arguments": arguments } });
    server.send_line(call.to_string().as_bytes());
}

/// Reads the question the server put to the user, answers it, and returns its message and
/// the call's final answer.
fn answer_question(server: &mut McpServer, accept: bool) -> (String, Value) {
    let question = server.read_message();
    assert_eq!(question["method"], "elicitation/create", "{question}");
    let message = question["params"]["message"].as_str().unwrap().to_string();
    let result = if accept {
        json!({ "action": "accept", "content": { "confirm": true } })
    } else {
        json!({ "action": "decline" })
    };
    let reply = json!({ "jsonrpc": "2.0", "id": question["id"], "result": result });
    server.send_line(reply.to_string().as_bytes());
    (message, server.read_message())
}

#[test]
fn editing_a_draft_asks_nothing_and_finalising_asks_first() {
    let mut s = session();
    let id = draft_invoice(&s);

    // A new title for a draft: no question, the edit goes out at once.
    let updated = s.call(
        "update_invoice",
        json!({ "invoice_id": id, "title": "Nouveau titre" }),
    );
    assert_eq!(updated, json!({ "invoice_id": id, "updated": true }));
    let patch = s.only_request();
    assert_route(
        &patch,
        "PATCH",
        &format!("/firms/{FIRM}/invoices/{id}.json"),
    );
    assert_eq!(patch.query_param("type_doc"), None);

    // Finalising asks, says what it means, and a "no" sends nothing.
    start_call(
        &mut s.server,
        "update_invoice",
        json!({ "invoice_id": id, "type_doc": "final" }),
    );
    let (message, refused) = answer_question(&mut s.server, false);
    assert!(
        message.contains("Finalising") && message.contains("never be deleted"),
        "{message}"
    );
    assert!(message.contains(&id.to_string()), "{message}");
    assert_eq!(refused["result"]["isError"], true, "{refused}");
    s.assert_no_request();

    // A "yes" finalises it: the draft gets its number.
    start_call(
        &mut s.server,
        "update_invoice",
        json!({ "invoice_id": id, "type_doc": "final" }),
    );
    let (_, done) = answer_question(&mut s.server, true);
    assert_eq!(done["result"]["isError"], false, "{done}");
    let patch = s.only_request();
    assert_eq!(patch.query_param("type_doc"), Some("final"));
    let invoice = s.call("get_invoice", json!({ "invoice_id": id }));
    assert_eq!(invoice["draft"], false, "{invoice}");
}

#[test]
fn converting_a_quote_says_it_makes_a_final_invoice_and_asks() {
    let mut s = session();
    let customer = s
        .emulator
        .insert_customer(FIRM, json!({ "company_name": "Devis SARL" }));
    let quote = s.emulator.insert_record(
        FIRM,
        "quotes",
        json!({ "customer_id": customer,
            "items": [{ "title": "Conseil", "quantity": 2, "unit_price": 300, "vat": 0.2 }] }),
    );

    start_call(
        &mut s.server,
        "convert_quote_to_invoice",
        json!({ "quote_id": quote }),
    );
    let (message, declined) = answer_question(&mut s.server, false);
    assert!(
        message.contains("FINAL") && message.contains("credit note"),
        "{message}"
    );
    assert_eq!(declined["result"]["isError"], true, "{declined}");
    s.assert_no_request();

    start_call(
        &mut s.server,
        "convert_quote_to_invoice",
        json!({ "quote_id": quote }),
    );
    let (_, converted) = answer_question(&mut s.server, true);
    let invoice = &converted["result"]["structuredContent"];
    assert_eq!(invoice["draft"], false, "{converted}");
    assert_route(
        &s.only_request(),
        "POST",
        &format!("/firms/{FIRM}/quotes/{quote}/invoice.json"),
    );
}

#[test]
fn a_final_invoice_is_confirmed_and_a_draft_is_not() {
    let mut s = session();
    let customer = s
        .emulator
        .insert_customer(FIRM, json!({ "company_name": "Client SAS" }));
    let items = json!([{ "title": "Forfait", "quantity": 1, "unit_price": 500, "vat": 0.2 }]);

    let draft = s.call(
        "create_invoice",
        json!({ "customer_id": customer, "items": items, "type_doc": "draft" }),
    );
    assert_eq!(draft["draft"], true, "{draft}");
    assert_eq!(s.take_requests().len(), 1);

    start_call(
        &mut s.server,
        "create_invoice",
        json!({ "customer_id": customer, "items": items }),
    );
    let (message, declined) = answer_question(&mut s.server, false);
    assert!(message.contains("FINAL"), "{message}");
    assert_eq!(declined["result"]["isError"], true, "{declined}");
    s.assert_no_request();
}

#[test]
fn ids_below_one_never_reach_the_api() {
    let mut s = TestSession::new();
    s.call_refused(
        "send_invoice_email",
        json!({ "invoice_id": 0 }),
        "invoice_id",
    );
    s.call_refused("send_quote_email", json!({ "quote_id": -5 }), "quote_id");
    let items = json!([{ "title": "x", "quantity": 1, "unit_price": 1 }]);
    s.call_refused(
        "create_quote",
        json!({ "customer_id": 0, "items": items }),
        "customer_id",
    );
    s.call_refused(
        "create_invoice",
        json!({ "customer_id": 0, "items": items, "type_doc": "draft" }),
        "customer_id",
    );
    s.call_refused(
        "list_invoices",
        json!({ "all_pages": true, "max_pages": 101 }),
        "max_pages",
    );
    s.call_refused(
        "download_subscription_order_pdf",
        json!({ "order_url": "/firms/1001/orders/../account.json" }),
        "order_url",
    );
}
