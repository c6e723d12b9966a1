//! End-to-end checks of the emulator over real HTTP, with a deliberately tiny client written on
//! `TcpStream` so every header (or its absence) is under the test's control.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::{Emulator, EmulatorConfig};

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|error| {
            panic!(
                "body is not JSON ({error}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    fn pagination(&self) -> Value {
        serde_json::from_str(self.header("x-pagination").expect("X-Pagination header"))
            .expect("X-Pagination is JSON")
    }
}

/// Sends one HTTP/1.1 request with exactly `headers` (plus Host, Connection and
/// Content-Length) and reads the whole answer; `Connection: close` makes EOF end the body.
fn send(
    emulator: &Emulator,
    method: &str,
    target: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> Reply {
    let raw = send_raw(emulator, method, target, headers, body);
    parse(&raw)
}

/// The same exchange, returning the answer's bytes as they came (none if the connection was
/// closed without an answer).
fn send_raw(
    emulator: &Emulator,
    method: &str,
    target: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> Vec<u8> {
    let mut stream = TcpStream::connect(("127.0.0.1", emulator.port())).expect("connect");
    let mut request = format!(
        "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\nContent-Length: {}\r\n",
        emulator.port(),
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).expect("write head");
    stream.write_all(body).expect("write body");

    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read reply");
    raw
}

/// Parses the raw bytes of an answer read to the connection's end.
fn parse(raw: &[u8]) -> Reply {
    let split = raw
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .expect("end of headers");
    let head = String::from_utf8(raw[..split].to_vec()).expect("ASCII head");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .expect("status line")
        .split(' ')
        .nth(1)
        .expect("status code");
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.to_lowercase(), value.trim().to_owned()))
        .collect::<Vec<_>>();
    assert!(
        !headers.iter().any(|(name, _)| name == "transfer-encoding"),
        "this client only reads bodies delimited by the connection's end"
    );
    Reply {
        status: status.parse().expect("numeric status"),
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

fn basic(id: &str, key: &str) -> (&'static str, String) {
    (
        "Authorization",
        format!("Basic {}", STANDARD.encode(format!("{id}:{key}"))),
    )
}

fn user_agent() -> (&'static str, String) {
    (
        "User-Agent",
        "EmulatorTests (tests@example.test)".to_owned(),
    )
}

/// A well-behaved client call with the default credentials; a JSON body when given.
fn api(emulator: &Emulator, method: &str, target: &str, body: Option<Value>) -> Reply {
    let mut headers = vec![basic("demo-api-id", "demo-api-key"), user_agent()];
    let body = body.map(|body| {
        headers.push(("Content-Type", "application/json; charset=utf-8".to_owned()));
        body.to_string().into_bytes()
    });
    send(
        emulator,
        method,
        target,
        &headers,
        body.as_deref().unwrap_or_default(),
    )
}

fn start(config: EmulatorConfig) -> Emulator {
    Emulator::start(config).expect("emulator starts")
}

fn short_names(reply: &Reply) -> Vec<String> {
    reply
        .json()
        .as_array()
        .expect("a list")
        .iter()
        .map(|customer| {
            customer["short_name"]
                .as_str()
                .expect("short name")
                .to_owned()
        })
        .collect()
}

/// The id of the seeded customer with this short name in firm 1001.
fn seeded_id(emulator: &Emulator, short_name: &str) -> u64 {
    emulator
        .customers(1001)
        .iter()
        .find(|customer| customer["short_name"] == short_name)
        .and_then(|customer| customer["id"].as_u64())
        .unwrap_or_else(|| panic!("no seeded customer {short_name}"))
}

#[test]
fn refuses_missing_or_wrong_credentials_and_records_them() {
    let emulator = start(EmulatorConfig::default());

    let anonymous = send(&emulator, "GET", "/account.json", &[user_agent()], b"");
    assert_eq!(anonymous.status, 401);
    assert!(
        anonymous.json()["errors"]
            .as_str()
            .expect("message")
            .contains("Basic")
    );
    assert_eq!(anonymous.header("x-ratelimit-limit"), Some("600"));

    let wrong = send(
        &emulator,
        "GET",
        "/account.json?probe=1",
        &[basic("demo-api-id", "not-the-key"), user_agent()],
        b"",
    );
    assert_eq!(wrong.status, 401);

    let requests = emulator.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].status, 401);
    assert_eq!(requests[0].basic_auth(), None);
    assert_eq!(
        requests[1].basic_auth(),
        Some(("demo-api-id".to_owned(), "not-the-key".to_owned()))
    );
    assert_eq!(requests[1].path, "/account.json");
    assert_eq!(requests[1].query_param("probe"), Some("1"));
    assert_eq!(
        requests[1].header("USER-AGENT"),
        Some("EmulatorTests (tests@example.test)")
    );

    emulator.clear_requests();
    assert!(emulator.requests().is_empty());
}

