//! Files, the account, the customer tools beyond plain records (archiving, a customer's
//! quotes and invoices, attachments), and what every list, upload and download tool shares:
//! following pages, multipart uploads from the downloads folder or inline, and downloads
//! saved atomically into that folder (or returned inline). Each test checks the tool's
//! result, what the API received, and the emulator's state or the folder afterwards.
//! Line numbers in messages refer to the vendor reference, facturation-pro-api.fr.md.

use std::fs;
use std::path::{Path, PathBuf};

use base64::prelude::{BASE64_STANDARD, Engine as _};
use facturation_pro_emulator::harness::{
    FormPart, TestSession, assert_route, error_text, form_parts, ids, sorted_pairs, sorted_query,
    success, upload_part,
};
use serde_json::{Value, json};

const FIRM: u64 = 1001;

/// Recognisable binary content: a PDF header, a tag, then every byte value.
fn sample(tag: &str) -> Vec<u8> {
    let mut bytes = format!("%PDF-1.4\n% {tag}\n").into_bytes();
    bytes.extend((0..=255u8).rev());
    bytes.extend_from_slice(b"\r\n--not-a-boundary--\r\n%%EOF\n");
    bytes
}

/// Names in a folder, hidden ones included, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn customer(s: &TestSession, name: &str) -> u64 {
    s.emulator
        .insert_customer(FIRM, json!({ "company_name": name }))
}

/// Attaches `bytes` as `name` with an upload tool, inline; returns the file id.
fn attach(s: &mut TestSession, tool: &str, owner: (&str, u64), name: &str, bytes: &[u8]) -> u64 {
    let file = s.call(
        tool,
        json!({ owner.0: owner.1, "content_base64": BASE64_STANDARD.encode(bytes), "filename": name }),
    );
    s.emulator.clear_requests();
    file["id"].as_u64().expect("the new file id")
}

fn assert_download_url(file: &Value) {
    let id = file["id"].as_u64().unwrap();
    let url = file["download_url"].as_str().expect("a download_url");
    assert!(
        url.ends_with(&format!("/firms/1001/assets/{id}/download")),
        "{file}"
    );
}

// The account.

#[test]
fn get_account_shows_the_account_and_its_firms() {
    let mut s = TestSession::new();
    let account = s.call("get_account", json!({}));
    assert!(account["id"].is_u64(), "{account}");
    assert_eq!(account["email"], "demo@example.test");
    assert_eq!(
        account["firms"],
        json!([
            { "id": 1001, "name": "Atelier Demo SARL" },
            { "id": 1002, "name": "Second Firm SAS" },
        ])
    );
    let request = s.only_request();
    assert_route(&request, "GET", "/account.json");
    assert!(request.query.is_empty() && request.body.is_empty());

    // The account is not firm-scoped: a firm_id is refused rather than ignored.
    s.call_refused("get_account", json!({ "firm_id": 1001 }), "firm_id");
    assert!(s.emulator.customers(FIRM).is_empty());
}

#[test]
fn list_subscription_orders_lists_the_paid_orders() {
    let mut s = TestSession::new();
    let page = s.call("list_subscription_orders", json!({}));
    let orders = page["orders"].as_array().expect("a list of orders");
    assert_eq!(orders.len(), 3, "{page}");
    for order in orders {
        assert!(order["title"].is_string(), "{order}");
        assert!(order["amount"].is_number(), "{order}");
        assert!(order["payment_date"].is_string(), "{order}");
        assert!(order["refunded"].is_boolean(), "{order}");
        let url = order["invoice_url"].as_str().expect("an invoice_url");
        assert!(
            url.starts_with("/firms/1001/orders/") && url.ends_with(".pdf"),
            "{url}"
        );
    }
    let request = s.only_request();
    assert_route(&request, "GET", "/firms/1001/orders.json");
    assert!(request.query.is_empty());

    let page = s.call("list_subscription_orders", json!({ "firm_id": 1002 }));
    assert!(
        page["orders"][0]["invoice_url"]
            .as_str()
            .unwrap()
            .starts_with("/firms/1002/orders/")
    );
    assert_eq!(s.only_request().path, "/firms/1002/orders.json");
}

