//! Signing in with OAuth2 through the real binary, against the emulator's Doorkeeper-like
//! endpoints: `login` driven by a scripted browser ($BROWSER) that follows the authorize
//! page's redirect to the loopback callback; the tokens kept in a 0600 file (no keyring
//! answers here: the server's environment has no D-Bus session); the server then sending
//! them as Bearer, refreshing before expiry and once after a 401, sharing one sign-in
//! between processes while it rotates, and giving the one-line sign-in hint when the grant
//! is gone; `logout` revoking them. The sandboxed component never sees a token.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use facturation_pro_emulator::emulator::{Consent, Emulator, EmulatorConfig, RecordedRequest};
use facturation_pro_emulator::harness::probe::{probe_outcome, probe_params};
use facturation_pro_emulator::harness::{
    McpServer, ServerSetup, free_port, probe_component, success,
};
use serde_json::{Value, json};
use tempfile::TempDir;

const CLIENT_ID: &str = "demo-client-id";
const CLIENT_SECRET: &str = "demo-client-secret";

/// A browser that approves whatever it is shown: it loads the authorize URL, follows the
/// redirect to the callback, and with REPLAY=1 sends that callback a second time.
const BROWSER: &str = r#"#!/bin/sh
here=$(dirname "$0")
callback=$(curl -s -o /dev/null -w '%{redirect_url}' "$1")
curl -s -o /dev/null -w '%{http_code}' "$callback" > "$here/first-status"
if [ "$REPLAY" = 1 ]; then
    curl -s -o /dev/null -w '%{http_code}' "$callback" > "$here/second-status"
fi
touch "$here/done"
"#;

/// One user's machine: the emulator, a home with a configuration folder, the browser.
struct Machine {
    emulator: Emulator,
    home: TempDir,
}

impl Machine {
    fn new() -> Self {
        let machine = Self {
            emulator: Emulator::start(EmulatorConfig::without_demo_data()).unwrap(),
            home: tempfile::tempdir().unwrap(),
        };
        let browser = machine.home.path().join("browser.sh");
        std::fs::write(&browser, BROWSER).unwrap();
        std::fs::set_permissions(&browser, std::fs::Permissions::from_mode(0o755)).unwrap();
        machine
    }

    /// The server's configuration: OAuth application, no API key at all.
    fn setup(&self) -> ServerSetup {
        let browser = self.home.path().join("browser.sh");
        ServerSetup::against(
            &self.emulator.base_url(),
            &self.home.path().join("downloads"),
        )
        .without_env("FACTURATION_API_ID")
        .without_env("FACTURATION_API_KEY")
        .with_env("FACTURATION_OAUTH_CLIENT_ID", CLIENT_ID)
        .with_env("FACTURATION_OAUTH_CLIENT_SECRET", CLIENT_SECRET)
        .with_env(
            "XDG_CONFIG_HOME",
            &self.home.path().join("config").display().to_string(),
        )
        .with_env("BROWSER", &browser.display().to_string())
        .with_env("PATH", "/usr/local/bin:/usr/bin:/bin")
    }

    fn token_file(&self) -> PathBuf {
        self.home
            .path()
            .join("config/facturation-pro-mcp/oauth-tokens.json")
    }

    fn stored(&self) -> Option<Value> {
        let text = std::fs::read_to_string(self.token_file()).ok()?;
        Some(serde_json::from_str(&text).unwrap())
    }

    fn run(&self, setup: ServerSetup, args: &[&str]) -> Output {
        setup.with_args(args).run_with_input("")
    }

    /// `login`, which must succeed; returns what it printed.
    fn login(&self) -> String {
        let output = self.run(self.setup(), &["login", "--timeout", "30"]);
        let text = printed(&output);
        assert!(output.status.success(), "{text}");
        text
    }

    fn server(&self) -> McpServer {
        let mut server = McpServer::spawn(&self.setup());
        server.initialize("2025-11-25");
        server
    }

    /// The tokens the emulator issued, checked never to have been printed anywhere.
    fn assert_not_in(&self, text: &str) {
        for token in self.emulator.oauth_tokens() {
            assert!(
                !text.contains(&token.access_token),
                "an access token was printed: {text}"
            );
            assert!(
                !text.contains(&token.refresh_token),
                "a refresh token was printed: {text}"
            );
        }
    }
}

