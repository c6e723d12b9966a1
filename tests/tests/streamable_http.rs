//! `facturation-pro-mcp serve --http`: Streamable HTTP, one POST per JSON-RPC message, each
//! answered by a fresh component instance with nothing kept between requests. Covers who
//! may call (path, Origin, bearer token, loopback), what a well-formed request is (method,
//! content type, the 2026-07-28 headers that must agree with the body), which HTTP status
//! each answer carries in each protocol era, and whole sessions in both eras.
//!
//! Every refusal is checked on both sides: the status and body the client got, and an
//! emulator that received nothing.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use base64::Engine as _;
use base64::prelude::BASE64_STANDARD;
use facturation_pro_emulator::emulator::{Emulator, EmulatorConfig, Fault, RecordedRequest};
use facturation_pro_emulator::harness::http_client::{
    HttpEndpoint, HttpMcpServer, HttpReply, http_request,
};
use facturation_pro_emulator::harness::{ServerSetup, TEST_USER_AGENT, assert_route};
use serde_json::{Value, json};
use tempfile::TempDir;

const MODERN: &str = "2026-07-28";
const META_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
const META_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";

const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const METHOD_NOT_FOUND: i64 = -32601;
const INVALID_PARAMS: i64 = -32602;
const HEADER_MISMATCH: i64 = -32020;
const UNSUPPORTED_PROTOCOL_VERSION: i64 = -32022;

const TOKEN: &str = "a-long-random-token-for-the-tests-0123456789";

/// The largest body the server accepts.
const MAX_BODY_BYTES: usize = 32 << 20;

/// How long the emulator holds back a slow answer: long enough that a reply received before
/// it ends shows a request did not wait on another; never compared with a measured duration.
const SLOW: Duration = Duration::from_secs(5);

/// For an answer nobody will wait for.
const NEVER: Duration = Duration::from_secs(3600);

struct World {
    emulator: Emulator,
    server: HttpMcpServer,
    _home: TempDir,
}

impl World {
    fn new() -> Self {
        Self::with(|setup| setup)
    }

    fn with(adjust: impl FnOnce(ServerSetup) -> ServerSetup) -> Self {
        let (emulator, home) = emulator_and_home();
        let server = HttpMcpServer::start(&adjust(setup(&emulator, &home)));
        Self {
            emulator,
            server,
            _home: home,
        }
    }

    /// A modern request with the headers a 2026-07-28 client sends.
    fn modern(&self, id: Value, method: &str, params: Value, capabilities: Value) -> HttpReply {
        let mut params = params;
        params["_meta"] = json!({ META_VERSION: MODERN, META_CAPABILITIES: capabilities });
        let name = params["name"].as_str().map(str::to_string);
        let mut headers = vec![("MCP-Protocol-Version", MODERN), ("Mcp-Method", method)];
        if let Some(name) = &name {
            headers.push(("Mcp-Name", name));
        }
        self.server.post_json(
            &headers,
            &json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }),
        )
    }

    /// A legacy request, with the version header when `version` is given.
    fn legacy(&self, id: Value, method: &str, params: Value, version: Option<&str>) -> HttpReply {
        let headers: Vec<(&str, &str)> = version
            .map(|version| ("MCP-Protocol-Version", version))
            .into_iter()
            .collect();
        self.server.post_json(
            &headers,
            &json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }),
        )
    }

    fn customer(&self, name: &str) -> u64 {
        self.emulator
            .insert_customer(1001, json!({ "company_name": name }))
    }

    fn assert_api_untouched(&self) {
        let requests = self.emulator.requests();
        assert!(requests.is_empty(), "the API was called: {requests:#?}");
    }

    /// Every request the emulator received, each checked to carry the API credentials as
    /// HTTP Basic and nothing of the MCP client's own authorization.
    fn api_requests(&self) -> Vec<RecordedRequest> {
        let requests = self.emulator.requests();
        for request in &requests {
            assert_eq!(
                request.basic_auth(),
                Some(("demo-api-id".into(), "demo-api-key".into())),
                "{request:#?}"
            );
            assert_eq!(request.header("user-agent"), Some(TEST_USER_AGENT));
            assert!(
                request
                    .headers
                    .iter()
                    .all(|(_, value)| !value.contains(TOKEN)
                        && !value.to_ascii_lowercase().starts_with("bearer")),
                "the MCP client's token reached the API: {request:#?}"
            );
        }
        requests
    }
}