#[test]
fn requires_an_application_user_agent() {
    let emulator = start(EmulatorConfig::default());
    let credentials = basic("demo-api-id", "demo-api-key");

    let anonymous_app = send(
        &emulator,
        "GET",
        "/account.json",
        std::slice::from_ref(&credentials),
        b"",
    );
    assert_eq!(anonymous_app.status, 403);
    assert!(
        anonymous_app.json()["errors"]
            .as_str()
            .expect("message")
            .contains("User-Agent")
    );

    let blank = send(
        &emulator,
        "GET",
        "/account.json",
        &[credentials.clone(), ("User-Agent", " ".to_owned())],
        b"",
    );
    assert_eq!(blank.status, 403);

    let substitute = send(
        &emulator,
        "GET",
        "/account.json",
        &[
            credentials,
            ("X-User-Agent", "MyApp (me@example.test)".to_owned()),
        ],
        b"",
    );
    assert_eq!(substitute.status, 200);
    assert_eq!(
        substitute.json(),
        json!({
            "id": 4217,
            "email": "demo@example.test",
            "firms": [
                {"id": 1001, "name": "Atelier Demo SARL"},
                {"id": 1002, "name": "Second Firm SAS"}
            ]
        })
    );
    let statuses: Vec<u16> = emulator.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [403, 403, 200]);
}

#[test]
fn creating_a_customer_answers_201_with_location_and_full_record() {
    let emulator = start(EmulatorConfig::default());
    let reply = api(
        &emulator,
        "POST",
        "/firms/1001/customers.json",
        Some(json!({
            "company_name": "A small company",
            "individual": false,
            "id": 1,
            "last_invoiced_on": "2020-01-01",
            "favourite_colour": "red"
        })),
    );
    assert_eq!(reply.status, 201);
    let body = reply.json();
    let id = body["id"].as_u64().expect("numeric id");
    assert_ne!(id, 1, "a client cannot choose the id");
    assert_eq!(
        reply.header("location"),
        Some(format!("/firms/1001/customers/{id}.json").as_str())
    );
    assert_eq!(body["account_code"], "411ASMALLCO");
    assert_eq!(body["short_name"], "A small company");
    assert_eq!(body["currency"], "EUR");
    assert_eq!(body["individual"], false);
    assert_eq!(body["last_invoiced_on"], Value::Null);
    assert_eq!(body["zip_code"], Value::Null);
    assert!(
        body["created_at"]
            .as_str()
            .expect("timestamp")
            .ends_with('Z')
    );
    assert!(body.get("favourite_colour").is_none());
    // 50 fields in the reference's table, minus the 4 SEPA ones hidden by default.
    assert_eq!(body.as_object().expect("object").len(), 46);
    assert!(body.get("sepa_iban").is_none());

    let stored = emulator.customer(1001, id).expect("stored");
    assert_eq!(stored["sepa_iban"], Value::Null);
    assert_eq!(stored["company_name"], "A small company");
    let fetched = api(
        &emulator,
        "GET",
        &format!("/firms/1001/customers/{id}.json"),
        None,
    );
    assert_eq!(fetched.status, 200);
    assert_eq!(fetched.json(), body);

    let recorded = emulator.requests().remove(0);
    assert_eq!(recorded.method, "POST");
    assert_eq!(recorded.status, 201);
    assert_eq!(
        recorded.json_body().expect("JSON body")["company_name"],
        "A small company"
    );
}

