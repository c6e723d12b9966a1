//! A remote connector deployment for the tests: the emulator with two accounts (demo and
//! martin) and its OAuth as Facturation.PRO, the real binary at its public URL (and, for
//! the replica tests, more processes on the same store), a scripted browser that reads the
//! consent page, submits its form with the cookie it was given and signs in at the emulator,
//! and an MCP client's requests: registration, token requests, calls, refresh.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::prelude::{BASE64_URL_SAFE_NO_PAD, Engine as _};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tempfile::TempDir;

use super::http_client::{HttpEndpoint, HttpMcpServer, HttpReply, http_request};
use super::{ServerSetup, audit_lines, free_port};
use crate::emulator::{
    AccountConfig, Emulator, EmulatorConfig, LOGIN_COOKIE, OAuthApplication, OAuthConfig,
};

pub const APP_ID: &str = "remote-app";
pub const APP_SECRET: &str = "remote-app-secret";
pub const STORE_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
pub const CLIENT_REDIRECT: &str = "http://127.0.0.1:1/client-callback";
pub const MODERN: &str = "2026-07-28";

/// One deployment: the emulator with two accounts, the server at its public URL.
pub struct Deployment {
    pub emulator: Emulator,
    pub server: HttpMcpServer,
    pub public_url: String,
    pub home: TempDir,
    /// The server's settings, for a restart.
    pub setup: ServerSetup,
    /// Further processes on the same store and public URL (see [`Deployment::add_replica`]).
    pub replicas: Vec<HttpMcpServer>,
    /// Which process requests go to: 0 for `server`, n for `replicas[n - 1]`.
    via: AtomicUsize,
}

/// What a client holds after signing a user in.
pub struct SignedIn {
    pub access: String,
    pub refresh: String,
    pub client_id: String,
}

impl Deployment {
    pub fn start() -> Deployment {
        Self::start_with(|setup| setup)
    }

    pub fn start_with(adjust: impl FnOnce(ServerSetup) -> ServerSetup) -> Deployment {
        // The public URL names the port, so it is chosen before the server starts.
        let port = free_port();
        Self::launch(Self::api(), port, port, adjust)
    }

    /// The emulator's settings: the demo and martin accounts, and the deployment's OAuth
    /// application at Facturation.PRO.
    pub fn api() -> EmulatorConfig {
        EmulatorConfig {
            other_accounts: vec![AccountConfig::martin()],
            oauth: OAuthConfig {
                applications: vec![OAuthApplication::confidential(
                    APP_ID,
                    APP_SECRET,
                    "http://127.0.0.1/oauth2/callback",
                )],
                ..OAuthConfig::default()
            },
            ..EmulatorConfig::without_demo_data()
        }
    }

    /// A deployment on an emulator with the settings `api` (see [`Self::api`]) whose public
    /// URL is 127.0.0.1:`public_port`, where a load balancer
    /// listens (see [`super::cluster::Cluster`]); the first process listens on a port of its
    /// own, like the replicas [`Self::add_replica`] adds.
    pub fn start_behind(
        api: EmulatorConfig,
        public_port: u16,
        adjust: impl FnOnce(ServerSetup) -> ServerSetup,
    ) -> Deployment {
        Self::launch(api, public_port, free_port(), adjust)
    }

    fn launch(
        api: EmulatorConfig,
        public_port: u16,
        port: u16,
        adjust: impl FnOnce(ServerSetup) -> ServerSetup,
    ) -> Deployment {
        let emulator = Emulator::start(api).unwrap();
        let home = tempfile::tempdir().unwrap();
        let public_url = format!("http://127.0.0.1:{public_port}/mcp");
        let setup = ServerSetup::against(&emulator.base_url(), &home.path().join("downloads"))
            .without_env("FACTURATION_API_ID")
            .without_env("FACTURATION_API_KEY")
            .without_env("FACTURATION_FIRM_ID")
            .with_env("FACTURATION_OAUTH_CLIENT_ID", APP_ID)
            .with_env("FACTURATION_OAUTH_CLIENT_SECRET", APP_SECRET)
            .with_env("FACTURATION_STORE_KEY", STORE_KEY)
            .with_env(
                "FACTURATION_STORE",
                &home.path().join("store.sqlite3").display().to_string(),
            )
            .with_env(
                "FACTURATION_AUDIT_LOG",
                &home.path().join("audit.jsonl").display().to_string(),
            )
            .with_env(
                "XDG_CONFIG_HOME",
                &home.path().join("config").display().to_string(),
            );
        let setup = adjust(setup);
        let address = format!("127.0.0.1:{port}");
        let server =
            HttpMcpServer::serve(&setup, &["--http", &address, "--public-url", &public_url]);
        Deployment {
            emulator,
            server,
            public_url,
            home,
            setup,
            replicas: Vec::new(),
            via: AtomicUsize::new(0),
        }
    }

