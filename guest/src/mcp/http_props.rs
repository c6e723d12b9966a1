//! Property tests of the HTTP transport (`serve`): random methods, paths, headers and
//! bodies, through the real parsing, header checks and dispatch, with a one-tool stand-in
//! for the tool and library layers. Whatever arrives, the answer is well formed, a body
//! that cannot be read is a 400 parse error, and a readable id is always echoed.

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::http::{Access, ENDPOINT, HttpRequest, HttpResponse, serve};
use super::jsonrpc::{HEADER_MISMATCH, INVALID_PARAMS, INVALID_REQUEST, PARSE_ERROR};
use super::library::{
    Arguments, CacheScope, Cached, Completion, CompletionRequest, LibraryError, LibraryProvider,
};
use super::protocol::{
    CallOutcome, MODERN_VERSION, Server, ServerInfo, ToolCall, ToolCallError, ToolProvider,
};

/// One tool, `echo`, answering with its arguments.
struct Echo;

impl ToolProvider for Echo {
    fn tools(&self) -> Vec<&'static str> {
        vec![r#"{"name":"echo","title":"Echo","inputSchema":{"type":"object"}}"#]
    }
    fn call(
        &self,
        name: &str,
        arguments: Map<String, Value>,
        _: ToolCall,
    ) -> Result<CallOutcome, ToolCallError> {
        Ok(CallOutcome::Complete(
            json!({ "content": [], "structuredContent": { "name": name, "arguments": arguments } }),
        ))
    }
}

/// A library with nothing in it.
struct Empty;

impl LibraryProvider for Empty {
    fn resources(&self) -> Cached<Vec<Value>> {
        nothing()
    }
    fn resource_templates(&self) -> Cached<Vec<Value>> {
        nothing()
    }
    fn read_resource(&self, uri: &str) -> Result<Cached<Vec<Value>>, LibraryError> {
        Err(LibraryError::ResourceNotFound {
            uri: uri.into(),
            reason: "empty".into(),
        })
    }
    fn prompts(&self) -> Cached<Vec<Value>> {
        nothing()
    }
    fn prompt(&self, name: &str, _: &Arguments) -> Result<Value, LibraryError> {
        Err(LibraryError::InvalidParams(format!("no prompt {name}")))
    }
    fn complete(&self, _: &CompletionRequest) -> Result<Completion, LibraryError> {
        Ok(Completion {
            values: Vec::new(),
            total: None,
            has_more: false,
        })
    }
}

fn nothing() -> Cached<Vec<Value>> {
    Cached {
        value: Vec::new(),
        ttl_ms: 1,
        scope: CacheScope::Public,
    }
}

fn server() -> Server<Echo, Empty> {
    let info = ServerInfo {
        name: "n",
        title: "t",
        version: "1",
        instructions: "i",
    };
    Server::new(info, Echo, Empty, 10)
}

fn open() -> Access {
    Access {
        bearer_token: None,
        closed_because: None,
        allowed_origins: Vec::new(),
    }
}

fn post(body: Vec<u8>, headers: Vec<(String, String)>) -> HttpRequest {
    let mut all = vec![("content-type".to_string(), "application/json".to_string())];
    all.extend(headers);
    HttpRequest {
        method: "POST".into(),
        path: ENDPOINT.into(),
        headers: all,
        body,
    }
}

/// The reply as JSON; every non-202 reply must be one JSON-RPC response.
fn reply(response: &HttpResponse) -> Result<Value, TestCaseError> {
    let answer: Value = serde_json::from_slice(&response.body)
        .map_err(|error| TestCaseError::fail(format!("the body is not JSON: {error}")))?;
    prop_assert_eq!(&answer["jsonrpc"], "2.0");
    prop_assert!(answer.get("id").is_some(), "no id in {}", answer);
    prop_assert!(
        answer.get("result").is_some() != answer.get("error").is_some(),
        "not exactly one of result and error: {}",
        answer
    );
    if let Some(error) = answer.get("error") {
        prop_assert!(
            error["code"].is_i64() && error["message"].is_string(),
            "{}",
            answer
        );
    }
    Ok(answer)
}

/// A JSON value of bounded size, of every kind.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e300f64..1e300).prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::from),
            prop::collection::btree_map(".{0,8}", inner, 0..5)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Ids a request may carry: strings (any characters) and integers.
fn request_id() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        ".{0,16}".prop_map(Value::from),
    ]
}

