//! The tool catalogue as a public interface: every tool the issue tracker promised exists
//! under its exact name, every documented API route has a tool, the annotations say what
//! each tool does, and README's catalogue matches what the server lists.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use facturation_pro_emulator::emulator::{Emulator, EmulatorConfig};
use facturation_pro_emulator::harness::{McpServer, ServerSetup, tool_sizes};
use serde_json::{Value, json};

/// The catalogue users and clients rely on: renaming any of these breaks them.
const PUBLIC_TOOL_NAMES: &[&str] = &[
    "get_account",
    "list_subscription_orders",
    "download_subscription_order_pdf",
    "list_customers",
    "create_customer",
    "get_customer",
    "update_customer",
    "delete_customer",
    "archive_customer",
    "unarchive_customer",
    "list_customer_quotes",
    "list_customer_invoices",
    "upload_customer_file",
    "list_categories",
    "create_category",
    "get_category",
    "update_category",
    "delete_category",
    "list_quotes",
    "create_quote",
    "get_quote",
    "update_quote",
    "delete_quote",
    "update_quote_status",
    "download_quote_pdf",
    "convert_quote_to_invoice",
    "send_quote_email",
    "upload_quote_file",
    "list_invoices",
    "create_invoice",
    "get_invoice",
    "update_invoice",
    "delete_invoice",
    "download_invoice_pdf",
    "create_invoice_refund",
    "send_invoice_email",
    "upload_invoice_file",
    "list_recurring_invoices",
    "get_recurring_invoice",
    "list_invoice_settlements",
    "create_settlement",
    "get_settlement",
    "delete_settlement",
    "list_quote_files",
    "list_invoice_files",
    "list_customer_files",
    "list_purchase_files",
    "download_file",
    "delete_file",
    "list_suppliers",
    "create_supplier",
    "get_supplier",
    "update_supplier",
    "delete_supplier",
    "list_products",
    "create_product",
    "get_product",
    "update_product",
    "delete_product",
    "list_followups",
    "create_followup",
    "get_followup",
    "update_followup",
    "delete_followup",
    "list_purchases",
    "create_purchase",
    "get_purchase",
    "update_purchase",
    "delete_purchase",
    "upload_purchase_file",
    "list_recurring_purchases",
    "get_recurring_purchase",
];

/// Tools that cannot be taken back: they delete, cancel, send or finalise.
/// Tools besides deletes that cannot be undone, at least with some arguments: each asks the
/// user first (creating or finalising a final invoice, a credit note, an email).
const DESTRUCTIVE: &[&str] = &[
    "create_invoice",
    "convert_quote_to_invoice",
    "create_invoice_refund",
    "send_quote_email",
    "send_invoice_email",
    "update_invoice",
];

/// An edit of a draft changes nothing more when repeated; only finalising is one-way.
const IDEMPOTENT_UPDATES: &[&str] = &["update_invoice"];

fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

/// The tools as a real client sees them.
fn listed_tools() -> Vec<Value> {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let mut server = McpServer::spawn(&ServerSetup::against(
        &emulator.base_url(),
        &home.path().join("downloads"),
    ));
    server.initialize("2025-11-25");
    let tools = server.request("tools/list", json!({}))["result"]["tools"]
        .as_array()
        .unwrap()
        .clone();
    assert!(
        emulator.requests().is_empty(),
        "listing tools must not call the API"
    );
    tools
}

/// Ceilings for all 72 tools: what the model reads, and the whole `tools/list` result.
/// Before the definitions were made lean these were 101,786 and 200,638 bytes. The goal for
/// the visible part is 50 KB; what is left is mostly structure (719 typed properties with
/// their bounds take 40 KB), see README "What the model sees". A change that grows them
/// fails here.
const MODEL_VISIBLE_LIMIT: usize = 68_000;
const TOOLS_LIST_LIMIT: usize = 100_000;