    /// Stops the server and starts it again, same store, same public URL.
    pub fn restart(&mut self) {
        let address = self.address().to_string();
        self.server.stop();
        self.server = self.serve_at(&address);
    }

    /// Stops the server and starts it again, same store, at another public URL.
    pub fn move_to_another_url(&mut self) {
        let port = free_port();
        self.public_url = format!("http://127.0.0.1:{port}/mcp");
        self.server = self.serve_at(&format!("127.0.0.1:{port}"));
    }

    /// Starts another process on the same settings, store and public URL (as a load
    /// balancer's second replica would be), on its own port; its number for [`Self::via`].
    pub fn add_replica(&mut self) -> usize {
        let replica = self.serve_at(&format!("127.0.0.1:{}", free_port()));
        self.replicas.push(replica);
        self.replicas.len()
    }

    /// Kills process `n` (SIGKILL: no draining, requests in flight are lost with it).
    pub fn kill(&mut self, n: usize) {
        self.process(n).stop();
    }

    /// Starts process `n` again, killed or not, at its address with the same settings.
    pub fn revive(&mut self, n: usize) {
        let started = self.serve_at(&self.address_of(n).to_string());
        *self.process(n) = started;
    }

    /// The process id of process `n`, with which the write ids it logs start.
    pub fn pid_of(&self, n: usize) -> u32 {
        self.process_ref(n).pid()
    }

    /// A process of this deployment's settings and public URL, listening at `address`.
    fn serve_at(&self, address: &str) -> HttpMcpServer {
        HttpMcpServer::serve(
            &self.setup,
            &["--http", address, "--public-url", &self.public_url],
        )
    }

    fn process(&mut self, n: usize) -> &mut HttpMcpServer {
        match n {
            0 => &mut self.server,
            n => &mut self.replicas[n - 1],
        }
    }

    fn process_ref(&self, n: usize) -> &HttpMcpServer {
        match n {
            0 => &self.server,
            n => &self.replicas[n - 1],
        }
    }

    /// Sends the requests that follow to process `n` (0: the first one, at the public URL).
    pub fn via(&self, n: usize) -> &Self {
        assert!(n <= self.replicas.len(), "no replica {n}");
        self.via.store(n, Ordering::SeqCst);
        self
    }

    /// The address of the process requests go to.
    pub fn address(&self) -> SocketAddr {
        self.address_of(self.via.load(Ordering::SeqCst))
    }

    /// The address of process `n` (0: the first one, at the public URL).
    pub fn address_of(&self, n: usize) -> SocketAddr {
        self.process_ref(n).address()
    }

    pub fn get(&self, path: &str, headers: &[(&str, &str)]) -> HttpReply {
        http_request(self.address(), "GET", path, headers, b"")
    }

    pub fn post_form(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        form: &[(&str, &str)],
    ) -> HttpReply {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let mut headers = headers.to_vec();
        headers.push(("Content-Type", "application/x-www-form-urlencoded"));
        http_request(self.address(), "POST", path, &headers, body.as_bytes())
    }

    /// Registers a client (RFC 7591) with one redirect URI; its id.
    pub fn register(&self, redirect_uri: &str) -> String {
        let reply = http_request(
            self.address(),
            "POST",
            "/oauth2/register",
            &[("Content-Type", "application/json")],
            json!({ "client_name": "Test client", "redirect_uris": [redirect_uri] })
                .to_string()
                .as_bytes(),
        );
        assert_eq!(
            reply.status,
            201,
            "{:?}",
            String::from_utf8_lossy(&reply.body)
        );
        let registered = reply.json();
        assert_eq!(registered["token_endpoint_auth_method"], "none");
        registered["client_id"].as_str().unwrap().to_string()
    }