fn method_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "ping",
            "initialize",
            "tools/list",
            "tools/call",
            "resources/list",
            "resources/read",
            "prompts/get",
            "completion/complete",
            "server/discover",
            "notifications/initialized",
        ])
        .prop_map(String::from),
        ".{0,12}",
    ]
}

fn protocol_version() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            MODERN_VERSION,
            "2025-11-25",
            "2025-06-18",
            "2024-11-05"
        ])
        .prop_map(String::from),
        ".{0,12}",
    ]
}

/// A header set drawn from the ones the transport reads, with random values.
fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
    let header = prop_oneof![
        protocol_version().prop_map(|v| ("mcp-protocol-version".to_string(), v)),
        method_name().prop_map(|v| ("mcp-method".to_string(), v)),
        ".{0,12}".prop_map(|v| ("mcp-name".to_string(), v)),
        ".{0,12}".prop_map(|name: String| ("mcp-name".to_string(), base64_header(&name))),
        prop::sample::select(vec![
            "http://localhost:3000",
            "https://evil.example",
            "null"
        ])
        .prop_map(|v| ("origin".to_string(), v.to_string())),
        prop::sample::select(vec![
            "application/json",
            "text/plain",
            "",
            "application/JSON; charset=utf-8"
        ])
        .prop_map(|v| ("content-type".to_string(), v.to_string())),
        ".{0,20}".prop_map(|v| ("accept".to_string(), v)),
    ];
    prop::collection::vec(header, 0..5)
}

fn base64_header(text: &str) -> String {
    use base64::prelude::{BASE64_STANDARD, Engine as _};
    format!("=?base64?{}?=", BASE64_STANDARD.encode(text))
}

/// A request message with every field random (or missing), as JSON text.
fn message() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::option::of(request_id()),
        prop::option::of(prop_oneof![Just(json!("2.0")), json_value()]),
        prop::option::of(method_name()),
        prop::option::of(json_value()),
    )
        .prop_map(|(id, jsonrpc, method, params)| {
            let mut message = Map::new();
            let fields = [
                ("id", id),
                ("jsonrpc", jsonrpc),
                ("method", method.map(Value::from)),
                ("params", params),
            ];
            for (key, value) in fields {
                if let Some(value) = value {
                    message.insert(key.into(), value);
                }
            }
            Value::Object(message).to_string().into_bytes()
        })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        message(),
        json_value().prop_map(|value| value.to_string().into_bytes()),
        prop::collection::vec(any::<u8>(), 0..200),
        (message(), any::<prop::sample::Index>()).prop_map(|(whole, cut)| {
            let end = cut.index(whole.len());
            whole[..end].to_vec()
        }),
    ]
}

