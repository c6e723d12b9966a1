//! A month of a small business's sales in one MCP session, the way an assistant would drive
//! it: a new customer, a quote, its acceptance, the invoice, the email, the payment, the PDF,
//! and finally a credit note. Every step is checked against the emulator's state, and the
//! whole conversation against the exact sequence of API calls it should have produced.

use std::fs;

use facturation_pro_emulator::emulator::RecordedRequest;
use facturation_pro_emulator::harness::{TestSession, decimal, id_of, success};
use serde_json::json;

const FIRM: u64 = 1001;

/// The request the last tool call produced (every call here makes exactly one).
fn last_request(s: &TestSession, expected_count: usize) -> RecordedRequest {
    let requests = s.emulator.requests();
    assert_eq!(requests.len(), expected_count, "{requests:#?}");
    let request = requests.last().unwrap().clone();
    assert!(
        (200..300).contains(&request.status),
        "the API refused: {request:#?}"
    );
    request
}

#[test]
fn a_month_from_quote_to_credit_note() {
    let mut s = TestSession::new();

    // 1. A new customer.
    let customer = s.call(
        "create_customer",
        json!({
            "company_name": "Menuiserie Laurent SARL",
            "email": "compta@menuiserie-laurent.test",
            "street": "5 rue des Artisans", "zip_code": "38000", "city": "Grenoble",
            "country": "FR", "pay_before": "30",
        }),
    );
    let customer_id = id_of(&customer);
    assert_eq!(
        s.emulator.customer(FIRM, customer_id).unwrap()["company_name"],
        "Menuiserie Laurent SARL"
    );
    last_request(&s, 1);

    // 2. A quote with two lines: 4 × 380 + 60 = 1580 before tax, 1896 with 20 % VAT.
    let quote = s.call(
        "create_quote",
        json!({
            "customer_id": customer_id,
            "title": "Remplacement des fenêtres de l'atelier",
            "invoiced_on": "2025-11-03",
            "items": [
                { "title": "Fenêtre bois double vitrage, fournie et posée", "quantity": 4, "unit_price": 380, "vat": 0.2, "position": 1 },
                { "title": "Forfait déplacement", "quantity": 1, "unit_price": 60, "vat": 0.2, "position": 2 },
            ],
        }),
    );
    let quote_id = id_of(&quote);
    assert_eq!(decimal(&quote["total"]), 1580.0, "{quote}");
    assert_eq!(decimal(&quote["total_with_vat"]), 1896.0, "{quote}");
    assert_eq!(quote["quote_status"], 0);
    let stored = s.emulator.record(FIRM, "quotes", quote_id).unwrap();
    assert_eq!(stored["customer_id"], json!(customer_id));
    assert_eq!(stored["items"].as_array().unwrap().len(), 2);
    assert_eq!(last_request(&s, 2).status, 201);

    // 3. The customer accepts it.
    let accepted = s.call(
        "update_quote_status",
        json!({ "quote_id": quote_id, "quote_status": 1 }),
    );
    assert_eq!(accepted, json!({ "quote_id": quote_id, "updated": true }));
    assert_eq!(
        s.emulator.record(FIRM, "quotes", quote_id).unwrap()["quote_status"],
        1
    );
    assert_eq!(
        last_request(&s, 3).json_body(),
        Some(json!({ "quote_status": 1 }))
    );

    // 4. The work is done: the quote becomes an invoice.
    let invoice = s.call("convert_quote_to_invoice", json!({ "quote_id": quote_id }));
    let invoice_id = id_of(&invoice);
    assert_eq!(invoice["quote_id"], json!(quote_id), "{invoice}");
    assert_eq!(invoice["customer_id"], json!(customer_id));
    assert_eq!(decimal(&invoice["total"]), 1580.0);
    assert_eq!(invoice["draft"], false);
    let invoice_ref = invoice["invoice_ref"]
        .as_str()
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| panic!("a final invoice is numbered: {invoice}"))
        .to_string();
    let quote_now = s.emulator.record(FIRM, "quotes", quote_id).unwrap();
    assert_eq!(quote_now["invoice_ids"], json!([invoice_id]), "{quote_now}");
    assert_eq!(last_request(&s, 4).status, 201);

    // 5. It is emailed to the customer's address on file.
    let sent = s.call(
        "send_invoice_email",
        json!({
            "invoice_id": invoice_id,
            "subject": format!("Facture {invoice_ref}"),
            "message": "Bonjour, veuillez trouver ci-joint notre facture. Cordialement.",
        }),
    );
    assert_eq!(sent, json!({ "invoice_id": invoice_id, "sent": true }));
    let request = last_request(&s, 5);
    assert_eq!(
        request.query,
        [("bill_id".to_string(), invoice_id.to_string())]
    );
    let emails = s.emulator.sent_emails();
    assert_eq!(emails.len(), 1, "{emails:#?}");
    assert_eq!(emails[0]["bill_id"], json!(invoice_id), "{}", emails[0]);
    assert_eq!(emails[0]["to"], "compta@menuiserie-laurent.test");
    assert_eq!(emails[0]["subject"], format!("Facture {invoice_ref}"));

    // 6. The transfer arrives for the full amount: the invoice is paid.
    let settlement = s.call(
        "create_settlement",
        json!({
            "invoice_id": invoice_id, "total": 1896.0, "payment_mode": 3,
            "paid_on": "2025-11-28", "payment_ref": "VIR LAURENT 2811",
        }),
    );
    let settlement_id = id_of(&settlement);
    assert_eq!(settlement["invoice_id"], json!(invoice_id));
    assert_eq!(last_request(&s, 6).status, 201);
    let paid = s.emulator.record(FIRM, "invoices", invoice_id).unwrap();
    assert_eq!(paid["paid_on"], "2025-11-28", "{paid}");
    assert_eq!(paid["payment_mode"], 3, "{paid}");
    assert_eq!(decimal(&paid["balance"]), 0.0, "{paid}");
    // What the assistant sees when it checks.
    let shown = s.call("get_invoice", json!({ "invoice_id": invoice_id }));
    assert_eq!(shown["paid_on"], "2025-11-28");
    let settlement_ids: Vec<u64> = shown["settlements"]
        .as_array()
        .unwrap_or_else(|| panic!("settlements in {shown}"))
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(settlement_ids, [settlement_id]);
    last_request(&s, 7);

    // 7. The paid invoice as PDF, for the records.
    let raw = s
        .server
        .call_tool("download_invoice_pdf", json!({ "invoice_id": invoice_id }));
    let saved = success(&raw).clone();
    let name = saved["file_name"].as_str().unwrap();
    assert!(name.ends_with(".pdf"), "{name}");
    let bytes = fs::read(s.downloads().join(name)).expect("the PDF is in the downloads folder");
    assert!(bytes.starts_with(b"%PDF"));
    assert_eq!(saved["size"], json!(bytes.len()));
    assert!(
        raw["content"]
            .as_array()
            .unwrap()
            .iter()
            .any(|item| item["type"] == "resource_link" && item["uri"] == saved["uri"]),
        "{raw}"
    );
    assert!(last_request(&s, 8).query.is_empty());

    // 8. A dispute: the invoice is cancelled by a credit note.
    let credit = s.call("create_invoice_refund", json!({ "invoice_id": invoice_id }));
    let credit_id = id_of(&credit);
    assert_ne!(credit_id, invoice_id);
    assert_eq!(decimal(&credit["total"]), -1580.0, "{credit}");
    assert_eq!(credit["refund_id"], json!(invoice_id), "{credit}");
    assert_eq!(credit["customer_id"], json!(customer_id));
    let stored_credit = s.emulator.record(FIRM, "invoices", credit_id).unwrap();
    assert_eq!(decimal(&stored_credit["total"]), -1580.0);
    assert_eq!(stored_credit["refund_id"], json!(invoice_id));
    assert!(s.emulator.record(FIRM, "invoices", invoice_id).is_some());
    last_request(&s, 9);

    // The whole month, call by call, each authenticated and identified.
    let requests = s.take_requests();
    let routes: Vec<(String, String)> = requests
        .iter()
        .map(|r| (r.method.clone(), r.path.clone()))
        .collect();
    let expected: Vec<(String, String)> = [
        ("POST", "/firms/1001/customers.json".to_string()),
        ("POST", "/firms/1001/quotes.json".to_string()),
        ("PATCH", format!("/firms/1001/quotes/{quote_id}.json")),
        (
            "POST",
            format!("/firms/1001/quotes/{quote_id}/invoice.json"),
        ),
        ("POST", "/firms/1001/emails.json".to_string()),
        (
            "POST",
            format!("/firms/1001/invoices/{invoice_id}/settlements.json"),
        ),
        ("GET", format!("/firms/1001/invoices/{invoice_id}.json")),
        ("GET", format!("/firms/1001/invoices/{invoice_id}.pdf")),
        (
            "POST",
            format!("/firms/1001/invoices/{invoice_id}/refund.json"),
        ),
    ]
    .into_iter()
    .map(|(method, path)| (method.to_string(), path))
    .collect();
    assert_eq!(routes, expected);
    for request in &requests {
        assert!((200..300).contains(&request.status), "{request:#?}");
    }
    assert_eq!(s.emulator.records(FIRM, "invoices").len(), 2);
    assert_eq!(s.emulator.records(FIRM, "settlements").len(), 1);
}