#[test]
fn invalid_customers_get_422_with_field_errors() {
    let emulator = start(EmulatorConfig::default());
    let before = emulator.customers(1001).len();
    let reply = api(
        &emulator,
        "POST",
        "/firms/1001/customers.json",
        Some(json!({
            "company_name": "Fine name",
            "country": "France",
            "category_id": "7",
            "individual": "yes",
            "zip_code": "0".repeat(21)
        })),
    );
    assert_eq!(reply.status, 422);
    assert_eq!(
        reply.json(),
        json!({"errors": {
            "category_id": ["must be an integer"],
            "country": ["is too long (maximum is 2 characters)"],
            "individual": ["must be true or false"],
            "zip_code": ["is too long (maximum is 20 characters)"]
        }})
    );

    let nameless = api(
        &emulator,
        "POST",
        "/firms/1001/customers.json",
        Some(json!({"city": "Lille", "country": "fr"})),
    );
    assert_eq!(nameless.status, 422);
    let errors = &nameless.json()["errors"];
    assert_eq!(
        errors["company_name"].as_array().expect("messages").len(),
        1
    );
    assert_eq!(
        errors["country"][0],
        "must be a 2-letter ISO country code in upper case, e.g. FR"
    );
    assert_eq!(emulator.customers(1001).len(), before, "nothing stored");

    let form = send(
        &emulator,
        "POST",
        "/firms/1001/customers.json",
        &[
            basic("demo-api-id", "demo-api-key"),
            user_agent(),
            (
                "Content-Type",
                "application/x-www-form-urlencoded".to_owned(),
            ),
        ],
        b"company_name=Acme",
    );
    assert_eq!(form.status, 415);
    assert!(form.json()["errors"].is_string());

    let malformed = send(
        &emulator,
        "POST",
        "/firms/1001/customers.json",
        &[
            basic("demo-api-id", "demo-api-key"),
            user_agent(),
            ("Content-Type", "application/json".to_owned()),
        ],
        b"{\"company_name\":",
    );
    assert_eq!(malformed.status, 400);
    assert!(
        malformed.json()["errors"]
            .as_str()
            .expect("message")
            .starts_with("Malformed JSON")
    );
}

