//! No secret leaves the host: one run through every way in (stdio with an API key, `serve
//! --http` with its bearer token, an OAuth sign-in that refreshes and then is revoked), with
//! successes, API errors, refusals, malformed input and writes in the audit log, then every
//! line the server printed, every answer a client received and the whole audit log are
//! searched for the API key, the HTTP token, the state key, the OAuth client secret and every
//! OAuth token the emulator issued. Each secret is distinctive, so a match is never chance.

use std::time::Duration;

use facturation_pro_emulator::emulator::{Emulator, EmulatorConfig, Fault, OAuthApplication};
use facturation_pro_emulator::harness::http_client::{HttpEndpoint, HttpMcpServer};
use facturation_pro_emulator::harness::{McpServer, ServerSetup};
use serde_json::{Value, json};

const API_KEY: &str = "apikey-SECRET-5b0e2c71d9";
const STATE_KEY: &str = "statekey-SECRET-8c41f0a7e2";
const HTTP_TOKEN: &str = "httptoken-SECRET-3e9a7d51c06b48f2a9e1";
const CLIENT_SECRET: &str = "clientsecret-SECRET-6d2b9f40";
const CLIENT_ID: &str = "secret-test-client";

/// Everything a client or an operator could see, gathered along the way.
#[derive(Default)]
struct Seen(Vec<String>);

impl Seen {
    fn add(&mut self, what: impl Into<String>) {
        self.0.push(what.into());
    }

    /// Fails naming the first place a secret shows up.
    fn assert_free_of(&self, secrets: &[String]) {
        for text in &self.0 {
            for secret in secrets {
                assert!(
                    !text.contains(secret.as_str()),
                    "a secret ({}...) leaked into: {text}",
                    &secret[..secret.len().min(12)]
                );
            }
        }
    }
}

fn emulator() -> Emulator {
    let mut config = EmulatorConfig::without_demo_data();
    config.api_key = API_KEY.into();
    config.oauth.applications = vec![OAuthApplication::confidential(
        CLIENT_ID,
        CLIENT_SECRET,
        "http://127.0.0.1/callback",
    )];
    Emulator::start(config).unwrap()
}

fn tool_call(id: u64, name: &str, arguments: Value) -> String {
    json!({ "jsonrpc": "2.0", "id": id, "method": "tools/call",
        "params": { "name": name, "arguments": arguments } })
    .to_string()
}

/// The same mix of calls on every way in: reads, writes, API errors, refusals, nonsense.
fn exchange(server: &mut McpServer, api: &Emulator, seen: &mut Seen) {
    let customer = api.insert_customer(1001, json!({ "company_name": "Discret SARL" }));
    let calls = [
        tool_call(1, "get_account", json!({})),
        tool_call(
            2,
            "create_customer",
            json!({ "company_name": "Nouveau SARL" }),
        ),
        tool_call(
            3,
            "update_customer",
            json!({ "customer_id": customer, "city": "Lyon" }),
        ),
        tool_call(4, "delete_customer", json!({ "customer_id": 999_999 })),
        tool_call(5, "get_customer", json!({ "customer_id": "not a number" })),
        tool_call(6, "no_such_tool", json!({})),
        tool_call(7, "get_invoice", json!({ "invoice_id": 1 })),
    ];
    api.inject(Fault::ServerError {
        times: 1,
        status: 500,
    });
    for call in &calls {
        server.send_line(call.as_bytes());
        seen.add(server.read_message().to_string());
    }
    api.inject(Fault::RateLimited {
        times: 1,
        retry_after: Some(1),
    });
    server.send_line(tool_call(8, "list_customers", json!({})).as_bytes());
    seen.add(server.read_message().to_string());
    server.send_line(b"{ this is not json");
    seen.add(server.read_message().to_string());
}

