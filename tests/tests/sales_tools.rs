//! The sales tools (quotes, invoices, settlements), end to end: the real binary in a real
//! MCP session against the emulator. Each test checks what the tool returned, what the API
//! received (route, query, body) and what the API now holds.

use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};

use base64::prelude::{BASE64_STANDARD, Engine as _};
use facturation_pro_emulator::harness::{
    TEST_USER_AGENT, TestSession, assert_json_body, assert_route, decimal, id_of, ids, success,
    upload_part, without,
};
use serde_json::{Value, json};

const FIRM: u64 = 1001;

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

fn customer(s: &TestSession, name: &str, email: &str) -> u64 {
    s.emulator
        .insert_customer(FIRM, json!({ "company_name": name, "email": email }))
}

fn line(title: &str, quantity: f64, unit_price: f64) -> Value {
    json!({ "title": title, "quantity": quantity, "unit_price": unit_price, "vat": 0.2 })
}

/// `base` with the members of `extra` added or replaced.
fn merged(mut base: Value, extra: Value) -> Value {
    if let (Value::Object(base), Value::Object(extra)) = (&mut base, extra) {
        base.extend(extra);
    }
    base
}

/// A quote stored directly in the emulator: two lines, 900 + 300 = 1200 before tax.
fn insert_quote(s: &TestSession, customer_id: u64, extra: Value) -> u64 {
    let fields = json!({
        "customer_id": customer_id,
        "title": "Audit du système d'information",
        "invoiced_on": "2025-10-06",
        "items": [line("Audit", 2.0, 450.0), line("Rapport", 1.0, 300.0)],
    });
    s.emulator
        .insert_record(FIRM, "quotes", merged(fields, extra))
}

/// A final invoice stored directly in the emulator: 500 + 200 = 700 before tax, 840 with tax.
fn insert_invoice(s: &TestSession, customer_id: u64, extra: Value) -> u64 {
    let fields = json!({
        "customer_id": customer_id,
        "title": "Facturation mensuelle",
        "invoiced_on": "2025-10-06",
        "items": [line("Affichage pub 1", 1.0, 500.0), line("Affichage pub 2", 1.0, 200.0)],
    });
    s.emulator
        .insert_record(FIRM, "invoices", merged(fields, extra))
}

fn quote(s: &TestSession, id: u64) -> Value {
    s.emulator
        .record(FIRM, "quotes", id)
        .unwrap_or_else(|| panic!("quote {id} is not stored"))
}

fn invoice(s: &TestSession, id: u64) -> Value {
    s.emulator
        .record(FIRM, "invoices", id)
        .unwrap_or_else(|| panic!("invoice {id} is not stored"))
}

fn titles(items: &Value) -> Vec<&str> {
    items
        .as_array()
        .unwrap_or_else(|| panic!("no lines: {items}"))
        .iter()
        .map(|item| item["title"].as_str().unwrap())
        .collect()
}