fn emulator_and_home() -> (Emulator, TempDir) {
    let emulator =
        Emulator::start(EmulatorConfig::without_demo_data()).expect("start the emulator");
    let home = tempfile::tempdir().expect("a temporary home");
    (emulator, home)
}

fn setup(emulator: &Emulator, home: &TempDir) -> ServerSetup {
    ServerSetup::against(&emulator.base_url(), &home.path().join("downloads"))
}

/// A JSON-RPC request body.
fn rpc(id: Value, method: &str, params: Value) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params })
}

/// A modern get_account call body, whose headers tests then vary.
fn modern_get_account(id: Value) -> Value {
    rpc(
        id,
        "tools/call",
        json!({ "name": "get_account", "arguments": {},
            "_meta": { META_VERSION: MODERN, META_CAPABILITIES: {} } }),
    )
}

/// Checks the reply is a JSON-RPC error with this status and code; returns its body.
fn assert_error(reply: &HttpReply, status: u16, code: i64) -> Value {
    let body = reply.json();
    assert_eq!(
        (reply.status, body["error"]["code"].as_i64()),
        (status, Some(code)),
        "{body}"
    );
    assert!(body.get("result").is_none(), "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|message| !message.is_empty()),
        "{body}"
    );
    assert_eq!(
        reply.header("content-type"),
        Some("application/json"),
        "{reply:?}"
    );
    body
}

/// Checks the reply is a 200 JSON-RPC result for `id`; returns the result.
fn assert_result(reply: &HttpReply, id: Value) -> Value {
    let body = reply.json();
    assert_eq!(reply.status, 200, "{body}");
    assert_eq!(body["jsonrpc"], "2.0");
    assert_eq!(body["id"], id, "{body}");
    assert!(body.get("error").is_none(), "{body}");
    assert_eq!(reply.header("content-type"), Some("application/json"));
    body["result"].clone()
}

/// A refusal made before any JSON-RPC message was read: it has no id to answer.
fn assert_refusal(reply: &HttpReply, status: u16) {
    let body = assert_error(reply, status, INVALID_REQUEST);
    assert_eq!(body["id"], Value::Null, "{body}");
}

fn assert_is_account(result: &Value) {
    assert_eq!(result["isError"], false, "{result}");
    assert_eq!(result["structuredContent"]["email"], "demo@example.test");
}

// ---- who may call -----------------------------------------------------------------------

#[test]
fn only_the_mcp_path_is_served() {
    let world = World::new();
    let body = modern_get_account(json!(1)).to_string();
    let headers = [
        ("Content-Type", "application/json"),
        ("MCP-Protocol-Version", MODERN),
        ("Mcp-Method", "tools/call"),
        ("Mcp-Name", "get_account"),
    ];
    for path in ["/", "/mcp/", "/mcp/extra", "/sse", "/MCP"] {
        let reply = world.server.send("POST", path, &headers, body.as_bytes());
        assert_refusal(&reply, 404);
    }
    world.assert_api_untouched();
    // A query string does not change the path.
    let reply = world
        .server
        .send("POST", "/mcp?from=test", &headers, body.as_bytes());
    assert_is_account(&assert_result(&reply, json!(1)));
    assert_eq!(world.api_requests().len(), 1);
}

#[test]
fn browser_origins_other_than_loopback_must_be_listed() {
    let world = World::with(|setup| {
        setup.with_env(
            "FACTURATION_HTTP_ALLOWED_ORIGINS",
            "https://app.example.test, https://second.example.test",
        )
    });
    let send = |origin: &str| {
        world.server.post_json(
            &[
                ("Origin", origin),
                ("MCP-Protocol-Version", MODERN),
                ("Mcp-Method", "tools/call"),
                ("Mcp-Name", "get_account"),
            ],
            &modern_get_account(json!("o")),
        )
    };
    // Pages elsewhere could be DNS-rebinding attacks on a local server.
    for origin in [
        "https://evil.example.test",
        "http://localhost.evil.example.test",
        "http://127.0.0.1.evil.example.test",
        "null",
        "file://localhost",
        "https://app.example.test:8443",
    ] {
        assert_refusal(&send(origin), 403);
    }
    world.assert_api_untouched();
    let allowed = [
        "http://localhost",
        "http://localhost:5173",
        "https://127.0.0.1",
        "http://127.0.0.1:9999",
        "http://[::1]:8080",
        "https://app.example.test",
        "https://second.example.test",
    ];
    for origin in allowed {
        assert_is_account(&assert_result(&send(origin), json!("o")));
    }
    assert_eq!(world.api_requests().len(), allowed.len());
}