#[test]
fn definitions_stay_lean() {
    let tools = listed_tools();
    let sizes = tool_sizes(&tools);
    let (visible, whole) = (sizes.visible, sizes.whole);
    println!(
        "tools/list: {whole} bytes; model-visible {visible}; the rest {}",
        sizes.rest()
    );
    assert!(
        visible <= MODEL_VISIBLE_LIMIT,
        "the model-visible part grew to {visible} bytes (limit {MODEL_VISIBLE_LIMIT})"
    );
    assert!(
        whole <= TOOLS_LIST_LIMIT,
        "tools/list grew to {whole} bytes (limit {TOOLS_LIST_LIMIT})"
    );
    // Every property of every input schema states a type: clients that translate schemas
    // for their model's function-calling format need it.
    for tool in &tools {
        for (property, schema) in tool["inputSchema"]["properties"].as_object().unwrap() {
            assert!(schema.get("type").is_some(), "{}.{property}", name(tool));
        }
    }
}

fn name(tool: &Value) -> &str {
    tool["name"].as_str().unwrap()
}

#[test]
fn every_promised_tool_exists_and_nothing_else() {
    let listed: BTreeSet<String> = listed_tools()
        .iter()
        .map(|tool| name(tool).to_string())
        .collect();
    let promised: BTreeSet<String> = PUBLIC_TOOL_NAMES
        .iter()
        .map(|name| name.to_string())
        .collect();
    assert_eq!(listed, promised);
}

