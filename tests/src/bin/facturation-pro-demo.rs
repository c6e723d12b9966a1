//! A short, real MCP session for people trying the project without a Facturation.PRO
//! account: starts the bundled emulator, spawns the real `facturation-pro-mcp` binary against
//! it, drives a few tools the way an assistant would, and prints what went back and forth.

use facturation_pro_emulator::emulator::{Emulator, EmulatorConfig};
use facturation_pro_emulator::harness::{McpServer, ServerSetup, host_binary};
use serde_json::{Value, json};

fn main() -> anyhow::Result<()> {
    let emulator = Emulator::start(EmulatorConfig::default())?;
    let home = tempfile::tempdir()?;
    let downloads = home.path().join("downloads");
    println!("Facturation.PRO MCP server: demo session");
    println!("  server    {}", host_binary().display());
    println!(
        "  API       {} (bundled emulator, demo data, no real account)",
        emulator.base_url()
    );
    println!("  downloads {}", downloads.display());
    println!(
        "Lines starting with → are what the MCP client sends; ← is what the server answers.\n"
    );

    let mut server = McpServer::spawn(&ServerSetup::against(&emulator.base_url(), &downloads));

    step("initialize", "protocol 2025-11-25");
    let init = server.initialize("2025-11-25");
    let info = &init["serverInfo"];
    let text = |v: &Value| v.as_str().unwrap_or("?").to_string();
    reply(&format!(
        "{} {} ({}), protocol {}",
        text(&info["name"]),
        text(&info["version"]),
        text(&info["title"]),
        text(&init["protocolVersion"])
    ));

    step("tools/list", "");
    let tools = server.request("tools/list", json!({}))["result"]["tools"].clone();
    let names: Vec<&str> = tools
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["name"].as_str())
        .collect();
    reply(&format!(
        "{} tools: {}, ...",
        names.len(),
        names[..6.min(names.len())].join(", ")
    ));

    let account = call(&mut server, "get_account", json!({}));
    if let Some(firms) = account["firms"].as_array() {
        for firm in firms {
            detail(&format!(
                "firm {} {}",
                firm["id"],
                firm["name"].as_str().unwrap_or("")
            ));
        }
    }

    let page = call(&mut server, "list_customers", json!({}));
    for customer in page["customers"].as_array().into_iter().flatten() {
        detail(&format!(
            "#{} {}",
            customer["id"],
            customer["company_name"].as_str().unwrap_or("")
        ));
    }
    detail(&format!("pagination {}", page["pagination"]));

    let created = call(
        &mut server,
        "create_customer",
        json!({ "company_name": "Maison Lefevre", "email": "compta@lefevre.test", "country": "FR", "pay_before": "30" }),
    );
    let new_id = created["id"].clone();
    detail(&format!(
        "new customer #{new_id}, account code {}",
        created["account_code"]
    ));

    call(
        &mut server,
        "update_customer",
        json!({ "customer_id": new_id, "city": "Lyon" }),
    );
    let fetched = call(
        &mut server,
        "get_customer",
        json!({ "customer_id": new_id }),
    );
    detail(&format!("city is now {}", fetched["city"]));

    println!("\nFrom quote (devis) to paid invoice (facture), and its PDF:");
    let quote = call(
        &mut server,
        "create_quote",
        json!({ "customer_id": new_id, "title": "Site vitrine", "items": [
            { "title": "Maquettes", "quantity": 2, "unit_price": 450, "vat": 0.2 },
            { "title": "Intégration", "quantity": 3, "unit_price": 500, "vat": 0.2 },
        ] }),
    );
    detail(&format!(
        "quote #{}: {} HT, {} TTC",
        quote["id"], quote["total"], quote["total_with_vat"]
    ));
    call(
        &mut server,
        "update_quote_status",
        json!({ "quote_id": quote["id"], "quote_status": 1 }),
    );
    let invoice = call(
        &mut server,
        "convert_quote_to_invoice",
        json!({ "quote_id": quote["id"] }),
    );
    detail(&format!(
        "invoice {} for {} TTC",
        invoice["invoice_ref"], invoice["total_with_vat"]
    ));
    call(
        &mut server,
        "create_settlement",
        json!({ "invoice_id": invoice["id"], "total": invoice["total_with_vat"], "payment_mode": 3, "paid_on": "2026-11-24" }),
    );
    let pdf = call(
        &mut server,
        "download_invoice_pdf",
        json!({ "invoice_id": invoice["id"] }),
    );
    detail(&format!("saved {} ({} bytes)", pdf["path"], pdf["size"]));
    call(
        &mut server,
        "delete_customer",
        json!({ "customer_id": new_id }),
    );
    println!("    (the API refuses: this customer has been invoiced now)");

    let throwaway = call(
        &mut server,
        "create_customer",
        json!({ "company_name": "Prospect sans suite" }),
    );
    call(
        &mut server,
        "delete_customer",
        json!({ "customer_id": throwaway["id"] }),
    );

    println!("\nMistakes are explained, and the server keeps going:");
    call(&mut server, "get_customer", json!({ "customer_id": "abc" }));
    call(
        &mut server,
        "get_customer",
        json!({ "customer_id": throwaway["id"] }),
    );

    println!(
        "\nThe sandbox at work: the API now redirects elsewhere, and the host refuses to follow."
    );
    let elsewhere = Emulator::start(EmulatorConfig::default())?;
    emulator.redirect_everything_to(Some(elsewhere.base_url()));
    call(&mut server, "get_account", json!({}));
    emulator.redirect_everything_to(None);

    let (status, _) = server.finish();
    println!("\nSession closed; the server exited with {status}.");
    println!("Requests the emulated API received:");
    for request in emulator.requests() {
        let query: Vec<String> = request
            .query
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let query = if query.is_empty() {
            String::new()
        } else {
            format!("?{}", query.join("&"))
        };
        println!(
            "  {} {:<7} {}{query}",
            request.status, request.method, request.path
        );
    }
    println!(
        "Requests the other host received: {}",
        elsewhere.requests().len()
    );
    Ok(())
}

fn call(server: &mut McpServer, tool: &str, arguments: Value) -> Value {
    step("tools/call", &format!("{tool} {arguments}"));
    let result = server.call_tool(tool, arguments);
    let text = result["content"][0]["text"].as_str().unwrap_or_default();
    if result["isError"] == true {
        reply(&format!("error: {text}"));
    } else {
        reply(&shorten(text, 160));
    }
    result["structuredContent"].clone()
}

fn step(method: &str, what: &str) {
    println!("→ {method} {what}");
}

fn reply(text: &str) {
    println!("← {text}");
}

fn detail(text: &str) {
    println!("    {text}");
}

fn shorten(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_string();
    }
    let cut: String = text.chars().take(limit).collect();
    format!("{cut}… ({} bytes)", text.len())
}