#[test]
fn with_a_token_every_request_must_carry_it_and_the_api_never_sees_it() {
    let world = World::with(|setup| setup.with_env("FACTURATION_HTTP_TOKEN", TOKEN));
    let body = modern_get_account(json!(7)).to_string();
    let headers = |authorization: Option<&'static str>| {
        let mut headers = vec![
            ("Content-Type", "application/json"),
            ("MCP-Protocol-Version", MODERN),
            ("Mcp-Method", "tools/call"),
            ("Mcp-Name", "get_account"),
        ];
        headers.extend(authorization.map(|value| ("Authorization", value)));
        headers
    };
    let wrong_length = "Bearer a-long-random-token-for-the-tests";
    let same_length = "Bearer a-long-random-token-for-the-tests-0123456780";
    let as_basic = "Basic YTpi";
    for authorization in [None, Some(wrong_length), Some(same_length), Some(as_basic)] {
        let reply = world
            .server
            .send("POST", "/mcp", &headers(authorization), body.as_bytes());
        assert_refusal(&reply, 401);
        assert_eq!(
            reply.header("www-authenticate"),
            Some("Bearer"),
            "{authorization:?}"
        );
    }
    // Other methods too: the token comes before everything else.
    let reply = world.server.send("GET", "/mcp", &[], b"");
    assert_refusal(&reply, 401);
    world.assert_api_untouched();

    let right = format!("Bearer {TOKEN}");
    let reply = world.server.send(
        "POST",
        "/mcp",
        &[
            ("Content-Type", "application/json"),
            ("Authorization", right.as_str()),
            ("MCP-Protocol-Version", MODERN),
            ("Mcp-Method", "tools/call"),
            ("Mcp-Name", "get_account"),
        ],
        body.as_bytes(),
    );
    assert_is_account(&assert_result(&reply, json!(7)));
    let requests = world.api_requests();
    assert_eq!(requests.len(), 1, "{requests:#?}");
    assert_route(&requests[0], "GET", "/account.json");
}

#[test]
fn beyond_loopback_the_server_refuses_to_start_without_a_token() {
    let (emulator, home) = emulator_and_home();
    let refused = HttpMcpServer::try_start_at(&setup(&emulator, &home), "0.0.0.0:0");
    let Err((status, stderr)) = refused else {
        panic!("serve --http 0.0.0.0:0 started without FACTURATION_HTTP_TOKEN");
    };
    assert!(!status.success(), "{status}: {stderr}");
    assert!(stderr.contains("FACTURATION_HTTP_TOKEN"), "{stderr}");
    assert!(emulator.requests().is_empty());

    // With a token it serves, and asks for it.
    let server = HttpMcpServer::start_at(
        &setup(&emulator, &home).with_env("FACTURATION_HTTP_TOKEN", TOKEN),
        "0.0.0.0:0",
    );
    let port = server.address().port();
    let local = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let body = modern_get_account(json!(1)).to_string();
    let mut headers = vec![
        ("Content-Type", "application/json"),
        ("MCP-Protocol-Version", MODERN),
        ("Mcp-Method", "tools/call"),
        ("Mcp-Name", "get_account"),
    ];
    let reply = http_request(local, "POST", "/mcp", &headers, body.as_bytes());
    assert_refusal(&reply, 401);
    assert!(emulator.requests().is_empty());
    let right = format!("Bearer {TOKEN}");
    headers.push(("Authorization", &right));
    let reply = http_request(local, "POST", "/mcp", &headers, body.as_bytes());
    assert_is_account(&assert_result(&reply, json!(1)));
    assert_eq!(emulator.requests().len(), 1);
}

// ---- well-formed requests ---------------------------------------------------------------

#[test]
fn only_post_is_accepted() {
    let world = World::new();
    for method in ["GET", "DELETE", "PUT"] {
        let reply = world
            .server
            .send(method, "/mcp", &[("Accept", "text/event-stream")], b"");
        assert_refusal(&reply, 405);
        assert_eq!(reply.header("allow"), Some("POST"), "{method}");
    }
    world.assert_api_untouched();
}