#[test]
fn download_subscription_order_pdf_saves_the_invoice() {
    let mut s = TestSession::new();
    let page = s.call("list_subscription_orders", json!({}));
    let url = page["orders"][0]["invoice_url"]
        .as_str()
        .unwrap()
        .to_string();
    let name = url.rsplit('/').next().unwrap().to_string();
    s.emulator.clear_requests();

    let result = s.server.call_tool(
        "download_subscription_order_pdf",
        json!({ "order_url": url }),
    );
    let saved = success(&result).clone();
    let request = s.only_request();
    assert_route(&request, "GET", &url);
    assert_eq!(request.status, 200);

    let path = s.downloads().join(&name);
    let bytes = fs::read(&path).expect("the PDF was saved");
    assert!(bytes.starts_with(b"%PDF"), "not a PDF");
    assert_eq!(saved["file_name"], name);
    assert_eq!(PathBuf::from(saved["path"].as_str().unwrap()), path);
    assert_eq!(saved["size"], bytes.len());
    assert_eq!(saved["mime_type"], "application/pdf");
    assert_eq!(listing(&s.downloads()), [name]);

    for bad in [
        json!("/etc/passwd"),
        json!("../x"),
        json!("/firms/1001/orders/../../account.json"),
        json!("/firms/1001/invoices/1.pdf"),
        json!("/firms/1001/orders/x.pdf/../../../account.json"),
        json!(42),
    ] {
        s.call_refused(
            "download_subscription_order_pdf",
            json!({ "order_url": bad }),
            "order_url",
        );
    }
    assert_eq!(listing(&s.downloads()).len(), 1);
}

// Customers: archiving, their documents, their files.

fn customer_ids(page: &Value) -> Vec<u64> {
    let mut found = ids(&page["customers"]);
    found.sort_unstable();
    found
}

#[test]
fn archive_customer_hides_it_from_the_list() {
    let mut s = TestSession::new();
    let leaving = customer(&s, "Client qui part");
    let staying = customer(&s, "Client qui reste");

    let result = s.call("archive_customer", json!({ "customer_id": leaving }));
    assert_eq!(result, json!({ "customer_id": leaving, "archived": true }));
    let request = s.only_request();
    assert_route(
        &request,
        "POST",
        &format!("/firms/1001/customers/{leaving}/archive.json"),
    );
    assert_eq!(request.status, 200);
    assert!(request.body.is_empty());
    assert_eq!(s.emulator.customer_archived(FIRM, leaving), Some(true));
    assert_eq!(s.emulator.customer_archived(FIRM, staying), Some(false));

    // Reference line 891: archiving hides the customer from the list.
    assert_eq!(
        customer_ids(&s.call("list_customers", json!({}))),
        [staying]
    );
    assert_eq!(
        customer_ids(&s.call("list_customers", json!({ "mode": "archived" }))),
        [leaving]
    );
    assert!(
        s.emulator.customer(FIRM, leaving).is_some(),
        "kept, not deleted"
    );
}

#[test]
fn unarchive_customer_brings_it_back() {
    let mut s = TestSession::new();
    let returning = s.emulator.insert_customer(
        FIRM,
        json!({ "company_name": "Client de retour", "archived": true }),
    );
    let other = customer(&s, "Autre client");
    assert_eq!(customer_ids(&s.call("list_customers", json!({}))), [other]);
    s.emulator.clear_requests();

    let result = s.call("unarchive_customer", json!({ "customer_id": returning }));
    assert_eq!(
        result,
        json!({ "customer_id": returning, "unarchived": true })
    );
    let request = s.only_request();
    assert_route(
        &request,
        "POST",
        &format!("/firms/1001/customers/{returning}/unarchive.json"),
    );
    assert_eq!(request.status, 200);
    assert!(request.body.is_empty());
    assert_eq!(s.emulator.customer_archived(FIRM, returning), Some(false));

    // Reference line 910: visible in the list again.
    let mut both = vec![returning, other];
    both.sort_unstable();
    assert_eq!(customer_ids(&s.call("list_customers", json!({}))), both);
    assert!(ids(&s.call("list_customers", json!({ "mode": "archived" }))["customers"]).is_empty());
    s.emulator.clear_requests();

    s.call_refused(
        "unarchive_customer",
        json!({ "customer_id": "x" }),
        "customer_id",
    );
}

/// A request as (path, sorted query, status).
type Hop = (String, Vec<(String, String)>, u16);

