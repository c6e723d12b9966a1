//! File uploads (multipart), asset lists, downloads and deletions.

use serde_json::{Value, json};

use super::super::Emulator;
use super::{Reply, api, basic, empty, id_of, ids, send, user_agent};

const BOUNDARY: &str = "emulator-test-boundary-7d21";

/// One multipart part: form name, file name, content type, content.
type Part<'a> = (&'a str, Option<&'a str>, Option<&'a str>, &'a [u8]);

fn multipart_body(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, file_name, content_type, content) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        let mut disposition = format!("Content-Disposition: form-data; name=\"{name}\"");
        if let Some(file_name) = file_name {
            disposition.push_str(&format!("; filename=\"{file_name}\""));
        }
        body.extend_from_slice(format!("{disposition}\r\n").as_bytes());
        if let Some(content_type) = content_type {
            body.extend_from_slice(format!("Content-Type: {content_type}\r\n").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn upload(emulator: &Emulator, target: &str, content_type: &str, body: &[u8]) -> Reply {
    send(
        emulator,
        "POST",
        target,
        &[
            basic("demo-api-id", "demo-api-key"),
            user_agent(),
            ("Content-Type", content_type.to_owned()),
        ],
        body,
    )
}

fn multipart(emulator: &Emulator, target: &str, parts: &[Part<'_>]) -> Reply {
    let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
    upload(emulator, target, &content_type, &multipart_body(parts))
}

/// Bytes that are not valid UTF-8, to check nothing is altered on the way.
fn binary(size: usize) -> Vec<u8> {
    (0..size).map(|n| (n * 7 % 256) as u8).collect()
}

fn invoice(emulator: &Emulator, customer: u64) -> u64 {
    emulator.insert_record(
        1001,
        "invoices",
        json!({"customer_id": customer, "invoiced_on": "2025-10-06",
               "items": [{"title": "A", "quantity": 1, "unit_price": 100}]}),
    )
}

#[test]
fn an_uploaded_file_downloads_byte_for_byte() {
    let emulator = empty();
    let acme = emulator.insert_customer(1001, json!({"company_name": "Acme"}));
    let invoice = invoice(&emulator, acme);
    let content = binary(5000);
    let reply = multipart(
        &emulator,
        &format!("/firms/1001/invoices/{invoice}/upload.json?filename=justificatif.pdf&visible=1"),
        &[(
            "upload_file",
            Some("local-name.pdf"),
            Some("application/pdf"),
            &content,
        )],
    );
    assert_eq!(
        reply.status,
        201,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let asset = id_of(&reply);
    assert_eq!(
        reply.header("location"),
        Some(format!("/firms/1001/assets/{asset}.json").as_str())
    );
    let body = reply.json();
    assert_eq!(body["invoice_id"], invoice);
    assert_eq!(body["document_name"], "justificatif.pdf");
    assert_eq!(body["document_size"], 5000);
    assert_eq!(body["visible"], true);
    let download_url = format!("{}/firms/1001/assets/{asset}/download", emulator.base_url());
    assert_eq!(body["download_url"], download_url);
    assert_eq!(emulator.asset_bytes(1001, asset), Some(content.clone()));

    let download = api(
        &emulator,
        "GET",
        &format!("/firms/1001/assets/{asset}/download"),
        None,
    );
    assert_eq!(download.status, 200);
    assert_eq!(download.body, content);
    assert_eq!(download.header("content-type"), Some("application/pdf"));
    assert_eq!(
        download.header("content-disposition"),
        Some("attachment; filename=\"justificatif.pdf\"")
    );

    // A customer file named by a form field, without a content type of its own.
    let notes = b"Contrat sign\xc3\xa9 le 2 octobre\n";
    let customer_file = multipart(
        &emulator,
        &format!("/firms/1001/customers/{acme}/upload.json"),
        &[
            ("filename", None, None, b"dossier/contrat.txt"),
            ("upload_file", Some("C:\\tmp\\x.txt"), None, notes),
        ],
    );
    assert_eq!(customer_file.status, 201);
    let customer_asset = customer_file.json();
    assert_eq!(
        customer_asset["document_name"], "contrat.txt",
        "only the name is kept"
    );
    assert_eq!(customer_asset["customer_id"], acme);
    assert!(
        customer_asset.get("visible").is_none(),
        "customer files are never shared"
    );
    let text = api(
        &emulator,
        "GET",
        &format!("/firms/1001/assets/{}/download", id_of(&customer_file)),
        None,
    );
    assert_eq!(text.body, notes);
    assert_eq!(text.header("content-type"), Some("text/plain"));

    let listed = api(&emulator, "GET", "/firms/1001/assets/invoices.json", None);
    assert_eq!(ids(&listed), [asset]);
    assert_eq!(listed.json()[0]["title"], "Facture n°202510-1");
    let filtered = api(
        &emulator,
        "GET",
        &format!("/firms/1001/assets/customers.json?customer_id={acme}"),
        None,
    );
    assert_eq!(ids(&filtered), [id_of(&customer_file)]);
    assert_eq!(filtered.json()[0]["title"], "Acme");
    let none = api(
        &emulator,
        "GET",
        "/firms/1001/assets/customers.json?customer_id=1",
        None,
    );
    assert!(ids(&none).is_empty());
    let detail = api(
        &emulator,
        "GET",
        &format!("/firms/1001/invoices/{invoice}.json"),
        None,
    );
    assert_eq!(detail.json()["files"][0]["id"], asset);
    let shown = api(
        &emulator,
        "GET",
        &format!("/firms/1001/assets/{asset}.json"),
        None,
    );
    assert_eq!(shown.json()["document_size"], 5000);

    assert_eq!(
        api(
            &emulator,
            "DELETE",
            &format!("/firms/1001/assets/{asset}.json"),
            None
        )
        .status,
        200
    );
    let gone = api(
        &emulator,
        "GET",
        &format!("/firms/1001/assets/{asset}/download"),
        None,
    );
    assert_eq!(gone.status, 404);
    assert_eq!(emulator.asset_bytes(1001, asset), None);
    assert!(emulator.record(1001, "assets", asset).is_none());
}

#[test]
fn uploads_need_a_multipart_body_with_upload_file() {
    let emulator = empty();
    let acme = emulator.insert_customer(1001, json!({"company_name": "Acme"}));
    let purchase = emulator.insert_record(
        1001,
        "purchases",
        json!({"title": "Papeterie", "total_with_vat": "12.0"}),
    );
    let target = format!("/firms/1001/purchases/{purchase}/upload.json");

    let as_json = upload(&emulator, &target, "application/json", b"{}");
    assert_eq!(as_json.status, 415);
    assert!(
        as_json.json()["errors"]
            .as_str()
            .unwrap()
            .contains("upload_file")
    );
    let without_file = multipart(&emulator, &target, &[("other", Some("a.txt"), None, b"x")]);
    assert_eq!(without_file.status, 422);
    assert!(without_file.json()["errors"]["upload_file"].is_array());
    let empty_file = multipart(
        &emulator,
        &target,
        &[("upload_file", Some("a.txt"), None, b"")],
    );
    assert_eq!(empty_file.json()["errors"]["upload_file"][0], "is empty");
    let truncated = upload(
        &emulator,
        &target,
        &format!("multipart/form-data; boundary={BOUNDARY}"),
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"upload_file\"\r\n\r\nabc")
            .as_bytes(),
    );
    assert_eq!(truncated.status, 400);
    let unknown_owner = multipart(
        &emulator,
        "/firms/1001/purchases/1/upload.json",
        &[("upload_file", Some("a.txt"), None, b"x")],
    );
    assert_eq!(unknown_owner.status, 404);
    let elsewhere = multipart(
        &emulator,
        &format!("/firms/1002/customers/{acme}/upload.json"),
        &[("upload_file", Some("a.txt"), None, b"x")],
    );
    assert_eq!(elsewhere.status, 404);
    assert!(emulator.records(1001, "assets").is_empty());

    let receipt = multipart(
        &emulator,
        &target,
        &[("upload_file", Some("ticket.png"), None, b"\x89PNG")],
    );
    assert_eq!(receipt.status, 201);
    assert_eq!(receipt.json()["purchase_id"], purchase);
    let listed = api(
        &emulator,
        "GET",
        "/firms/1001/purchases.json?with_details=1",
        None,
    );
    assert_eq!(listed.json()[0]["files"][0]["document_name"], "ticket.png");
    let plain = api(&emulator, "GET", "/firms/1001/purchases.json", None);
    assert!(plain.json()[0].get("files").is_none());
}

#[test]
fn deleting_a_document_deletes_its_files() {
    let emulator = empty();
    let acme = emulator.insert_customer(1001, json!({"company_name": "Acme"}));
    let quote = emulator.insert_record(
        1001,
        "quotes",
        json!({"customer_id": acme, "items": [{"title": "A", "unit_price": 1}]}),
    );
    let kept_quote = emulator.insert_record(
        1001,
        "quotes",
        json!({"customer_id": acme, "items": [{"title": "B", "unit_price": 1}]}),
    );
    let doomed = emulator.insert_record(1001, "assets", json!({"quote_id": quote, "content": "x"}));
    let kept = emulator.insert_record(
        1001,
        "assets",
        json!({"quote_id": kept_quote, "document_name": "plan.txt", "content": "plan", "visible": true}),
    );
    assert_eq!(
        emulator.record(1001, "assets", kept).unwrap()["visible"],
        true
    );
    assert_eq!(
        api(
            &emulator,
            "DELETE",
            &format!("/firms/1001/quotes/{quote}.json"),
            None
        )
        .status,
        200
    );
    assert!(emulator.record(1001, "assets", doomed).is_none());
    assert_eq!(emulator.asset_bytes(1001, doomed), None);
    assert_eq!(emulator.asset_bytes(1001, kept), Some(b"plan".to_vec()));
    let sorted = api(
        &emulator,
        "GET",
        "/firms/1001/assets/quotes.json?order=title",
        None,
    );
    assert_eq!(ids(&sorted), [kept]);
    let bad = api(
        &emulator,
        "GET",
        "/firms/1001/assets/quotes.json?order=name",
        None,
    );
    assert_eq!(bad.status, 422);
    let record: Value = emulator.record(1001, "assets", kept).unwrap();
    assert_eq!(
        record["download_url"],
        format!("/firms/1001/assets/{kept}/download")
    );
}
