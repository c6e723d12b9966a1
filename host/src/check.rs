//! `facturation-pro-mcp check`: one `get_account` call through the component and the whole
//! sandbox, exactly as a client's call would go, reported for humans.

use anyhow::Result;
use serde_json::json;

use crate::component::Runner;

/// Returns the process's exit code: 0 when the API answered and the configured firm is one
/// of the account's.
pub async fn run(runner: &Runner) -> Result<i32> {
    let call = json!({ "name": "get_account", "arguments": {} });
    let reply = match runner.ask("tools/call", call).await {
        Ok((_, reply)) => reply,
        Err(error) => return fail(&format!("{error:#}")),
    };
    let result = &reply["result"];
    if result["isError"] != false {
        let reason = result["content"][0]["text"]
            .as_str()
            .or(reply["error"]["message"].as_str())
            .unwrap_or("no explanation");
        return fail(reason);
    }
    let account = &result["structuredContent"];
    let settings = runner.settings();
    let email = account["email"].as_str().unwrap_or("(no email)");
    println!("Connected to {} as {email}.", settings.origin.base_url());
    match runner.oauth() {
        Some(session) => {
            let tokens = session.tokens().await;
            println!(
                "Signed in with OAuth (scope {}); the access token expires at {} and is renewed \
                 automatically. Tokens are kept in {}.",
                tokens.scope,
                tokens.expiry(),
                session.store_description()
            );
        }
        None => {
            println!("Authenticated with the API key (FACTURATION_API_ID and FACTURATION_API_KEY).")
        }
    }
    let firms = account["firms"].as_array().cloned().unwrap_or_default();
    println!("Firms you can use ({}):", firms.len());
    for firm in &firms {
        let marker = if firm["id"].as_u64() == settings.firm_id {
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
    if let Some(firm) = settings.firm_id
        && !firms.iter().any(|f| f["id"].as_u64() == Some(firm))
    {
        return fail(&format!(
            "FACTURATION_FIRM_ID={firm} is not one of these firms"
        ));
    }
    Ok(0)
}

fn fail(reason: &str) -> Result<i32> {
    eprintln!("check failed: {reason}");
    Ok(1)
}