/// A customer's quotes or invoices: the API answers 302 to the firm-wide list filtered on
/// the customer (reference lines 975-983 and 998-1006); both hops are recorded and the page
/// goes along.
fn check_customer_documents(tool: &str, resource: &str) {
    let mut s = TestSession::new();
    let mine = customer(&s, "Client suivi");
    let theirs = customer(&s, "Autre client");
    let my_documents: Vec<u64> = (0..55)
        .map(|n| {
            s.emulator.insert_record(
                FIRM,
                resource,
                json!({ "customer_id": mine, "title": format!("Document {n:02}"),
                        "invoiced_on": "2025-05-01" }),
            )
        })
        .collect();
    for n in 0..2 {
        s.emulator.insert_record(
            FIRM,
            resource,
            json!({ "customer_id": theirs, "title": format!("Autre {n}"),
                    "invoiced_on": "2025-05-01" }),
        );
    }
    let before = s.emulator.records(FIRM, resource).len();

    let page = s.call(tool, json!({ "customer_id": mine, "page": 2 }));
    let listed = page[resource].as_array().expect("a list");
    assert_eq!(listed.len(), 5, "{page}");
    assert!(
        listed.iter().all(|doc| doc["customer_id"] == mine),
        "{page}"
    );
    assert!(
        ids(&page[resource])
            .iter()
            .all(|id| my_documents.contains(id))
    );
    assert_eq!(
        page["pagination"],
        json!({ "current_page": 2, "total_pages": 2, "per_page": 50, "total_entries": 55 })
    );

    let hops = s.take_requests();
    assert_eq!(hops.len(), 2, "{hops:#?}");
    assert_route(
        &hops[0],
        "GET",
        &format!("/firms/1001/customers/{mine}/{resource}.json"),
    );
    assert_eq!(hops[0].status, 302);
    assert_eq!(sorted_query(&hops[0]), sorted_pairs(&[("page", "2")]));
    assert_route(&hops[1], "GET", &format!("/firms/1001/{resource}.json"));
    assert_eq!(hops[1].status, 200);
    assert_eq!(
        sorted_query(&hops[1]),
        sorted_pairs(&[("customer_id", &mine.to_string()), ("page", "2")])
    );

    let page = s.call(tool, json!({ "customer_id": mine }));
    assert_eq!(page[resource].as_array().unwrap().len(), 50);
    let hops = s.take_requests();
    assert_eq!(hops.len(), 2, "{hops:#?}");
    assert!(hops[0].query.is_empty());
    assert_eq!(
        sorted_query(&hops[1]),
        sorted_pairs(&[("customer_id", &mine.to_string())])
    );

    // Following pages goes through the shortcut again, each hop carrying the page.
    let all = s.call(tool, json!({ "customer_id": mine, "all_pages": true }));
    let mut listed = ids(&all[resource]);
    listed.sort_unstable();
    assert_eq!(listed, my_documents);
    assert_eq!(all["pages_fetched"], 2);
    assert_eq!(all["complete"], true);
    let hops: Vec<Hop> = s
        .take_requests()
        .iter()
        .map(|request| (request.path.clone(), sorted_query(request), request.status))
        .collect();
    let shortcut = format!("/firms/1001/customers/{mine}/{resource}.json");
    let list = format!("/firms/1001/{resource}.json");
    let id = mine.to_string();
    assert_eq!(
        hops,
        [
            (shortcut.clone(), sorted_pairs(&[]), 302),
            (list.clone(), sorted_pairs(&[("customer_id", &id)]), 200),
            (shortcut, sorted_pairs(&[("page", "2")]), 302),
            (
                list,
                sorted_pairs(&[("customer_id", &id), ("page", "2")]),
                200
            ),
        ]
    );
    assert_eq!(s.emulator.records(FIRM, resource).len(), before);

    let text = s.call_error(tool, json!({ "customer_id": mine + 1000 }));
    assert!(text.contains("HTTP 404"), "{text}");
}

#[test]
fn list_customer_quotes_follows_the_redirect_with_the_page() {
    check_customer_documents("list_customer_quotes", "quotes");
}

#[test]
fn list_customer_invoices_follows_the_redirect_with_the_page() {
    check_customer_documents("list_customer_invoices", "invoices");
}

#[test]
fn upload_customer_file_sends_a_file_from_the_downloads_folder() {
    let mut s = TestSession::new();
    let id = customer(&s, "Client sous contrat");
    let bytes = sample("contrat");
    fs::create_dir_all(s.downloads().join("contrats")).unwrap();
    fs::write(s.downloads().join("contrats/contrat-2025.pdf"), &bytes).unwrap();

    let file = s.call(
        "upload_customer_file",
        json!({ "customer_id": id, "path": "contrats/contrat-2025.pdf" }),
    );
    let file_id = file["id"].as_u64().expect("the new file id");
    assert_eq!(file["customer_id"], id);
    assert_eq!(file["document_name"], "contrat-2025.pdf");
    assert_eq!(file["document_size"], bytes.len());
    assert_download_url(&file);
    let request = s.only_request();
    assert_route(
        &request,
        "POST",
        &format!("/firms/1001/customers/{id}/upload.json"),
    );
    assert_eq!(request.status, 201);
    assert!(request.query.is_empty(), "{request:#?}");
    assert_eq!(
        upload_part(&request),
        ("contrat-2025.pdf".to_string(), bytes.clone())
    );
    assert_eq!(s.emulator.asset_bytes(FIRM, file_id), Some(bytes.clone()));
    assert_eq!(
        s.emulator.record(FIRM, "assets", file_id).unwrap()["customer_id"],
        id
    );

    // Reference lines 936-941: `filename` stores it under another name.
    let file = s.call(
        "upload_customer_file",
        json!({ "customer_id": id, "path": "contrats/contrat-2025.pdf",
                "filename": "contrat_123.pdf" }),
    );
    assert_eq!(file["document_name"], "contrat_123.pdf");
    let request = s.only_request();
    assert_eq!(
        sorted_query(&request),
        sorted_pairs(&[("filename", "contrat_123.pdf")])
    );
    assert_eq!(
        upload_part(&request),
        ("contrat_123.pdf".to_string(), bytes)
    );
    assert_eq!(s.emulator.records(FIRM, "assets").len(), 2);
    // The source file is left as it was.
    assert_eq!(
        listing(&s.downloads()),
        ["contrats"],
        "nothing else in the folder"
    );
}