#[test]
fn lists_are_paginated_by_50_with_x_pagination() {
    let emulator = start(EmulatorConfig::without_demo_data());
    let empty = api(&emulator, "GET", "/firms/1001/customers.json", None);
    assert_eq!(
        empty.pagination(),
        json!({"current_page": 1, "total_pages": 1, "per_page": 50, "total_entries": 0})
    );
    // Inserted in reverse so that the alphabetical order is not the insertion order.
    for number in (1..=120).rev() {
        emulator.insert_customer(
            1001,
            json!({"company_name": format!("Customer {number:03}")}),
        );
    }

    let first = api(&emulator, "GET", "/firms/1001/customers.json", None);
    assert_eq!(first.status, 200);
    assert_eq!(
        first.header("x-pagination"),
        Some(r#"{"current_page":1,"total_pages":3,"per_page":50,"total_entries":120}"#)
    );
    let names = short_names(&first);
    assert_eq!(names.len(), 50);
    assert_eq!(names[0], "Customer 001");
    assert_eq!(names[49], "Customer 050");

    let last = api(&emulator, "GET", "/firms/1001/customers.json?page=3", None);
    assert_eq!(last.pagination()["current_page"], 3);
    let names = short_names(&last);
    assert_eq!(names.len(), 20);
    assert_eq!(names[0], "Customer 101");

    let past_end = api(&emulator, "GET", "/firms/1001/customers.json?page=4", None);
    assert_eq!(past_end.status, 200);
    assert_eq!(past_end.json(), json!([]));

    let descending = api(
        &emulator,
        "GET",
        "/firms/1001/customers.json?sort=desc",
        None,
    );
    assert_eq!(short_names(&descending)[0], "Customer 120");

    let bad_page = api(&emulator, "GET", "/firms/1001/customers.json?page=0", None);
    assert_eq!(bad_page.status, 422);
    assert_eq!(
        bad_page.json()["errors"]["page"][0],
        "must be a positive integer"
    );
}

#[test]
fn archived_customers_are_hidden_by_default() {
    let emulator = start(EmulatorConfig::default());
    let default_list = api(&emulator, "GET", "/firms/1001/customers.json", None);
    assert_eq!(
        short_names(&default_list),
        ["Boulangerie Martin", "Claire Dubois", "Lumen", "Rousseau"]
    );
    let archived = api(
        &emulator,
        "GET",
        "/firms/1001/customers.json?mode=archived",
        None,
    );
    assert_eq!(short_names(&archived), ["Ateliers Vernet"]);
    let all = api(
        &emulator,
        "GET",
        "/firms/1001/customers.json?mode=all",
        None,
    );
    assert_eq!(all.pagination()["total_entries"], 5);

    let lumen = seeded_id(&emulator, "Lumen");
    let archive = api(
        &emulator,
        "POST",
        &format!("/firms/1001/customers/{lumen}/archive.json"),
        None,
    );
    assert_eq!(archive.status, 200);
    assert!(archive.body.is_empty());
    assert_eq!(emulator.customer_archived(1001, lumen), Some(true));
    let after = api(&emulator, "GET", "/firms/1001/customers.json", None);
    assert!(!short_names(&after).contains(&"Lumen".to_owned()));

    let restore = api(
        &emulator,
        "POST",
        &format!("/firms/1001/customers/{lumen}/unarchive.json"),
        None,
    );
    assert_eq!(restore.status, 200);
    assert_eq!(emulator.customer_archived(1001, lumen), Some(false));
    let restored = api(&emulator, "GET", "/firms/1001/customers.json", None);
    assert!(short_names(&restored).contains(&"Lumen".to_owned()));
}

#[test]
fn list_filters_and_orders() {
    let emulator = start(EmulatorConfig::default());
    let query = |params: &str| {
        let reply = api(
            &emulator,
            "GET",
            &format!("/firms/1001/customers.json?{params}"),
            None,
        );
        assert_eq!(reply.status, 200, "{params}");
        short_names(&reply)
    };
    assert_eq!(query("company=ROUSS"), ["Rousseau"]);
    assert_eq!(query("mode=individual"), ["Claire Dubois"]);
    assert_eq!(query("mode=company").len(), 3);
    assert_eq!(query("category_id=12"), ["Boulangerie Martin", "Rousseau"]);
    assert_eq!(query("category_id=0"), ["Claire Dubois", "Lumen"]);
    assert_eq!(query("api_id=9001"), ["Lumen"]);
    assert_eq!(query("api_id=900"), Vec::<String>::new());
    assert_eq!(query("api_custom=lumen"), ["Lumen"]);
    assert_eq!(query("email=example.test"), ["Claire Dubois"]);
    assert_eq!(query("accounting_entry=706"), ["Rousseau"]);
    assert_eq!(query("account_code=411bou"), ["Boulangerie Martin"]);
    assert_eq!(
        query("order=created&sort=desc"),
        ["Rousseau", "Claire Dubois", "Lumen", "Boulangerie Martin"]
    );
    assert_eq!(
        query("order=last_invoice&sort=desc")[0],
        "Boulangerie Martin"
    );

    let sepa = api(
        &emulator,
        "GET",
        "/firms/1001/customers.json?with_sepa=1&company=boulangerie",
        None,
    );
    assert_eq!(sepa.json()[0]["sepa_bic"], "AGRIFRPPXXX");
    let plain = api(
        &emulator,
        "GET",
        "/firms/1001/customers.json?company=boulangerie",
        None,
    );
    assert!(plain.json()[0].get("sepa_bic").is_none());

    for bad in ["mode=everything", "order=name", "sort=up"] {
        let reply = api(
            &emulator,
            "GET",
            &format!("/firms/1001/customers.json?{bad}"),
            None,
        );
        assert_eq!(reply.status, 422, "{bad}");
        let field = bad.split('=').next().expect("name");
        assert!(
            reply.json()["errors"][field][0]
                .as_str()
                .expect("message")
                .starts_with("must be one of")
        );
    }
}

#[test]
fn updates_deletes_and_firm_scoping() {
    let emulator = start(EmulatorConfig::default());
    let lumen = seeded_id(&emulator, "Lumen");
    let martin = seeded_id(&emulator, "Boulangerie Martin");
    let path = format!("/firms/1001/customers/{lumen}.json");

    let patch = api(
        &emulator,
        "PATCH",
        &path,
        Some(json!({"email": "new@lumen.test", "country": "BE"})),
    );
    assert_eq!(patch.status, 200);
    assert!(patch.body.is_empty());
    let stored = emulator.customer(1001, lumen).expect("stored");
    assert_eq!(stored["email"], "new@lumen.test");
    assert_eq!(stored["country"], "BE");
    assert_ne!(stored["updated_at"], "2024-05-14T14:02:31.000Z");

    let bad_patch = api(&emulator, "PATCH", &path, Some(json!({"individual": null})));
    assert_eq!(bad_patch.status, 422);
    assert_eq!(
        bad_patch.json()["errors"]["individual"][0],
        "must be true or false"
    );

    // Another firm's id is simply not found there; a firm outside the account is forbidden.
    let elsewhere = api(
        &emulator,
        "GET",
        &format!("/firms/1002/customers/{lumen}.json"),
        None,
    );
    assert_eq!(elsewhere.status, 404);
    assert_eq!(
        elsewhere.json(),
        json!({"errors": "The record could not be found"})
    );
    let foreign = api(&emulator, "GET", "/firms/4242/customers.json", None);
    assert_eq!(foreign.status, 403);
    assert!(foreign.json()["errors"].is_string());

    let invoiced = api(
        &emulator,
        "DELETE",
        &format!("/firms/1001/customers/{martin}.json"),
        None,
    );
    assert_eq!(invoiced.status, 422);
    assert!(
        invoiced.json()["errors"]["base"][0]
            .as_str()
            .expect("message")
            .contains("invoiced")
    );
    assert!(emulator.customer(1001, martin).is_some());

    let deleted = api(&emulator, "DELETE", &path, None);
    assert_eq!(deleted.status, 200);
    assert!(deleted.body.is_empty());
    assert_eq!(emulator.customer(1001, lumen), None);
    assert_eq!(api(&emulator, "GET", &path, None).status, 404);
    assert_eq!(
        api(&emulator, "PATCH", &path, Some(json!({"city": "Metz"}))).status,
        404
    );
}

#[test]
fn customer_quotes_and_invoices_redirect_to_the_filtered_lists() {
    let emulator = start(EmulatorConfig::default());
    let claire = seeded_id(&emulator, "Claire Dubois");
    for list in ["quotes", "invoices"] {
        let reply = api(
            &emulator,
            "GET",
            &format!("/firms/1001/customers/{claire}/{list}.json"),
            None,
        );
        assert_eq!(reply.status, 302);
        assert_eq!(
            reply.header("location"),
            Some(format!("/firms/1001/{list}.json?customer_id={claire}").as_str())
        );
    }
    let unknown = api(
        &emulator,
        "GET",
        "/firms/1001/customers/1/quotes.json",
        None,
    );
    assert_eq!(unknown.status, 404);
}

#[test]
fn answers_429_past_the_configured_limits() {
    let emulator = start(EmulatorConfig {
        rate_limit_per_5min: 3,
        ..EmulatorConfig::default()
    });
    let remaining: Vec<String> = (0..3)
        .map(|_| {
            let reply = api(&emulator, "GET", "/account.json", None);
            assert_eq!(reply.status, 200);
            assert_eq!(reply.header("x-ratelimit-limit"), Some("3"));
            reply
                .header("x-ratelimit-remaining")
                .expect("remaining")
                .to_owned()
        })
        .collect();
    assert_eq!(remaining, ["2", "1", "0"]);
    let refused = api(&emulator, "GET", "/account.json", None);
    assert_eq!(refused.status, 429);
    assert_eq!(refused.body, b"Retry later");
    assert!(
        refused
            .header("content-type")
            .expect("type")
            .starts_with("text/plain")
    );
    assert_eq!(refused.header("x-ratelimit-remaining"), Some("0"));
    assert_eq!(emulator.requests().last().expect("recorded").status, 429);

    let daily = start(EmulatorConfig {
        rate_limit_per_day: 1,
        ..EmulatorConfig::default()
    });
    assert_eq!(api(&daily, "GET", "/account.json", None).status, 200);
    let over_day = api(&daily, "GET", "/account.json", None);
    assert_eq!(over_day.status, 429);
    assert_eq!(over_day.header("x-ratelimit-remaining"), Some("0"));
}

#[test]
fn redirect_fault_injection_sends_everything_elsewhere() {
    let emulator = start(EmulatorConfig::default());
    emulator.redirect_everything_to(Some("http://attacker.test/".to_owned()));
    let redirected = api(&emulator, "GET", "/firms/1001/customers.json?page=2", None);
    assert_eq!(redirected.status, 302);
    assert_eq!(
        redirected.header("location"),
        Some("http://attacker.test/firms/1001/customers.json?page=2")
    );
    emulator.redirect_everything_to(None);
    assert_eq!(api(&emulator, "GET", "/account.json", None).status, 200);
}

#[test]
fn orders_list_links_to_real_pdfs() {
    let emulator = start(EmulatorConfig::default());
    let orders = api(&emulator, "GET", "/firms/1002/orders.json", None).json();
    let first = &orders[0];
    assert_eq!(first["title"], "Abonnement Entreprise - 12 mois");
    assert_eq!(first["amount"], 48.0);
    assert_eq!(first["refunded"], false);
    let url = first["invoice_url"].as_str().expect("url");
    assert!(
        url.starts_with("/firms/1002/orders/") && url.ends_with(".pdf"),
        "{url}"
    );

    let pdf = api(&emulator, "GET", url, None);
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.header("content-type"), Some("application/pdf"));
    assert!(pdf.body.starts_with(b"%PDF-1.4"));
    assert!(pdf.body.ends_with(b"%%EOF\n"));

    let other_firm = api(&emulator, "GET", &url.replace("/1002/", "/1001/"), None);
    assert_eq!(other_firm.status, 404);
}