#[test]
fn the_body_must_be_declared_as_json() {
    let world = World::new();
    let body = modern_get_account(json!(3)).to_string();
    let modern = [
        ("MCP-Protocol-Version", MODERN),
        ("Mcp-Method", "tools/call"),
        ("Mcp-Name", "get_account"),
    ];
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let mut headers = modern.to_vec();
        headers.extend(content_type.map(|value| ("Content-Type", value)));
        let reply = world.server.send("POST", "/mcp", &headers, body.as_bytes());
        assert_refusal(&reply, 415);
    }
    world.assert_api_untouched();
    let mut headers = modern.to_vec();
    headers.push(("Content-Type", "Application/JSON; charset=utf-8"));
    let reply = world.server.send("POST", "/mcp", &headers, body.as_bytes());
    assert_is_account(&assert_result(&reply, json!(3)));
    assert_eq!(world.api_requests().len(), 1);
}

#[test]
fn notifications_and_stray_responses_are_accepted_with_an_empty_body() {
    let world = World::new();
    let meta = json!({ META_VERSION: MODERN, META_CAPABILITIES: {} });
    for message in [
        json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }),
        json!({ "jsonrpc": "2.0", "method": "notifications/cancelled", "params": { "requestId": 5 } }),
        json!({ "jsonrpc": "2.0", "method": "notifications/cancelled",
            "params": { "requestId": 5, "_meta": meta } }),
        json!({ "jsonrpc": "2.0", "id": "server-1", "result": { "action": "accept" } }),
    ] {
        let reply = world.server.post_json(&[], &message);
        assert_eq!(reply.status, 202, "{message}: {reply:?}");
        assert!(reply.body.is_empty(), "{message}: {reply:?}");
    }
    world.assert_api_untouched();
}

#[test]
fn modern_headers_must_agree_with_the_body() {
    let world = World::new();
    let body = modern_get_account(json!("h"));
    let encoded = format!("=?base64?{}?=", BASE64_STANDARD.encode("get_account"));
    let wrong_encoded = format!("=?base64?{}?=", BASE64_STANDARD.encode("delete_customer"));
    let version = ("MCP-Protocol-Version", MODERN);
    let method = ("Mcp-Method", "tools/call");
    let name = ("Mcp-Name", "get_account");
    let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("no version header", vec![method, name]),
        (
            "an older version header",
            vec![("MCP-Protocol-Version", "2025-11-25"), method, name],
        ),
        ("no method header", vec![version, name]),
        (
            "another method",
            vec![version, ("Mcp-Method", "tools/list"), name],
        ),
        ("no name header", vec![version, method]),
        (
            "another name",
            vec![version, method, ("Mcp-Name", "delete_customer")],
        ),
        (
            "another name in base64",
            vec![version, method, ("Mcp-Name", &wrong_encoded)],
        ),
        (
            "broken base64",
            vec![version, method, ("Mcp-Name", "=?base64?***?=")],
        ),
    ];
    for (why, headers) in &cases {
        let reply = world.server.post_json(headers, &body);
        let answer = assert_error(&reply, 400, HEADER_MISMATCH);
        assert_eq!(answer["id"], "h", "{why}: {answer}");
    }
    world.assert_api_untouched();

    for name in [name, ("Mcp-Name", &encoded)] {
        let reply = world.server.post_json(&[version, method, name], &body);
        assert_is_account(&assert_result(&reply, json!("h")));
    }
    // A name that is not plain ASCII travels in base64; once decoded, the body judges it.
    let odd_name = "facture n°1";
    let odd_header = format!("=?base64?{}?=", BASE64_STANDARD.encode(odd_name));
    let reply = world.server.post_json(
        &[version, method, ("Mcp-Name", &odd_header)],
        &rpc(
            json!("u"),
            "tools/call",
            json!({ "name": odd_name, "arguments": {},
                "_meta": { META_VERSION: MODERN, META_CAPABILITIES: {} } }),
        ),
    );
    let answer = assert_error(&reply, 400, INVALID_PARAMS);
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Unknown tool: facture n°1"),
        "{answer}"
    );
    // Methods without a name need no Mcp-Name.
    let listed = world.modern(json!("l"), "tools/list", json!({}), json!({}));
    assert_eq!(assert_result(&listed, json!("l"))["resultType"], "complete");
    let requests = world.api_requests();
    assert_eq!(requests.len(), 2, "{requests:#?}");
}