fn printed(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The authorize page's request, as the browser loaded it.
fn authorize_request(emulator: &Emulator) -> RecordedRequest {
    emulator
        .requests()
        .into_iter()
        .find(|request| request.path == "/oauth/authorize")
        .expect("the browser loaded the authorize page")
}

/// The Bearer tokens of the API requests (not /oauth) the emulator received, in order, with
/// their statuses; checked to carry no Basic credentials.
fn api_bearers(emulator: &Emulator) -> Vec<(String, String, u16)> {
    emulator
        .requests()
        .iter()
        .filter(|request| !request.path.starts_with("/oauth/"))
        .map(|request| {
            assert_eq!(request.basic_auth(), None, "{request:#?}");
            let bearer = request.bearer_token().expect("a Bearer token").to_string();
            (
                format!("{} {}", request.method, request.path),
                bearer,
                request.status,
            )
        })
        .collect()
}

#[test]
fn a_browser_sign_in_keeps_the_tokens_private_and_the_server_sends_them_as_bearer() {
    let machine = Machine::new();
    let printed_login = machine.login();
    assert!(printed_login.contains("Signed in"), "{printed_login}");
    assert!(printed_login.contains("read_write"), "{printed_login}");
    machine.assert_not_in(&printed_login);

    // The one token issued went to a file only the user can read.
    let issued = machine.emulator.oauth_tokens();
    assert_eq!(issued.len(), 1);
    assert_eq!(issued[0].scope, "read_write");
    let stored = machine.stored().expect("the tokens are stored");
    assert_eq!(stored["access_token"], issued[0].access_token);
    assert_eq!(mode(&machine.token_file()), 0o600);
    assert_eq!(mode(machine.token_file().parent().unwrap()), 0o700);
    // The authorize request used PKCE S256 and a state.
    let authorize = authorize_request(&machine.emulator);
    assert_eq!(authorize.query_param("code_challenge_method"), Some("S256"));
    assert!(
        authorize
            .query_param("state")
            .is_some_and(|state| state.len() >= 32)
    );
    assert!(
        authorize
            .query_param("redirect_uri")
            .is_some_and(|uri| uri.starts_with("http://127.0.0.1:"))
    );

    // check says how it authenticates.
    let check = machine.run(machine.setup(), &["check"]);
    let text = printed(&check);
    assert!(check.status.success(), "{text}");
    assert!(
        text.contains("Signed in with OAuth (scope read_write)"),
        "{text}"
    );
    machine.assert_not_in(&text);

    machine.emulator.clear_requests();
    let mut server = machine.server();
    success(&server.call_tool("list_customers", json!({})));
    let bearers = api_bearers(&machine.emulator);
    assert_eq!(bearers.len(), 1, "{bearers:?}");
    assert_eq!(bearers[0].1, issued[0].access_token);
    let (_, stderr) = server.finish();
    machine.assert_not_in(&stderr);
}

#[test]
fn a_read_only_sign_in_on_a_fixed_port_keeps_its_tokens_where_it_is_told() {
    let machine = Machine::new();
    let port = free_port();
    let redirect_uri = format!("http://127.0.0.1:{port}/callback");
    // The Docker way: the tokens on a volume, the redirect port fixed and published.
    let token_file = machine.home.path().join("volume/tokens.json");
    let setup = || {
        machine
            .setup()
            .with_env("FACTURATION_OAUTH_REDIRECT_URI", &redirect_uri)
            .with_env(
                "FACTURATION_OAUTH_TOKEN_FILE",
                &token_file.display().to_string(),
            )
    };
    let output = machine.run(setup(), &["login", "--read-only", "--timeout", "30"]);
    let text = printed(&output);
    assert!(output.status.success(), "{text}");
    // The URL is printed for a user whose browser does not open.
    assert!(text.contains("/oauth/authorize?"), "{text}");
    machine.assert_not_in(&text);

    let authorize = authorize_request(&machine.emulator);
    assert_eq!(authorize.query_param("scope"), Some("read"));
    assert_eq!(
        authorize.query_param("redirect_uri"),
        Some(redirect_uri.as_str())
    );
    let issued = machine.emulator.oauth_tokens();
    assert_eq!(issued.len(), 1);
    assert_eq!(issued[0].scope, "read");
    assert!(
        !machine.token_file().exists(),
        "nothing in the default place"
    );
    let stored: Value = serde_json::from_str(&std::fs::read_to_string(&token_file).unwrap())
        .expect("the named file holds the tokens");
    assert_eq!(stored["access_token"], issued[0].access_token);
    assert_eq!(mode(&token_file), 0o600);

    let check = machine.run(setup(), &["check"]);
    let text = printed(&check);
    assert!(check.status.success(), "{text}");
    assert!(text.contains("Signed in with OAuth (scope read)"), "{text}");
}

#[test]
fn with_the_key_forced_a_stored_sign_in_is_left_alone() {
    let machine = Machine::new();
    machine.login();
    machine.emulator.clear_requests();
    let setup = machine
        .setup()
        .with_env("FACTURATION_AUTH", "key")
        .with_env("FACTURATION_API_ID", "demo-api-id")
        .with_env("FACTURATION_API_KEY", "demo-api-key");
    let mut server = McpServer::spawn(&setup);
    server.initialize("2025-11-25");
    success(&server.call_tool("list_customers", json!({})));
    server.finish();
    let requests = machine.emulator.requests();
    assert_eq!(requests.len(), 1, "{requests:#?}");
    assert_eq!(
        requests[0].basic_auth(),
        Some(("demo-api-id".into(), "demo-api-key".into()))
    );
    assert_eq!(requests[0].bearer_token(), None);
    assert_eq!(machine.emulator.oauth_refresh_count(), 0);
    assert!(machine.stored().is_some(), "the sign-in is kept for later");
}

#[test]
fn a_sign_in_nobody_finishes_times_out_and_stores_nothing() {
    let machine = Machine::new();
    // A browser that never loads the page.
    let output = machine.run(
        machine.setup().with_env("BROWSER", "/bin/true"),
        &["login", "--timeout", "1"],
    );
    let text = printed(&output);
    assert!(!output.status.success(), "{text}");
    assert!(
        text.contains("no answer from the browser within 1 s")
            && text.contains("facturation-pro-mcp login"),
        "{text}"
    );
    assert!(machine.emulator.oauth_tokens().is_empty());
    assert!(!machine.token_file().exists());
}

#[test]
fn a_refused_consent_stores_nothing_and_says_so() {
    let machine = Machine::new();
    machine.emulator.set_oauth_consent(Consent::Deny);
    let output = machine.run(machine.setup(), &["login", "--timeout", "30"]);
    let text = printed(&output);
    assert!(!output.status.success(), "{text}");
    assert!(
        text.contains("not approved") && text.contains("access_denied"),
        "{text}"
    );
    assert!(machine.emulator.oauth_tokens().is_empty());
    assert!(!machine.token_file().exists());
}

#[test]
fn a_replayed_callback_redeems_nothing_more() {
    let machine = Machine::new();
    let output = machine.run(
        machine.setup().with_env("REPLAY", "1"),
        &["login", "--timeout", "30"],
    );
    assert!(output.status.success(), "{}", printed(&output));
    // The browser script may still be replaying when login returns.
    let done = machine.home.path().join("done");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !done.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the browser never finished"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let second = std::fs::read_to_string(machine.home.path().join("second-status")).unwrap();
    // Refused outright (the listener is gone: curl reports 000) or answered as already used.
    assert!(
        second == "000" || second == "409",
        "the replay got {second}"
    );
    let redemptions = machine
        .emulator
        .requests()
        .iter()
        .filter(|request| request.path == "/oauth/token")
        .count();
    assert_eq!(redemptions, 1);
    assert_eq!(machine.emulator.oauth_tokens().len(), 1);
}

#[test]
fn a_401_gets_one_refresh_and_one_more_sending_and_nothing_twice() {
    let machine = Machine::new();
    machine.login();
    let mut server = machine.server();
    let before = machine.stored().unwrap();
    machine.emulator.clear_requests();
    machine.emulator.expire_access_tokens();

    let created = server.call_tool("create_customer", json!({ "company_name": "Relance SARL" }));
    success(&created);
    let posts: Vec<_> = api_bearers(&machine.emulator)
        .into_iter()
        .filter(|(route, _, _)| route.starts_with("POST"))
        .collect();
    assert_eq!(posts.len(), 2, "{posts:?}");
    assert_eq!(posts[0].2, 401);
    assert_eq!(posts[0].1, before["access_token"].as_str().unwrap());
    assert_eq!(posts[1].2, 201);
    assert_ne!(posts[1].1, posts[0].1);
    assert_eq!(machine.emulator.customers(1001).len(), 1, "created once");
    assert_eq!(machine.emulator.oauth_refresh_count(), 1);
    // The rotated tokens were stored before use.
    let after = machine.stored().unwrap();
    assert_eq!(after["access_token"], posts[1].1.as_str());
    assert_ne!(after["refresh_token"], before["refresh_token"]);
    server.finish();
}

#[test]
fn a_token_about_to_expire_is_renewed_before_the_request_leaves() {
    let machine = Machine::new();
    machine
        .emulator
        .set_oauth_access_token_lifetime(std::time::Duration::from_secs(1));
    machine.login();
    let mut server = machine.server();
    machine.emulator.clear_requests();
    for _ in 0..3 {
        success(&server.call_tool("list_customers", json!({})));
        std::thread::sleep(std::time::Duration::from_millis(1100));
    }
    let bearers = api_bearers(&machine.emulator);
    assert_eq!(
        bearers.len(),
        3,
        "no request was refused and sent again: {bearers:?}"
    );
    assert!(
        bearers.iter().all(|(_, _, status)| *status == 200),
        "{bearers:?}"
    );
    assert!(machine.emulator.oauth_refresh_count() >= 3);
    server.finish();
}

#[test]
fn two_processes_share_one_sign_in_while_it_rotates() {
    let machine = Machine::new();
    machine.login();
    let mut first = machine.server();
    let mut second = machine.server();
    success(&first.call_tool("list_customers", json!({})));
    success(&second.call_tool("list_customers", json!({})));
    machine.emulator.expire_access_tokens();

    // Both find their token refused at about the same time; one refreshes, the other
    // takes the rotated tokens from the store instead of spending a used refresh token.
    let call = json!({ "name": "list_customers", "arguments": {} });
    first.send_line(
        json!({ "jsonrpc": "2.0", "id": 90, "method": "tools/call", "params": call })
            .to_string()
            .as_bytes(),
    );
    second.send_line(
        json!({ "jsonrpc": "2.0", "id": 90, "method": "tools/call", "params": call })
            .to_string()
            .as_bytes(),
    );
    for server in [&mut first, &mut second] {
        let reply = server.read_message();
        assert_eq!(reply["result"]["isError"], false, "{reply}");
    }
    let refreshes = machine.emulator.oauth_refreshes();
    assert!(
        refreshes.iter().all(|attempt| attempt.error.is_none()),
        "a refresh failed: {refreshes:?}"
    );
    assert_eq!(machine.emulator.oauth_refresh_count(), 1);
    first.finish();
    second.finish();
}

#[test]
fn calls_in_flight_together_share_one_refresh_and_each_write_lands_once() {
    let machine = Machine::new();
    machine.login();
    let mut server = machine.server();
    success(&server.call_tool("list_customers", json!({})));
    machine.emulator.clear_requests();
    machine.emulator.expire_access_tokens();

    // Eight calls at once, each in its own instance, all holding the expired token: the
    // host must refresh once, not eight times (a second refresh would spend a rotated-away
    // refresh token and sign the user out), and send each request again once.
    const CALLS: u64 = 8;
    for id in 0..CALLS {
        let arguments = if id % 2 == 0 {
            json!({ "name": "list_customers", "arguments": {} })
        } else {
            json!({ "name": "create_customer",
                    "arguments": { "company_name": format!("Charge {id}") } })
        };
        server.send_line(
            json!({ "jsonrpc": "2.0", "id": 200 + id, "method": "tools/call", "params": arguments })
                .to_string()
                .as_bytes(),
        );
    }
    let mut answered = Vec::new();
    for _ in 0..CALLS {
        let reply = server.read_message();
        assert_eq!(reply["result"]["isError"], false, "{reply}");
        answered.push(reply["id"].as_u64().unwrap());
    }
    answered.sort_unstable();
    assert_eq!(answered, (200..200 + CALLS).collect::<Vec<_>>());

    assert_eq!(machine.emulator.oauth_refresh_count(), 1);
    let refreshes = machine.emulator.oauth_refreshes();
    assert!(
        refreshes.iter().all(|attempt| attempt.error.is_none()),
        "a refresh failed: {refreshes:?}"
    );
    // Every request that went out again went out with the one new token, and the four
    // creations each made exactly one customer.
    let stored = machine.stored().unwrap();
    let fresh = stored["access_token"].as_str().unwrap();
    let bearers = api_bearers(&machine.emulator);
    let accepted: Vec<_> = bearers
        .iter()
        .filter(|(_, _, status)| *status < 400)
        .collect();
    assert_eq!(accepted.len() as u64, CALLS, "{bearers:?}");
    assert!(
        accepted.iter().all(|(_, token, _)| token == fresh),
        "{bearers:?}"
    );
    assert!(
        bearers
            .iter()
            .all(|(_, _, status)| matches!(status, 200 | 201 | 401)),
        "{bearers:?}"
    );
    assert_eq!(machine.emulator.customers(1001).len(), (CALLS / 2) as usize);
    server.finish();
}

#[test]
fn a_revoked_sign_in_drops_the_tokens_and_names_the_command() {
    let machine = Machine::new();
    machine.login();
    let mut server = machine.server();
    let refresh = machine.stored().unwrap()["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(machine.emulator.revoke_oauth_token(&refresh));

    let reply = server.call_tool("list_customers", json!({}));
    assert_eq!(reply["isError"], true, "{reply}");
    let text = reply["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("facturation-pro-mcp login"), "{text}");
    assert!(!machine.token_file().exists(), "the dead tokens were kept");
    let (_, stderr) = server.finish();
    machine.assert_not_in(&format!("{text}{stderr}"));
}

#[test]
fn logout_revokes_and_forgets_and_the_key_is_the_fallback_again() {
    let machine = Machine::new();
    machine.login();
    let output = machine.run(machine.setup(), &["logout"]);
    assert!(output.status.success(), "{}", printed(&output));
    assert!(!machine.token_file().exists());
    assert!(
        machine
            .emulator
            .oauth_tokens()
            .iter()
            .all(|token| token.revoked)
    );
    assert!(
        machine
            .emulator
            .requests()
            .iter()
            .any(|request| request.path == "/oauth/revoke")
    );

    // No sign-in and no key: the error names both ways in.
    let output = machine.run(machine.setup(), &["check"]);
    let text = printed(&output);
    assert!(!output.status.success());
    assert!(text.contains("FACTURATION_API_ID is not set"), "{text}");
    assert!(text.contains("facturation-pro-mcp login"), "{text}");
    // Forcing OAuth without a sign-in says to sign in.
    let output = machine.run(
        machine.setup().with_env("FACTURATION_AUTH", "oauth"),
        &["check"],
    );
    let text = printed(&output);
    assert!(!output.status.success());
    assert!(
        text.contains("not signed in") && text.contains("facturation-pro-mcp login"),
        "{text}"
    );
}

#[test]
fn the_sandbox_sees_neither_the_tokens_nor_their_file() {
    let machine = Machine::new();
    machine.login();
    let probe = probe_component();
    let setup = machine
        .setup()
        .with_args(&["--component", probe.to_str().unwrap()]);
    let mut server = McpServer::spawn(&setup);
    let env = probe_outcome(&server.request("probe", probe_params("env")), "env")
        .expect("reading the environment is allowed");
    machine.assert_not_in(&env.to_string());
    let read = format!("read {}", machine.token_file().display());
    let outcome = probe_outcome(&server.request("probe", probe_params(&read)), &read);
    assert!(
        outcome.is_err(),
        "the probe read the token file: {outcome:?}"
    );
    server.finish();
}