    /// The authorization request's path and query.
    pub fn authorize_path(&self, client_id: &str, challenge: &str, scope: &str) -> String {
        let query = form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("response_type", "code"),
                ("client_id", client_id),
                ("redirect_uri", CLIENT_REDIRECT),
                ("code_challenge", challenge),
                ("code_challenge_method", "S256"),
                ("state", "client-state-1"),
                ("scope", scope),
                ("resource", &self.public_url),
            ])
            .finish();
        format!("/oauth2/authorize?{query}")
    }

    /// The browser, from the authorization request to the client's redirect URI: the
    /// consent page (answered `access`), Facturation.PRO's sign-in as `login`, the callback.
    /// Returns the URL the browser finally lands on at the client.
    pub fn browse(&self, authorize_path: &str, login: &str, access: &str) -> String {
        let page = self.get(authorize_path, &[("Accept-Language", "fr-FR,fr;q=0.9")]);
        assert_eq!(page.status, 200, "{}", String::from_utf8_lossy(&page.body));
        let html = String::from_utf8(page.body.clone()).unwrap();
        assert!(
            html.contains("Autoriser") && html.contains("client</strong>"),
            "{html}"
        );
        let cookie = page.set_cookie();
        let request = between(&html, "name=\"request\" value=\"", "\"");
        let consented = self.post_form(
            "/oauth2/authorize",
            &[("Cookie", cookie)],
            &[
                ("request", &request),
                ("access", access),
                ("decision", "allow"),
            ],
        );
        assert_eq!(
            consented.status,
            302,
            "{}",
            String::from_utf8_lossy(&consented.body)
        );
        let upstream = consented.header("location").unwrap().to_string();
        // The browser keeps the cookie that proves, at the callback, where consent was given.
        let sign_in_cookie = consented.set_cookie();
        assert!(
            upstream.starts_with(&self.emulator.base_url()),
            "{upstream}"
        );
        let (address, path) = split_url(&upstream);
        let signed_in = http_request(
            address,
            "GET",
            &path,
            &[("Cookie", &format!("{LOGIN_COOKIE}={login}"))],
            b"",
        );
        assert_eq!(
            signed_in.status,
            302,
            "{}",
            String::from_utf8_lossy(&signed_in.body)
        );
        let callback = signed_in.header("location").unwrap().to_string();
        let (address, path) = split_url(&callback);
        assert_eq!(
            address,
            split_url(&self.public_url).0,
            "back at the public URL"
        );
        let back = http_request(address, "GET", &path, &[("Cookie", sign_in_cookie)], b"");
        assert_eq!(back.status, 302, "{}", String::from_utf8_lossy(&back.body));
        back.header("location").unwrap().to_string()
    }

    /// A whole sign-in of `login` by a new client: registration, browser, token request.
    pub fn sign_in(&self, login: &str, access: &str) -> SignedIn {
        self.sign_in_as(&self.register(CLIENT_REDIRECT), login, access)
    }

    /// A sign-in of `login` by the client `client_id`, registered or a document's URL.
    pub fn sign_in_as(&self, client_id: &str, login: &str, access: &str) -> SignedIn {
        let client_id = client_id.to_string();
        let (verifier, challenge) = pkce();
        let landed = self.browse(
            &self.authorize_path(&client_id, &challenge, "read write"),
            login,
            access,
        );
        let params = query_of(&landed);
        assert_eq!(params["state"], "client-state-1");
        assert_eq!(params["iss"], self.public_url.trim_end_matches("/mcp"));
        let tokens = self.redeem(&client_id, &params["code"], &verifier);
        assert_eq!(tokens.status, 200, "{:?}", tokens.json());
        assert_eq!(tokens.header("cache-control"), Some("no-store"));
        let tokens = tokens.json();
        assert!(tokens["expires_in"].as_u64().unwrap() <= 3600);
        SignedIn {
            access: tokens["access_token"].as_str().unwrap().to_string(),
            refresh: tokens["refresh_token"].as_str().unwrap().to_string(),
            client_id,
        }
    }

    pub fn redeem(&self, client_id: &str, code: &str, verifier: &str) -> HttpReply {
        self.post_form(
            "/oauth2/token",
            &[],
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", CLIENT_REDIRECT),
                ("client_id", client_id),
                ("code_verifier", verifier),
                ("resource", &self.public_url),
            ],
        )
    }

    pub fn refresh(&self, signed_in: &SignedIn, refresh_token: &str) -> HttpReply {
        self.post_form(
            "/oauth2/token",
            &[],
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
                ("client_id", &signed_in.client_id),
            ],
        )
    }

    /// `list_customers` of martin's firm (2001) with `token`.
    pub fn martins_customers(&self, token: &str) -> HttpReply {
        self.call(Some(token), "list_customers", json!({ "firm_id": 2001 }))
    }

    /// A 2026-07-28 `tools/call` with `token` (None: no Authorization header).
    pub fn call(&self, token: Option<&str>, tool: &str, arguments: Value) -> HttpReply {
        self.call_with(
            token,
            json!({ "name": tool, "arguments": arguments }),
            json!({}),
        )
    }

    pub fn call_with(&self, token: Option<&str>, params: Value, capabilities: Value) -> HttpReply {
        self.request(token, "tools/call", params, capabilities)
    }

    /// A 2026-07-28 request of `method`, with the headers such a client sends.
    pub fn request(
        &self,
        token: Option<&str>,
        method: &str,
        params: Value,
        capabilities: Value,
    ) -> HttpReply {
        post_mcp(self.address(), token, method, params, capabilities, &[])
    }

    pub fn audit(&self) -> Vec<Value> {
        audit_lines(&self.home.path().join("audit.jsonl"))
    }

    pub fn downloads(&self) -> PathBuf {
        self.home.path().join("downloads")
    }
}