// The four file lists.

/// Owner records for a file list: two of the owner kind.
fn owners(s: &TestSession, owner_resource: &str) -> [u64; 2] {
    match owner_resource {
        "customers" => [customer(s, "Client A"), customer(s, "Client B")],
        "purchases" => {
            let supplier =
                s.emulator
                    .insert_record(FIRM, "suppliers", json!({ "company_name": "OVH" }));
            ["Location serveur dédié", "Comptabilité 05/2014"].map(|title| {
                s.emulator.insert_record(
                    FIRM,
                    "purchases",
                    json!({ "supplier_id": supplier, "title": title, "invoiced_on": "2025-05-01",
                            "total_with_vat": "120.0", "vat_amount": "20.0" }),
                )
            })
        }
        documents => {
            let client = customer(s, "Client");
            ["Premier", "Second"].map(|title| {
                s.emulator.insert_record(
                    FIRM,
                    documents,
                    json!({ "customer_id": client, "title": title, "invoiced_on": "2025-05-01" }),
                )
            })
        }
    }
}

fn check_file_list(list_tool: &str, upload_tool: &str, owner_resource: &str, owner_arg: &str) {
    let mut s = TestSession::new();
    let [first, second] = owners(&s, owner_resource);
    let b = attach(
        &mut s,
        upload_tool,
        (owner_arg, first),
        "b-devis.pdf",
        &sample("b"),
    );
    let a = attach(
        &mut s,
        upload_tool,
        (owner_arg, first),
        "a-annexe.txt",
        b"annexe",
    );
    let c = attach(
        &mut s,
        upload_tool,
        (owner_arg, second),
        "c-autre.pdf",
        &sample("c"),
    );
    let before = s.emulator.records(FIRM, "assets");
    assert_eq!(before.len(), 3);

    let page = s.call(
        list_tool,
        json!({ owner_arg: first, "sort": "asc", "order": "title", "page": 1 }),
    );
    // `title` sorts on the file name (reference line 2565).
    assert_eq!(ids(&page["files"]), [a, b], "{page}");
    let files = page["files"].as_array().unwrap();
    assert_eq!(files[0]["document_name"], "a-annexe.txt");
    assert_eq!(files[0]["document_size"], 6);
    assert_eq!(files[1]["document_name"], "b-devis.pdf");
    assert_eq!(files[1]["document_size"], sample("b").len());
    for file in files {
        assert_eq!(file[owner_arg], first, "{file}");
        assert_download_url(file);
    }
    let request = s.only_request();
    assert_route(
        &request,
        "GET",
        &format!("/firms/1001/assets/{owner_resource}.json"),
    );
    assert_eq!(
        sorted_query(&request),
        sorted_pairs(&[
            (owner_arg, &first.to_string()),
            ("sort", "asc"),
            ("order", "title"),
            ("page", "1"),
        ])
    );

    // Newest first by default (reference line 2558).
    let page = s.call(list_tool, json!({}));
    assert_eq!(ids(&page["files"]), [c, a, b], "{page}");
    assert!(s.only_request().query.is_empty());

    let page = s.call(list_tool, json!({ "order": "size", "sort": "desc" }));
    assert_eq!(ids(&page["files"])[2], a, "the smallest file last: {page}");
    assert_eq!(
        sorted_query(&s.only_request()),
        sorted_pairs(&[("order", "size"), ("sort", "desc")])
    );

    s.call_refused(list_tool, json!({ "order": "name" }), "order");
    s.call_refused(list_tool, json!({ owner_arg: "first" }), owner_arg);
    assert_eq!(s.emulator.records(FIRM, "assets"), before);
}