#[test]
fn unknown_routes_and_methods() {
    let emulator = start(EmulatorConfig::default());
    let missing = api(&emulator, "GET", "/firms/1001/nothing.json", None);
    assert_eq!(missing.status, 404);
    assert!(missing.json()["errors"].is_string());
    let wrong_method = api(&emulator, "PUT", "/firms/1001/customers.json", None);
    assert_eq!(wrong_method.status, 405);
    assert!(wrong_method.json()["errors"].is_string());
}

#[test]
fn separate_emulators_have_separate_ports_and_data() {
    let first = start(EmulatorConfig::default());
    let second = start(EmulatorConfig {
        firms: vec![(7, "Solo".to_owned())],
        seed_demo_data: true,
        ..EmulatorConfig::default()
    });
    assert_ne!(first.port(), second.port());
    assert_eq!(
        first.base_url(),
        format!("http://127.0.0.1:{}", first.port())
    );
    assert_eq!(second.customers(7).len(), 5);
    assert!(second.customers(1001).is_empty());
    let port = first.port();
    drop(first);
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "port released on drop"
    );
}

#[test]
fn the_handle_can_be_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Emulator>();
    assert_send_sync::<super::RecordedRequest>();
}

// Resources beyond customers, one module per area, and fault injection; they reuse the
// client above.
mod accounts;
mod faults;
mod files;
mod records;
mod sales;

/// A started emulator without demo data, for tests that build their own records.
fn empty() -> Emulator {
    start(EmulatorConfig::without_demo_data())
}

/// The `id` of a JSON reply.
fn id_of(reply: &Reply) -> u64 {
    reply.json()["id"].as_u64().unwrap_or_else(|| {
        panic!(
            "no id in ({}) {}",
            reply.status,
            String::from_utf8_lossy(&reply.body)
        )
    })
}

/// A `POST` of `body` that must create the record (201).
fn created(emulator: &Emulator, target: &str, body: Value) -> Reply {
    let reply = api(emulator, "POST", target, Some(body));
    assert_eq!(
        reply.status,
        201,
        "{target}: {}",
        String::from_utf8_lossy(&reply.body)
    );
    reply
}

/// The field errors of a reply that must be a 422.
fn field_errors(reply: &Reply) -> Value {
    assert_eq!(
        reply.status,
        422,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    reply.json()["errors"].clone()
}

/// The ids of a JSON list reply, in order.
fn ids(reply: &Reply) -> Vec<u64> {
    reply
        .json()
        .as_array()
        .expect("a list")
        .iter()
        .map(|record| record["id"].as_u64().expect("an id"))
        .collect()
}