/// `METHOD /firms/FIRM_ID/quotes/ID.pdf` and `METHOD /firms/{firm_id}/quotes/{quote_id}.pdf`
/// both become `METHOD /firms/{}/quotes/{}.pdf`; a query value that is a placeholder stays
/// part of the route, a literal flag (`?proforma=1`) is returned apart.
fn normalize(route: &str) -> (String, Option<String>) {
    let (path, query) = route
        .split_once('?')
        .map_or((route, None), |(path, query)| (path, Some(query)));
    let placeholder = |segment: &str| {
        let stem = segment.split('.').next().unwrap_or(segment);
        let is_placeholder = (stem.starts_with('{') && stem.ends_with('}'))
            || (!stem.is_empty() && stem.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'));
        if is_placeholder {
            segment.replacen(stem, "{}", 1)
        } else {
            segment.to_string()
        }
    };
    let path: Vec<String> = path.split('/').map(placeholder).collect();
    let mut normalized = path.join("/");
    let mut flag = None;
    if let Some(query) = query {
        let (key, value) = query.split_once('=').unwrap_or((query, ""));
        if value.starts_with('{') || value.bytes().all(|b| b.is_ascii_uppercase() || b == b'_') {
            normalized.push_str(&format!("?{key}={{}}"));
        } else {
            flag = Some(key.to_string());
        }
    }
    (normalized, flag)
}

fn documented_routes() -> Vec<String> {
    std::fs::read_to_string(workspace().join("tests/documented_routes.txt"))
        .unwrap()
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn every_documented_route_has_a_tool() {
    let tools = listed_tools();
    let mut by_route: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for tool in &tools {
        let route = tool["_meta"]["facturation-pro/route"]
            .as_str()
            .expect("each tool names its route");
        // The subscription PDF's path comes whole from the order list.
        let route = route.replace("{order_url}", "/firms/{firm_id}/orders/{order}.pdf");
        by_route.entry(normalize(&route).0).or_default().push(tool);
    }
    let mut missing = Vec::new();
    for documented in documented_routes() {
        let (route, flag) = normalize(&documented);
        let covered = by_route.get(&route).is_some_and(|tools| {
            flag.as_ref().is_none_or(|flag| {
                tools
                    .iter()
                    .any(|tool| tool["inputSchema"]["properties"].get(flag).is_some())
            })
        });
        if !covered {
            missing.push(documented);
        }
    }
    assert!(
        missing.is_empty(),
        "documented routes without a tool: {missing:#?}"
    );
}

#[test]
#[ignore = "needs the vendor reference at ../shared/reference (scripts/test.sh runs it when present)"]
fn the_route_list_follows_the_vendor_reference() {
    let reference = workspace().join("../shared/reference/facturation-pro-api.fr.md");
    let text = std::fs::read_to_string(&reference)
        .unwrap_or_else(|e| panic!("{}: {e}", reference.display()));
    let ours: BTreeSet<String> = documented_routes().into_iter().collect();
    let theirs: Vec<&str> = text
        .lines()
        .filter_map(|line| line.strip_prefix("### "))
        .filter(|line| {
            ["GET ", "POST ", "PATCH ", "PUT ", "DELETE "]
                .iter()
                .any(|m| line.starts_with(m))
        })
        .collect();
    assert!(theirs.len() > 60, "the reference's headings were not found");
    let missing: Vec<&&str> = theirs
        .iter()
        .filter(|route| !ours.contains(**route))
        .collect();
    assert!(
        missing.is_empty(),
        "routes in the reference missing from documented_routes.txt: {missing:#?}"
    );
}

#[test]
fn annotations_say_what_each_tool_does() {
    for tool in listed_tools() {
        let name = name(&tool);
        let hints = &tool["annotations"];
        let reads = ["get_", "list_", "download_"]
            .iter()
            .any(|prefix| name.starts_with(prefix));
        let destructive = name.starts_with("delete_") || DESTRUCTIVE.contains(&name);
        let creates = name.starts_with("create_")
            || name.starts_with("upload_")
            || name == "convert_quote_to_invoice";
        assert_eq!(hints["readOnlyHint"], reads, "{name}: {hints}");
        assert_eq!(hints["destructiveHint"], destructive, "{name}: {hints}");
        assert_eq!(hints["openWorldHint"], true, "{name}: {hints}");
        if reads || name.starts_with("delete_") {
            assert_eq!(hints["idempotentHint"], true, "{name}: {hints}");
        }
        if creates || DESTRUCTIVE.contains(&name) {
            let idempotent = IDEMPOTENT_UPDATES.contains(&name);
            assert_eq!(hints["idempotentHint"], idempotent, "{name}: {hints}");
        }
        assert!(
            tool["title"].as_str().is_some_and(|t| !t.is_empty()),
            "{name}"
        );
        assert_eq!(tool["outputSchema"]["type"], "object", "{name}");
    }
}

/// The README's catalogue, as generated from the listed tools.
fn catalogue_markdown(tools: &[Value]) -> String {
    let mut by_toolset: BTreeMap<&str, Vec<&Value>> = BTreeMap::new();
    for tool in tools {
        by_toolset
            .entry(tool["_meta"]["facturation-pro/toolset"].as_str().unwrap())
            .or_default()
            .push(tool);
    }
    let mut text = String::new();
    for (toolset, tools) in by_toolset {
        text.push_str(&format!(
            "\n**{toolset}**\n\n| tool | what it does | route |\n|---|---|---|\n"
        ));
        for tool in tools {
            let route = tool["_meta"]["facturation-pro/route"].as_str().unwrap();
            text.push_str(&format!(
                "| `{}` | {} | `{route}` |\n",
                name(tool),
                tool["title"].as_str().unwrap()
            ));
        }
    }
    text
}

#[test]
fn the_readme_catalogue_matches_the_server() {
    let expected = catalogue_markdown(&listed_tools());
    let readme_path = workspace().join("README.md");
    let readme = std::fs::read_to_string(&readme_path).unwrap();
    let (start, end) = ("<!-- tools:start -->\n", "<!-- tools:end -->");
    let begin = readme.find(start).expect("README has a tools:start marker") + start.len();
    let finish = readme.find(end).expect("README has a tools:end marker");
    if readme[begin..finish] != expected {
        if std::env::var_os("UPDATE_README").is_some() {
            std::fs::write(
                &readme_path,
                format!("{}{expected}{}", &readme[..begin], &readme[finish..]),
            )
            .unwrap();
        } else {
            panic!(
                "README's tool catalogue is stale; rerun this test with UPDATE_README=1 to regenerate it"
            );
        }
    }
}