#[test]
fn list_quote_files_lists_the_files_of_quotes() {
    check_file_list(
        "list_quote_files",
        "upload_quote_file",
        "quotes",
        "quote_id",
    );
}

#[test]
fn list_invoice_files_lists_the_files_of_invoices() {
    check_file_list(
        "list_invoice_files",
        "upload_invoice_file",
        "invoices",
        "invoice_id",
    );
}

#[test]
fn list_customer_files_lists_the_files_of_customers() {
    check_file_list(
        "list_customer_files",
        "upload_customer_file",
        "customers",
        "customer_id",
    );
}

#[test]
fn list_purchase_files_lists_the_receipts_of_purchases() {
    check_file_list(
        "list_purchase_files",
        "upload_purchase_file",
        "purchases",
        "purchase_id",
    );
}

// download_file and delete_file.

#[test]
fn download_file_saves_the_uploaded_bytes_under_the_file_name() {
    let mut s = TestSession::new();
    let owner = customer(&s, "Client");
    let bytes = sample("download");
    let file_id = attach(
        &mut s,
        "upload_customer_file",
        ("customer_id", owner),
        "contrat-2025.pdf",
        &bytes,
    );

    let result = s
        .server
        .call_tool("download_file", json!({ "file_id": file_id }));
    let saved = success(&result).clone();
    let request = s.only_request();
    assert_route(
        &request,
        "GET",
        &format!("/firms/1001/assets/{file_id}/download"),
    );
    assert_eq!(request.status, 200);

    let path = s.downloads().join("contrat-2025.pdf");
    assert_eq!(fs::read(&path).expect("saved under its own name"), bytes);
    assert_eq!(saved["file_name"], "contrat-2025.pdf");
    assert_eq!(PathBuf::from(saved["path"].as_str().unwrap()), path);
    assert_eq!(saved["size"], bytes.len());
    assert_eq!(saved["mime_type"], "application/pdf");
    assert_eq!(saved["inline"], false);
    let link = result["content"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["type"] == "resource_link")
        .unwrap_or_else(|| panic!("no resource_link content: {result}"));
    assert_eq!(link["uri"], saved["uri"]);
    assert!(
        link["uri"].as_str().unwrap().starts_with("file:///")
            && link["uri"]
                .as_str()
                .unwrap()
                .ends_with("/downloads/contrat-2025.pdf"),
        "{link}"
    );
    assert_eq!(link["name"], "contrat-2025.pdf");
    assert_eq!(link["mimeType"], "application/pdf");
    // Atomic: only the file itself, no temporary left behind.
    assert_eq!(listing(&s.downloads()), ["contrat-2025.pdf"]);
    assert_eq!(s.emulator.asset_bytes(FIRM, file_id), Some(bytes));
}

#[test]
fn download_file_keeps_an_accented_file_name() {
    let mut s = TestSession::new();
    let owner = customer(&s, "Client");
    let bytes = sample("accents");
    let name = "relevé d'échéances.pdf";
    let file_id = attach(
        &mut s,
        "upload_customer_file",
        ("customer_id", owner),
        name,
        &bytes,
    );
    assert_eq!(
        s.emulator.record(FIRM, "assets", file_id).unwrap()["document_name"],
        name
    );

    let saved = s.call("download_file", json!({ "file_id": file_id }));
    assert_route(
        &s.only_request(),
        "GET",
        &format!("/firms/1001/assets/{file_id}/download"),
    );
    // French file names are common; the file keeps its own name, accents included.
    assert_eq!(saved["file_name"], name, "{saved}");
    assert_eq!(fs::read(s.downloads().join(name)).ok(), Some(bytes));
    assert_eq!(listing(&s.downloads()), [name]);
}

#[test]
fn download_file_never_writes_outside_the_folder() {
    let mut s = TestSession::new();
    let owner = customer(&s, "Client");
    let home = s.downloads().parent().unwrap().to_path_buf();
    for (stored_name, saved_name) in [
        ("../../escape.pdf", "escape.pdf"),
        ("sub/dir/nested.pdf", "nested.pdf"),
        (".hidden.pdf", "hidden.pdf"),
    ] {
        let id = s.emulator.insert_record(
            FIRM,
            "assets",
            json!({ "customer_id": owner, "document_name": stored_name,
                    "content": format!("content of {saved_name}"),
                    "content_type": "application/pdf" }),
        );
        let saved = s.call("download_file", json!({ "file_id": id }));
        s.only_request();
        assert_eq!(saved["file_name"], saved_name, "{stored_name}: {saved}");
        assert_eq!(
            PathBuf::from(saved["path"].as_str().unwrap()),
            s.downloads().join(saved_name)
        );
        assert_eq!(
            fs::read_to_string(s.downloads().join(saved_name)).unwrap(),
            format!("content of {saved_name}")
        );
    }
    assert_eq!(
        listing(&s.downloads()),
        ["escape.pdf", "hidden.pdf", "nested.pdf"]
    );
    assert_eq!(
        listing(&home),
        ["downloads"],
        "nothing written next to the folder"
    );
}

