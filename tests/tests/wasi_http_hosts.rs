//! The guest component under wasi:http hosts that are not ours, `wasmtime serve` and
//! `jco serve`: every scenario runs under each (see `on_every_host!`). Without our host in
//! front, the component holds the API credentials itself, so everything our host
//! would otherwise add is the component's own doing here: it stays closed without
//! FACTURATION_HTTP_TOKEN and then wants that bearer token, it refuses to leave the
//! configured base URL (redirects included), it seals confirmation states with a key derived
//! from the credentials (under wasmtime every request gets a fresh instance, so nothing else
//! could carry a state from one request to the next), and it returns files inline for want of a downloads
//! folder.
//!
//! Each test checks what the client got and what the emulator received.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use base64::Engine as _;
use base64::prelude::BASE64_STANDARD;
use facturation_pro_emulator::emulator::{Emulator, EmulatorConfig, RecordedRequest};
use facturation_pro_emulator::harness::component_host::{Host, ServedComponent};
use facturation_pro_emulator::harness::http_client::{HttpEndpoint, HttpReply, http_request};
use facturation_pro_emulator::harness::{TEST_USER_AGENT, assert_route, success};
use serde_json::{Value, json};

const MODERN: &str = "2026-07-28";
const LEGACY: &str = "2025-11-25";
const META_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
const META_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
const META_SERVER_INFO: &str = "io.modelcontextprotocol/serverInfo";

const INVALID_REQUEST: i64 = -32600;
const INVALID_PARAMS: i64 = -32602;
const HEADER_MISMATCH: i64 = -32020;

/// The largest body the component accepts (its `MAX_BODY_BYTES`).
const MAX_BODY_BYTES: usize = 32 << 20;

const TOKEN: &str = "a-long-random-token-for-wasi-http-hosts-0123456789";

/// How many tools the full catalogue holds.
const TOOL_COUNT: usize = 72;

/// The component's environment in a standalone deployment: it holds the API credentials
/// and is protected by a bearer token.
fn standalone_env(base_url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("FACTURATION_BASE_URL", base_url.to_string()),
        ("FACTURATION_API_ID", "demo-api-id".into()),
        ("FACTURATION_API_KEY", "demo-api-key".into()),
        ("FACTURATION_FIRM_ID", "1001".into()),
        ("FACTURATION_USER_AGENT", TEST_USER_AGENT.into()),
        ("FACTURATION_HTTP_TOKEN", TOKEN.into()),
    ]
}