#[test]
fn a_body_past_32_mib_is_refused_and_one_at_the_cap_is_served() {
    let world = World::new();
    let headers = [
        ("Content-Type", "application/json"),
        ("MCP-Protocol-Version", MODERN),
        ("Mcp-Method", "tools/call"),
        ("Mcp-Name", "get_account"),
    ];
    // The same message each time, padded with whitespace: valid JSON whatever its size, so
    // the size alone decides.
    let padded = |size: usize| {
        let mut body = modern_get_account(json!("big")).to_string().into_bytes();
        body.resize(size, b' ');
        body
    };

    // One byte too many: the host passes it on, and the component refuses it unread.
    let reply = world
        .server
        .send("POST", "/mcp", &headers, &padded(MAX_BODY_BYTES + 1));
    assert_refusal(&reply, 413);
    assert_eq!(
        reply.json()["error"]["message"],
        format!("the body is larger than {MAX_BODY_BYTES} bytes"),
        "{reply:?}"
    );
    world.assert_api_untouched();

    // Exactly at the cap, the largest body there is, the message is served.
    let reply = world
        .server
        .send("POST", "/mcp", &headers, &padded(MAX_BODY_BYTES));
    assert_is_account(&assert_result(&reply, json!("big")));
    let requests = world.api_requests();
    assert_eq!(requests.len(), 1, "{requests:#?}");
    assert_route(&requests[0], "GET", "/account.json");
}

// ---- status codes -----------------------------------------------------------------------

#[test]
fn modern_errors_carry_the_matching_http_status() {
    let world = World::new();
    for method in ["ping", "initialize", "resources/subscribe", "tasks/list"] {
        let reply = world.modern(json!(1), method, json!({}), json!({}));
        assert_error(&reply, 404, METHOD_NOT_FOUND);
    }
    let unknown_tool = world.modern(
        json!(2),
        "tools/call",
        json!({ "name": "no_such_tool", "arguments": {} }),
        json!({}),
    );
    assert_error(&unknown_tool, 400, INVALID_PARAMS);

    let no_capabilities = world.server.post_json(
        &[
            ("MCP-Protocol-Version", MODERN),
            ("Mcp-Method", "tools/call"),
            ("Mcp-Name", "get_account"),
        ],
        &rpc(
            json!(3),
            "tools/call",
            json!({ "name": "get_account", "arguments": {}, "_meta": { META_VERSION: MODERN } }),
        ),
    );
    assert_error(&no_capabilities, 400, INVALID_PARAMS);

    let future = world.server.post_json(
        &[
            ("MCP-Protocol-Version", "2099-01-01"),
            ("Mcp-Method", "tools/call"),
            ("Mcp-Name", "get_account"),
        ],
        &rpc(
            json!(4),
            "tools/call",
            json!({ "name": "get_account", "arguments": {},
                "_meta": { META_VERSION: "2099-01-01", META_CAPABILITIES: {} } }),
        ),
    );
    let body = assert_error(&future, 400, UNSUPPORTED_PROTOCOL_VERSION);
    assert_eq!(body["error"]["data"]["requested"], "2099-01-01");
    assert_eq!(
        body["error"]["data"]["supported"],
        json!([
            MODERN,
            "2025-11-25",
            "2025-06-18",
            "2025-03-26",
            "2024-11-05"
        ])
    );
    world.assert_api_untouched();
}

#[test]
fn legacy_errors_come_with_status_200_unless_the_message_is_unusable() {
    let world = World::new();
    // A legacy client takes a 404 for a lost session and would start over.
    let unknown_method = world.legacy(
        json!(1),
        "resources/subscribe",
        json!({}),
        Some("2025-11-25"),
    );
    assert_error(&unknown_method, 200, METHOD_NOT_FOUND);
    let unknown_tool = world.legacy(
        json!(2),
        "tools/call",
        json!({ "name": "no_such_tool", "arguments": {} }),
        Some("2025-06-18"),
    );
    assert_error(&unknown_tool, 200, INVALID_PARAMS);
    let bad_cursor = world.legacy(
        json!(3),
        "tools/list",
        json!({ "cursor": "not-one-of-ours" }),
        None,
    );
    assert_error(&bad_cursor, 200, INVALID_PARAMS);

    // Messages that are not JSON-RPC requests at all are refused as bad HTTP requests.
    let params_not_an_object = world.server.post_json(
        &[],
        &json!({ "jsonrpc": "2.0", "id": 6, "method": "tools/list", "params": [1] }),
    );
    assert_eq!(
        assert_error(&params_not_an_object, 400, INVALID_PARAMS)["id"],
        6
    );
    let unparseable = world.server.send(
        "POST",
        "/mcp",
        &[("Content-Type", "application/json")],
        b"{\"jsonrpc\": \"2.0\", \"id\": ",
    );
    assert_eq!(
        assert_error(&unparseable, 400, PARSE_ERROR)["id"],
        Value::Null
    );
    let batch = world
        .server
        .post_json(&[], &json!([rpc(json!(4), "ping", json!({}))]));
    assert_error(&batch, 400, INVALID_REQUEST);
    // A version the server does not speak cannot be answered in it.
    let unknown_version = world.legacy(json!(5), "tools/list", json!({}), Some("1999-01-01"));
    let body = assert_error(&unknown_version, 400, UNSUPPORTED_PROTOCOL_VERSION);
    assert_eq!(body["error"]["data"]["requested"], "1999-01-01");
    world.assert_api_untouched();
}