/// A 2026-07-28 request of `method` to `/mcp` at `address` (a replica, or the balancer in
/// front), with `extra` headers.
pub fn post_mcp(
    address: SocketAddr,
    token: Option<&str>,
    method: &str,
    params: Value,
    capabilities: Value,
    extra: &[(&str, &str)],
) -> HttpReply {
    let (mut headers, body) = modern_request(token, method, params, capabilities);
    headers.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    http_request(address, "POST", "/mcp", &headers, body.as_bytes())
}

/// The headers and body of a 2026-07-28 request of `method`, as such a client sends it to
/// `/mcp` with `token` (None: no Authorization header).
pub fn modern_request(
    token: Option<&str>,
    method: &str,
    mut params: Value,
    capabilities: Value,
) -> (Vec<(String, String)>, String) {
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": capabilities,
    });
    let name = params["name"]
        .as_str()
        .or(params["uri"].as_str())
        .unwrap_or_default();
    let mut headers = vec![
        ("Content-Type", "application/json".to_string()),
        ("Accept", "application/json, text/event-stream".to_string()),
        ("MCP-Protocol-Version", MODERN.to_string()),
        ("Mcp-Method", method.to_string()),
    ];
    if !name.is_empty() {
        headers.push(("Mcp-Name", name.to_string()));
    }
    if let Some(token) = token {
        headers.push(("Authorization", format!("Bearer {token}")));
    }
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
    let headers = headers
        .into_iter()
        .map(|(name, value)| (name.to_string(), value))
        .collect();
    (headers, body.to_string())
}

pub fn pkce() -> (String, String) {
    let verifier = BASE64_URL_SAFE_NO_PAD.encode(rand_bytes());
    let challenge = challenge_of(&verifier);
    (verifier, challenge)
}

/// The S256 challenge of `verifier`, whatever it holds.
pub fn challenge_of(verifier: &str) -> String {
    BASE64_URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

pub fn rand_bytes() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).unwrap();
    bytes
}

pub fn between(text: &str, start: &str, end: &str) -> String {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("no {start:?} in {text}"))
        + start.len();
    text[from..from + text[from..].find(end).unwrap()].to_string()
}

/// `http://host:port/path?query` as an address and the path with its query.
pub fn split_url(url: &str) -> (SocketAddr, String) {
    let rest = url
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("not http: {url}"));
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let authority = authority.replace("localhost", "127.0.0.1");
    (authority.parse().unwrap(), path.to_string())
}

pub fn query_of(url: &str) -> std::collections::HashMap<String, String> {
    form_urlencoded::parse(url.split_once('?').map_or("", |(_, q)| q).as_bytes())
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub fn result(reply: &HttpReply) -> Value {
    assert_eq!(
        reply.status,
        200,
        "{:?}",
        String::from_utf8_lossy(&reply.body)
    );
    reply.json()["result"].clone()
}

pub fn text_of(result: &Value) -> String {
    result["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The client capabilities that let the server ask for a confirmation.
pub fn can_be_asked() -> Value {
    json!({ "elicitation": {} })
}

/// `user` asks to delete the customer of firm 2001 and is asked to confirm: the call's
/// params with the state and an accepting answer, as the client sends them back.
pub fn answered_delete(deployment: &Deployment, user: &SignedIn, customer: u64) -> Value {
    let delete = json!({ "name": "delete_customer",
        "arguments": { "firm_id": 2001, "customer_id": customer } });
    let asked = result(&deployment.call_with(Some(&user.access), delete.clone(), can_be_asked()));
    assert_eq!(asked["resultType"], "input_required", "{asked}");
    let mut answered = delete;
    answered["requestState"] = asked["requestState"].clone();
    answered["inputResponses"] =
        json!({ "confirm": { "action": "accept", "content": { "confirm": true } } });
    answered
}

/// How many DELETE requests reached the API.
pub fn deletes(deployment: &Deployment) -> usize {
    deployment
        .emulator
        .requests()
        .iter()
        .filter(|r| r.method == "DELETE")
        .count()
}