#[test]
fn download_file_returns_the_seeded_files_byte_for_byte() {
    let mut s = TestSession::with_demo_data();
    let assets = s.emulator.records(FIRM, "assets");
    assert!(!assets.is_empty(), "the demo data has attached files");
    for asset in assets {
        let id = asset["id"].as_u64().unwrap();
        let expected = s.emulator.asset_bytes(FIRM, id).expect("seeded content");
        let saved = s.call("download_file", json!({ "file_id": id, "overwrite": true }));
        let name = asset["document_name"].as_str().unwrap();
        assert_eq!(saved["file_name"], name, "{asset}");
        assert_eq!(saved["size"], expected.len());
        assert_eq!(
            fs::read(s.downloads().join(name)).unwrap(),
            expected,
            "{asset}"
        );
        assert_route(
            &s.only_request(),
            "GET",
            &format!("/firms/1001/assets/{id}/download"),
        );
    }
    assert!(
        listing(&s.downloads())
            .iter()
            .all(|name| !name.starts_with('.')),
        "temporary files left: {:?}",
        listing(&s.downloads())
    );
}

#[test]
fn delete_file_removes_the_attachment() {
    let mut s = TestSession::new();
    let owner = customer(&s, "Client");
    let doomed = attach(
        &mut s,
        "upload_customer_file",
        ("customer_id", owner),
        "ancien.pdf",
        &sample("old"),
    );
    let kept = attach(
        &mut s,
        "upload_customer_file",
        ("customer_id", owner),
        "actuel.pdf",
        &sample("new"),
    );

    let result = s.call("delete_file", json!({ "file_id": doomed }));
    assert_eq!(result, json!({ "file_id": doomed, "deleted": true }));
    let request = s.only_request();
    assert_route(
        &request,
        "DELETE",
        &format!("/firms/1001/assets/{doomed}.json"),
    );
    assert_eq!(request.status, 200);
    assert!(s.emulator.record(FIRM, "assets", doomed).is_none());
    assert_eq!(s.emulator.asset_bytes(FIRM, doomed), None);
    assert!(s.emulator.asset_bytes(FIRM, kept).is_some());

    let page = s.call("list_customer_files", json!({ "customer_id": owner }));
    assert_eq!(ids(&page["files"]), [kept]);
    s.only_request();

    let text = s.call_error("download_file", json!({ "file_id": doomed }));
    assert!(text.contains("HTTP 404"), "{text}");
    assert_eq!(s.only_request().status, 404);
    assert!(listing(&s.downloads()).is_empty());
}

// What all uploads share.

#[test]
fn uploads_send_the_exact_bytes_from_a_path_or_inline() {
    let mut s = TestSession::new();
    let owner = customer(&s, "Client");
    let invoice = s.emulator.insert_record(
        FIRM,
        "invoices",
        json!({ "customer_id": owner, "title": "Facture", "invoiced_on": "2025-05-01" }),
    );

    // From the downloads folder, nested: the part is named after the file alone.
    let from_disk = sample("disk");
    fs::create_dir_all(s.downloads().join("2025/mai")).unwrap();
    fs::write(
        s.downloads().join("2025/mai/bon de commande.pdf"),
        &from_disk,
    )
    .unwrap();
    let file = s.call(
        "upload_invoice_file",
        json!({ "invoice_id": invoice, "path": "2025/mai/bon de commande.pdf" }),
    );
    let request = s.only_request();
    assert_route(
        &request,
        "POST",
        &format!("/firms/1001/invoices/{invoice}/upload.json"),
    );
    assert_eq!(
        form_parts(&request),
        [FormPart {
            name: "upload_file".into(),
            filename: Some("bon de commande.pdf".into()),
            content_type: Some("application/pdf".into()),
            bytes: from_disk.clone(),
        }]
    );
    assert_eq!(file["document_name"], "bon de commande.pdf");
    assert_eq!(file["invoice_id"], invoice);
    let id = file["id"].as_u64().unwrap();
    assert_eq!(s.emulator.asset_bytes(FIRM, id), Some(from_disk));

    // Inline, base64: the name comes from `filename`, which also goes in the query.
    let inline: Vec<u8> = (0..2048u32).map(|n| (n * 7 % 256) as u8).collect();
    let file = s.call(
        "upload_invoice_file",
        json!({ "invoice_id": invoice, "content_base64": BASE64_STANDARD.encode(&inline),
                "filename": "scan.png" }),
    );
    let request = s.only_request();
    assert_eq!(
        sorted_query(&request),
        sorted_pairs(&[("filename", "scan.png")])
    );
    assert_eq!(
        upload_part(&request),
        ("scan.png".to_string(), inline.clone())
    );
    assert_eq!(file["document_name"], "scan.png");
    assert_eq!(file["document_size"], 2048);
    let id = file["id"].as_u64().unwrap();
    assert_eq!(s.emulator.asset_bytes(FIRM, id), Some(inline));
    assert_eq!(s.emulator.records(FIRM, "assets").len(), 2);
}