/// A tool's refusal of its arguments: names the argument, says nothing was sent.
fn assert_refused(s: &mut TestSession, tool: &str, args: Value, mentions: &str) {
    let text = s.call_error(tool, args.clone());
    assert!(
        text.contains(mentions) && text.contains("Nothing was sent"),
        "{tool} {args}: {text}"
    );
    s.assert_no_request();
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// Bytes that would trip a careless multipart encoder: every byte value, CRLFs, dashes.
fn awkward_bytes() -> Vec<u8> {
    let mut bytes = b"%PDF-1.4\r\n--boundary-lookalike\r\n".to_vec();
    bytes.extend(0..=255u8);
    bytes.extend_from_slice(b"\r\n--\r\n\r\n");
    bytes
}

/// What the emulator serves at `target`, fetched directly (not through the server under
/// test). Call it only when every recorded request has been checked: it clears the log.
fn served(s: &TestSession, target: &str) -> Vec<u8> {
    s.assert_no_request();
    let port = s.emulator.port();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to the emulator");
    let credentials = BASE64_STANDARD.encode("demo-api-id:demo-api-key");
    write!(
        stream,
        "GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Basic {credentials}\r\n\
         User-Agent: {TEST_USER_AGENT}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let split = find(&response, b"\r\n\r\n").expect("response headers");
    let head = String::from_utf8_lossy(&response[..split]).to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    let body = response[split + 4..].to_vec();
    s.emulator.clear_requests();
    if head.contains("transfer-encoding: chunked") {
        dechunk(&body)
    } else {
        body
    }
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let end = find(body, b"\r\n").expect("chunk size line");
        let size_line = String::from_utf8_lossy(&body[..end]);
        let size = usize::from_str_radix(size_line.split(';').next().unwrap().trim(), 16)
            .expect("hex chunk size");
        body = &body[end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&body[..size]);
        body = &body[size + 2..];
    }
}

/// Names in the downloads folder, sorted.
fn folder(s: &TestSession) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(s.downloads())
        .expect("the downloads folder exists")
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn same_file(a: &Path, b: &Path) -> bool {
    fs::canonicalize(a).unwrap() == fs::canonicalize(b).unwrap()
}

/// Checks a download saved into the folder: the result's fields, the resource link, the
/// file itself. Returns its name and bytes.
fn saved_download(s: &TestSession, raw: &Value) -> (String, Vec<u8>) {
    let out = success(raw);
    assert_eq!(out["inline"], false, "{out}");
    assert_eq!(out["mime_type"], "application/pdf", "{out}");
    let name = out["file_name"].as_str().expect("file_name").to_string();
    assert!(
        name.ends_with(".pdf") && !name.contains(['/', '\\']) && !name.starts_with('.'),
        "{name}"
    );
    let path = PathBuf::from(out["path"].as_str().expect("path"));
    assert!(
        same_file(&path, &s.downloads().join(&name)),
        "{} is not {name} in the downloads folder",
        path.display()
    );
    let bytes = fs::read(&path).expect("the saved file");
    assert!(bytes.starts_with(b"%PDF"), "not a PDF: {name}");
    assert_eq!(out["size"], json!(bytes.len()));
    let uri = out["uri"].as_str().expect("uri");
    assert!(uri.starts_with("file://"), "{uri}");
    let link = raw["content"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["type"] == "resource_link")
        .unwrap_or_else(|| panic!("no resource_link in {raw}"));
    assert_eq!(link["uri"], uri);
    assert_eq!(link["name"], name.as_str());
    assert_eq!(link["mimeType"], "application/pdf");
    (name, bytes)
}

fn last_email(s: &TestSession) -> Value {
    s.emulator
        .sent_emails()
        .last()
        .cloned()
        .expect("the emulator recorded an email")
}

// ---------------------------------------------------------------------------------------
// Quotes
// ---------------------------------------------------------------------------------------

#[test]
fn list_quotes_sends_the_filters_and_returns_the_matching_page() {
    let mut s = TestSession::new();
    let acme = customer(&s, "Acme SAS", "compta@acme.test");
    let other = customer(&s, "Autre SARL", "compta@autre.test");
    let accepted = json!({ "quote_status": 1 });
    let q300 = insert_quote(
        &s,
        acme,
        merged(
            accepted.clone(),
            json!({ "invoiced_on": "2025-10-20", "items": [line("A", 1.0, 300.0)] }),
        ),
    );
    let q100 = insert_quote(
        &s,
        acme,
        merged(
            accepted.clone(),
            json!({ "invoiced_on": "2025-10-02", "items": [line("B", 1.0, 100.0)] }),
        ),
    );
    let q200 = insert_quote(
        &s,
        acme,
        merged(
            accepted.clone(),
            json!({ "invoiced_on": "2025-11-15", "items": [line("C", 2.0, 100.0)] }),
        ),
    );
    // Each of these fails one filter: pending, before the period, another customer.
    insert_quote(
        &s,
        acme,
        json!({ "quote_status": 0, "invoiced_on": "2025-10-10" }),
    );
    insert_quote(
        &s,
        acme,
        merged(accepted.clone(), json!({ "invoiced_on": "2025-09-30" })),
    );
    insert_quote(
        &s,
        other,
        merged(accepted, json!({ "invoiced_on": "2025-10-10" })),
    );

    let page = s.call(
        "list_quotes",
        json!({
            "customer_id": acme, "status": "1", "period_start": "2025-10",
            "sort": "asc", "order": "total", "page": 1,
        }),
    );
    assert_eq!(ids(&page["quotes"]), [q100, q200, q300], "{page}");
    assert_eq!(
        page["pagination"],
        json!({ "current_page": 1, "total_pages": 1, "per_page": 50, "total_entries": 3 })
    );
    // Lists leave the lines out unless asked.
    assert!(
        page["quotes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|q| q["items"].is_null()),
        "{page}"
    );
    let request = s.only_request();
    assert_route(&request, "GET", "/firms/1001/quotes.json");
    assert_eq!(request.query.len(), 6, "{:?}", request.query);
    for (name, value) in [
        ("customer_id", acme.to_string()),
        ("status", "1".into()),
        ("period_start", "2025-10".into()),
        ("sort", "asc".into()),
        ("order", "total".into()),
        ("page", "1".into()),
    ] {
        assert_eq!(request.query_param(name), Some(value.as_str()), "{name}");
    }

    // Page 2 of 56 quotes, with their lines.
    for n in 0..50 {
        insert_quote(
            &s,
            other,
            json!({ "title": format!("Devis {n}"), "invoiced_on": "2025-08-01" }),
        );
    }
    let page = s.call("list_quotes", json!({ "page": 2, "with_details": true }));
    assert_eq!(
        page["pagination"],
        json!({ "current_page": 2, "total_pages": 2, "per_page": 50, "total_entries": 56 })
    );
    let quotes = page["quotes"].as_array().unwrap();
    assert_eq!(quotes.len(), 6);
    assert!(
        quotes
            .iter()
            .all(|q| !q["items"].as_array().unwrap().is_empty()),
        "{page}"
    );
    let request = s.only_request();
    assert_route(&request, "GET", "/firms/1001/quotes.json");
    assert_eq!(request.query_param("page"), Some("2"));
    assert_eq!(request.query_param("with_details"), Some("1"));
}

#[test]
fn create_quote_sends_the_lines_and_gets_the_totals_computed() {
    let mut s = TestSession::new();
    let acme = customer(&s, "Acme SAS", "compta@acme.test");
    let args = json!({
        "customer_id": acme,
        "title": "Refonte du site",
        "invoiced_on": "2025-10-06",
        "term_on": "2025-11-05",
        "language": "fr",
        "currency": "EUR",
        "pay_before": "30",
        "items": [
            { "title": "Maquettes", "quantity": 2, "unit_price": 450, "vat": 0.2, "position": 1 },
            { "title": "Intégration", "quantity": 3, "unit_price": 50.5, "vat": 0.2, "position": 2 },
            { "title": "Hébergement premium", "quantity": 1, "unit_price": 1000, "vat": 0.2, "position": 3, "optional": true },
        ],
    });
    let created = s.call("create_quote", args.clone());
    let id = id_of(&created);
    // The optional line stays out of the total: 900 + 151.5.
    assert_eq!(decimal(&created["total"]), 1051.5, "{created}");
    assert_eq!(decimal(&created["total_with_vat"]), 1261.8, "{created}");
    let line_totals: Vec<f64> = created["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| decimal(&item["total"]))
        .collect();
    assert_eq!(line_totals, [900.0, 151.5, 1000.0]);
    assert!(created["items"][0]["id"].as_u64().is_some(), "{created}");
    assert_eq!(created["customer_id"], json!(acme));
    assert_eq!(created["quote_status"], 0, "a new quote is pending");
    assert!(created["quote_ref"].as_u64().is_some(), "{created}");
    assert_eq!(created["draft"], false);

    let request = s.only_request();
    assert_route(&request, "POST", "/firms/1001/quotes.json");
    assert_eq!(request.status, 201);
    assert!(request.query.is_empty());
    assert_json_body(&request, &args);

    let stored = quote(&s, id);
    assert_eq!(stored["title"], "Refonte du site");
    assert_eq!(decimal(&stored["total"]), 1051.5);
    assert_eq!(
        titles(&stored["items"]),
        ["Maquettes", "Intégration", "Hébergement premium"]
    );
}

#[test]
fn get_quote_returns_its_lines() {
    let mut s = TestSession::new();
    let acme = customer(&s, "Acme SAS", "compta@acme.test");
    let id = insert_quote(&s, acme, json!({ "quote_status": 1 }));
    let shown = s.call("get_quote", json!({ "quote_id": id }));
    assert_eq!(id_of(&shown), id);
    assert_eq!(shown["customer_id"], json!(acme));
    assert_eq!(shown["quote_status"], 1);
    assert_eq!(titles(&shown["items"]), ["Audit", "Rapport"]);
    assert_eq!(decimal(&shown["items"][0]["total"]), 900.0);
    assert_eq!(decimal(&shown["total"]), 1200.0);
    let request = s.only_request();
    assert_route(&request, "GET", &format!("/firms/1001/quotes/{id}.json"));
    assert!(request.query.is_empty() && request.body.is_empty());

    let text = s.call_error("get_quote", json!({ "quote_id": id + 1000 }));
    assert!(text.contains("HTTP 404"), "{text}");
    assert_eq!(s.only_request().status, 404);
}

#[test]
fn update_quote_adds_changes_and_removes_lines() {
    let mut s = TestSession::new();
    let acme = customer(&s, "Acme SAS", "compta@acme.test");
    let id = insert_quote(&s, acme, json!({}));
    let before = quote(&s, id);
    let audit = before["items"][0]["id"].as_u64().expect("line ids");
    let report = before["items"][1]["id"].as_u64().expect("line ids");

    let args = json!({
        "quote_id": id,
        "title": "Audit et plan d'action",
        "information": "Valable 30 jours",
        "items": [
            { "id": audit, "quantity": 3 },
            { "id": report, "_destroy": true },
            { "title": "Plan d'action", "quantity": 1, "unit_price": 250, "vat": 0.2 },
        ],
    });
    let result = s.call("update_quote", args.clone());
    assert_eq!(result, json!({ "quote_id": id, "updated": true }));

    let request = s.only_request();
    assert_route(&request, "PATCH", &format!("/firms/1001/quotes/{id}.json"));
    assert_eq!(request.status, 200);
    assert_json_body(&request, &without(&args, &["quote_id"]));

    let after = quote(&s, id);
    assert_eq!(after["title"], "Audit et plan d'action");
    assert_eq!(after["information"], "Valable 30 jours");
    let items = after["items"].as_array().unwrap();
    assert_eq!(
        titles(&after["items"]),
        ["Audit", "Plan d'action"],
        "{after}"
    );
    assert_eq!(items[0]["id"], json!(audit));
    assert_eq!(decimal(&items[0]["quantity"]), 3.0);
    assert_eq!(decimal(&items[0]["total"]), 1350.0);
    assert!(items.iter().all(|item| item["id"] != json!(report)));
    // 3 × 450 + 250.
    assert_eq!(decimal(&after["total"]), 1600.0);
}

#[test]
fn delete_quote_removes_it() {
    let mut s = TestSession::new();
    let acme = customer(&s, "Acme SAS", "compta@acme.test");
    let id = insert_quote(&s, acme, json!({}));
    let kept = insert_quote(&s, acme, json!({}));
    let result = s.call("delete_quote", json!({ "quote_id": id }));
    assert_eq!(result, json!({ "quote_id": id, "deleted": true }));
    let request = s.only_request();
    assert_route(&request, "DELETE", &format!("/firms/1001/quotes/{id}.json"));
    assert_eq!(request.status, 200);
    assert!(s.emulator.record(FIRM, "quotes", id).is_none());
    assert!(s.emulator.record(FIRM, "quotes", kept).is_some());

    let text = s.call_error("delete_quote", json!({ "quote_id": id }));
    assert!(text.contains("HTTP 404"), "{text}");
    assert_eq!(s.only_request().status, 404);
}

#[test]
fn update_quote_status_accepts_refuses_and_reopens() {
    let mut s = TestSession::new();
    let acme = customer(&s, "Acme SAS", "compta@acme.test");
    let id = insert_quote(&s, acme, json!({}));
    assert_eq!(quote(&s, id)["quote_status"], 0);
    for status in [1, 9, 0] {
        let result = s.call(
            "update_quote_status",
            json!({ "quote_id": id, "quote_status": status }),
        );
        assert_eq!(result, json!({ "quote_id": id, "updated": true }));
        let request = s.only_request();
        assert_route(&request, "PATCH", &format!("/firms/1001/quotes/{id}.json"));
        assert_eq!(request.status, 200);
        assert_eq!(request.json_body(), Some(json!({ "quote_status": status })));
        assert_eq!(quote(&s, id)["quote_status"], status);
    }
    // Only the three documented codes; and nothing else of the quote through this tool.
    assert_refused(
        &mut s,
        "update_quote_status",
        json!({ "quote_id": id, "quote_status": 2 }),
        "`quote_status`",
    );
    assert_refused(
        &mut s,
        "update_quote_status",
        json!({ "quote_id": id, "quote_status": "1" }),
        "`quote_status`",
    );
    assert_refused(
        &mut s,
        "update_quote_status",
        json!({ "quote_id": id, "quote_status": 1, "title": "x" }),
        "`title`",
    );
    assert_eq!(quote(&s, id)["quote_status"], 0);
}

#[test]
fn download_quote_pdf_saves_the_quote_or_the_pro_forma_or_returns_it_inline() {
    let mut s = TestSession::new();
    let acme = customer(&s, "Acme SAS", "compta@acme.test");
    let id = insert_quote(&s, acme, json!({}));

    let raw = s
        .server
        .call_tool("download_quote_pdf", json!({ "quote_id": id }));
    let (name, bytes) = saved_download(&s, &raw);
    let request = s.only_request();
    assert_route(&request, "GET", &format!("/firms/1001/quotes/{id}.pdf"));
    assert!(request.query.is_empty(), "{:?}", request.query);
    assert_eq!(bytes, served(&s, &format!("/firms/1001/quotes/{id}.pdf")));
    let number = quote(&s, id)["quote_ref"].to_string();
    assert!(
        name.contains(&number) || name.contains(&id.to_string()),
        "{name} names neither quote {number} nor id {id}"
    );

    // The pro forma is another document, saved beside the quote.
    let raw = s.server.call_tool(
        "download_quote_pdf",
        json!({ "quote_id": id, "proforma": true }),
    );
    let (proforma_name, proforma) = saved_download(&s, &raw);
    let request = s.only_request();
    assert_route(&request, "GET", &format!("/firms/1001/quotes/{id}.pdf"));
    assert_eq!(request.query, [("proforma".to_string(), "1".to_string())]);
    assert_ne!(proforma_name, name);
    assert_ne!(proforma, bytes, "the pro forma is laid out as an invoice");
    assert_eq!(
        proforma,
        served(&s, &format!("/firms/1001/quotes/{id}.pdf?proforma=1"))
    );
    assert_eq!(fs::read(s.downloads().join(&name)).unwrap(), bytes);

    // Inline: the bytes come back in the result and nothing is written.
    let files_before = folder(&s);
    let raw = s.server.call_tool(
        "download_quote_pdf",
        json!({ "quote_id": id, "inline": true }),
    );
    let out = success(&raw);
    assert_eq!(out["inline"], true);
    assert_eq!(out["size"], json!(bytes.len()));
    assert_eq!(out["mime_type"], "application/pdf");
    assert!(out.get("path").is_none(), "{out}");
    let resource = raw["content"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["type"] == "resource")
        .unwrap_or_else(|| panic!("no embedded resource in {raw}"));
    assert_eq!(resource["resource"]["mimeType"], "application/pdf");
    let blob = BASE64_STANDARD
        .decode(resource["resource"]["blob"].as_str().expect("a blob"))
        .expect("base64");
    assert_eq!(blob, bytes);
    assert!(
        raw["content"]
            .as_array()
            .unwrap()
            .iter()
            .all(|item| item["type"] != "resource_link")
    );
    assert_eq!(folder(&s), files_before, "inline writes no file");
    assert_route(
        &s.only_request(),
        "GET",
        &format!("/firms/1001/quotes/{id}.pdf"),
    );
}

#[test]
fn convert_quote_to_invoice_creates_an_invoice_linked_to_the_quote() {
    let mut s = TestSession::new();
    let acme = customer(&s, "Acme SAS", "compta@acme.test");
    let id = insert_quote(&s, acme, json!({ "quote_status": 1 }));

    let created = s.call("convert_quote_to_invoice", json!({ "quote_id": id }));
    let invoice_id = id_of(&created);
    assert_ne!(invoice_id, id);
    assert_eq!(created["customer_id"], json!(acme));
    assert_eq!(created["quote_id"], json!(id), "{created}");
    assert_eq!(created["title"], "Audit du système d'information");
    assert_eq!(titles(&created["items"]), ["Audit", "Rapport"]);
    assert_eq!(decimal(&created["total"]), 1200.0);
    assert_eq!(created["draft"], false);
    assert!(
        created["invoice_ref"]
            .as_str()
            .is_some_and(|r| !r.is_empty()),
        "a final invoice is numbered: {created}"
    );

    let request = s.only_request();
    assert_route(
        &request,
        "POST",
        &format!("/firms/1001/quotes/{id}/invoice.json"),
    );
    assert_eq!(request.status, 201);
    assert!(request.body.is_empty() && request.query.is_empty());

    let stored = invoice(&s, invoice_id);
    assert_eq!(stored["quote_id"], json!(id));
    assert_eq!(decimal(&stored["total"]), 1200.0);
    let source = quote(&s, id);
    assert_eq!(source["invoice_ids"], json!([invoice_id]), "{source}");
    assert_eq!(decimal(&source["amount_invoiced"]), 1200.0, "{source}");
    assert_eq!(source["fully_invoiced"], true, "{source}");
}

#[test]
fn send_quote_email_posts_to_emails_with_the_bill_id() {
    let mut s = TestSession::new();
    let acme = customer(&s, "Acme SAS", "compta@acme.test");
    let id = insert_quote(&s, acme, json!({}));
    let args = json!({
        "quote_id": id,
        "to": "direction@acme.test",
        "cc": "commercial@atelier.test",
        "bcc": "archives@atelier.test",
        "subject": "Votre devis",
        "message": "Comme convenu, veuillez trouver ci-joint le devis pour nos travaux.",
    });
    let result = s.call("send_quote_email", args.clone());
    assert_eq!(result, json!({ "quote_id": id, "sent": true }));

    let request = s.only_request();
    assert_route(&request, "POST", "/firms/1001/emails.json");
    assert_eq!(request.status, 201);
    assert_eq!(request.query, [("bill_id".to_string(), id.to_string())]);
    assert_json_body(&request, &without(&args, &["quote_id"]));

    let emails = s.emulator.sent_emails();
    assert_eq!(emails.len(), 1, "{emails:#?}");
    let email = &emails[0];
    assert_eq!(email["bill_id"], json!(id), "{email}");
    assert_eq!(email["to"], "direction@acme.test");
    assert_eq!(email["cc"], "commercial@atelier.test");
    assert_eq!(email["bcc"], "archives@atelier.test");
    assert_eq!(email["subject"], "Votre devis");
    assert_eq!(
        email["message"],
        "Comme convenu, veuillez trouver ci-joint le devis pour nos travaux."
    );

    // Without `to`, the customer's own address is used.
    s.call("send_quote_email", json!({ "quote_id": id }));
    let request = s.only_request();
    assert_eq!(request.query, [("bill_id".to_string(), id.to_string())]);
    assert_eq!(request.json_body(), Some(json!({})));
    assert_eq!(s.emulator.sent_emails().len(), 2);
    assert_eq!(last_email(&s)["to"], "compta@acme.test");

    assert_refused(
        &mut s,
        "send_quote_email",
        json!({ "subject": "Votre devis" }),
        "`quote_id`",
    );
    assert_eq!(s.emulator.sent_emails().len(), 2);
}

#[test]
fn upload_quote_file_sends_a_multipart_upload_file_part() {
    let mut s = TestSession::new();
    let acme = customer(&s, "Acme SAS", "compta@acme.test");
    let id = insert_quote(&s, acme, json!({}));
    let bytes = awkward_bytes();
    fs::create_dir_all(s.downloads().join("annexes")).unwrap();
    fs::write(s.downloads().join("annexes/plan.pdf"), &bytes).unwrap();

    let file = s.call(
        "upload_quote_file",
        json!({ "quote_id": id, "path": "annexes/plan.pdf", "visible": true }),
    );
    let file_id = id_of(&file);
    assert_eq!(file["quote_id"], json!(id));
    assert_eq!(file["document_name"], "plan.pdf");
    assert_eq!(file["document_size"], json!(bytes.len()));
    assert_eq!(file["visible"], true, "{file}");

    let request = s.only_request();
    assert_route(
        &request,
        "POST",
        &format!("/firms/1001/quotes/{id}/upload.json"),
    );
    assert_eq!(request.status, 201);
    assert_eq!(request.query, [("visible".to_string(), "1".to_string())]);
    assert_eq!(
        upload_part(&request),
        ("plan.pdf".to_string(), bytes.clone())
    );
    assert_eq!(s.emulator.asset_bytes(FIRM, file_id), Some(bytes));

    // Inline content under a chosen name.
    let text = "Conditions particulières\n";
    let file = s.call(
        "upload_quote_file",
        json!({ "quote_id": id, "content_base64": BASE64_STANDARD.encode(text), "filename": "conditions.txt" }),
    );
    let second = id_of(&file);
    assert_eq!(file["document_name"], "conditions.txt");
    let request = s.only_request();
    assert_eq!(
        request.query,
        [("filename".to_string(), "conditions.txt".to_string())]
    );
    assert_eq!(
        upload_part(&request),
        ("conditions.txt".to_string(), text.as_bytes().to_vec())
    );
    assert_eq!(
        s.emulator.asset_bytes(FIRM, second),
        Some(text.as_bytes().to_vec())
    );

    // Nothing outside the downloads folder is ever read.
    fs::write(s.downloads().parent().unwrap().join("secret.txt"), "secret").unwrap();
    assert_refused(
        &mut s,
        "upload_quote_file",
        json!({ "quote_id": id, "path": "../secret.txt" }),
        "`path`",
    );
}

// ---------------------------------------------------------------------------------------
// Invoices
// ---------------------------------------------------------------------------------------

#[test]
fn list_invoices_sends_the_filters_and_returns_the_matching_page() {
    let mut s = TestSession::new();
    let acme = customer(&s, "Acme SAS", "compta@acme.test");
    let other = customer(&s, "Autre SARL", "compta@autre.test");
    let oct_20 = insert_invoice(&s, acme, json!({ "invoiced_on": "2025-10-20" }));
    let oct_02 = insert_invoice(
        &s,
        acme,
        json!({ "invoiced_on": "2025-10-02", "paid_on": "2025-11-04", "payment_mode": 3 }),
    );
    let nov_15 = insert_invoice(&s, acme, json!({ "invoiced_on": "2025-11-15" }));
    insert_invoice(&s, acme, json!({ "invoiced_on": "2025-09-30" }));
    insert_invoice(&s, other, json!({ "invoiced_on": "2025-10-10" }));

    let page = s.call(
        "list_invoices",
        json!({
            "customer_id": acme, "period_start": "2025-10", "period_end": "2025-10-31",
            "period_type": "billed", "sort": "asc", "order": "billed", "page": 1,
        }),
    );
    assert_eq!(ids(&page["invoices"]), [oct_02, oct_20], "{page}");
    assert_eq!(
        page["pagination"],
        json!({ "current_page": 1, "total_pages": 1, "per_page": 50, "total_entries": 2 })
    );
    let request = s.only_request();
    assert_route(&request, "GET", "/firms/1001/invoices.json");
    assert_eq!(request.query.len(), 7, "{:?}", request.query);
    for (name, value) in [
        ("customer_id", acme.to_string()),
        ("period_start", "2025-10".into()),
        ("period_end", "2025-10-31".into()),
        ("period_type", "billed".into()),
        ("sort", "asc".into()),
        ("order", "billed".into()),
        ("page", "1".into()),
    ] {
        assert_eq!(request.query_param(name), Some(value.as_str()), "{name}");
    }

    // Without period_type, periods apply to payment dates.
    let page = s.call("list_invoices", json!({ "period_start": "2025-11" }));
    assert_eq!(ids(&page["invoices"]), [oct_02], "{page}");
    assert_eq!(
        s.only_request().query,
        [("period_start".to_string(), "2025-11".to_string())]
    );

    let page = s.call(
        "list_invoices",
        json!({ "bill_type": "unpaid", "customer_id": acme, "order": "billed", "sort": "desc" }),
    );
    let unpaid = ids(&page["invoices"]);
    assert!(
        unpaid.starts_with(&[nov_15, oct_20]) && !unpaid.contains(&oct_02),
        "{page}"
    );
    let request = s.only_request();
    assert_eq!(request.query_param("bill_type"), Some("unpaid"));
}

#[test]
fn create_invoice_computes_totals_and_numbers_a_final_invoice() {
    let mut s = TestSession::new();
    let acme = customer(&s, "Acme SAS", "compta@acme.test");
    let args = json!({
        "customer_id": acme,
        "title": "Facturation mensuelle",
        "invoiced_on": "2025-10-29",
        "pay_before": "30",
        "items": [
            { "title": "Affichage pub 1", "quantity": 1, "unit_price": 500, "vat": 0.2, "position": 1 },
            { "title": "Affichage pub 2", "quantity": 2, "unit_price": 100, "vat": 0.055, "position": 2 },
        ],
    });
    let created = s.call("create_invoice", args.clone());
    let id = id_of(&created);
    assert_eq!(decimal(&created["total"]), 700.0, "{created}");
    // 500 × 1.2 + 200 × 1.055.
    assert_eq!(decimal(&created["total_with_vat"]), 811.0, "{created}");
    assert_eq!(decimal(&created["items"][1]["total"]), 200.0);
    assert_eq!(created["draft"], false);
    assert!(
        created["invoice_ref"]
            .as_str()
            .is_some_and(|r| !r.is_empty()),
        "{created}"
    );
    assert!(created["quote_id"].is_null() && created["refund_id"].is_null());
    assert!(created["paid_on"].is_null(), "{created}");

    let request = s.only_request();
    assert_route(&request, "POST", "/firms/1001/invoices.json");
    assert_eq!(request.status, 201);
    assert!(request.query.is_empty(), "{:?}", request.query);
    assert_json_body(&request, &args);

    let stored = invoice(&s, id);
    assert_eq!(stored["customer_id"], json!(acme));
    assert_eq!(decimal(&stored["total"]), 700.0);
    assert_eq!(stored["draft"], false);

    // Invoice numbers follow each other.
    let next = s.call(
        "create_invoice",
        json!({ "customer_id": acme, "items": [line("Affichage pub 3", 1.0, 50.0)] }),
    );
    s.only_request();
    assert_ne!(next["invoice_ref"], created["invoice_ref"]);
}

#[test]
fn get_invoice_shows_lines_and_payments() {
    let mut s = TestSession::new();
    let acme = customer(&s, "Acme SAS", "compta@acme.test");
    let id = insert_invoice(&s, acme, json!({}));
    let settlement = s.emulator.insert_record(
        FIRM,
        "settlements",
        json!({ "invoice_id": id, "total": "300.0", "payment_mode": 4, "paid_on": "2025-10-20" }),
    );
    let shown = s.call("get_invoice", json!({ "invoice_id": id }));
    assert_eq!(id_of(&shown), id);
    assert_eq!(
        titles(&shown["items"]),
        ["Affichage pub 1", "Affichage pub 2"]
    );
    assert_eq!(decimal(&shown["total"]), 700.0);
    assert_eq!(ids(&shown["settlements"]), [settlement], "{shown}");
    assert_eq!(decimal(&shown["settlements"][0]["total"]), 300.0);
    // 840 with tax, 300 received.
    assert_eq!(decimal(&shown["balance"]), 540.0, "{shown}");
    let request = s.only_request();
    assert_route(&request, "GET", &format!("/firms/1001/invoices/{id}.json"));
    assert!(request.query.is_empty());
}

#[test]
fn update_invoice_edits_a_draft_then_finalises_it() {
    let mut s = TestSession::new();
    let acme = customer(&s, "Acme SAS", "compta@acme.test");
    let draft = s.call(
        "create_invoice",
        json!({ "customer_id": acme, "type_doc": "draft", "items": [line("Acompte", 1.0, 100.0)] }),
    );
    let id = id_of(&draft);
    assert_eq!(draft["draft"], true, "{draft}");
    let request = s.only_request();
    assert_eq!(
        request.query,
        [("type_doc".to_string(), "draft".to_string())]
    );

    // A draft can change everything, lines included.
    let args = json!({
        "invoice_id": id,
        "title": "Acompte sur commande",
        "items": [{ "id": draft["items"][0]["id"], "unit_price": 250 }],
    });
    let result = s.call("update_invoice", args.clone());
    assert_eq!(result, json!({ "invoice_id": id, "updated": true }));
    let request = s.only_request();
    assert_route(
        &request,
        "PATCH",
        &format!("/firms/1001/invoices/{id}.json"),
    );
    assert!(request.query.is_empty());
    assert_json_body(&request, &without(&args, &["invoice_id"]));
    let stored = invoice(&s, id);
    assert_eq!(stored["title"], "Acompte sur commande");
    assert_eq!(decimal(&stored["total"]), 250.0);
    assert_eq!(stored["draft"], true);

    // type_doc=final finalises it: numbered, no longer a draft.
    let result = s.call(
        "update_invoice",
        json!({ "invoice_id": id, "type_doc": "final" }),
    );
    assert_eq!(result, json!({ "invoice_id": id, "updated": true }));
    let request = s.only_request();
    assert_route(
        &request,
        "PATCH",
        &format!("/firms/1001/invoices/{id}.json"),
    );
    assert_eq!(request.status, 200);
    assert_eq!(
        request.query,
        [("type_doc".to_string(), "final".to_string())]
    );
    assert_eq!(request.json_body(), Some(json!({})));
    let stored = invoice(&s, id);
    assert_eq!(stored["draft"], false, "{stored}");
    assert!(
        stored["invoice_ref"]
            .as_str()
            .is_some_and(|r| !r.is_empty()),
        "{stored}"
    );

    // Once final, the payment can be recorded, but the amount no longer changes and it
    // cannot go back to draft.
    s.call(
        "update_invoice",
        json!({ "invoice_id": id, "paid_on": "2025-11-06", "payment_mode": 1 }),
    );
    assert_eq!(s.only_request().status, 200);
    let stored = invoice(&s, id);
    assert_eq!(
        (&stored["paid_on"], &stored["payment_mode"]),
        (&json!("2025-11-06"), &json!(1))
    );
    s.server.call_tool(
        "update_invoice",
        json!({ "invoice_id": id, "items": [line("Remise", 1.0, -50.0)] }),
    );
    s.server.call_tool(
        "update_invoice",
        json!({ "invoice_id": id, "type_doc": "draft" }),
    );
    s.emulator.clear_requests();
    let stored = invoice(&s, id);
    assert_eq!(decimal(&stored["total"]), 250.0, "{stored}");
    assert_eq!(stored["draft"], false, "{stored}");
}

#[test]
fn delete_invoice_deletes_a_draft_but_not_a_final_invoice() {
    let mut s = TestSession::new();
    let acme = customer(&s, "Acme SAS", "compta@acme.test");
    let items = json!([line("Prestation", 1.0, 100.0)]);
    let final_id = id_of(&s.call(
        "create_invoice",
        json!({ "customer_id": acme, "items": items }),
    ));
    let draft_id = id_of(&s.call(
        "create_invoice",
        json!({ "customer_id": acme, "items": items, "type_doc": "draft" }),
    ));
    s.emulator.clear_requests();

    let text = s.call_error("delete_invoice", json!({ "invoice_id": final_id }));
    assert!(text.contains("HTTP 422"), "{text}");
    let request = s.only_request();
    assert_route(
        &request,
        "DELETE",
        &format!("/firms/1001/invoices/{final_id}.json"),
    );
    assert_eq!(request.status, 422);
    assert!(s.emulator.record(FIRM, "invoices", final_id).is_some());

    let result = s.call("delete_invoice", json!({ "invoice_id": draft_id }));
    assert_eq!(result, json!({ "invoice_id": draft_id, "deleted": true }));
    let request = s.only_request();
    assert_route(
        &request,
        "DELETE",
        &format!("/firms/1001/invoices/{draft_id}.json"),
    );
    assert_eq!(request.status, 200);
    assert!(s.emulator.record(FIRM, "invoices", draft_id).is_none());
    assert!(s.emulator.record(FIRM, "invoices", final_id).is_some());
}

#[test]
fn download_invoice_pdf_saves_it_and_never_overwrites_unless_asked() {
    let mut s = TestSession::new();
    let acme = customer(&s, "Acme SAS", "compta@acme.test");
    let id = insert_invoice(
        &s,
        acme,
        json!({ "paid_on": "2025-10-30", "payment_mode": 3 }),
    );
    let number = invoice(&s, id)["invoice_ref"]
        .as_str()
        .expect("a final invoice is numbered")
        .to_string();

    let raw = s
        .server
        .call_tool("download_invoice_pdf", json!({ "invoice_id": id }));
    let (name, paid_copy) = saved_download(&s, &raw);
    let request = s.only_request();
    assert_route(&request, "GET", &format!("/firms/1001/invoices/{id}.pdf"));
    assert!(request.query.is_empty(), "{:?}", request.query);
    assert_eq!(
        paid_copy,
        served(&s, &format!("/firms/1001/invoices/{id}.pdf"))
    );
    assert!(
        name.contains(&number) || name.contains(&id.to_string()),
        "{name} names neither invoice {number} nor id {id}"
    );

    // Same document again: refused, the first file untouched, no temporary left behind.
    let files_before = folder(&s);
    assert_eq!(files_before, std::slice::from_ref(&name));
    let text = s.call_error("download_invoice_pdf", json!({ "invoice_id": id }));
    assert!(
        text.contains("already exists") && text.contains("overwrite"),
        "{text}"
    );
    assert_route(
        &s.only_request(),
        "GET",
        &format!("/firms/1001/invoices/{id}.pdf"),
    );
    assert_eq!(fs::read(s.downloads().join(&name)).unwrap(), paid_copy);
    assert_eq!(folder(&s), files_before);

    // With overwrite it is replaced, in place.
    fs::write(s.downloads().join(&name), b"stale copy").unwrap();
    let raw = s.server.call_tool(
        "download_invoice_pdf",
        json!({ "invoice_id": id, "overwrite": true }),
    );
    let (again, bytes) = saved_download(&s, &raw);
    s.only_request();
    assert_eq!(again, name);
    assert_eq!(bytes, paid_copy);
    assert_eq!(folder(&s), files_before);

    // Inline needs no room in the folder.
    let raw = s.server.call_tool(
        "download_invoice_pdf",
        json!({ "invoice_id": id, "inline": true }),
    );
    let out = success(&raw);
    assert_eq!(out["inline"], true);
    assert_eq!(out["size"], json!(paid_copy.len()));
    let blob = raw["content"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["type"] == "resource")
        .and_then(|item| item["resource"]["blob"].as_str())
        .expect("an embedded resource");
    assert_eq!(BASE64_STANDARD.decode(blob).unwrap(), paid_copy);
    assert_eq!(folder(&s), files_before);
    s.only_request();

    // The original, without the payment stamp, is another document: it is saved beside
    // the paid copy, which stays as it was.
    let raw = s.server.call_tool(
        "download_invoice_pdf",
        json!({ "invoice_id": id, "original": true }),
    );
    let request = s.only_request();
    assert_route(&request, "GET", &format!("/firms/1001/invoices/{id}.pdf"));
    assert_eq!(request.query, [("original".to_string(), "1".to_string())]);
    let original_served = served(&s, &format!("/firms/1001/invoices/{id}.pdf?original=1"));
    assert_ne!(
        original_served, paid_copy,
        "the paid copy carries the payment"
    );
    let (original_name, original) = saved_download(&s, &raw);
    assert_eq!(original, original_served);
    assert_ne!(original_name, name);
    assert_eq!(fs::read(s.downloads().join(&name)).unwrap(), paid_copy);
}

#[test]
fn create_invoice_refund_issues_a_negative_credit_note_for_the_invoice() {
    let mut s = TestSession::new();
    let acme = customer(&s, "Acme SAS", "compta@acme.test");
    let id = insert_invoice(&s, acme, json!({}));
    let credit = s.call(
        "create_invoice_refund",
        json!({ "invoice_id": id, "api_id": 32, "api_custom": "remboursement suite plainte client" }),
    );
    let credit_id = id_of(&credit);
    assert_ne!(credit_id, id);
    assert_eq!(decimal(&credit["total"]), -700.0, "{credit}");
    assert_eq!(credit["refund_id"], json!(id), "{credit}");
    assert_eq!(credit["customer_id"], json!(acme));
    assert_eq!(credit["api_id"], 32);
    assert_eq!(credit["api_custom"], "remboursement suite plainte client");
    assert_eq!(credit["draft"], false);
    assert!(
        credit["invoice_ref"]
            .as_str()
            .is_some_and(|r| !r.is_empty())
    );

    let request = s.only_request();
    assert_route(
        &request,
        "POST",
        &format!("/firms/1001/invoices/{id}/refund.json"),
    );
    assert_eq!(request.status, 201);
    assert_eq!(request.query_param("api_id"), Some("32"));
    assert_eq!(
        request.query_param("api_custom"),
        Some("remboursement suite plainte client")
    );
    assert!(request.body.is_empty());

    let stored = invoice(&s, credit_id);
    assert_eq!(stored["refund_id"], json!(id));
    assert_eq!(decimal(&stored["total"]), -700.0);
    // The cancelled invoice stays, as the law requires.
    assert_eq!(decimal(&invoice(&s, id)["total"]), 700.0);
    let credit_notes = s.call("list_invoices", json!({ "bill_type": "refund" }));
    assert_eq!(ids(&credit_notes["invoices"]), [credit_id]);
}

#[test]
fn send_invoice_email_sends_a_final_invoice_but_not_a_draft() {
    let mut s = TestSession::new();
    let acme = customer(&s, "Acme SAS", "compta@acme.test");
    let id = insert_invoice(&s, acme, json!({}));
    let args = json!({
        "invoice_id": id,
        "to": "machin@acme.test",
        "cc": "bidule@atelier.test",
        "bcc": "boss@atelier.test",
        "subject": "Votre facture",
        "message": "Veuillez trouver ci-joint la facture pour nos travaux.",
    });
    let result = s.call("send_invoice_email", args.clone());
    assert_eq!(result, json!({ "invoice_id": id, "sent": true }));
    let request = s.only_request();
    assert_route(&request, "POST", "/firms/1001/emails.json");
    assert_eq!(request.status, 201);
    assert_eq!(request.query, [("bill_id".to_string(), id.to_string())]);
    assert_json_body(&request, &without(&args, &["invoice_id"]));
    let email = last_email(&s);
    assert_eq!(email["bill_id"], json!(id), "{email}");
    assert_eq!(email["to"], "machin@acme.test");
    assert_eq!(email["cc"], "bidule@atelier.test");
    assert_eq!(email["bcc"], "boss@atelier.test");
    assert_eq!(email["subject"], "Votre facture");
    assert_eq!(
        email["message"],
        "Veuillez trouver ci-joint la facture pour nos travaux."
    );

    let draft = id_of(&s.call(
        "create_invoice",
        json!({ "customer_id": acme, "type_doc": "draft", "items": [line("Acompte", 1.0, 100.0)] }),
    ));
    s.only_request();
    let text = s.call_error("send_invoice_email", json!({ "invoice_id": draft }));
    assert!(text.contains("HTTP 4"), "{text}");
    let request = s.only_request();
    assert_eq!(request.query, [("bill_id".to_string(), draft.to_string())]);
    assert!((400..500).contains(&request.status), "{request:#?}");
    assert_eq!(s.emulator.sent_emails().len(), 1, "a draft is never sent");
}

#[test]
fn upload_invoice_file_sends_inline_content_or_a_file_from_the_folder() {
    let mut s = TestSession::new();
    let acme = customer(&s, "Acme SAS", "compta@acme.test");
    let id = insert_invoice(&s, acme, json!({}));
    let bytes = awkward_bytes();

    let file = s.call(
        "upload_invoice_file",
        json!({ "invoice_id": id, "content_base64": BASE64_STANDARD.encode(&bytes), "filename": "bon de commande.pdf" }),
    );
    let file_id = id_of(&file);
    assert_eq!(file["invoice_id"], json!(id));
    assert_eq!(file["document_name"], "bon de commande.pdf");
    assert_eq!(file["document_size"], json!(bytes.len()));
    let request = s.only_request();
    assert_route(
        &request,
        "POST",
        &format!("/firms/1001/invoices/{id}/upload.json"),
    );
    assert_eq!(request.status, 201);
    assert_eq!(
        request.query,
        [("filename".to_string(), "bon de commande.pdf".to_string())]
    );
    assert_eq!(
        upload_part(&request),
        ("bon de commande.pdf".to_string(), bytes.clone())
    );
    assert_eq!(s.emulator.asset_bytes(FIRM, file_id), Some(bytes));

    let receipt = b"Recu n 42\n".to_vec();
    fs::write(s.downloads().join("recu.txt"), &receipt).unwrap();
    let file = s.call(
        "upload_invoice_file",
        json!({ "invoice_id": id, "path": "recu.txt" }),
    );
    assert_eq!(file["document_name"], "recu.txt");
    let request = s.only_request();
    assert!(request.query.is_empty(), "{:?}", request.query);
    assert_eq!(
        upload_part(&request),
        ("recu.txt".to_string(), receipt.clone())
    );
    assert_eq!(s.emulator.asset_bytes(FIRM, id_of(&file)), Some(receipt));

    for (args, mentions) in [
        (json!({ "invoice_id": id, "path": "../x" }), "`path`"),
        (json!({ "invoice_id": id, "path": "/etc/passwd" }), "`path`"),
        (
            json!({ "invoice_id": id, "path": "absent.pdf" }),
            "does not exist",
        ),
        (
            json!({ "invoice_id": id, "path": "recu.txt", "content_base64": "eA==", "filename": "x.txt" }),
            "not both",
        ),
        (
            json!({ "invoice_id": id, "content_base64": "eA==" }),
            "`filename`",
        ),
        (
            json!({ "invoice_id": id, "content_base64": "%%%", "filename": "x.txt" }),
            "`content_base64`",
        ),
        (json!({ "invoice_id": id }), "`path`"),
    ] {
        assert_refused(&mut s, "upload_invoice_file", args, mentions);
    }

    // The reference lets invoice files be shown to the customer too (`visible=1`).
    let file = s.call(
        "upload_invoice_file",
        json!({ "invoice_id": id, "path": "recu.txt", "filename": "recu-client.txt", "visible": true }),
    );
    assert_eq!(file["visible"], true, "{file}");
    let request = s.only_request();
    assert_eq!(request.query_param("visible"), Some("1"));
    assert_eq!(request.query_param("filename"), Some("recu-client.txt"));
}

#[test]
fn list_recurring_invoices_lists_the_schedules() {
    let mut s = TestSession::new();
    let first = s.emulator.insert_record(
        FIRM,
        "recurring_invoices",
        json!({ "title": "Maintenance mensuelle" }),
    );
    let second = s.emulator.insert_record(
        FIRM,
        "recurring_invoices",
        json!({ "title": "Hébergement annuel" }),
    );
    let page = s.call("list_recurring_invoices", json!({}));
    let mut listed = ids(&page["recurring_invoices"]);
    listed.sort_unstable();
    assert_eq!(listed, [first, second], "{page}");
    assert_eq!(page["pagination"]["total_entries"], 2, "{page}");
    let request = s.only_request();
    assert_route(&request, "GET", "/firms/1001/recurring_invoices.json");
    assert!(request.query.is_empty());

    s.call("list_recurring_invoices", json!({ "page": 2 }));
    assert_eq!(
        s.only_request().query,
        [("page".to_string(), "2".to_string())]
    );
    // Schedules are managed in the web interface only.
    assert_refused(
        &mut s,
        "list_recurring_invoices",
        json!({ "title": "x" }),
        "`title`",
    );
}

#[test]
fn get_recurring_invoice_shows_one_schedule() {
    let mut s = TestSession::new();
    let id = s.emulator.insert_record(
        FIRM,
        "recurring_invoices",
        json!({ "title": "Maintenance mensuelle" }),
    );
    let shown = s.call(
        "get_recurring_invoice",
        json!({ "recurring_invoice_id": id }),
    );
    assert_eq!(id_of(&shown), id);
    assert_eq!(shown["title"], "Maintenance mensuelle");
    let request = s.only_request();
    assert_route(
        &request,
        "GET",
        &format!("/firms/1001/recurring_invoices/{id}.json"),
    );
    let text = s.call_error(
        "get_recurring_invoice",
        json!({ "recurring_invoice_id": id + 1000 }),
    );
    assert!(text.contains("HTTP 404"), "{text}");
}

// ---------------------------------------------------------------------------------------
// Settlements
// ---------------------------------------------------------------------------------------

#[test]
fn list_invoice_settlements_lists_only_that_invoices_payments() {
    let mut s = TestSession::new();
    let acme = customer(&s, "Acme SAS", "compta@acme.test");
    let id = insert_invoice(&s, acme, json!({}));
    let other = insert_invoice(&s, acme, json!({}));
    let card = s.emulator.insert_record(
        FIRM,
        "settlements",
        json!({ "invoice_id": id, "total": "100.0", "payment_mode": 2, "paid_on": "2025-10-07" }),
    );
    let cheque = s.emulator.insert_record(
        FIRM,
        "settlements",
        json!({ "invoice_id": id, "total": "200.0", "payment_mode": 4, "paid_on": "2025-10-03", "payment_ref": "ma référence" }),
    );
    s.emulator.insert_record(
        FIRM,
        "settlements",
        json!({ "invoice_id": other, "total": "50.0", "payment_mode": 5, "paid_on": "2025-10-05" }),
    );

    let page = s.call("list_invoice_settlements", json!({ "invoice_id": id }));
    let settlements = &page["settlements"];
    let mut listed = ids(settlements);
    listed.sort_unstable();
    assert_eq!(listed, [card, cheque], "{page}");
    let cheque_shown = settlements
        .as_array()
        .unwrap()
        .iter()
        .find(|x| id_of(x) == cheque)
        .unwrap();
    assert_eq!(cheque_shown["invoice_id"], json!(id));
    assert_eq!(decimal(&cheque_shown["total"]), 200.0);
    assert_eq!(cheque_shown["payment_mode"], 4);
    assert_eq!(cheque_shown["paid_on"], "2025-10-03");
    assert_eq!(cheque_shown["payment_ref"], "ma référence");
    let request = s.only_request();
    assert_route(
        &request,
        "GET",
        &format!("/firms/1001/invoices/{id}/settlements.json"),
    );
    assert!(request.query.is_empty());
}

#[test]
fn create_settlement_marks_the_invoice_paid_once_the_total_is_covered() {
    let mut s = TestSession::new();
    let acme = customer(&s, "Acme SAS", "compta@acme.test");
    let id = insert_invoice(&s, acme, json!({}));
    assert!(invoice(&s, id)["paid_on"].is_null());

    // 840 due with tax: a first part leaves it unpaid.
    let args = json!({ "invoice_id": id, "total": 300.0, "payment_mode": 2, "paid_on": "2025-11-03", "payment_ref": "CB-1" });
    let first = s.call("create_settlement", args.clone());
    assert_eq!(first["invoice_id"], json!(id));
    assert_eq!(decimal(&first["total"]), 300.0);
    assert_eq!(first["payment_mode"], 2);
    assert_eq!(first["paid_on"], "2025-11-03");
    assert_eq!(first["payment_ref"], "CB-1");
    let request = s.only_request();
    assert_route(
        &request,
        "POST",
        &format!("/firms/1001/invoices/{id}/settlements.json"),
    );
    assert_eq!(request.status, 201);
    assert_json_body(&request, &without(&args, &["invoice_id"]));
    let stored = s
        .emulator
        .record(FIRM, "settlements", id_of(&first))
        .expect("stored settlement");
    assert_eq!(decimal(&stored["total"]), 300.0);
    let after_first = invoice(&s, id);
    assert!(after_first["paid_on"].is_null(), "{after_first}");
    assert_eq!(decimal(&after_first["balance"]), 540.0, "{after_first}");

    // The rest pays it, with the last payment's date and mode.
    let second = s.call(
        "create_settlement",
        json!({ "invoice_id": id, "total": 540.0, "payment_mode": 4, "paid_on": "2025-11-20" }),
    );
    assert_eq!(s.only_request().status, 201);
    assert_ne!(id_of(&second), id_of(&first));
    let paid = invoice(&s, id);
    assert_eq!(paid["paid_on"], "2025-11-20", "{paid}");
    assert_eq!(paid["payment_mode"], 4, "{paid}");
    assert_eq!(decimal(&paid["balance"]), 0.0, "{paid}");
    let page = s.call("list_invoices", json!({ "bill_type": "paid" }));
    assert_eq!(ids(&page["invoices"]), [id]);
}

#[test]
fn get_settlement_shows_one_payment() {
    let mut s = TestSession::new();
    let acme = customer(&s, "Acme SAS", "compta@acme.test");
    let id = insert_invoice(&s, acme, json!({}));
    let settlement = s.emulator.insert_record(
        FIRM,
        "settlements",
        json!({ "invoice_id": id, "total": "1000.0", "payment_mode": 2, "paid_on": "2015-09-07" }),
    );
    let shown = s.call(
        "get_settlement",
        json!({ "invoice_id": id, "settlement_id": settlement }),
    );
    assert_eq!(id_of(&shown), settlement);
    assert_eq!(shown["invoice_id"], json!(id));
    assert_eq!(decimal(&shown["total"]), 1000.0);
    assert_eq!(shown["payment_mode"], 2);
    assert_eq!(shown["paid_on"], "2015-09-07");
    assert!(shown["payment_ref"].is_null());
    let request = s.only_request();
    assert_route(
        &request,
        "GET",
        &format!("/firms/1001/invoices/{id}/settlements/{settlement}.json"),
    );

    // A payment is only found under its own invoice.
    let other = insert_invoice(&s, acme, json!({}));
    let text = s.call_error(
        "get_settlement",
        json!({ "invoice_id": other, "settlement_id": settlement }),
    );
    assert!(text.contains("HTTP 404"), "{text}");
}

#[test]
fn delete_settlement_puts_a_paid_invoice_back_to_unpaid() {
    let mut s = TestSession::new();
    let acme = customer(&s, "Acme SAS", "compta@acme.test");
    let id = insert_invoice(&s, acme, json!({}));
    let settlement = id_of(&s.call(
        "create_settlement",
        json!({ "invoice_id": id, "total": 840.0, "payment_mode": 3, "paid_on": "2025-11-12" }),
    ));
    s.emulator.clear_requests();
    assert_eq!(invoice(&s, id)["paid_on"], "2025-11-12");

    let result = s.call(
        "delete_settlement",
        json!({ "invoice_id": id, "settlement_id": settlement }),
    );
    assert_eq!(
        result,
        json!({ "settlement_id": settlement, "deleted": true })
    );
    let request = s.only_request();
    assert_route(
        &request,
        "DELETE",
        &format!("/firms/1001/invoices/{id}/settlements/{settlement}.json"),
    );
    assert_eq!(request.status, 200);
    assert!(s.emulator.record(FIRM, "settlements", settlement).is_none());
    let unpaid = invoice(&s, id);
    assert!(unpaid["paid_on"].is_null(), "{unpaid}");
    assert_eq!(unpaid["payment_mode"], 0, "{unpaid}");
    assert_eq!(decimal(&unpaid["balance"]), 840.0, "{unpaid}");
}

// ---------------------------------------------------------------------------------------
// Bad input
// ---------------------------------------------------------------------------------------

#[test]
fn bad_sales_arguments_are_refused_before_any_request() {
    let mut s = TestSession::new();
    let acme = customer(&s, "Acme SAS", "compta@acme.test");
    let quote_id = insert_quote(&s, acme, json!({}));
    let invoice_id = insert_invoice(&s, acme, json!({}));
    let ok_line = line("Prestation", 1.0, 100.0);
    for (tool, args, mentions) in [
        // Missing or empty lines.
        (
            "create_quote",
            json!({ "customer_id": acme }),
            "missing required argument `items`",
        ),
        (
            "create_invoice",
            json!({ "customer_id": acme, "items": [] }),
            "at least one line",
        ),
        (
            "create_invoice",
            json!({ "items": [ok_line] }),
            "missing required argument `customer_id`",
        ),
        // Wrong types.
        (
            "create_invoice",
            json!({ "customer_id": acme, "items": [{ "title": "x", "quantity": "two" }] }),
            "`items[0].quantity`",
        ),
        (
            "create_quote",
            json!({ "customer_id": acme, "items": [{ "title": "x", "vat": "20%" }] }),
            "`items[0].vat`",
        ),
        (
            "create_invoice",
            json!({ "customer_id": acme, "items": { "title": "x" } }),
            "`items`",
        ),
        (
            "create_invoice",
            json!({ "customer_id": "Acme", "items": [ok_line] }),
            "`customer_id`",
        ),
        (
            "create_quote",
            json!({ "customer_id": acme, "items": [ok_line], "invoiced_on": "2025-02-30" }),
            "`invoiced_on`",
        ),
        (
            "create_settlement",
            json!({ "invoice_id": invoice_id, "total": "cent euros", "payment_mode": 3, "paid_on": "2025-11-03" }),
            "`total`",
        ),
        (
            "create_settlement",
            json!({ "invoice_id": invoice_id, "total": 100, "paid_on": "2025-11-03" }),
            "`payment_mode`",
        ),
        ("get_quote", json!({ "quote_id": 0 }), "`quote_id`"),
        (
            "download_invoice_pdf",
            json!({ "invoice_id": invoice_id, "original": "yes" }),
            "`original`",
        ),
        // Unknown values and fields.
        (
            "create_quote",
            json!({ "customer_id": acme, "items": [{ "title": "x", "style": "bold" }] }),
            "`items[0].style`",
        ),
        (
            "create_quote",
            json!({ "customer_id": acme, "items": [{ "title": "x", "price": 3 }] }),
            "items[0].price",
        ),
        (
            "create_invoice",
            json!({ "customer_id": acme, "items": [ok_line], "type_doc": "final" }),
            "`type_doc`",
        ),
        (
            "update_invoice",
            json!({ "invoice_id": invoice_id, "type_doc": "finalised" }),
            "`type_doc`",
        ),
        (
            "update_invoice",
            json!({ "invoice_id": invoice_id, "payment_mode": 7 }),
            "`payment_mode`",
        ),
        (
            "list_invoices",
            json!({ "bill_type": "overdue" }),
            "`bill_type`",
        ),
        ("list_quotes", json!({ "status": "accepted" }), "`status`"),
        (
            "list_quotes",
            json!({ "period_start": "2025-13" }),
            "`period_start`",
        ),
        ("list_invoices", json!({ "order": "amount" }), "`order`"),
        (
            "create_settlement",
            json!({ "invoice_id": invoice_id, "total": 10.0, "payment_mode": 3 }),
            "missing required argument `paid_on`",
        ),
        (
            "create_settlement",
            json!({ "invoice_id": invoice_id, "total": 10.0, "paid_on": "2025-11-03", "payment_mode": 7 }),
            "`payment_mode`",
        ),
        (
            "delete_settlement",
            json!({ "settlement_id": 5 }),
            "`invoice_id`",
        ),
        (
            "send_invoice_email",
            json!({ "to": "x@acme.test" }),
            "`invoice_id`",
        ),
        (
            "send_quote_email",
            json!({ "quote_id": quote_id, "attachments": [] }),
            "`attachments`",
        ),
        (
            "convert_quote_to_invoice",
            json!({ "quote_id": quote_id, "type_doc": "draft" }),
            "`type_doc`",
        ),
        (
            "create_invoice_refund",
            json!({ "invoice_id": invoice_id, "api_id": "32" }),
            "`api_id`",
        ),
    ] {
        assert_refused(&mut s, tool, args, mentions);
    }
    assert!(s.emulator.records(FIRM, "settlements").is_empty());
    assert_eq!(s.emulator.records(FIRM, "invoices").len(), 1);
    assert_eq!(s.emulator.records(FIRM, "quotes").len(), 1);
}