/// Generates, for each scenario `fn name(host: Host)`, one test per host:
/// `wasmtime::name` and `jco::name`, so a failure names its host and either set can be run
/// alone.
macro_rules! on_every_host {
    ($($scenario:ident),* $(,)?) => {
        mod wasmtime {
            $(#[test] fn $scenario() { super::$scenario(super::Host::Wasmtime) })*
        }
        mod jco {
            $(#[test] fn $scenario() { super::$scenario(super::Host::Jco) })*
        }
    };
}

on_every_host!(
    a_modern_session_lists_calls_and_confirms_a_delete,
    a_legacy_session_works_without_a_session_id,
    a_redirect_to_another_host_is_refused_by_the_component_itself,
    without_a_token_nobody_is_served_and_with_one_the_bearer_is_required,
    a_download_comes_back_inline_for_want_of_a_downloads_folder,
    the_component_enforces_the_transport_rules_by_itself,
);

/// An emulator and the component serving against it under a wasi:http host.
struct World {
    emulator: Emulator,
    server: ServedComponent,
}

impl World {
    fn new(host: Host, config: EmulatorConfig) -> Self {
        Self::with(host, config, |_| {})
    }

    fn with(
        host: Host,
        config: EmulatorConfig,
        adjust: impl FnOnce(&mut Vec<(&'static str, String)>),
    ) -> Self {
        let emulator = Emulator::start(config).expect("start the emulator");
        let mut env = standalone_env(&emulator.base_url());
        adjust(&mut env);
        let env: Vec<(&str, &str)> = env
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
            .collect();
        let server = host.start(&env);
        Self { emulator, server }
    }

    /// A modern request with the headers a 2026-07-28 client sends and the bearer token.
    fn modern(&self, id: u64, method: &str, params: Value, capabilities: Value) -> HttpReply {
        let mut params = params;
        params["_meta"] = json!({ META_VERSION: MODERN, META_CAPABILITIES: capabilities });
        let bearer = format!("Bearer {TOKEN}");
        let mut headers = vec![
            ("Authorization", bearer.as_str()),
            ("MCP-Protocol-Version", MODERN),
            ("Mcp-Method", method),
        ];
        let name = params["name"].as_str().map(str::to_string);
        if let Some(name) = &name {
            headers.push(("Mcp-Name", name));
        }
        self.server.post_json(
            &headers,
            &json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }),
        )
    }

    /// A modern request that must succeed; its result, checked to be marked complete.
    fn modern_result(&self, id: u64, method: &str, params: Value, capabilities: Value) -> Value {
        let reply = self.modern(id, method, params, capabilities);
        let result = assert_result(&reply, json!(id), &self.server);
        if result["resultType"] == "complete" {
            assert_complete(&result);
        }
        result
    }

    /// A modern tools/call that must get a result (complete or input_required).
    fn call(&self, id: u64, tool: &str, arguments: Value, capabilities: Value) -> Value {
        self.modern_result(
            id,
            "tools/call",
            json!({ "name": tool, "arguments": arguments }),
            capabilities,
        )
    }

    /// A legacy message with the bearer token, and the version header when given (the
    /// first message of a session, `initialize`, has none).
    fn legacy(&self, message: &Value, version: Option<&str>) -> HttpReply {
        let bearer = format!("Bearer {TOKEN}");
        let mut headers = vec![("Authorization", bearer.as_str())];
        if let Some(version) = version {
            headers.push(("MCP-Protocol-Version", version));
        }
        self.server.post_json(&headers, message)
    }

    /// Every request the emulator received, each checked to carry the credentials the
    /// component holds, the configured User-Agent, and nothing of the MCP client's token.
    fn api_requests(&self) -> Vec<RecordedRequest> {
        let requests = self.emulator.requests();
        for request in &requests {
            assert_eq!(
                request.basic_auth(),
                Some(("demo-api-id".into(), "demo-api-key".into())),
                "{request:#?}"
            );
            assert_eq!(
                request.header("user-agent"),
                Some(TEST_USER_AGENT),
                "{request:#?}"
            );
            assert!(
                request
                    .headers
                    .iter()
                    .all(|(_, value)| !value.contains(TOKEN)),
                "the MCP client's token reached the API: {request:#?}"
            );
        }
        requests
    }

    fn assert_api_untouched(&self) {
        let requests = self.emulator.requests();
        assert!(requests.is_empty(), "the API was called: {requests:#?}");
    }

    /// Asks to delete customer `id` and checks that a question comes back instead; returns
    /// the `requestState` to answer with.
    fn ask_to_delete(&self, request_id: u64, id: u64) -> String {
        let asked = self.call(
            request_id,
            "delete_customer",
            json!({ "customer_id": id }),
            json!({ "elicitation": {} }),
        );
        assert_eq!(asked["resultType"], "input_required", "{asked}");
        assert!(asked.get("content").is_none(), "{asked}");
        let question = &asked["inputRequests"]["confirm"];
        assert_eq!(question["method"], "elicitation/create", "{asked}");
        assert!(
            question["params"]["message"]
                .as_str()
                .is_some_and(|message| message.contains(&id.to_string())),
            "{asked}"
        );
        asked["requestState"]
            .as_str()
            .filter(|state| !state.is_empty())
            .unwrap_or_else(|| panic!("no requestState in {asked}"))
            .to_string()
    }

    /// Sends the delete of customer `id` again with an accepting answer and `state`.
    fn answer_delete(&self, request_id: u64, id: u64, state: &str) -> HttpReply {
        self.modern(
            request_id,
            "tools/call",
            json!({
                "name": "delete_customer",
                "arguments": { "customer_id": id },
                "inputResponses": {
                    "confirm": { "action": "accept", "content": { "confirm": true } },
                },
                "requestState": state,
            }),
            json!({ "elicitation": {} }),
        )
    }
}

/// Checks the reply is a 200 JSON result for `id`; returns the result.
fn assert_result(reply: &HttpReply, id: Value, server: &ServedComponent) -> Value {
    let body = reply.json();
    assert_eq!(
        reply.status,
        200,
        "{body}; {} said: {}",
        server.host().name(),
        server.stderr()
    );
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(body["jsonrpc"], "2.0");
    assert_eq!(body["id"], id, "{body}");
    assert!(body.get("error").is_none(), "{body}");
    body["result"].clone()
}

/// Checks the reply is a JSON-RPC error with this HTTP status and code; returns its message.
fn assert_error(reply: &HttpReply, status: u16, code: i64) -> String {
    let body = reply.json();
    assert_eq!(
        (reply.status, body["error"]["code"].as_i64()),
        (status, Some(code)),
        "{body}"
    );
    assert!(body.get("result").is_none(), "{body}");
    body["error"]["message"]
        .as_str()
        .filter(|message| !message.is_empty())
        .unwrap_or_else(|| panic!("an error without a message: {body}"))
        .to_string()
}

/// Checks a modern result is marked finished and names the server.
fn assert_complete(result: &Value) {
    assert_eq!(result["resultType"], "complete", "{result}");
    assert_eq!(
        result["_meta"][META_SERVER_INFO]["name"], "facturation-pro-mcp",
        "{result}"
    );
}

fn deletes(requests: &[RecordedRequest]) -> Vec<&RecordedRequest> {
    requests
        .iter()
        .filter(|request| request.method == "DELETE")
        .collect()
}

fn a_modern_session_lists_calls_and_confirms_a_delete(host: Host) {
    let world = World::new(host, EmulatorConfig::without_demo_data());

    let discovered = world.modern_result(1, "server/discover", json!({}), json!({}));
    let versions = discovered["supportedVersions"]
        .as_array()
        .unwrap_or_else(|| panic!("no supportedVersions in {discovered}"));
    assert!(
        versions.contains(&json!(MODERN)) && versions.contains(&json!(LEGACY)),
        "{discovered}"
    );
    assert!(
        discovered["capabilities"]["tools"].is_object(),
        "{discovered}"
    );

    let listed = world.modern_result(2, "tools/list", json!({}), json!({}));
    let tools = listed["tools"].as_array().expect("a tools array");
    assert_eq!(tools.len(), TOOL_COUNT, "{listed}");
    assert!(listed.get("nextCursor").is_none(), "{listed}");
    world.assert_api_untouched();

    let created = world.call(
        3,
        "create_customer",
        json!({ "company_name": "Hors Hôte SARL" }),
        json!({}),
    );
    let id = success(&created)["id"].as_u64().expect("the new id");
    let fetched = world.call(4, "get_customer", json!({ "customer_id": id }), json!({}));
    assert_eq!(success(&fetched)["company_name"], "Hors Hôte SARL");

    let requests = world.api_requests();
    assert_eq!(requests.len(), 2, "{requests:#?}");
    let post = &requests[0];
    assert_route(post, "POST", "/firms/1001/customers.json");
    assert_eq!(
        post.json_body(),
        Some(json!({ "company_name": "Hors Hôte SARL" }))
    );
    // A host's outgoing handler passes the body on as the component streams it; the
    // component must still declare its length, as some API front ends refuse chunked bodies.
    assert_eq!(
        post.header("content-length"),
        Some(post.body.len().to_string().as_str()),
        "{post:#?}"
    );
    assert_eq!(post.header("transfer-encoding"), None, "{post:#?}");
    assert_route(
        &requests[1],
        "GET",
        &format!("/firms/1001/customers/{id}.json"),
    );
    world.emulator.clear_requests();

    // A client that can show a form is asked first; nothing reaches the API yet.
    let state = world.ask_to_delete(5, id);
    world.assert_api_untouched();

    // Forged states confirm nothing: one altered, one sealed for another customer.
    let other = world
        .emulator
        .insert_customer(1001, json!({ "company_name": "Autre SARL" }));
    let other_state = world.ask_to_delete(6, other);
    for (request_id, forged) in [(7, format!("{state}-TAMPERED")), (8, other_state)] {
        let reply = world.answer_delete(request_id, id, &forged);
        let message = assert_error(&reply, 400, INVALID_PARAMS);
        assert!(message.contains("requestState"), "{message}");
    }
    assert!(
        deletes(&world.emulator.requests()).is_empty(),
        "a forged state deleted: {:#?}",
        world.emulator.requests()
    );
    assert!(world.emulator.customer(1001, id).is_some());

    // The genuine state verifies, under wasmtime in what is a fresh instance: the sealing
    // key comes from the credentials, not from memory.
    let reply = world.answer_delete(9, id, &state);
    let done = assert_result(&reply, json!(9), &world.server);
    assert_complete(&done);
    assert_eq!(done["isError"], false, "{done}");
    let requests = world.api_requests();
    let deleted = deletes(&requests);
    assert_eq!(deleted.len(), 1, "{requests:#?}");
    assert_route(
        deleted[0],
        "DELETE",
        &format!("/firms/1001/customers/{id}.json"),
    );
    assert!(world.emulator.customer(1001, id).is_none());
    assert!(world.emulator.customer(1001, other).is_some());
    // Every answer was whole, and the component finished each request cleanly too: a panic
    // after the answer is invisible to the client but not to the host's log.
    let log = world.server.stderr();
    assert!(!log.contains("panicked"), "the component panicked:\n{log}");
}

fn a_legacy_session_works_without_a_session_id(host: Host) {
    let world = World::new(host, EmulatorConfig::without_demo_data());

    let reply = world.legacy(
        &json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": LEGACY,
            "capabilities": {},
            "clientInfo": { "name": "wasi-http-tests", "version": "1.0" },
        } }),
        None,
    );
    let initialized = assert_result(&reply, json!(1), &world.server);
    assert_eq!(initialized["protocolVersion"], LEGACY, "{initialized}");
    assert!(
        initialized["capabilities"]["tools"].is_object(),
        "{initialized}"
    );
    assert_eq!(initialized["serverInfo"]["name"], "facturation-pro-mcp");
    // Nothing is kept between requests, so there is no session to name.
    assert_eq!(reply.header("mcp-session-id"), None, "{reply:?}");

    let note = world.legacy(
        &json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }),
        Some(LEGACY),
    );
    assert_eq!(note.status, 202, "{note:?}");
    assert!(note.body.is_empty(), "{note:?}");

    let reply = world.legacy(
        &json!({ "jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {} }),
        Some(LEGACY),
    );
    let listed = assert_result(&reply, json!(2), &world.server);
    assert_eq!(listed["tools"].as_array().map(Vec::len), Some(TOOL_COUNT));
    // A legacy revision never sees the fields of the modern one.
    assert!(listed.get("resultType").is_none(), "{listed}");

    let reply = world.legacy(
        &json!({ "jsonrpc": "2.0", "id": 3, "method": "tools/call",
            "params": { "name": "get_account", "arguments": {} } }),
        Some(LEGACY),
    );
    let called = assert_result(&reply, json!(3), &world.server);
    assert_eq!(success(&called)["email"], "demo@example.test");
    assert!(called.get("resultType").is_none(), "{called}");

    let requests = world.api_requests();
    assert_eq!(requests.len(), 1, "{requests:#?}");
    assert_route(&requests[0], "GET", "/account.json");
}

fn a_redirect_to_another_host_is_refused_by_the_component_itself(host: Host) {
    let world = World::new(host, EmulatorConfig::without_demo_data());
    let elsewhere =
        Emulator::start(EmulatorConfig::without_demo_data()).expect("start a second emulator");
    world
        .emulator
        .redirect_everything_to(Some(elsewhere.base_url()));

    let result = world.call(1, "get_account", json!({}), json!({}));
    assert_eq!(result["isError"], true, "{result}");
    let text = result["content"][0]["text"].as_str().unwrap_or_default();
    assert!(
        text.contains("may only contact") && text.contains(&world.emulator.base_url()),
        "{text}"
    );
    // The host would connect anywhere it is asked to: only the component stands between
    // the redirect and the other host.
    assert_eq!(world.api_requests().len(), 1, "only the first hop is sent");
    assert!(
        elsewhere.requests().is_empty(),
        "the redirect target was contacted: {:#?}",
        elsewhere.requests()
    );
}

fn without_a_token_nobody_is_served_and_with_one_the_bearer_is_required(host: Host) {
    let get_account = |world: &World, id: u64, authorization: Option<&str>| {
        let mut headers = vec![
            ("MCP-Protocol-Version", MODERN),
            ("Mcp-Method", "tools/call"),
            ("Mcp-Name", "get_account"),
        ];
        if let Some(authorization) = authorization {
            headers.push(("Authorization", authorization));
        }
        world.server.post_json(
            &headers,
            &json!({ "jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {
                "name": "get_account", "arguments": {},
                "_meta": { META_VERSION: MODERN, META_CAPABILITIES: {} },
            } }),
        )
    };
    let bearer = format!("Bearer {TOKEN}");

    // Holding an API key with no token to guard it, the component opens to nobody; a blank
    // token is no token, and a short one is too easily guessed.
    for token in [None, Some("   "), Some("short-token")] {
        let closed = World::with(host, EmulatorConfig::without_demo_data(), |env| {
            env.retain(|(name, _)| *name != "FACTURATION_HTTP_TOKEN");
            if let Some(token) = token {
                env.push(("FACTURATION_HTTP_TOKEN", token.to_string()));
            }
        });
        for authorization in [None, Some(bearer.as_str())] {
            let reply = get_account(&closed, 1, authorization);
            let message = assert_error(&reply, 503, INVALID_REQUEST);
            assert!(message.contains("FACTURATION_HTTP_TOKEN"), "{message}");
            assert_eq!(reply.json()["id"], Value::Null);
        }
        closed.assert_api_untouched();
    }

    let guarded = World::new(host, EmulatorConfig::without_demo_data());
    let wrong = format!("Bearer {TOKEN}x");
    // The API's own credentials are no way in either.
    let api_basic = format!(
        "Basic {}",
        BASE64_STANDARD.encode("demo-api-id:demo-api-key")
    );
    for authorization in [None, Some(wrong.as_str()), Some(api_basic.as_str())] {
        let reply = get_account(&guarded, 2, authorization);
        assert_error(&reply, 401, INVALID_REQUEST);
        assert_eq!(
            reply.header("www-authenticate"),
            Some("Bearer"),
            "{reply:?}"
        );
    }
    // Without the token, a large body is refused from the request's head, before any of it
    // is read: nobody outside can make the component hold one.
    let mut stream = TcpStream::connect(guarded.server.address()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream
        .write_all(
            b"POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
              Content-Length: 30000000\r\n\r\n{",
        )
        .unwrap();
    let mut head = [0u8; 12];
    stream
        .read_exact(&mut head)
        .expect("an answer before the body was sent");
    assert_eq!(&head, b"HTTP/1.1 401", "{}", String::from_utf8_lossy(&head));
    guarded.assert_api_untouched();

    // The right token opens it: the refusals above were about the token alone.
    let reply = get_account(&guarded, 3, Some(&bearer));
    let result = assert_result(&reply, json!(3), &guarded.server);
    assert_eq!(success(&result)["email"], "demo@example.test");
    assert_eq!(guarded.api_requests().len(), 1);
}

fn a_download_comes_back_inline_for_want_of_a_downloads_folder(host: Host) {
    let world = World::new(host, EmulatorConfig::default());
    let page = world.call(1, "list_invoices", json!({}), json!({}));
    let invoice_id = success(&page)["invoices"][0]["id"]
        .as_u64()
        .unwrap_or_else(|| panic!("the demo data has invoices: {page}"));
    world.emulator.clear_requests();

    let result = world.call(
        2,
        "download_invoice_pdf",
        json!({ "invoice_id": invoice_id }),
        json!({}),
    );
    let out = success(&result).clone();
    assert_eq!(out["inline"], true, "{out}");
    assert!(out.get("path").is_none(), "{out}");
    assert_eq!(out["mime_type"], "application/pdf", "{out}");
    let resource = result["content"]
        .as_array()
        .expect("a content array")
        .iter()
        .find(|item| item["type"] == "resource")
        .unwrap_or_else(|| panic!("no embedded resource in {result}"));
    assert_eq!(resource["resource"]["mimeType"], "application/pdf");
    let bytes = BASE64_STANDARD
        .decode(
            resource["resource"]["blob"]
                .as_str()
                .expect("a base64 blob"),
        )
        .expect("valid base64");
    assert!(bytes.starts_with(b"%PDF"), "not a PDF");
    assert_eq!(out["size"], json!(bytes.len()));

    let path = format!("/firms/1001/invoices/{invoice_id}.pdf");
    let requests = world.api_requests();
    assert_eq!(requests.len(), 1, "{requests:#?}");
    assert_route(&requests[0], "GET", &path);

    // The very bytes the API serves for that document.
    let credentials = format!(
        "Basic {}",
        BASE64_STANDARD.encode("demo-api-id:demo-api-key")
    );
    let served = http_request(
        SocketAddr::from(([127, 0, 0, 1], world.emulator.port())),
        "GET",
        &path,
        &[
            ("Authorization", &credentials),
            ("User-Agent", TEST_USER_AGENT),
        ],
        b"",
    );
    assert_eq!(served.status, 200);
    assert_eq!(bytes, served.body);
}

/// Every rule of the transport holds with no host of ours in front: the component refuses
/// what is malformed or unwelcome, with the status and JSON-RPC error it would give behind
/// our host, and nothing reaches the API. Each refused request carries the bearer token and
/// is otherwise the one that succeeds at the end, so that each refusal is about its one rule.
fn the_component_enforces_the_transport_rules_by_itself(host: Host) {
    let world = World::new(host, EmulatorConfig::without_demo_data());
    let bearer = format!("Bearer {TOKEN}");
    let message = json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
        "name": "get_account", "arguments": {},
        "_meta": { META_VERSION: MODERN, META_CAPABILITIES: {} },
    } });
    let body = message.to_string();
    let headers = |content_type: Option<&'static str>, method: &'static str| {
        let mut headers = vec![
            ("Authorization", bearer.as_str()),
            ("MCP-Protocol-Version", MODERN),
            ("Mcp-Method", method),
            ("Mcp-Name", "get_account"),
        ];
        headers.extend(content_type.map(|value| ("Content-Type", value)));
        headers
    };
    let json_headers = headers(Some("application/json"), "tools/call");
    // A refusal made before any message was read: no id, and the message given.
    let refused = |reply: &HttpReply, status: u16, expected: &str| {
        let message = assert_error(reply, status, INVALID_REQUEST);
        assert_eq!(message, expected, "{reply:?}");
        assert_eq!(reply.json()["id"], Value::Null, "{reply:?}");
        assert_eq!(
            reply.header("content-type"),
            Some("application/json"),
            "{reply:?}"
        );
        world.assert_api_untouched();
    };

    for path in ["/", "/mcp/", "/mcp/extra", "/MCP"] {
        let reply = world
            .server
            .send("POST", path, &json_headers, body.as_bytes());
        refused(&reply, 404, &format!("MCP is served at /mcp, not {path}"));
    }

    for method in ["GET", "DELETE"] {
        let reply = world.server.send(
            method,
            "/mcp",
            &[
                ("Authorization", bearer.as_str()),
                ("Accept", "text/event-stream"),
            ],
            b"",
        );
        refused(
            &reply,
            405,
            &format!("{method} is not supported: send each message as a POST"),
        );
        assert_eq!(reply.header("allow"), Some("POST"), "{reply:?}");
    }

    for content_type in [None, Some("text/plain")] {
        let reply = world.server.send(
            "POST",
            "/mcp",
            &headers(content_type, "tools/call"),
            body.as_bytes(),
        );
        refused(&reply, 415, "the body must be application/json");
    }

    // A page elsewhere could be a DNS-rebinding attack; the token does not make it welcome.
    let mut from_elsewhere = json_headers.clone();
    from_elsewhere.push(("Origin", "https://evil.example.test"));
    let reply = world
        .server
        .send("POST", "/mcp", &from_elsewhere, body.as_bytes());
    refused(
        &reply,
        403,
        "requests from origin https://evil.example.test are not allowed",
    );

    // A proxy routing on Mcp-Method would have taken this for a listing.
    let reply = world.server.send(
        "POST",
        "/mcp",
        &headers(Some("application/json"), "tools/list"),
        body.as_bytes(),
    );
    let mismatch = assert_error(&reply, 400, HEADER_MISMATCH);
    assert_eq!(
        mismatch, r#"Mcp-Method header "tools/list" does not match the body's "tools/call""#,
        "{reply:?}"
    );
    assert_eq!(reply.json()["id"], 1, "{reply:?}");
    world.assert_api_untouched();

    // A body announced one byte past the cap is refused from the request's head, before it
    // is sent (and read).
    let mut stream = TcpStream::connect(world.server.address()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut head = format!(
        "POST /mcp HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n",
        MAX_BODY_BYTES + 1
    );
    for (name, value) in &json_headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.starts_with("HTTP/1.1 413")
            && answer.contains(&format!("the body is larger than {MAX_BODY_BYTES} bytes")),
        "{answer}"
    );

    // With nothing wrong, the same message is served, from a loopback page too.
    let mut from_here = json_headers.clone();
    from_here.push(("Origin", "http://localhost:5173"));
    let reply = world
        .server
        .send("POST", "/mcp", &from_here, body.as_bytes());
    let result = assert_result(&reply, json!(1), &world.server);
    assert_eq!(success(&result)["email"], "demo@example.test");
    let requests = world.api_requests();
    assert_eq!(requests.len(), 1, "{requests:#?}");
    assert_route(&requests[0], "GET", "/account.json");
    // Refusing, even a body left unread, ends each request cleanly.
    let log = world.server.stderr();
    assert!(!log.contains("panicked"), "the component panicked:\n{log}");
}