// ---- whole sessions ---------------------------------------------------------------------

#[test]
fn a_modern_session_discovers_lists_calls_and_confirms() {
    let world = World::new();
    let form = json!({ "elicitation": { "form": {} } });

    let discovered = assert_result(
        &world.modern(json!(1), "server/discover", json!({}), form.clone()),
        json!(1),
    );
    assert_eq!(discovered["supportedVersions"][0], MODERN);
    assert_eq!(discovered["resultType"], "complete");
    assert_eq!(discovered["cacheScope"], "public");

    let listed = assert_result(
        &world.modern(json!(2), "tools/list", json!({}), form.clone()),
        json!(2),
    );
    assert_eq!(listed["tools"].as_array().unwrap().len(), 72);
    assert_eq!(listed["resultType"], "complete");
    assert!(listed["ttlMs"].as_u64().is_some_and(|ttl| ttl > 0));
    world.assert_api_untouched();

    let created = assert_result(
        &world.modern(
            json!(3),
            "tools/call",
            json!({ "name": "create_customer", "arguments": { "company_name": "Via HTTP" } }),
            form.clone(),
        ),
        json!(3),
    );
    assert_eq!(created["resultType"], "complete");
    assert_eq!(created["isError"], false, "{created}");
    let id = created["structuredContent"]["id"].as_u64().unwrap();
    let fetched = assert_result(
        &world.modern(
            json!(4),
            "tools/call",
            json!({ "name": "get_customer", "arguments": { "customer_id": id } }),
            form.clone(),
        ),
        json!(4),
    );
    assert_eq!(fetched["structuredContent"]["company_name"], "Via HTTP");
    let requests = world.api_requests();
    assert_eq!(requests.len(), 2, "{requests:#?}");
    assert_route(&requests[0], "POST", "/firms/1001/customers.json");
    assert_eq!(
        requests[0].header("content-length"),
        Some(requests[0].body.len().to_string().as_str())
    );
    assert_eq!(requests[0].header("transfer-encoding"), None);
    assert_route(
        &requests[1],
        "GET",
        &format!("/firms/1001/customers/{id}.json"),
    );
    world.emulator.clear_requests();

    // The question comes back as a result; nothing is sent before the answer.
    let delete = json!({ "name": "delete_customer", "arguments": { "customer_id": id } });
    let asked = assert_result(
        &world.modern(json!(5), "tools/call", delete.clone(), form.clone()),
        json!(5),
    );
    assert_eq!(asked["resultType"], "input_required", "{asked}");
    assert_eq!(
        asked["inputRequests"]["confirm"]["method"],
        "elicitation/create"
    );
    let state = asked["requestState"].as_str().unwrap().to_string();
    world.assert_api_untouched();

    // The state confirms that one call: for another customer it is refused, unsent.
    let other = world.customer("Pas Celui-Là");
    let mismatched = world.modern(
        json!(6),
        "tools/call",
        json!({ "name": "delete_customer", "arguments": { "customer_id": other },
            "inputResponses": { "confirm": { "action": "accept", "content": { "confirm": true } } },
            "requestState": state }),
        form.clone(),
    );
    let body = assert_error(&mismatched, 400, INVALID_PARAMS);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("requestState rejected"),
        "{body}"
    );
    world.assert_api_untouched();

    let mut answered = delete;
    answered["inputResponses"] =
        json!({ "confirm": { "action": "accept", "content": { "confirm": true } } });
    answered["requestState"] = json!(state);
    let done = assert_result(
        &world.modern(json!(7), "tools/call", answered.clone(), form.clone()),
        json!(7),
    );
    assert_eq!(done["resultType"], "complete", "{done}");
    assert_eq!(done["isError"], false, "{done}");
    // The same answer posted again (a retry after a lost response) confirms nothing more:
    // the user is asked anew.
    let replayed = assert_result(
        &world.modern(json!(8), "tools/call", answered, form),
        json!(8),
    );
    assert_eq!(replayed["resultType"], "input_required", "{replayed}");
    assert_ne!(replayed["requestState"], json!(state));
    let requests = world.api_requests();
    assert_eq!(requests.len(), 1, "{requests:#?}");
    assert_route(
        &requests[0],
        "DELETE",
        &format!("/firms/1001/customers/{id}.json"),
    );
    assert!(world.emulator.customer(1001, id).is_none());
    assert!(world.emulator.customer(1001, other).is_some());
}

