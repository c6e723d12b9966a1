//! Resources, prompts and completions through the real binary, for a handshake-era client
//! (initialize 2025-11-25) and a 2026-07-28 client (per-request `_meta`), and through the
//! official MCP Python SDK over stdio and Streamable HTTP (tests/sdk/python_library_client.py).
//!
//! Each test checks what the client got and what the emulator recorded: reads and
//! completions reach the API through the same client as the tools, fixed content reaches
//! nothing, and a refused URI leaves both the API and the disk untouched.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::PathBuf;

use base64::Engine as _;
use base64::prelude::BASE64_STANDARD;
use facturation_pro_emulator::emulator::{Emulator, EmulatorConfig, RecordedRequest};
use facturation_pro_emulator::harness::{
    McpServer, SdkTransport, ServerSetup, assert_route, run_sdk_script,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tempfile::TempDir;

const MODERN: &str = "2026-07-28";
const LEGACY: &str = "2025-11-25";
const FIRM: u64 = 1001;

const INVALID_PARAMS: i64 = -32602;
const LEGACY_RESOURCE_NOT_FOUND: i64 = -32002;

const PROMPTS: [&str; 5] = [
    "invoice_customer",
    "chase_unpaid_invoices",
    "quote_to_paid_invoice",
    "record_purchase_with_receipt",
    "month_end_summary",
];
const RECORD_KINDS: [(&str, &str); 6] = [
    ("invoices", "invoice_id"),
    ("quotes", "quote_id"),
    ("customers", "customer_id"),
    ("suppliers", "supplier_id"),
    ("purchases", "purchase_id"),
    ("products", "product_id"),
];
const CUSTOMERS_TEMPLATE: &str = "facturation-pro://firms/{firm_id}/customers/{customer_id}";

#[derive(Clone, Copy, PartialEq, Debug)]
enum Era {
    Legacy,
    Modern,
}

const ERAS: [Era; 2] = [Era::Legacy, Era::Modern];

/// The ids of what the emulator was seeded with.
struct Seeded {
    acme: u64,
    acme_bis: u64,
    friends_of_acme: u64,
    invoice: u64,
}

/// An emulator with a few customers and one invoice, a server on stdio speaking `era`, and
/// the home folder holding the downloads folder (and, beside it, a file no URI may reach).
struct World {
    era: Era,
    emulator: Emulator,
    server: McpServer,
    home: TempDir,
    seeded: Seeded,
}

impl World {
    fn new(era: Era) -> Self {
        let emulator =
            Emulator::start(EmulatorConfig::without_demo_data()).expect("start the emulator");
        let seeded = seed(&emulator);
        let home = tempfile::tempdir().expect("a temporary home");
        fs::create_dir_all(home.path().join("downloads")).unwrap();
        fs::write(home.path().join("secret.txt"), "not for the model").unwrap();
        let setup = ServerSetup::against(&emulator.base_url(), &home.path().join("downloads"));
        let mut server = McpServer::spawn(&setup);
        if era == Era::Legacy {
            server.initialize(LEGACY);
        }
        emulator.clear_requests();
        Self {
            era,
            emulator,
            server,
            home,
            seeded,
        }
    }

    fn downloads(&self) -> PathBuf {
        self.home.path().join("downloads")
    }

    /// Sends a request as this era's client does; the whole response.
    fn request(&mut self, method: &str, mut params: Value) -> Value {
        if self.era == Era::Modern {
            params["_meta"] = json!({
                "io.modelcontextprotocol/protocolVersion": MODERN,
                "io.modelcontextprotocol/clientCapabilities": {},
            });
        }
        self.server.request(method, params)
    }

    /// A request that must succeed; its result, checked to be complete for a modern client.
    fn result(&mut self, method: &str, params: Value) -> Value {
        let response = self.request(method, params.clone());
        assert!(
            response.get("error").is_none(),
            "{method} {params} failed: {response}"
        );
        let result = response["result"].clone();
        match self.era {
            Era::Modern => assert_eq!(result["resultType"], "complete", "{result}"),
            Era::Legacy => assert!(result.get("resultType").is_none(), "{result}"),
        }
        result
    }

    /// A request that must fail; its error's code, message and data.
    fn error(&mut self, method: &str, params: Value) -> (i64, String, Value) {
        let response = self.request(method, params.clone());
        let error = &response["error"];
        let code = error["code"]
            .as_i64()
            .unwrap_or_else(|| panic!("{method} {params} did not fail: {response}"));
        let message = error["message"].as_str().unwrap_or_default().to_string();
        (code, message, error["data"].clone())
    }

    fn read(&mut self, uri: &str) -> Value {
        self.result("resources/read", json!({ "uri": uri }))
    }

    /// Completes a prompt's name argument (`customer`, `supplier`) from what was typed; the
    /// `completion`, checked to have cost exactly one lookup of `plural` (`customers`,
    /// `suppliers`) filtered by what was typed, or unfiltered when nothing was.
    fn complete_name(&mut self, prompt: &str, argument: &str, typed: &str, plural: &str) -> Value {
        let result = self.result(
            "completion/complete",
            json!({ "ref": { "type": "ref/prompt", "name": prompt },
                    "argument": { "name": argument, "value": typed } }),
        );
        let requests = self.take_requests();
        assert_eq!(requests.len(), 1, "{requests:#?}");
        assert_route(&requests[0], "GET", &format!("/firms/{FIRM}/{plural}.json"));
        let filter = (!typed.is_empty()).then_some(typed);
        assert_eq!(
            requests[0].query_param("company"),
            filter,
            "{:?}",
            requests[0].query
        );
        result["completion"].clone()
    }

    /// Everything the emulator received since the last look, which it then forgets.
    fn take_requests(&self) -> Vec<RecordedRequest> {
        let requests = self.emulator.requests();
        self.emulator.clear_requests();
        requests
    }

    fn assert_api_untouched(&self) {
        let requests = self.emulator.requests();
        assert!(requests.is_empty(), "nothing may be sent: {requests:#?}");
    }

    /// Downloads the invoice's PDF; the `resource_link` URI the tool returned and the name
    /// of the file it saved.
    fn download_invoice(&mut self) -> (String, String) {
        let invoice = self.seeded.invoice;
        let result = self.result(
            "tools/call",
            json!({ "name": "download_invoice_pdf", "arguments": { "invoice_id": invoice } }),
        );
        assert_eq!(result["isError"], false, "{result}");
        let link = result["content"]
            .as_array()
            .unwrap()
            .iter()
            .find(|item| item["type"] == "resource_link")
            .unwrap_or_else(|| panic!("no resource link: {result}"))
            .clone();
        self.take_requests();
        (
            link["uri"].as_str().unwrap().to_string(),
            link["name"].as_str().unwrap().to_string(),
        )
    }
}

/// Customers or suppliers (`resource` as in the URL) stored directly in the emulator under
/// these company names, without any API request; their ids, in the same order.
fn insert_parties(emulator: &Emulator, resource: &str, names: &[&str]) -> Vec<u64> {
    names
        .iter()
        .map(|name| emulator.insert_record(FIRM, resource, json!({ "company_name": name })))
        .collect()
}

fn seed(emulator: &Emulator) -> Seeded {
    let [acme, friends_of_acme, acme_bis, _zeta] = insert_parties(
        emulator,
        "customers",
        &["Acme SAS", "Les Amis d'Acme", "ACME Bis", "Zeta SARL"],
    )[..] else {
        unreachable!("four names, four ids")
    };
    let line = json!({ "title": "Conseil", "quantity": 3, "unit_price": 600, "vat": 20 });
    let invoice = emulator.insert_record(
        FIRM,
        "invoices",
        json!({ "customer_id": acme, "title": "Mission", "invoiced_on": "2025-10-06", "items": [line] }),
    );
    emulator.clear_requests();
    Seeded {
        acme,
        acme_bis,
        friends_of_acme,
        invoice,
    }
}

/// The one content of a read, as text.
fn text_of(result: &Value) -> Value {
    let contents = result["contents"].as_array().expect("contents");
    assert_eq!(contents.len(), 1, "{result}");
    assert_eq!(contents[0]["mimeType"], "application/json", "{result}");
    serde_json::from_str(contents[0]["text"].as_str().expect("text")).expect("JSON text")
}

fn assert_cache_hints(world: &World, result: &Value, scope: &str) {
    match world.era {
        Era::Modern => {
            assert_eq!(result["cacheScope"], scope, "{result}");
            assert!(result["ttlMs"].is_u64(), "{result}");
        }
        Era::Legacy => {
            assert!(result.get("cacheScope").is_none() && result.get("ttlMs").is_none());
        }
    }
}

#[test]
fn both_eras_are_told_about_resources_prompts_and_completions() {
    let emulator = Emulator::start(EmulatorConfig::without_demo_data()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let setup = ServerSetup::against(&emulator.base_url(), &home.path().join("downloads"));
    let capabilities = McpServer::spawn(&setup).initialize(LEGACY)["capabilities"].clone();
    assert_eq!(capabilities["resources"], json!({ "listChanged": false }));
    assert_eq!(capabilities["prompts"], json!({ "listChanged": false }));
    assert_eq!(capabilities["completions"], json!({}));
    // The capability arrived with 2025-03-26.
    let oldest = McpServer::spawn(&setup).initialize("2024-11-05")["capabilities"].clone();
    assert!(oldest.get("completions").is_none(), "{oldest}");
    assert!(emulator.requests().is_empty());

    let mut modern = World::new(Era::Modern);
    let discovered = modern.result("server/discover", json!({}));
    for capability in ["resources", "prompts", "completions", "tools"] {
        assert_eq!(
            discovered["capabilities"][capability],
            json!({}),
            "{discovered}"
        );
    }
    modern.assert_api_untouched();
}

#[test]
fn lists_show_the_account_the_value_lists_the_templates_and_the_downloaded_files() {
    for era in ERAS {
        let mut world = World::new(era);
        let (link, name) = world.download_invoice();
        // A download in progress is hidden, and so is a link: neither is a finished file.
        fs::write(world.downloads().join(".next.pdf.part"), b"half").unwrap();
        std::os::unix::fs::symlink(
            world.home.path().join("secret.txt"),
            world.downloads().join("link.txt"),
        )
        .unwrap();

        let listed = world.result("resources/list", json!({}));
        assert_cache_hints(&world, &listed, "private");
        let resources = listed["resources"].as_array().unwrap();
        let uris: Vec<&str> = resources
            .iter()
            .map(|resource| resource["uri"].as_str().unwrap())
            .collect();
        assert_eq!(uris[0], "facturation-pro://account", "{uris:?}");
        for slug in [
            "currencies",
            "payment-terms",
            "sale-payment-modes",
            "invoice-filters",
        ] {
            assert!(
                uris.contains(&format!("facturation-pro://values/{slug}").as_str()),
                "{slug}: {uris:?}"
            );
        }
        assert!(!uris.iter().any(|uri| uri.contains("vat")), "{uris:?}");
        let file = resources
            .iter()
            .find(|resource| resource["uri"] == link)
            .unwrap_or_else(|| panic!("{link} not listed: {uris:?}"));
        assert_eq!(file["name"], name);
        assert_eq!(file["mimeType"], "application/pdf");
        let size = fs::metadata(world.downloads().join(&name)).unwrap().len();
        assert_eq!(file["size"], size);
        assert_eq!(
            uris.iter().filter(|uri| uri.starts_with("file://")).count(),
            1
        );
        assert!(
            resources
                .iter()
                .all(|resource| resource["title"].is_string()
                    || resource["uri"].as_str().unwrap().starts_with("file://"))
        );

        let templates = world.result("resources/templates/list", json!({}));
        assert_cache_hints(&world, &templates, "public");
        let shown: Vec<&str> = templates["resourceTemplates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|template| template["uriTemplate"].as_str().unwrap())
            .collect();
        let expected: Vec<String> = RECORD_KINDS
            .iter()
            .map(|(plural, id)| format!("facturation-pro://firms/{{firm_id}}/{plural}/{{{id}}}"))
            .collect();
        assert_eq!(shown, expected);

        let (code, message, _) = world.error("resources/list", json!({ "cursor": "x" }));
        assert_eq!(code, INVALID_PARAMS, "{message}");
        world.assert_api_untouched();
    }
}

#[test]
fn reads_go_through_the_api_only_for_account_data_and_records() {
    for era in ERAS {
        let mut world = World::new(era);

        let account = world.read("facturation-pro://account");
        assert_cache_hints(&world, &account, "private");
        let firms = text_of(&account)["firms"].clone();
        assert_eq!(firms[0], json!({ "id": 1001, "name": "Atelier Demo SARL" }));
        let requests = world.take_requests();
        assert_eq!(requests.len(), 1, "{requests:#?}");
        assert_route(&requests[0], "GET", "/account.json");

        let terms = world.read("facturation-pro://values/payment-terms");
        assert_cache_hints(&world, &terms, "public");
        let values = text_of(&terms)["values"].clone();
        assert!(
            values
                .as_array()
                .unwrap()
                .contains(&json!({ "value": "30", "meaning": "30 days net from delivery" })),
            "{values}"
        );
        let currencies = text_of(&world.read("facturation-pro://values/currencies"));
        assert!(
            currencies["values"]
                .as_array()
                .unwrap()
                .contains(&json!({ "value": "EUR" }))
        );
        world.assert_api_untouched();

        let invoice = world.seeded.invoice;
        let uri = format!("facturation-pro://firms/{FIRM}/invoices/{invoice}");
        let read = world.read(&uri);
        assert_cache_hints(&world, &read, "private");
        assert_eq!(read["contents"][0]["uri"], uri);
        let record = text_of(&read);
        assert_eq!(record["id"], invoice);
        assert_eq!(record["customer_id"], world.seeded.acme);
        let requests = world.take_requests();
        assert_eq!(requests.len(), 1, "{requests:#?}");
        assert_route(
            &requests[0],
            "GET",
            &format!("/firms/{FIRM}/invoices/{invoice}.json"),
        );

        let customer = world.seeded.acme;
        let record = text_of(&world.read(&format!(
            "facturation-pro://firms/{FIRM}/customers/{customer}"
        )));
        assert_eq!(record["company_name"], "Acme SAS");
        assert_route(
            &world.take_requests()[0],
            "GET",
            &format!("/firms/{FIRM}/customers/{customer}.json"),
        );
    }
}

#[test]
fn unknown_resources_are_not_found_in_each_eras_code_and_bad_ids_send_nothing() {
    for era in ERAS {
        let mut world = World::new(era);
        let not_found = match era {
            Era::Legacy => LEGACY_RESOURCE_NOT_FOUND,
            Era::Modern => INVALID_PARAMS,
        };
        for uri in [
            "facturation-pro://nothing",
            "facturation-pro://values/vat-rates",
            "https://www.facturation.pro/account.json",
        ] {
            let (code, message, data) = world.error("resources/read", json!({ "uri": uri }));
            assert_eq!(code, not_found, "{uri}: {message}");
            assert!(message.starts_with("Resource not found"), "{message}");
            assert_eq!(data["uri"], uri);
        }
        world.assert_api_untouched();

        for (uri, variable) in [
            ("facturation-pro://firms/abc/invoices/1", "firm_id"),
            ("facturation-pro://firms/1001/quotes/0", "quote_id"),
            ("facturation-pro://firms/1001/products/1e3", "product_id"),
        ] {
            let (code, message, _) = world.error("resources/read", json!({ "uri": uri }));
            assert_eq!(code, INVALID_PARAMS, "{uri}: {message}");
            assert!(
                message.contains(&format!("`{variable}` must be a positive integer"))
                    && message.contains("nothing was sent"),
                "{message}"
            );
        }
        world.assert_api_untouched();

        let uri = format!("facturation-pro://firms/{FIRM}/invoices/999999");
        let (code, message, data) = world.error("resources/read", json!({ "uri": uri }));
        assert_eq!(code, not_found, "{message}");
        assert_eq!(data["uri"], uri);
        let requests = world.take_requests();
        assert_route(
            &requests[0],
            "GET",
            &format!("/firms/{FIRM}/invoices/999999.json"),
        );
        assert_eq!(requests[0].status, 404);
    }
}

#[test]
fn a_downloaded_file_reads_back_byte_for_byte_by_its_resource_link() {
    for era in ERAS {
        let mut world = World::new(era);
        let (link, name) = world.download_invoice();
        let read = world.read(&link);
        assert_cache_hints(&world, &read, "private");
        let content = &read["contents"][0];
        assert_eq!(content["uri"], link);
        assert_eq!(content["mimeType"], "application/pdf");
        let bytes = BASE64_STANDARD
            .decode(content["blob"].as_str().expect("a PDF comes as a blob"))
            .unwrap();
        assert_eq!(bytes, fs::read(world.downloads().join(&name)).unwrap());
        assert!(bytes.starts_with(b"%PDF"), "{:?}", &bytes[..8]);

        // Text files come back as text.
        fs::write(
            world.downloads().join("notes.csv"),
            "date;total\n2025-10-06;2160\n",
        )
        .unwrap();
        let csv = format!("{}/notes.csv", link.rsplit_once('/').unwrap().0);
        let read = world.read(&csv);
        assert_eq!(read["contents"][0]["text"], "date;total\n2025-10-06;2160\n");
        assert_eq!(read["contents"][0]["mimeType"], "text/csv");
        world.assert_api_untouched();
    }
}

/// URIs that name something outside the downloads folder, however spelled; `folder_uri` is
/// the folder's own `file://` URI.
fn outside_uris(folder_uri: &str) -> Vec<(String, &'static str)> {
    vec![
        ("file:///etc/passwd".into(), "outside the downloads folder"),
        (format!("{folder_uri}/../secret.txt"), "plainly inside"),
        (format!("{folder_uri}/%2e%2e/secret.txt"), "plainly inside"),
        (
            format!("{folder_uri}/%2E%2E%2Fsecret.txt"),
            "plainly inside",
        ),
        (
            format!("{folder_uri}x/secret.txt"),
            "outside the downloads folder",
        ),
        (format!("{folder_uri}/.hidden.part"), "plainly inside"),
    ]
}

#[test]
fn uris_outside_the_downloads_folder_are_refused_and_nothing_is_read() {
    for era in ERAS {
        let mut world = World::new(era);
        let (link, _) = world.download_invoice();
        let folder_uri = link.rsplit_once('/').unwrap().0.to_string();
        for (uri, reason) in outside_uris(&folder_uri) {
            let (code, message, _) = world.error("resources/read", json!({ "uri": uri }));
            assert_eq!(code, INVALID_PARAMS, "{uri}: {message}");
            assert!(
                message.contains(reason) && message.contains("nothing was read"),
                "{uri}: {message}"
            );
            assert!(!message.contains("not for the model"), "{message}");
        }

        // A link inside the folder to a file outside it is not followed.
        std::os::unix::fs::symlink(
            world.home.path().join("secret.txt"),
            world.downloads().join("innocent.txt"),
        )
        .unwrap();
        let (code, message, _) = world.error(
            "resources/read",
            json!({ "uri": format!("{folder_uri}/innocent.txt") }),
        );
        assert_eq!(code, INVALID_PARAMS, "{message}");
        assert!(message.contains("not a regular file"), "{message}");

        let (code, message, _) = world.error(
            "resources/read",
            json!({ "uri": format!("{folder_uri}/missing.pdf") }),
        );
        let not_found = match era {
            Era::Legacy => LEGACY_RESOURCE_NOT_FOUND,
            Era::Modern => INVALID_PARAMS,
        };
        assert_eq!(code, not_found, "{message}");
        assert!(message.contains("does not exist"), "{message}");
        world.assert_api_untouched();
    }
}

#[test]
fn prompts_are_listed_and_rendered_with_their_arguments_checked() {
    for era in ERAS {
        let mut world = World::new(era);
        let listed = world.result("prompts/list", json!({}));
        assert_cache_hints(&world, &listed, "public");
        let prompts = listed["prompts"].as_array().unwrap();
        let names: Vec<&str> = prompts
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, PROMPTS);
        for prompt in prompts {
            assert!(
                prompt["title"].as_str().unwrap().contains(" / "),
                "{prompt}"
            );
            assert!(prompt["description"].is_string(), "{prompt}");
        }

        let got = world.result(
            "prompts/get",
            json!({ "name": "invoice_customer", "arguments": { "customer": "Acme", "firm_id": "1002" } }),
        );
        let message = &got["messages"][0];
        assert_eq!(message["role"], "user");
        let text = message["content"]["text"].as_str().unwrap();
        for tool in [
            "list_customers",
            "create_invoice",
            "update_invoice",
            "send_invoice_email",
        ] {
            assert!(text.contains(&format!("`{tool}`")), "{tool}: {text}");
        }
        assert!(
            text.contains("`firm_id: 1002`") && text.contains("go-ahead"),
            "{text}"
        );

        let month = world.result(
            "prompts/get",
            json!({ "name": "month_end_summary", "arguments": { "month": "2025-10" } }),
        );
        let text = month["messages"][0]["content"]["text"].as_str().unwrap();
        assert!(
            text.contains("`list_purchases`") && text.contains("2025-10"),
            "{text}"
        );

        for (params, expected) in [
            (
                json!({ "name": "invoice_customer", "arguments": {} }),
                "needs the argument `customer`",
            ),
            (
                json!({ "name": "month_end_summary", "arguments": { "month": "2025-13" } }),
                "YYYY-MM",
            ),
            (
                json!({ "name": "invoice_customer", "arguments": { "customer": 7 } }),
                "strings",
            ),
            (
                json!({ "name": "no_such_prompt" }),
                "Unknown prompt: no_such_prompt",
            ),
        ] {
            let (code, message, _) = world.error("prompts/get", params.clone());
            assert_eq!(code, INVALID_PARAMS, "{params}: {message}");
            assert!(message.contains(expected), "{params}: {message}");
        }
        world.assert_api_untouched();
    }
}

/// The sentence closing every prompt that can lead to irreversible actions.
const GO_AHEAD: &str = "Never make an invoice final (finalising a draft, creating one without \
    `type_doc: \"draft\"`, converting a quote), email anything, issue a credit note or delete \
    anything without my explicit go-ahead for that very action.";

/// What each prompt says must wait for the user's go-ahead, or that it changes nothing, in
/// its own words (guest/src/library/prompts.rs).
const CONFIRMATIONS: [(&str, &[&str]); 5] = [
    (
        "invoice_customer",
        &[
            "Only once I confirm, finalise it with `update_invoice`",
            "only if I say yes, send it with `send_invoice_email`",
            "(`create_invoice_refund`, which also needs my go-ahead)",
            GO_AHEAD,
        ],
    ),
    (
        "chase_unpaid_invoices",
        &[
            "`create_settlement` (date, mode, amount) after I confirm the figures",
            "Send a reminder with `send_invoice_email` (its `subject` and `message`) only after \
             I approve that customer's text",
            GO_AHEAD,
        ],
    ),
    (
        "quote_to_paid_invoice",
        &[
            "only once I confirm, turn it into an invoice with `convert_quote_to_invoice`",
            "only once I confirm, finalise it with `update_invoice`",
            "Ask me before emailing it with `send_invoice_email`",
            GO_AHEAD,
        ],
    ),
    (
        "record_purchase_with_receipt",
        &[
            "Show me the figures before saving",
            "do not delete the purchase (`delete_purchase`) without my explicit go-ahead",
        ],
    ),
    (
        "month_end_summary",
        &[
            "Read only: change nothing",
            "each irreversible step needs my go-ahead",
        ],
    ),
];

/// A plausible value for a prompt argument.
fn sample_value(argument: &str) -> &'static str {
    match argument {
        "month" => "2025-10",
        "firm_id" => "1002",
        "customer" => "Acme SAS",
        "supplier" => "Fournil Dupont",
        "quote" => "D-2025-014",
        "receipt" => "receipts/taxi.pdf",
        _ => "Exemple",
    }
}

/// Every tool of `tools/list`, all pages, by name.
fn listed_tools(world: &mut World) -> BTreeMap<String, Value> {
    let mut tools = BTreeMap::new();
    let mut cursor = None;
    loop {
        let params = match &cursor {
            Some(cursor) => json!({ "cursor": cursor }),
            None => json!({}),
        };
        let page = world.result("tools/list", params);
        for tool in page["tools"].as_array().unwrap() {
            tools.insert(tool["name"].as_str().unwrap().to_string(), tool.clone());
        }
        match page["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return tools,
        }
    }
}

/// Words of `text` written like our tool names: one of the verbs the tool names start with
/// (`list`, `get`, `create`...), an underscore, more lower-case words.
fn tool_like_names<'a>(text: &'a str, verbs: &BTreeSet<&str>) -> BTreeSet<&'a str> {
    text.split(|c: char| !(c.is_ascii_lowercase() || c == '_'))
        .filter(|word| {
            word.split_once('_')
                .is_some_and(|(verb, rest)| verbs.contains(verb) && !rest.is_empty())
        })
        .collect()
}