#[test]
fn uploads_from_outside_the_downloads_folder_are_refused() {
    let mut s = TestSession::new();
    let owner = customer(&s, "Client");
    let home = s.downloads().parent().unwrap().to_path_buf();
    fs::write(home.join("secret.txt"), "not for the API").unwrap();
    fs::create_dir_all(s.downloads().join("a")).unwrap();

    for path in [
        "../secret.txt",
        "/etc/passwd",
        "a/../../secret.txt",
        "./../secret.txt",
        "",
    ] {
        s.call_refused(
            "upload_customer_file",
            json!({ "customer_id": owner, "path": path }),
            "path",
        );
    }
    // A file that is not there is refused too, before any request.
    let text = s.call_error(
        "upload_customer_file",
        json!({ "customer_id": owner, "path": "absent.pdf" }),
    );
    assert!(text.contains("does not exist"), "{text}");
    s.assert_no_request();
    assert!(s.emulator.records(FIRM, "assets").is_empty());
}

#[test]
fn uploads_take_exactly_one_source() {
    let mut s = TestSession::new();
    let owner = customer(&s, "Client");
    fs::write(s.downloads().join("note.txt"), "note").unwrap();
    let encoded = BASE64_STANDARD.encode(b"note");

    let neither = s.call_error("upload_customer_file", json!({ "customer_id": owner }));
    assert!(
        neither.contains("`path`") && neither.contains("`content_base64`"),
        "{neither}"
    );
    let both = s.call_error(
        "upload_customer_file",
        json!({ "customer_id": owner, "path": "note.txt", "content_base64": encoded,
                "filename": "note.txt" }),
    );
    assert!(both.contains("not both"), "{both}");
    s.call_refused(
        "upload_customer_file",
        json!({ "customer_id": owner, "content_base64": encoded }),
        "filename",
    );
    s.call_refused(
        "upload_customer_file",
        json!({ "customer_id": owner, "content_base64": "not base64!", "filename": "x.txt" }),
        "content_base64",
    );
    s.assert_no_request();
    assert!(s.emulator.records(FIRM, "assets").is_empty());
}

// What all downloads share.

#[test]
fn downloads_never_replace_an_existing_file_unless_asked() {
    let mut s = TestSession::new();
    let owner = customer(&s, "Client");
    let bytes = sample("new");
    let file_id = attach(
        &mut s,
        "upload_customer_file",
        ("customer_id", owner),
        "contrat.pdf",
        &bytes,
    );
    let existing = s.downloads().join("contrat.pdf");
    fs::create_dir_all(s.downloads()).unwrap();
    fs::write(&existing, "my own contract").unwrap();

    let text = error_text(
        &s.server
            .call_tool("download_file", json!({ "file_id": file_id })),
    );
    assert!(
        text.contains("already exists") && text.contains("overwrite"),
        "{text}"
    );
    assert_route(
        &s.only_request(),
        "GET",
        &format!("/firms/1001/assets/{file_id}/download"),
    );
    assert_eq!(fs::read_to_string(&existing).unwrap(), "my own contract");
    assert_eq!(
        listing(&s.downloads()),
        ["contrat.pdf"],
        "no temporary left"
    );

    let saved = s.call(
        "download_file",
        json!({ "file_id": file_id, "overwrite": true }),
    );
    assert_eq!(PathBuf::from(saved["path"].as_str().unwrap()), existing);
    assert_eq!(fs::read(&existing).unwrap(), bytes);
    assert_eq!(
        listing(&s.downloads()),
        ["contrat.pdf"],
        "no temporary left"
    );
    s.only_request();
}