#[test]
fn a_legacy_client_initializes_lists_and_calls_without_a_session() {
    let world = World::new();
    let initialize = world.legacy(
        json!(1),
        "initialize",
        json!({ "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": { "name": "legacy-http", "version": "1" } }),
        None,
    );
    let init = assert_result(&initialize, json!(1));
    assert_eq!(init["protocolVersion"], "2025-06-18");
    assert_eq!(init["serverInfo"]["name"], "facturation-pro-mcp");
    assert!(init.get("resultType").is_none(), "{init}");
    // The host opens a session (for calls that ask the client something, see
    // legacy_http_sessions.rs), but a client that never sends it back is served all the same.
    assert!(
        initialize.header("mcp-session-id").is_some(),
        "{initialize:?}"
    );
    let notified = world.server.post_json(
        &[("MCP-Protocol-Version", "2025-06-18")],
        &json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }),
    );
    assert_eq!(notified.status, 202);

    let listed = assert_result(
        &world.legacy(json!(2), "tools/list", json!({}), Some("2025-06-18")),
        json!(2),
    );
    for field in ["resultType", "ttlMs", "cacheScope"] {
        assert!(listed.get(field).is_none(), "{field} in a legacy list");
    }
    let tools = listed["tools"].as_array().unwrap();
    assert_eq!(tools.len(), 72);
    assert!(tools.iter().all(|tool| tool.get("title").is_some()));

    let called = assert_result(
        &world.legacy(
            json!(3),
            "tools/call",
            json!({ "name": "get_account", "arguments": {} }),
            Some("2025-06-18"),
        ),
        json!(3),
    );
    assert_is_account(&called);
    assert!(called.get("resultType").is_none(), "{called}");

    // Without the version header, a request speaks 2025-03-26: no titles, no structured
    // results.
    let old_list = assert_result(
        &world.legacy(json!(4), "tools/list", json!({}), None),
        json!(4),
    );
    assert!(
        old_list["tools"]
            .as_array()
            .unwrap()
            .iter()
            .all(|tool| tool.get("title").is_none() && tool.get("outputSchema").is_none())
    );
    let old_call = assert_result(
        &world.legacy(
            json!(5),
            "tools/call",
            json!({ "name": "get_account", "arguments": {} }),
            None,
        ),
        json!(5),
    );
    assert_eq!(old_call["isError"], false, "{old_call}");
    assert!(old_call.get("structuredContent").is_none(), "{old_call}");
    let ping = assert_result(
        &world.legacy(json!(6), "ping", json!({}), Some("2025-06-18")),
        json!(6),
    );
    assert_eq!(ping, json!({}));

    let requests = world.api_requests();
    assert_eq!(requests.len(), 2, "{requests:#?}");
    for request in &requests {
        assert_route(request, "GET", "/account.json");
    }
}

// ---- side by side -----------------------------------------------------------------------

/// A modern tools/call body.
fn modern_call(id: Value, tool: &str, arguments: Value) -> Value {
    rpc(
        id,
        "tools/call",
        json!({ "name": tool, "arguments": arguments,
            "_meta": { META_VERSION: MODERN, META_CAPABILITIES: {} } }),
    )
}

/// The headers a modern client sends with a call of `tool`.
fn call_headers(tool: &str) -> [(&str, &str); 4] {
    [
        ("Content-Type", "application/json"),
        ("MCP-Protocol-Version", MODERN),
        ("Mcp-Method", "tools/call"),
        ("Mcp-Name", tool),
    ]
}

