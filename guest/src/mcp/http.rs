//! Streamable HTTP, as one POST to `/mcp` carrying one JSON-RPC message: who may ask
//! (Origin, bearer token), what a well-formed request looks like (method, content type, size,
//! the 2026-07-28 headers that must agree with the body), and which HTTP status goes with
//! each answer. Plain data in and out, so it is testable without a runtime.

use serde_json::{Map, Value, json};

use super::jsonrpc::{
    self, HEADER_MISMATCH, INVALID_PARAMS, INVALID_REQUEST, Incoming, METHOD_NOT_FOUND,
    PARSE_ERROR, RpcError, UNSUPPORTED_PROTOCOL_VERSION,
};
use super::library::LibraryProvider;
use super::protocol::{Answer, Server, ToolProvider, meta_version};
use crate::json_text::to_text;

/// The one path MCP is served on.
pub const ENDPOINT: &str = "/mcp";

/// The largest body accepted. Arguments are small; an inline upload of a file is the only
/// large message, and uploads are capped well below this.
pub const MAX_BODY_BYTES: usize = 32 << 20;

pub struct HttpRequest {
    pub method: String,
    /// Path and query, as received.
    pub path: String,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpRequest {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

/// Who may use the endpoint.
pub struct Access {
    /// Every request must carry `Authorization: Bearer <token>`.
    pub bearer_token: Option<String>,
    /// Set when the endpoint must serve nobody, with the reason (a deployment holding an
    /// API key with no token to protect it).
    pub closed_because: Option<String>,
    /// Browser origins allowed besides the loopback ones.
    pub allowed_origins: Vec<String>,
}

/// What can be decided from the request's head alone (path, Origin, token, announced
/// length): a refusal, or None to go on. Run before the body is read, so that nobody without
/// the token makes the component read (and hold) a large body.
pub fn admit(access: &Access, request: &HttpRequest) -> Option<HttpResponse> {
    let path = request.path.split('?').next().unwrap_or_default();
    if path != ENDPOINT {
        return Some(refusal(
            404,
            format!("MCP is served at {ENDPOINT}, not {path}"),
        ));
    }
    if let Some(origin) = request.header("origin")
        && !origin_allowed(origin, &access.allowed_origins)
    {
        return Some(refusal(
            403,
            format!("requests from origin {origin} are not allowed"),
        ));
    }
    if let Some(reason) = &access.closed_because {
        return Some(refusal(503, reason.clone()));
    }
    if let Some(token) = &access.bearer_token
        && !bearer_matches(request.header("authorization"), token)
    {
        let mut response = refusal(401, "a valid bearer token is required".into());
        response.headers.push(("www-authenticate", "Bearer".into()));
        return Some(response);
    }
    if request
        .header("content-length")
        .and_then(|length| length.trim().parse::<u64>().ok())
        .is_some_and(|length| length > MAX_BODY_BYTES as u64)
    {
        return Some(too_large());
    }
    None
}

fn too_large() -> HttpResponse {
    refusal(
        413,
        format!("the body is larger than {MAX_BODY_BYTES} bytes"),
    )
}

/// Answers one HTTP request.
pub fn serve<P: ToolProvider, L: LibraryProvider>(
    server: &Server<P, L>,
    access: &Access,
    request: &HttpRequest,
) -> HttpResponse {
    if let Some(refused) = admit(access, request) {
        return refused;
    }
    if request.method != "POST" {
        let mut response = refusal(
            405,
            format!(
                "{} is not supported: send each message as a POST",
                request.method
            ),
        );
        response.headers.push(("allow", "POST".into()));
        return response;
    }
    let content_type = request.header("content-type").unwrap_or_default();
    if !content_type
        .split(';')
        .next()
        .is_some_and(|kind| kind.trim().eq_ignore_ascii_case("application/json"))
    {
        return refusal(415, "the body must be application/json".into());
    }
    if request.body.len() > MAX_BODY_BYTES {
        return too_large();
    }
    match jsonrpc::parse_bytes(&request.body) {
        Incoming::Request { id, method, params } => {
            let modern = request_version(request, &params);
            let checked = check_headers(request, &method, &params);
            // The conformance suite's fixtures, in the test-only build: past every transport
            // check, before the real server (guest/src/fixtures).
            #[cfg(feature = "conformance-fixtures")]
            if checked.is_ok()
                && let Some(response) =
                    crate::fixtures::serve(server, request, &id, &method, &params)
            {
                return response;
            }
            let outcome = checked.and_then(|()| {
                server.handle(&method, params, request.header("mcp-protocol-version"))
            });
            let status = match &outcome {
                Ok(_) => 200,
                Err(error) => status_for(error.code, modern),
            };
            let body = match outcome {
                Ok(Answer::Value(result)) => to_text(&jsonrpc::success(&id, result)),
                Ok(Answer::Text(result)) => jsonrpc::success_text(&id, &result),
                Err(error) => to_text(&jsonrpc::failure(&id, &error)),
            };
            json_response(status, body)
        }
        // Nothing to answer: the client told us something, or answered a question we never
        // asked (this server sends none).
        Incoming::Notification | Incoming::Response => HttpResponse {
            status: 202,
            headers: Vec::new(),
            body: Vec::new(),
        },
        Incoming::Invalid { id, error } => {
            json_response(400, to_text(&jsonrpc::failure(&id, &error)))
        }
    }
}

/// Whether the request speaks the modern revision, judged from its body or its header.
fn request_version(request: &HttpRequest, params: &Map<String, Value>) -> bool {
    let version = meta_version(params)
        .and_then(Value::as_str)
        .or_else(|| request.header("mcp-protocol-version"));
    version == Some(super::protocol::MODERN_VERSION)
}

/// The 2026-07-28 headers repeat parts of the body for proxies and load balancers; a request
/// whose headers say something else is refused, so nobody routes on one value and runs
/// another. Legacy requests predate these headers.
fn check_headers(
    request: &HttpRequest,
    method: &str,
    params: &Map<String, Value>,
) -> Result<(), RpcError> {
    let Some(Value::String(body_version)) = meta_version(params) else {
        return Ok(());
    };
    let mismatch = |message: String| Err(RpcError::new(HEADER_MISMATCH, message));
    match request.header("mcp-protocol-version") {
        Some(header) if header != body_version => {
            return mismatch(format!(
                "MCP-Protocol-Version header {header:?} does not match the body's {body_version:?}"
            ));
        }
        // A legacy version in `_meta` without the header comes from our host, which speaks
        // for a legacy stdio client; an unknown one is answered by the protocol layer.
        None if body_version != super::protocol::MODERN_VERSION => return Ok(()),
        None => return mismatch("the MCP-Protocol-Version header is missing".into()),
        Some(_) if body_version != super::protocol::MODERN_VERSION => return Ok(()),
        Some(_) => {}
    }
    match request.header("mcp-method") {
        None => return mismatch("the Mcp-Method header is missing".into()),
        Some(header) if header != method => {
            return mismatch(format!(
                "Mcp-Method header {header:?} does not match the body's {method:?}"
            ));
        }
        Some(_) => {}
    }
    let named = match method {
        "tools/call" | "prompts/get" => params.get("name"),
        "resources/read" => params.get("uri"),
        _ => return Ok(()),
    };
    let Some(Value::String(body_name)) = named else {
        // The protocol layer says what is wrong with the body itself.
        return Ok(());
    };
    match request.header("mcp-name").map(decode_header_value) {
        None => mismatch("the Mcp-Name header is missing".into()),
        Some(None) => mismatch("the Mcp-Name header is not valid base64".into()),
        Some(Some(header)) if header != *body_name => mismatch(format!(
            "Mcp-Name header {header:?} does not match the body's {body_name:?}"
        )),
        Some(Some(_)) => Ok(()),
    }
}

/// Header values that are not plain ASCII travel as `=?base64?...?=`.
fn decode_header_value(value: &str) -> Option<String> {
    use base64::prelude::{BASE64_STANDARD, Engine as _};
    match value
        .strip_prefix("=?base64?")
        .and_then(|rest| rest.strip_suffix("?="))
    {
        Some(encoded) => String::from_utf8(BASE64_STANDARD.decode(encoded).ok()?).ok(),
        None => Some(value.to_string()),
    }
}

/// The HTTP status of an error answer. Modern clients read the status (404 for an unknown
/// method, 400 for a malformed request); legacy clients take a 404 for a lost session and
/// start over, so they get their errors with 200 unless the message itself was unusable.
fn status_for(code: i64, modern: bool) -> u16 {
    match code {
        // Whatever the era: an unusable message, headers contradicting the body (only raised
        // for a body that names its version), a version we do not have.
        PARSE_ERROR | INVALID_REQUEST | HEADER_MISMATCH | UNSUPPORTED_PROTOCOL_VERSION => 400,
        METHOD_NOT_FOUND if modern => 404,
        INVALID_PARAMS if modern => 400,
        _ => 200,
    }
}

/// Loopback origins are the user's own pages and tools; any other browser origin could be a
/// web page trying to reach a local server (DNS rebinding), so it must be listed.
fn origin_allowed(origin: &str, allowed: &[String]) -> bool {
    if allowed.iter().any(|allowed| allowed == origin) {
        return true;
    }
    let Some((scheme, rest)) = origin.split_once("://") else {
        return false;
    };
    if scheme != "http" && scheme != "https" {
        return false;
    }
    let host = match rest.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
        None => rest.split(':').next().unwrap_or_default(),
    };
    matches!(host, "localhost" | "127.0.0.1" | "::1")
}

/// Compares in constant time, so response timing does not reveal how much of a guess was
/// right.
fn bearer_matches(header: Option<&str>, token: &str) -> bool {
    let Some(given) = header.and_then(|value| {
        let (scheme, credentials) = value.split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("bearer")
            .then_some(credentials.trim())
    }) else {
        return false;
    };
    let (given, token) = (given.as_bytes(), token.as_bytes());
    given.len() == token.len()
        && given
            .iter()
            .zip(token)
            .fold(0u8, |difference, (a, b)| difference | (a ^ b))
            == 0
}

/// A refusal before any JSON-RPC message was read: a JSON-RPC error without an id, so that
/// MCP clients can show it.
fn refusal(status: u16, message: String) -> HttpResponse {
    let body = json!({ "jsonrpc": "2.0", "id": null, "error": { "code": INVALID_REQUEST, "message": message } });
    json_response(status, to_text(&body))
}

fn json_response(status: u16, body: String) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![("content-type", "application/json".into())],
        body: body.into_bytes(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mcp::library::{
        Arguments, CacheScope, Cached, Completion, CompletionRequest, LibraryError,
    };
    use crate::mcp::protocol::{CallOutcome, ServerInfo, ToolCall, ToolCallError};
    use proptest::prelude::*;

    /// One tool, `echo`, that returns its arguments.
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
            match name {
                "echo" => Ok(CallOutcome::Complete(
                    json!({ "content": [], "structuredContent": arguments }),
                )),
                other => Err(ToolCallError::UnknownTool(other.into())),
            }
        }
    }

    /// A library with one fixed resource and nothing else.
    struct Shelf;

    impl LibraryProvider for Shelf {
        fn resources(&self) -> Cached<Vec<Value>> {
            public(vec![
                json!({ "uri": "test://a", "name": "a", "title": "A" }),
            ])
        }
        fn resource_templates(&self) -> Cached<Vec<Value>> {
            public(Vec::new())
        }
        fn read_resource(&self, uri: &str) -> Result<Cached<Vec<Value>>, LibraryError> {
            match uri {
                "test://a" => Ok(public(vec![json!({ "uri": uri, "text": "a" })])),
                _ => Err(LibraryError::ResourceNotFound {
                    uri: uri.into(),
                    reason: "no such thing".into(),
                }),
            }
        }
        fn prompts(&self) -> Cached<Vec<Value>> {
            public(Vec::new())
        }
        fn prompt(&self, name: &str, _: &Arguments) -> Result<Value, LibraryError> {
            Err(LibraryError::InvalidParams(format!("no prompt {name}")))
        }
        fn complete(&self, _: &CompletionRequest) -> Result<Completion, LibraryError> {
            Ok(Completion {
                values: (0..150).map(|n| n.to_string()).collect(),
                total: None,
                has_more: false,
            })
        }
    }

    fn public(value: Vec<Value>) -> Cached<Vec<Value>> {
        Cached {
            value,
            ttl_ms: 5,
            scope: CacheScope::Public,
        }
    }

    fn server() -> Server<Echo, Shelf> {
        let info = ServerInfo {
            name: "n",
            title: "t",
            version: "1",
            instructions: "i",
        };
        Server::new(info, Echo, Shelf, 10)
    }

    fn open() -> Access {
        Access {
            bearer_token: None,
            closed_because: None,
            allowed_origins: Vec::new(),
        }
    }

    fn post(body: &[u8], headers: &[(&str, &str)]) -> HttpRequest {
        let mut all = vec![("content-type".to_string(), "application/json".to_string())];
        all.extend(headers.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        HttpRequest {
            method: "POST".into(),
            path: ENDPOINT.into(),
            headers: all,
            body: body.to_vec(),
        }
    }

    fn modern(method: &str, extra: Value) -> Vec<u8> {
        let mut params = json!({ "_meta": {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {},
        } });
        if let (Some(params), Value::Object(extra)) = (params.as_object_mut(), extra) {
            params.extend(extra);
        }
        json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params })
            .to_string()
            .into_bytes()
    }

    fn body(response: &HttpResponse) -> Value {
        serde_json::from_slice(&response.body).expect("a JSON body")
    }

    #[test]
    fn the_tool_list_text_is_valid_json_with_completion_fields() {
        let headers = [
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", "tools/list"),
        ];
        let response = serve(
            &server(),
            &open(),
            &post(&modern("tools/list", json!({})), &headers),
        );
        assert_eq!(response.status, 200);
        let answer = body(&response);
        assert_eq!(answer["result"]["tools"][0]["name"], "echo");
        assert_eq!(answer["result"]["resultType"], "complete");
        assert_eq!(answer["result"]["cacheScope"], "public");
        assert!(answer["result"]["ttlMs"].is_u64());
        assert_eq!(
            answer["result"]["_meta"]["io.modelcontextprotocol/serverInfo"]["name"],
            "n"
        );
    }

    #[test]
    fn a_legacy_list_drops_what_its_revision_lacks() {
        let response = serve(
            &server(),
            &open(),
            &post(br#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#, &[]),
        );
        let answer = body(&response);
        assert!(
            answer["result"]["tools"][0].get("title").is_none(),
            "{answer}"
        );
        assert!(answer["result"].get("resultType").is_none());
    }

    #[test]
    fn a_header_naming_another_tool_is_a_mismatch() {
        let headers = [
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", "tools/call"),
            ("mcp-name", "=?base64?b3RoZXI=?="),
        ];
        let call = modern("tools/call", json!({ "name": "echo" }));
        let response = serve(&server(), &open(), &post(&call, &headers));
        assert_eq!(response.status, 400);
        assert_eq!(body(&response)["error"]["code"], HEADER_MISMATCH);
    }

    #[test]
    fn a_modern_resource_read_carries_cache_hints_and_a_missing_one_is_invalid_params() {
        let headers = [
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", "resources/read"),
            ("mcp-name", "test://a"),
        ];
        let read = modern("resources/read", json!({ "uri": "test://a" }));
        let answer = body(&serve(&server(), &open(), &post(&read, &headers)));
        assert_eq!(answer["result"]["contents"][0]["text"], "a");
        assert_eq!(answer["result"]["cacheScope"], "public");
        assert_eq!(answer["result"]["ttlMs"], 5);
        assert_eq!(answer["result"]["resultType"], "complete");

        let headers = [
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", "resources/read"),
            ("mcp-name", "test://b"),
        ];
        let read = modern("resources/read", json!({ "uri": "test://b" }));
        let response = serve(&server(), &open(), &post(&read, &headers));
        assert_eq!(response.status, 400);
        let answer = body(&response);
        assert_eq!(answer["error"]["code"], INVALID_PARAMS);
        assert_eq!(answer["error"]["data"]["uri"], "test://b");
    }

    #[test]
    fn a_legacy_client_gets_its_own_not_found_code_and_no_titles() {
        let read =
            br#"{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"test://b"}}"#;
        let answer = body(&serve(&server(), &open(), &post(read, &[])));
        assert_eq!(answer["error"]["code"], -32002);

        let list = br#"{"jsonrpc":"2.0","id":2,"method":"resources/list"}"#;
        let answer = body(&serve(&server(), &open(), &post(list, &[])));
        assert_eq!(answer["result"]["resources"][0]["name"], "a");
        assert!(answer["result"]["resources"][0].get("title").is_none());
        assert!(answer["result"].get("ttlMs").is_none());
    }

    #[test]
    fn completions_are_capped_at_a_hundred_values() {
        let complete = json!({ "jsonrpc": "2.0", "id": 3, "method": "completion/complete",
            "params": { "ref": { "type": "ref/prompt", "name": "p" },
                        "argument": { "name": "x", "value": "" } } });
        let answer = body(&serve(
            &server(),
            &open(),
            &post(
                complete.to_string().as_bytes(),
                &[("mcp-protocol-version", "2025-11-25")],
            ),
        ));
        let completion = &answer["result"]["completion"];
        assert_eq!(completion["values"].as_array().unwrap().len(), 100);
        assert_eq!(completion["hasMore"], true);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

        /// Whatever arrives, the answer is a well-formed HTTP reply: an empty 202, or a
        /// JSON-RPC response with a result or an error.
        #[test]
        fn arbitrary_bodies_get_well_formed_answers(
            raw in prop::collection::vec(any::<u8>(), 0..300),
            method in prop_oneof![Just("tools/list"), Just("tools/call"), Just("ping"), Just("x")],
            with_meta in any::<bool>(),
        ) {
            let json_body = if with_meta { modern(method, json!({ "name": "echo" })) } else {
                json!({ "jsonrpc": "2.0", "id": "a", "method": method }).to_string().into_bytes()
            };
            for candidate in [raw, json_body] {
                let response = serve(&server(), &open(), &post(&candidate, &[]));
                if response.status == 202 {
                    prop_assert!(response.body.is_empty());
                    continue;
                }
                let answer = body(&response);
                prop_assert_eq!(&answer["jsonrpc"], "2.0");
                prop_assert!(answer.get("result").is_some() != answer.get("error").is_some());
            }
        }
    }
}