#[test]
fn no_secret_reaches_a_log_an_answer_or_the_audit() {
    let api = emulator();
    let home = tempfile::tempdir().unwrap();
    let audit = home.path().join("audit.jsonl");
    let base = ServerSetup::against(&api.base_url(), &home.path().join("downloads"))
        .with_env("FACTURATION_API_KEY", API_KEY)
        .with_env("FACTURATION_STATE_KEY", STATE_KEY)
        // A fixed state key keeps answered confirmations in the configuration folder.
        .with_env("HOME", home.path().to_str().unwrap())
        .with_env("FACTURATION_AUDIT_LOG", audit.to_str().unwrap())
        .with_env("FACTURATION_TIMEOUT_SECS", "5");
    let mut seen = Seen::default();

    // stdio, with the API key; a bad start names settings, not values.
    let mut server = McpServer::spawn(&base);
    server.initialize_with("2025-11-25", json!({}));
    exchange(&mut server, &api, &mut seen);
    let (_, stderr) = server.finish();
    seen.add(stderr);
    let refused = base
        .clone()
        .with_env("FACTURATION_BASE_URL", "http://203.0.113.9")
        .run_with_input("");
    seen.add(String::from_utf8_lossy(&refused.stderr));
    let check = base.clone().with_args(&["check"]).run_with_input("");
    seen.add(String::from_utf8_lossy(&check.stdout));
    seen.add(String::from_utf8_lossy(&check.stderr));

    // serve --http with its token: answers to strangers, to the holder, and its log.
    let http = HttpMcpServer::start(&base.clone().with_env("FACTURATION_HTTP_TOKEN", HTTP_TOKEN));
    let ping = json!({ "jsonrpc": "2.0", "id": 1, "method": "ping", "params": { "_meta": {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28" } } });
    let bearer = format!("Bearer {HTTP_TOKEN}");
    let almost = format!("Bearer {}", &HTTP_TOKEN[..HTTP_TOKEN.len() - 1]);
    for authorization in [
        None,
        Some("Bearer wrong"),
        Some(almost.as_str()),
        Some(bearer.as_str()),
    ] {
        let mut headers = vec![
            ("Accept", "application/json, text/event-stream"),
            ("MCP-Protocol-Version", "2026-07-28"),
            ("Mcp-Method", "ping"),
        ];
        headers.extend(authorization.map(|value| ("Authorization", value)));
        let reply = http.post_json(&headers, &ping);
        seen.add(format!(
            "{:?} {}",
            reply.headers,
            String::from_utf8_lossy(&reply.body)
        ));
    }
    seen.add(http.stderr());
    drop(http);

    // OAuth: stored tokens, a refresh on the way, then a revoked grant.
    let issued = api.issue_oauth_token(CLIENT_ID, "read_write");
    let token_file = home.path().join("tokens.json");
    let stored = json!({ "access_token": issued.access_token, "refresh_token": issued.refresh_token,
        "expires_at": 1, "scope": "read_write", "client_id": CLIENT_ID });
    std::fs::write(&token_file, stored.to_string()).unwrap();
    let oauth = base
        .clone()
        .without_env("FACTURATION_API_KEY")
        .without_env("FACTURATION_API_ID")
        .with_env("FACTURATION_AUTH", "oauth")
        .with_env("FACTURATION_OAUTH_CLIENT_ID", CLIENT_ID)
        .with_env("FACTURATION_OAUTH_CLIENT_SECRET", CLIENT_SECRET)
        .with_env("FACTURATION_OAUTH_TOKEN_FILE", token_file.to_str().unwrap());
    let check = oauth.clone().with_args(&["check"]).run_with_input("");
    assert!(check.status.success(), "{check:?}");
    seen.add(String::from_utf8_lossy(&check.stdout));
    seen.add(String::from_utf8_lossy(&check.stderr));
    let mut server = McpServer::spawn(&oauth);
    server.initialize_with("2025-11-25", json!({}));
    exchange(&mut server, &api, &mut seen);
    api.expire_access_tokens();
    for token in api.oauth_tokens() {
        api.revoke_oauth_token(&token.access_token);
    }
    server.send_line(tool_call(20, "get_account", json!({})).as_bytes());
    let revoked = server.read_message();
    assert_eq!(revoked["result"]["isError"], true, "{revoked}");
    seen.add(revoked.to_string());
    let (_, stderr) = server.finish();
    seen.add(stderr);
    std::thread::sleep(Duration::from_millis(100));

    let log = std::fs::read_to_string(&audit).unwrap();
    assert!(
        log.contains("create_customer"),
        "writes were audited: {log}"
    );
    seen.add(log);
    let mut secrets = vec![
        API_KEY.to_string(),
        STATE_KEY.to_string(),
        HTTP_TOKEN.to_string(),
        CLIENT_SECRET.to_string(),
    ];
    let tokens = api.oauth_tokens();
    assert!(
        tokens.len() >= 2,
        "the session refreshed its token: {}",
        tokens.len()
    );
    for token in tokens {
        secrets.push(token.access_token);
        secrets.push(token.refresh_token);
    }
    seen.assert_free_of(&secrets);
}