/// The required arguments of a listed prompt.
fn required_arguments(prompt: &Value) -> Vec<&str> {
    prompt["arguments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|argument| argument["required"] == true)
        .map(|argument| argument["name"].as_str().unwrap())
        .collect()
}

#[test]
fn every_listed_prompt_renders_naming_real_tools_and_what_waits_for_the_go_ahead() {
    for era in ERAS {
        let mut world = World::new(era);
        let tools = listed_tools(&mut world);
        let verbs: BTreeSet<&str> = tools
            .keys()
            .map(|name| name.split_once('_').expect("verb_object").0)
            .collect();
        let prompts = world.result("prompts/list", json!({}))["prompts"].clone();
        let prompts = prompts.as_array().unwrap();
        assert_eq!(prompts.len(), PROMPTS.len(), "{prompts:#?}");

        for prompt in prompts {
            let name = prompt["name"].as_str().unwrap();
            // Only what is required: the rendering must stand without the rest.
            let required = required_arguments(prompt);
            let arguments: serde_json::Map<String, Value> = required
                .iter()
                .map(|argument| (argument.to_string(), json!(sample_value(argument))))
                .collect();
            let got = world.result(
                "prompts/get",
                json!({ "name": name, "arguments": arguments }),
            );
            assert_eq!(got["description"], prompt["description"], "{got}");
            let messages = got["messages"].as_array().unwrap();
            assert_eq!(messages.len(), 1, "{got}");
            assert_eq!(messages[0]["role"], "user", "{got}");
            assert_eq!(messages[0]["content"]["type"], "text", "{got}");
            let text = messages[0]["content"]["text"].as_str().unwrap();
            for argument in &required {
                assert!(
                    text.contains(sample_value(argument)),
                    "{name}: `{argument}` missing from {text}"
                );
            }
            assert!(text.contains("configured firm"), "{name}: {text}");

            // Every tool the text names is one the server offers, written as code.
            let named = tool_like_names(text, &verbs);
            assert!(named.len() >= 3, "{name} names too few tools: {named:?}");
            for tool in &named {
                assert!(
                    tools.contains_key(*tool),
                    "{name} names `{tool}`, which tools/list does not offer"
                );
                assert!(text.contains(&format!("`{tool}`")), "{name}: {tool}");
            }

            // What needs the user's confirmation is said: a prompt naming a tool that can do
            // what cannot be undone (`destructiveHint`) asks for an explicit go-ahead, one
            // naming only reading tools says it changes nothing; and each its own steps.
            let irreversible: Vec<&&str> = named
                .iter()
                .filter(|tool| tools[**tool]["annotations"]["destructiveHint"] == true)
                .collect();
            if irreversible.is_empty() {
                assert!(
                    named
                        .iter()
                        .all(|tool| tools[*tool]["annotations"]["readOnlyHint"] == true),
                    "{name}: {named:?}"
                );
                assert!(text.contains("Read only"), "{name}: {text}");
            } else {
                assert!(
                    text.contains("without my explicit go-ahead"),
                    "{name} names {irreversible:?}: {text}"
                );
            }
            let (_, said) = CONFIRMATIONS
                .iter()
                .find(|(prompt, _)| *prompt == name)
                .unwrap_or_else(|| panic!("{name}: say what it must ask confirmation for"));
            for words in *said {
                assert!(
                    text.contains(words),
                    "{name}: {words:?} missing from {text}"
                );
            }
        }
        world.assert_api_untouched();
    }
}

#[test]
fn a_prompt_without_a_required_argument_is_refused_naming_it() {
    for era in ERAS {
        let mut world = World::new(era);
        let prompts = world.result("prompts/list", json!({}))["prompts"].clone();
        for prompt in prompts.as_array().unwrap() {
            let name = prompt["name"].as_str().unwrap();
            let required = required_arguments(prompt);
            for missing in &required {
                // The other required arguments are given, and so is the optional firm.
                let mut arguments: serde_json::Map<String, Value> = required
                    .iter()
                    .filter(|argument| argument != &missing)
                    .map(|argument| (argument.to_string(), json!(sample_value(argument))))
                    .collect();
                arguments.insert("firm_id".into(), json!("1001"));
                let mut blank = arguments.clone();
                blank.insert(missing.to_string(), json!("   "));
                for arguments in [arguments, blank] {
                    let params = json!({ "name": name, "arguments": arguments });
                    let (code, message, _) = world.error("prompts/get", params.clone());
                    assert_eq!(code, INVALID_PARAMS, "{params}: {message}");
                    assert!(
                        message.contains(&format!("prompt {name} needs the argument `{missing}`")),
                        "{params}: {message}"
                    );
                }
            }
        }
        world.assert_api_untouched();
    }
}

#[test]
fn a_prompts_supplier_completes_to_supplier_names_by_prefix() {
    for era in ERAS {
        let mut world = World::new(era);
        let prompt = "record_purchase_with_receipt";
        insert_parties(
            &world.emulator,
            "suppliers",
            &[
                "Les Fournisseurs Réunis",
                "Zeta Transport",
                "Fournitures Martin",
                "FOURNIL Dupont",
            ],
        );

        let completion = world.complete_name(prompt, "supplier", "four", "suppliers");
        // Names starting with what was typed first, whatever its case, then those merely
        // containing it; each group in the API's order (by short name). No customer name.
        assert_eq!(
            completion["values"],
            json!([
                "FOURNIL Dupont",
                "Fournitures Martin",
                "Les Fournisseurs Réunis"
            ]),
            "{completion}"
        );
        assert_eq!(completion["total"], 3);
        assert_eq!(completion["hasMore"], false);

        let everyone = world.complete_name(prompt, "supplier", "", "suppliers");
        assert_eq!(
            everyone["values"].as_array().unwrap().len(),
            4,
            "{everyone}"
        );
        let none = world.complete_name(prompt, "supplier", "acme", "suppliers");
        assert_eq!(none["values"], json!([]), "{none}");

        // The name picked is what the prompt then carries.
        let got = world.result(
            "prompts/get",
            json!({ "name": prompt, "arguments": { "supplier": completion["values"][0] } }),
        );
        let text = got["messages"][0]["content"]["text"].as_str().unwrap();
        assert!(text.contains("\"FOURNIL Dupont\""), "{text}");

        // Only the prompts taking a supplier complete one.
        let (code, message, _) = world.error(
            "completion/complete",
            json!({ "ref": { "type": "ref/prompt", "name": "invoice_customer" },
                    "argument": { "name": "supplier", "value": "four" } }),
        );
        assert_eq!(code, INVALID_PARAMS, "{message}");
        assert!(message.contains("`supplier`"), "{message}");
        world.assert_api_untouched();
    }
}

#[test]
fn completions_look_names_and_ids_up_through_the_api() {
    for era in ERAS {
        let mut world = World::new(era);
        let prompt_ref = json!({ "type": "ref/prompt", "name": "invoice_customer" });

        let completion = world.complete_name("invoice_customer", "customer", "acm", "customers");
        // Names starting with what was typed first, then those merely containing it, each
        // group in the API's order (by short name).
        assert_eq!(
            completion["values"],
            json!(["ACME Bis", "Acme SAS", "Les Amis d'Acme"]),
            "{completion}"
        );
        assert_eq!(completion["total"], 3);
        assert_eq!(completion["hasMore"], false);

        let ids = world.result(
            "completion/complete",
            json!({ "ref": { "type": "ref/resource", "uri": CUSTOMERS_TEMPLATE },
                    "argument": { "name": "customer_id", "value": "Acme" },
                    "context": { "arguments": { "firm_id": "1001" } } }),
        );
        let seeded = &world.seeded;
        assert_eq!(
            ids["completion"]["values"],
            json!([
                seeded.acme_bis.to_string(),
                seeded.acme.to_string(),
                seeded.friends_of_acme.to_string()
            ])
        );
        let requests = world.take_requests();
        assert_eq!(requests[0].query_param("company"), Some("Acme"));

        // Nothing typed yet: the first page, unfiltered.
        let everyone = world.complete_name("invoice_customer", "customer", "", "customers");
        assert_eq!(everyone["values"].as_array().unwrap().len(), 4);

        let firms = world.result(
            "completion/complete",
            json!({ "ref": prompt_ref, "argument": { "name": "firm_id", "value": "" } }),
        );
        assert_eq!(firms["completion"]["values"], json!(["1001", "1002"]));
        let second = world.result(
            "completion/complete",
            json!({ "ref": prompt_ref, "argument": { "name": "firm_id", "value": "second" } }),
        );
        assert_eq!(second["completion"]["values"], json!(["1002"]));
        let requests = world.take_requests();
        assert!(
            requests
                .iter()
                .all(|request| request.path == "/account.json"),
            "{requests:#?}"
        );
        assert_eq!(requests.len(), 2);

        for params in [
            json!({ "ref": { "type": "ref/prompt", "name": "nope" },
                    "argument": { "name": "customer", "value": "" } }),
            json!({ "ref": { "type": "ref/resource", "uri": "facturation-pro://nope/{x}" },
                    "argument": { "name": "x", "value": "" } }),
            json!({ "ref": { "type": "ref/other" }, "argument": { "name": "x", "value": "" } }),
            json!({ "ref": prompt_ref, "argument": { "name": "colour", "value": "" } }),
            json!({ "ref": { "type": "ref/resource", "uri": CUSTOMERS_TEMPLATE },
                    "argument": { "name": "customer_id", "value": "a" },
                    "context": { "arguments": { "firm_id": "x" } } }),
        ] {
            let (code, message, _) = world.error("completion/complete", params.clone());
            assert_eq!(code, INVALID_PARAMS, "{params}: {message}");
        }
        world.assert_api_untouched();
    }
}

#[test]
fn a_2025_03_26_client_sees_no_titles() {
    let emulator = Emulator::start(EmulatorConfig::without_demo_data()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let setup = ServerSetup::against(&emulator.base_url(), &home.path().join("downloads"));
    let mut server = McpServer::spawn(&setup);
    server.initialize("2025-03-26");
    for (method, field) in [
        ("resources/list", "resources"),
        ("resources/templates/list", "resourceTemplates"),
        ("prompts/list", "prompts"),
    ] {
        let result = server.request(method, json!({}))["result"].clone();
        for item in result[field].as_array().unwrap() {
            assert!(item.get("title").is_none(), "{method}: {item}");
            for argument in item["arguments"].as_array().into_iter().flatten() {
                assert!(argument.get("title").is_none(), "{argument}");
            }
        }
        assert!(result.get("ttlMs").is_none(), "{result}");
    }
}

// The official Python SDK as the client.

#[test]
fn python_sdk_stdio_legacy() {
    python_session(SdkTransport::Stdio, "legacy", LEGACY);
}

#[test]
fn python_sdk_stdio_modern() {
    python_session(SdkTransport::Stdio, MODERN, MODERN);
}

#[test]
fn python_sdk_http_legacy() {
    python_session(SdkTransport::Http, "legacy", LEGACY);
}

#[test]
fn python_sdk_http_modern() {
    python_session(SdkTransport::Http, MODERN, MODERN);
}

/// Runs python_library_client.py against a fresh emulator and checks its report against
/// the emulator and the downloads folder.
fn python_session(transport: SdkTransport, mode: &str, expected_version: &str) {
    let emulator =
        Emulator::start(EmulatorConfig::without_demo_data()).expect("start the emulator");
    let seeded = seed(&emulator);
    let home = tempfile::tempdir().expect("a temporary home");
    let downloads = home.path().join("downloads");
    fs::create_dir_all(&downloads).unwrap();
    fs::write(home.path().join("secret.txt"), "not for the model").unwrap();
    let setup = ServerSetup::against(&emulator.base_url(), &downloads);

    let folder_uri = format!("file://{}", downloads.display());
    let outside: Vec<String> = outside_uris(&folder_uri)
        .into_iter()
        .map(|(uri, _)| uri)
        .collect();
    let spec = json!({ "mode": mode, "invoice_id": seeded.invoice, "outside_uris": outside });
    let summary = run_sdk_script(
        "python_library_client.py",
        transport,
        &setup,
        home.path(),
        spec,
    );

    assert_eq!(summary["protocol_version"], expected_version, "{summary}");
    if mode == "legacy" {
        let offered = json!({ "resources": true, "prompts": true, "completions": true });
        assert_eq!(summary["capabilities"], offered, "{summary}");
    }
    let uris = summary["resource_uris"].as_array().unwrap();
    assert_eq!(uris[0], "facturation-pro://account", "{summary}");
    assert!(
        uris.contains(&json!("facturation-pro://values/payment-terms")),
        "{summary}"
    );
    assert_eq!(
        summary["template_uris"].as_array().unwrap().len(),
        RECORD_KINDS.len()
    );
    assert_eq!(summary["firm_ids"], json!([1001, 1002]), "{summary}");
    assert!(
        summary["payment_terms"]
            .as_array()
            .unwrap()
            .contains(&json!("30")),
        "{summary}"
    );
    assert_eq!(
        summary["invoice"],
        json!({ "id": seeded.invoice, "customer_id": seeded.acme }),
        "{summary}"
    );

    // The file the tool saved, as the SDK decoded it, is the file on disk.
    let link = summary["link"].as_str().unwrap();
    let name = link.rsplit('/').next().unwrap();
    let on_disk = fs::read(downloads.join(name)).expect("the saved file");
    assert_eq!(
        summary["file_sha256"],
        format!("{:x}", Sha256::digest(&on_disk)),
        "{summary}"
    );
    assert_eq!(summary["link_mime_type"], "application/pdf");

    let refusals = summary["refusals"].as_object().unwrap();
    assert_eq!(refusals.len(), outside.len(), "{summary}");
    for (uri, refusal) in refusals {
        assert_eq!(refusal["code"], INVALID_PARAMS, "{uri}: {refusal}");
        assert!(
            refusal["message"]
                .as_str()
                .unwrap()
                .contains("nothing was read"),
            "{uri}: {refusal}"
        );
    }
    let not_found = if mode == "legacy" {
        LEGACY_RESOURCE_NOT_FOUND
    } else {
        INVALID_PARAMS
    };
    assert_eq!(summary["missing_record"]["code"], not_found, "{summary}");

    assert_eq!(summary["prompt_names"], json!(PROMPTS), "{summary}");
    assert!(
        summary["prompt_titles"][0]
            .as_str()
            .unwrap()
            .contains(" / "),
        "{summary}"
    );
    assert!(
        summary["prompt_text"]
            .as_str()
            .unwrap()
            .contains("`create_invoice`"),
        "{summary}"
    );
    assert_eq!(
        summary["missing_argument"]["code"], INVALID_PARAMS,
        "{summary}"
    );
    assert_eq!(
        summary["completed_names"],
        json!(["ACME Bis", "Acme SAS", "Les Amis d'Acme"]),
        "{summary}"
    );
    assert_eq!(
        summary["completed_ids"],
        json!([
            seeded.acme_bis.to_string(),
            seeded.acme.to_string(),
            seeded.friends_of_acme.to_string()
        ]),
        "{summary}"
    );

    // What reached the API: reads of the account and the records, the PDF, the two
    // completions' lookups with what was typed; no write at all.
    let requests = emulator.requests();
    assert!(
        requests.iter().all(|request| request.method == "GET"),
        "{requests:#?}"
    );
    let lookups: Vec<Option<&str>> = requests
        .iter()
        .filter(|request| request.path == format!("/firms/{FIRM}/customers.json"))
        .map(|request| request.query_param("company"))
        .collect();
    assert_eq!(lookups, [Some("Acm"), Some("acm")], "{requests:#?}");
    for path in [
        "/account.json".to_string(),
        format!("/firms/{FIRM}/invoices/{}.json", seeded.invoice),
        format!("/firms/{FIRM}/invoices/{}.pdf", seeded.invoice),
    ] {
        assert!(
            requests.iter().any(|request| request.path == path),
            "{path}: {requests:#?}"
        );
    }
    assert!(fs::read_to_string(home.path().join("secret.txt")).unwrap() == "not for the model");
}