/// Nested arrays deeper than the JSON parser goes, inside a request with an id.
fn deeply_nested(depth: usize) -> Vec<u8> {
    format!(
        r#"{{"jsonrpc":"2.0","id":7,"method":"ping","params":{{"x":{}{}}}}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    )
    .into_bytes()
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::with_cases(10_000) })]

    /// Anything at all: a known status, an empty 202 or one JSON-RPC response, and a
    /// browser origin that is not the user's own is refused whatever else the request says.
    #[test]
    fn any_request_gets_a_well_formed_answer(
        method in prop_oneof![Just("POST".to_string()), Just("GET".to_string()), "[A-Z]{0,7}"],
        path in prop_oneof![Just(ENDPOINT.to_string()), Just(format!("{ENDPOINT}?x=1")), ".{0,12}"],
        headers in headers(),
        body in body(),
    ) {
        // The transport reads the first Origin header (browsers send one).
        let evil = headers.iter().find(|(name, _)| name == "origin")
            .is_some_and(|(_, value)| value != "http://localhost:3000");
        let on_endpoint = path.split('?').next() == Some(ENDPOINT);
        let request = HttpRequest { method, path, headers, body };
        let response = serve(&server(), &open(), &request);
        prop_assert!([200, 202, 400, 403, 404, 405, 415].contains(&response.status), "status {}", response.status);
        if on_endpoint && evil {
            prop_assert_eq!(response.status, 403);
        }
        if response.status == 202 {
            prop_assert!(response.body.is_empty());
        } else {
            prop_assert!(response.headers.contains(&("content-type", "application/json".to_string())));
            reply(&response)?;
        }
    }

    /// A body that is not JSON, cut short, or nested past the parser's depth is a 400
    /// parse error with a null id (no id can be read from it).
    #[test]
    fn unreadable_bodies_are_parse_errors(
        garbage in prop::collection::vec(any::<u8>(), 0..200),
        whole in message(),
        cut in any::<prop::sample::Index>(),
        depth in 200usize..3000,
    ) {
        let truncated = whole[..cut.index(whole.len())].to_vec();
        for body in [garbage, truncated, deeply_nested(depth)] {
            if serde_json::from_slice::<Value>(&body).is_ok() {
                continue;
            }
            let response = serve(&server(), &open(), &post(body, Vec::new()));
            prop_assert_eq!(response.status, 400);
            let answer = reply(&response)?;
            prop_assert_eq!(&answer["error"]["code"], PARSE_ERROR);
            prop_assert_eq!(&answer["id"], &Value::Null);
        }
    }

    /// A well-formed object that is not a valid request is refused with its own id.
    #[test]
    fn invalid_requests_keep_their_id(
        id in request_id(),
        breakage in 0..4u8,
        junk in json_value(),
    ) {
        let mut message = json!({ "jsonrpc": "2.0", "id": id, "method": "ping" });
        match breakage {
            0 => message["jsonrpc"] = if junk == json!("2.0") { json!(2) } else { junk },
            1 => message["method"] = if junk.is_string() { json!(1) } else { junk },
            2 => message["params"] = if junk.is_object() || junk.is_null() { json!([]) } else { junk },
            _ => message["method"] = json!("notifications/cancelled"),
        }
        let response = serve(&server(), &open(), &post(message.to_string().into_bytes(), Vec::new()));
        prop_assert_eq!(response.status, 400);
        let answer = reply(&response)?;
        let code = answer["error"]["code"].as_i64();
        prop_assert!(code == Some(INVALID_REQUEST) || code == Some(INVALID_PARAMS), "{}", answer);
        prop_assert_eq!(&answer["id"], &id);
    }

    /// A legacy ping answers `{}` with the same id; with a version header we do not speak,
    /// it is still answered with that id.
    #[test]
    fn a_ping_answers_its_own_id(id in request_id(), version in prop::option::of(protocol_version())) {
        let message = json!({ "jsonrpc": "2.0", "id": id, "method": "ping" });
        let headers: Vec<(String, String)> = version.iter()
            .map(|v| ("mcp-protocol-version".to_string(), v.clone())).collect();
        let response = serve(&server(), &open(), &post(message.to_string().into_bytes(), headers));
        let answer = reply(&response)?;
        prop_assert_eq!(&answer["id"], &id);
        let legacy = version.as_deref().is_none_or(|v| ["2025-11-25", "2025-06-18", "2024-11-05"].contains(&v));
        if legacy {
            prop_assert_eq!(response.status, 200);
            prop_assert_eq!(&answer["result"], &json!({}));
        } else {
            prop_assert!(answer.get("error").is_some(), "{}", answer);
        }
    }

    /// A modern tool call whose Mcp-Name header names the tool, in base64 form or plain,
    /// is dispatched; one naming anything else is a header mismatch.
    #[test]
    fn mcp_name_must_agree_with_the_body(name in ".{0,16}", other in ".{0,16}", plain in any::<bool>()) {
        let message = json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
            "name": name, "arguments": {},
            "_meta": { "io.modelcontextprotocol/protocolVersion": MODERN_VERSION,
                       "io.modelcontextprotocol/clientCapabilities": {} } } });
        let call = |header: String| {
            let headers = vec![
                ("mcp-protocol-version".to_string(), MODERN_VERSION.to_string()),
                ("mcp-method".to_string(), "tools/call".to_string()),
                ("mcp-name".to_string(), header),
            ];
            serve(&server(), &open(), &post(message.to_string().into_bytes(), headers))
        };
        let encoded = if plain && !name.starts_with("=?base64?") { name.clone() } else { base64_header(&name) };
        let response = call(encoded);
        let answer = reply(&response)?;
        prop_assert_eq!(response.status, 200, "{}", answer);
        prop_assert_eq!(&answer["result"]["structuredContent"]["name"], &json!(name));
        if other != name {
            let response = call(base64_header(&other));
            prop_assert_eq!(response.status, 400);
            prop_assert_eq!(&reply(&response)?["error"]["code"], HEADER_MISMATCH);
        }
    }
}