#[test]
fn inline_downloads_return_the_bytes_and_write_nothing() {
    let mut s = TestSession::new();
    let owner = customer(&s, "Client");
    let bytes = sample("inline");
    let file_id = attach(
        &mut s,
        "upload_customer_file",
        ("customer_id", owner),
        "releve.pdf",
        &bytes,
    );

    let result = s.server.call_tool(
        "download_file",
        json!({ "file_id": file_id, "inline": true }),
    );
    let described = success(&result);
    assert_eq!(described["file_name"], "releve.pdf");
    assert_eq!(described["size"], bytes.len());
    assert_eq!(described["mime_type"], "application/pdf");
    assert_eq!(described["inline"], true);
    assert!(described.get("path").is_none(), "{described}");
    let resource = result["content"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["type"] == "resource")
        .unwrap_or_else(|| panic!("no embedded resource: {result}"));
    assert_eq!(resource["resource"]["mimeType"], "application/pdf");
    let blob = resource["resource"]["blob"]
        .as_str()
        .expect("a base64 blob");
    assert_eq!(BASE64_STANDARD.decode(blob).unwrap(), bytes);
    assert!(resource["resource"]["uri"].is_string());

    assert_route(
        &s.only_request(),
        "GET",
        &format!("/firms/1001/assets/{file_id}/download"),
    );
    assert!(listing(&s.downloads()).is_empty(), "nothing may be written");
}

// What all lists share: following pages.

fn insert_products(s: &TestSession, count: usize) -> Vec<u64> {
    (0..count)
        .map(|n| {
            s.emulator.insert_record(
                FIRM,
                "products",
                json!({ "ref": format!("P{n:03}"), "title": format!("Produit {n:03}"),
                        "unit_price": "10.0", "vat": "0.200" }),
            )
        })
        .collect()
}

#[test]
fn all_pages_fetches_every_page() {
    let mut s = TestSession::new();
    let inserted = insert_products(&s, 120);

    let result = s.call("list_products", json!({ "all_pages": true }));
    // By label, ascending (reference line 3072): the insertion order here.
    assert_eq!(ids(&result["products"]), inserted);
    assert_eq!(result["pages_fetched"], 3);
    assert_eq!(result["complete"], true);
    assert_eq!(
        result["pagination"],
        json!({ "current_page": 3, "total_pages": 3, "per_page": 50, "total_entries": 120 })
    );

    let pages: Vec<String> = s
        .take_requests()
        .iter()
        .map(|request| {
            assert_route(request, "GET", "/firms/1001/products.json");
            assert_eq!(request.status, 200);
            // The first request is page 1 by default; `page` is the only parameter added.
            request.query_param("page").unwrap_or("1").to_string()
        })
        .collect();
    assert_eq!(pages, ["1", "2", "3"]);
    assert_eq!(s.emulator.records(FIRM, "products").len(), 120);

    // Filters stay on every page.
    let result = s.call(
        "list_products",
        json!({ "all_pages": true, "title": "Produit 1" }),
    );
    assert_eq!(ids(&result["products"]), inserted[100..]);
    assert_eq!(result["pages_fetched"], 1);
    assert_eq!(result["complete"], true);
    assert_eq!(s.take_requests().len(), 1);
}

#[test]
fn max_pages_stops_early_and_says_so() {
    let mut s = TestSession::new();
    let inserted = insert_products(&s, 120);

    let result = s.call(
        "list_products",
        json!({ "all_pages": true, "max_pages": 2 }),
    );
    assert_eq!(ids(&result["products"]), inserted[..100]);
    assert_eq!(result["pages_fetched"], 2);
    assert_eq!(result["complete"], false);
    let sent = s.take_requests();
    let pages: Vec<Option<&str>> = sent
        .iter()
        .map(|request| request.query_param("page"))
        .collect();
    assert_eq!(pages, [None, Some("2")]);

    // Starting from a later page counts from there.
    let result = s.call(
        "list_products",
        json!({ "all_pages": true, "max_pages": 5, "page": 2 }),
    );
    assert_eq!(ids(&result["products"]), inserted[50..]);
    assert_eq!(result["pages_fetched"], 2);
    assert_eq!(result["complete"], true);
    assert_eq!(s.take_requests().len(), 2);

    // Without all_pages, one page and no paging summary.
    let result = s.call("list_products", json!({}));
    assert_eq!(result["products"].as_array().unwrap().len(), 50);
    assert!(result.get("pages_fetched").is_none() && result.get("complete").is_none());
    assert_eq!(s.take_requests().len(), 1);

    for max_pages in [json!(0), json!(101), json!("2")] {
        let text = s.call_error(
            "list_products",
            json!({ "all_pages": true, "max_pages": max_pages }),
        );
        assert!(text.contains("`max_pages`"), "{text}");
        s.assert_no_request();
    }
    assert_eq!(s.emulator.records(FIRM, "products").len(), 120);
}