#[test]
fn a_call_waiting_on_the_api_holds_up_no_other_connection() {
    let world = World::new();
    let id = world.customer("Lent");
    world.emulator.inject(Fault::Slow {
        times: 1,
        delay: SLOW,
    });
    // Which replies came back, in the order they did.
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let slow = {
        let arrivals = Arc::clone(&arrivals);
        let address = world.server.address();
        let body = modern_call(json!("slow"), "get_customer", json!({ "customer_id": id }));
        thread::spawn(move || {
            let reply = http_request(
                address,
                "POST",
                "/mcp",
                &call_headers("get_customer"),
                body.to_string().as_bytes(),
            );
            arrivals.lock().unwrap().push("slow");
            reply
        })
    };
    // The call is now waiting on the API, which holds its answer back.
    world.emulator.wait_for_requests(1);

    // Each on a connection of its own, answered while the call still waits.
    let discovered = world.modern(json!("discover"), "server/discover", json!({}), json!({}));
    arrivals.lock().unwrap().push("discover");
    let listed = world.modern(json!("list"), "tools/list", json!({}), json!({}));
    arrivals.lock().unwrap().push("list");
    assert_eq!(*arrivals.lock().unwrap(), ["discover", "list"]);
    let discovered = assert_result(&discovered, json!("discover"));
    assert_eq!(discovered["supportedVersions"][0], MODERN, "{discovered}");
    let listed = assert_result(&listed, json!("list"));
    assert_eq!(listed["tools"].as_array().map(Vec::len), Some(72));

    // Then the call gets its own answer, whole.
    let called = slow.join().expect("the slow call's client");
    assert_eq!(*arrivals.lock().unwrap(), ["discover", "list", "slow"]);
    let called = assert_result(&called, json!("slow"));
    assert_eq!(called["resultType"], "complete", "{called}");
    assert_eq!(called["isError"], false, "{called}");
    assert_eq!(called["structuredContent"]["id"], id, "{called}");
    assert_eq!(called["structuredContent"]["company_name"], "Lent");
    let requests = world.api_requests();
    assert_eq!(requests.len(), 1, "{requests:#?}");
    assert_route(
        &requests[0],
        "GET",
        &format!("/firms/1001/customers/{id}.json"),
    );
    assert_eq!(requests[0].status, 200);
}

#[test]
fn clients_that_hang_up_mid_request_leave_the_server_serving() {
    let world = World::new();
    let id = world.customer("Reste");
    let address = world.server.address();
    // A request written by hand, so that the client can stop wherever it likes.
    let start = |tool: &str, body: &[u8], length: usize| {
        let mut head = format!("POST /mcp HTTP/1.1\r\nHost: {address}\r\n");
        for (name, value) in call_headers(tool) {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str(&format!("Content-Length: {length}\r\n\r\n"));
        let mut stream = TcpStream::connect(address).expect("connect to the MCP server");
        stream
            .write_all(head.as_bytes())
            .and_then(|()| stream.write_all(body))
            .expect("send the request");
        stream
    };

    // One client leaves while its call waits on an API that would answer only much later.
    // A creation, which is never sent twice, so the API's log below is exact.
    world.emulator.inject(Fault::Slow {
        times: 1,
        delay: NEVER,
    });
    let create = modern_call(
        json!("gone"),
        "create_customer",
        json!({ "company_name": "Parti" }),
    )
    .to_string();
    let waiting = start("create_customer", create.as_bytes(), create.len());
    world.emulator.wait_for_requests(1);
    drop(waiting);

    // Another stops sending halfway through its body: it is told its body was cut short
    // (not that it was too large), and nothing runs.
    let read = modern_call(json!("half"), "get_customer", json!({ "customer_id": id })).to_string();
    let mut halfway = start(
        "get_customer",
        &read.as_bytes()[..read.len() / 2],
        read.len(),
    );
    halfway
        .shutdown(std::net::Shutdown::Write)
        .expect("stop sending");
    // A guard against a server that never answers, not a claim about speed.
    halfway
        .set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .expect("a read timeout");
    let mut answer = Vec::new();
    let _ = halfway.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("the body could not be read"), "{answer}");
    drop(halfway);

    // The server serves on, API calls included.
    let discovered = world.modern(json!("discover"), "server/discover", json!({}), json!({}));
    assert_eq!(
        assert_result(&discovered, json!("discover"))["supportedVersions"][0],
        MODERN
    );
    let reply = world.server.send(
        "POST",
        "/mcp",
        &call_headers("get_customer"),
        modern_call(json!("after"), "get_customer", json!({ "customer_id": id }))
            .to_string()
            .as_bytes(),
    );
    let called = assert_result(&reply, json!("after"));
    assert_eq!(called["isError"], false, "{called}");
    assert_eq!(
        called["structuredContent"]["company_name"], "Reste",
        "{called}"
    );

    // The abandoned creation was sent once; the half-sent read never ran.
    let requests = world.api_requests();
    assert_eq!(requests.len(), 2, "{requests:#?}");
    assert_route(&requests[0], "POST", "/firms/1001/customers.json");
    assert_route(
        &requests[1],
        "GET",
        &format!("/firms/1001/customers/{id}.json"),
    );
}
