//! The Facturation.PRO MCP server as a WASI component.
//!
//! Runs as `wasi:cli/run`: with no arguments it serves MCP on stdin/stdout until end of input;
//! with the argument `check` it fetches the account once and prints the firms it can see.
//! Stdout carries only protocol messages (or the check report); diagnostics go to stderr.

mod api;
mod mcp;
mod tools;

use std::io::{self, BufReader};
use std::process::ExitCode;

use api::{ApiClient, ApiConfig, ApiRequest, Method};
use mcp::{ServerInfo, Session};
use tools::{Selection, Toolbox, confirmation_from_env};

const SERVER_INFO: ServerInfo = ServerInfo {
    name: "facturation-pro-mcp",
    title: "Facturation.PRO",
    version: env!("CARGO_PKG_VERSION"),
    instructions: "Tools for the Facturation.PRO invoicing service (French: devis = quote, \
        facture = invoice, avoir = credit note, règlement = payment). Start with get_account to \
        learn which firms the key can use; firm-scoped tools take `firm_id` and otherwise use \
        the configured firm. Dates are YYYY-MM-DD. Lists return 50 records per page with a \
        `pagination` object; pass `page` for the next ones. Deleting is permanent.",
};

/// `tools/list` page size when FACTURATION_TOOLS_PAGE_SIZE is not set: all tools at once,
/// since several clients never ask for a second page.
const DEFAULT_TOOLS_PAGE_SIZE: usize = 1000;

fn main() -> ExitCode {
    let config = match ApiConfig::from_env() {
        Ok(config) => config,
        Err(message) => {
            eprintln!("facturation-pro-mcp: {message}");
            return ExitCode::from(2);
        }
    };
    let client = ApiClient::new(config);
    match std::env::args().nth(1).as_deref() {
        None | Some("serve") => serve(client),
        Some("check") => check(&client),
        Some(other) => {
            eprintln!("facturation-pro-mcp: unknown command {other:?}");
            ExitCode::from(2)
        }
    }
}

fn serve(client: ApiClient) -> ExitCode {
    let page_size = std::env::var("FACTURATION_TOOLS_PAGE_SIZE")
        .ok()
        .and_then(|size| size.parse().ok())
        .unwrap_or(DEFAULT_TOOLS_PAGE_SIZE);
    let (selection, confirm) = match Selection::from_env()
        .and_then(|selection| Ok((selection, confirmation_from_env()?)))
    {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("facturation-pro-mcp: {message}");
            return ExitCode::from(2);
        }
    };
    let mut session = Session::new(
        SERVER_INFO,
        Toolbox::new(client, &selection, confirm),
        page_size,
    );
    match mcp::serve(
        &mut session,
        BufReader::new(io::stdin().lock()),
        io::stdout().lock(),
    ) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("facturation-pro-mcp: stdio failed: {err}");
            ExitCode::FAILURE
        }
    }
}

/// One call to `/account.json` through the same client the tools use, reported for humans.
fn check(client: &ApiClient) -> ExitCode {
    let request = ApiRequest {
        tool: "check",
        call: None,
        method: Method::Get,
        path: "/account.json".into(),
        query: vec![],
        body: None,
    };
    let account = match client.send(&request).and_then(|response| response.json()) {
        Ok(Some(account)) => account,
        Ok(None) => {
            eprintln!("check failed: /account.json answered with an empty body");
            return ExitCode::FAILURE;
        }
        Err(err) => {
            eprintln!("check failed: {err}");
            return ExitCode::FAILURE;
        }
    };
    let email = account["email"].as_str().unwrap_or("(no email)");
    println!("Connected to {} as {email}.", client.config().base_url);
    let firms = account["firms"].as_array().cloned().unwrap_or_default();
    println!("Firms this API key can use ({}):", firms.len());
    for firm in &firms {
        let marker = if firm["id"].as_u64() == client.config().default_firm_id {
            " (FACTURATION_FIRM_ID)"
        } else {
            ""
        };
        println!(
            "  {:>8}  {}{marker}",
            firm["id"],
            firm["name"].as_str().unwrap_or("?")
        );
    }
    if let Some(firm) = client.config().default_firm_id
        && !firms.iter().any(|f| f["id"].as_u64() == Some(firm))
    {
        eprintln!("check failed: FACTURATION_FIRM_ID={firm} is not one of these firms");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
