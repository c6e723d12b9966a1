//! One MCP request in, one answer out, with no memory of earlier requests: both protocol
//! eras, version checks, and dispatch to the tool provider and the library provider
//! (resources, prompts, completions).
//!
//! A request is *modern* (2026-07-28) when its `params._meta` names the protocol version and
//! the client's capabilities; everything it needs travels with it. A request without that
//! metadata is *legacy* (2025-11-25 back to 2024-11-05): `initialize` answers the handshake,
//! and the version of later requests comes from the transport (the HTTP header, or the
//! metadata our host adds for a stdio client it saw initialize). Results are shaped for the
//! version of the request that asked: a revision never sees fields it did not define.

use std::borrow::Cow;

use serde_json::{Map, Value, json};

use super::jsonrpc::{INVALID_PARAMS, METHOD_NOT_FOUND, RpcError, UNSUPPORTED_PROTOCOL_VERSION};
use super::library::{self, LibraryProvider};

/// The revision with per-request metadata; the only modern one so far.
pub const MODERN_VERSION: &str = "2026-07-28";
/// Handshake-era revisions, newest first: the first is offered to a client asking for a
/// version we do not know.
pub const LEGACY_VERSIONS: [&str; 4] = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];
/// What a legacy HTTP request without a version header speaks, as the transport spec says.
pub const UNDECLARED_HTTP_VERSION: &str = "2025-03-26";

pub const META_PROTOCOL_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
pub const META_CLIENT_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
const META_SERVER_INFO: &str = "io.modelcontextprotocol/serverInfo";

/// How long clients may reuse discovery and list answers. They change only when the
/// deployment's configuration does, which restarts the server.
const LIST_TTL_MS: u64 = 60 * 60 * 1000;

/// Who we are, as told to clients.
pub struct ServerInfo {
    pub name: &'static str,
    pub title: &'static str,
    pub version: &'static str,
    pub instructions: &'static str,
}

/// What the protocol layer needs from the tool layer.
pub trait ToolProvider {
    /// Every tool as the JSON text of an MCP `Tool` object (as the newest revision has it),
    /// in a stable order (cursors index into it).
    fn tools(&self) -> Vec<&'static str>;
    /// Runs a tool. Failures of the tool itself (API errors, bad argument values) belong in
    /// a complete result with `isError: true`; only a call that cannot be dispatched at all
    /// is a [`ToolCallError`].
    fn call(
        &self,
        name: &str,
        arguments: Map<String, Value>,
        call: ToolCall,
    ) -> Result<CallOutcome, ToolCallError>;
}

/// What a tool call knows of the request that made it.
pub struct ToolCall {
    /// The revision the request speaks, for results whose form depends on it.
    pub protocol_version: &'static str,
    /// The client declared it can show the user a form (form-mode elicitation).
    pub can_ask_with_form: bool,
    /// The client's answers to our earlier questions, and the state we gave with them.
    pub input_responses: Option<Map<String, Value>>,
    pub request_state: Option<String>,
}

pub enum CallOutcome {
    /// A `CallToolResult`.
    Complete(Value),
    /// The user must answer first: the client asks `input_requests` and sends the call again
    /// with the answers and `request_state`.
    InputRequired {
        input_requests: Value,
        request_state: String,
    },
}

#[derive(Debug)]
pub enum ToolCallError {
    UnknownTool(String),
    /// The `requestState` sent back is not one we issued for this very call.
    BadRequestState(String),
}

/// The protocol a request speaks, as far as answering it goes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dialect {
    pub version: &'static str,
    /// Per-request metadata (2026-07-28): `resultType`, cache hints and server info in
    /// every result; no handshake methods.
    pub modern: bool,
}

impl Dialect {
    pub fn of(version: &'static str) -> Self {
        Dialect {
            version,
            modern: version == MODERN_VERSION,
        }
    }
}

/// Every revision we serve, newest first.
pub fn supported_versions() -> Vec<&'static str> {
    std::iter::once(MODERN_VERSION)
        .chain(LEGACY_VERSIONS)
        .collect()
}

fn known_version(version: &str) -> Option<&'static str> {
    supported_versions().into_iter().find(|v| *v == version)
}

/// The protocol version named in a request's `_meta`, if any.
pub fn meta_version(params: &Map<String, Value>) -> Option<&Value> {
    params.get("_meta")?.get(META_PROTOCOL_VERSION)
}

pub fn unsupported_version(requested: &str) -> RpcError {
    RpcError::new(
        UNSUPPORTED_PROTOCOL_VERSION,
        format!("Unsupported protocol version {requested:?}"),
    )
    .with_data(json!({ "supported": supported_versions(), "requested": requested }))
}

pub struct Server<P, L> {
    info: ServerInfo,
    provider: P,
    library: L,
    /// How many tools one `tools/list` page holds.
    page_size: usize,
}

impl<P: ToolProvider, L: LibraryProvider> Server<P, L> {
    pub fn new(info: ServerInfo, provider: P, library: L, page_size: usize) -> Self {
        Self {
            info,
            provider,
            library,
            page_size: page_size.max(1),
        }
    }

    /// Works out which protocol a request speaks: its `_meta` first, else the version the
    /// transport reports for a legacy request (`None` when the transport has none).
    pub fn dialect(
        &self,
        params: &Map<String, Value>,
        transport_version: Option<&str>,
    ) -> Result<Dialect, RpcError> {
        match meta_version(params) {
            Some(Value::String(version)) => {
                let version = known_version(version).ok_or_else(|| unsupported_version(version))?;
                let dialect = Dialect::of(version);
                let capabilities = params["_meta"].get(META_CLIENT_CAPABILITIES);
                if dialect.modern && !capabilities.is_some_and(Value::is_object) {
                    return Err(RpcError::new(
                        INVALID_PARAMS,
                        format!("`_meta` must carry `{META_CLIENT_CAPABILITIES}` (an object)"),
                    ));
                }
                Ok(dialect)
            }
            Some(_) => Err(RpcError::new(
                INVALID_PARAMS,
                format!("`_meta.{META_PROTOCOL_VERSION}` must be a string"),
            )),
            None => {
                let version = transport_version.unwrap_or(UNDECLARED_HTTP_VERSION);
                match known_version(version) {
                    // A modern version needs the metadata that this request lacks.
                    Some(MODERN_VERSION) => Err(RpcError::new(
                        INVALID_PARAMS,
                        format!(
                            "protocol {MODERN_VERSION} requests must carry `_meta` with \
                             `{META_PROTOCOL_VERSION}` and `{META_CLIENT_CAPABILITIES}`"
                        ),
                    )),
                    Some(version) => Ok(Dialect::of(version)),
                    None => Err(unsupported_version(version)),
                }
            }
        }
    }

    /// Answers one request. `transport_version` is what the transport says for requests
    /// without `_meta`.
    pub fn handle(
        &self,
        method: &str,
        mut params: Map<String, Value>,
        transport_version: Option<&str>,
    ) -> Result<Answer, RpcError> {
        // `initialize` carries its own version: it is how a legacy session starts.
        if method == "initialize" && meta_version(&params).is_none() {
            return self.initialize(&params).map(Answer::Value);
        }
        let dialect = self.dialect(&params, transport_version)?;
        let capabilities = params
            .get_mut("_meta")
            .and_then(|meta| meta.as_object_mut())
            .and_then(|meta| meta.remove(META_CLIENT_CAPABILITIES))
            .unwrap_or(Value::Null);
        let outcome = match (method, dialect.modern) {
            ("server/discover", true) => Ok(self.discover()),
            // The handshake and its companions belong to the legacy era only.
            ("initialize" | "ping" | "logging/setLevel", true) => Err(RpcError::new(
                METHOD_NOT_FOUND,
                format!("Method not found: {method} is not part of protocol {MODERN_VERSION}"),
            )),
            ("initialize", false) => self.initialize(&params),
            ("ping", false) => Ok(json!({})),
            ("tools/list", _) => return self.list_tools(&params, dialect).map(Answer::Text),
            ("tools/call", _) => {
                return self
                    .call_tool(params, dialect, &capabilities)
                    .map(Answer::Value);
            }
            ("resources/list", _) => library::list_resources(&self.library, &params, dialect),
            ("resources/templates/list", _) => {
                library::list_resource_templates(&self.library, &params, dialect)
            }
            ("resources/read", _) => library::read_resource(&self.library, &params, dialect),
            ("prompts/list", _) => library::list_prompts(&self.library, &params, dialect),
            ("prompts/get", _) => library::get_prompt(&self.library, &params, dialect),
            ("completion/complete", _) => library::complete(&self.library, &params, dialect),
            (other, _) => Err(RpcError::new(
                METHOD_NOT_FOUND,
                format!("Method not found: {other}"),
            )),
        };
        outcome.map(|result| Answer::Value(complete(result, dialect, &self.info)))
    }

    fn initialize(&self, params: &Map<String, Value>) -> Result<Value, RpcError> {
        let Some(requested) = params.get("protocolVersion").and_then(Value::as_str) else {
            return Err(RpcError::new(
                INVALID_PARAMS,
                "initialize needs a string `protocolVersion`",
            ));
        };
        // A client asking for the modern revision through the handshake gets the newest
        // handshake revision: the modern one has no handshake.
        let version = LEGACY_VERSIONS
            .iter()
            .find(|supported| **supported == requested)
            .unwrap_or(&LEGACY_VERSIONS[0]);
        let mut server_info = json!({ "name": self.info.name, "version": self.info.version });
        if *version >= "2025-06-18" {
            server_info["title"] = json!(self.info.title);
        }
        // Nothing here ever changes while a session lasts, so no list-changed notices.
        let mut capabilities = json!({
            "tools": { "listChanged": false },
            "resources": { "listChanged": false },
            "prompts": { "listChanged": false },
        });
        // The capability came with 2025-03-26; earlier clients just send the request.
        if *version >= "2025-03-26" {
            capabilities["completions"] = json!({});
        }
        Ok(json!({
            "protocolVersion": version,
            "capabilities": capabilities,
            "serverInfo": server_info,
            "instructions": self.info.instructions,
        }))
    }

    fn discover(&self) -> Value {
        json!({
            "supportedVersions": supported_versions(),
            "capabilities": { "tools": {}, "resources": {}, "prompts": {}, "completions": {} },
            "instructions": self.info.instructions,
            "ttlMs": LIST_TTL_MS,
            "cacheScope": "public",
        })
    }

    /// The page as JSON text, assembled from the definitions rendered at build time, so a
    /// request copies them instead of building and serialising every schema.
    fn list_tools(
        &self,
        params: &Map<String, Value>,
        dialect: Dialect,
    ) -> Result<String, RpcError> {
        let tools = self.provider.tools();
        let start = match params.get("cursor") {
            None | Some(Value::Null) => 0,
            Some(Value::String(cursor)) => decode_cursor(cursor)
                .filter(|start| *start < tools.len())
                .ok_or_else(|| {
                    RpcError::new(INVALID_PARAMS, format!("invalid cursor {cursor:?}"))
                })?,
            Some(_) => return Err(RpcError::new(INVALID_PARAMS, "`cursor` must be a string")),
        };
        let end = (start + self.page_size).min(tools.len());
        let page = &tools[start..end];
        // Sized once: the page is most of the answer (some 100 kB), and growing the text
        // by doubling would copy it over and over in a fresh instance's memory.
        let text_length: usize = page.iter().map(|tool| tool.len() + 1).sum();
        let mut result = String::with_capacity(text_length + 512);
        result.push_str("{\"tools\":[");
        for (index, tool) in page.iter().enumerate() {
            if index > 0 {
                result.push(',');
            }
            result.push_str(&for_revision(tool, dialect.version));
        }
        result.push(']');
        let mut field = |name: &str, value: Value| {
            result.push_str(&format!(",{}:{value}", Value::from(name)));
        };
        if end < tools.len() {
            field("nextCursor", Value::String(encode_cursor(end)));
        }
        if dialect.modern {
            field("ttlMs", json!(LIST_TTL_MS));
            field("cacheScope", json!("public"));
            for (name, value) in completion(&self.info) {
                field(name, value);
            }
        }
        result.push('}');
        Ok(result)
    }

    fn call_tool(
        &self,
        mut params: Map<String, Value>,
        dialect: Dialect,
        capabilities: &Value,
    ) -> Result<Value, RpcError> {
        let Some(Value::String(name)) = params.remove("name") else {
            return Err(RpcError::new(
                INVALID_PARAMS,
                "tools/call needs a string `name`",
            ));
        };
        let arguments = match params.remove("arguments") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(arguments)) => arguments,
            Some(_) => {
                return Err(RpcError::new(
                    INVALID_PARAMS,
                    "`arguments` must be an object",
                ));
            }
        };
        let input_responses = match params.remove("inputResponses") {
            None | Some(Value::Null) => None,
            Some(Value::Object(responses)) => Some(responses),
            Some(_) => {
                return Err(RpcError::new(
                    INVALID_PARAMS,
                    "`inputResponses` must be an object",
                ));
            }
        };
        let request_state = match params.remove("requestState") {
            None | Some(Value::Null) => None,
            Some(Value::String(state)) => Some(state),
            Some(_) => {
                return Err(RpcError::new(
                    INVALID_PARAMS,
                    "`requestState` must be a string",
                ));
            }
        };
        let call = ToolCall {
            protocol_version: dialect.version,
            can_ask_with_form: can_ask_with_form(capabilities),
            input_responses,
            request_state,
        };
        match self.provider.call(&name, arguments, call) {
            Ok(CallOutcome::Complete(result)) => Ok(complete(
                result_for_revision(result, dialect.version),
                dialect,
                &self.info,
            )),
            Ok(CallOutcome::InputRequired {
                input_requests,
                request_state,
            }) => Ok(json!({
                "resultType": "input_required",
                "inputRequests": input_requests,
                "requestState": request_state,
            })),
            Err(ToolCallError::UnknownTool(name)) => Err(RpcError::new(
                INVALID_PARAMS,
                format!("Unknown tool: {name}"),
            )),
            Err(ToolCallError::BadRequestState(reason)) => {
                Err(RpcError::new(INVALID_PARAMS, reason))
            }
        }
    }
}

/// A result, as a JSON value or as JSON text already written.
pub enum Answer {
    Value(Value),
    Text(String),
}

/// What marks a modern result as finished, and says who answered.
fn completion(info: &ServerInfo) -> [(&'static str, Value); 2] {
    let server_info = json!({ "name": info.name, "title": info.title, "version": info.version });
    [
        ("resultType", json!("complete")),
        ("_meta", json!({ META_SERVER_INFO: server_info })),
    ]
}

/// Marks a finished result as such, with who answered, for modern requests.
fn complete(mut result: Value, dialect: Dialect, info: &ServerInfo) -> Value {
    if dialect.modern {
        for (name, value) in completion(info) {
            result[name] = value;
        }
    }
    result
}

/// Whether the client can show the user a form. An empty `elicitation` object is the
/// form mode (the only mode before 2025-11-25); a client that lists modes must list `form`.
fn can_ask_with_form(capabilities: &Value) -> bool {
    match capabilities.get("elicitation") {
        Some(Value::Object(modes)) => modes.contains_key("form") || !modes.contains_key("url"),
        _ => false,
    }
}

/// A tool definition as `version` knows it: `title` and `outputSchema` came with
/// 2025-06-18, annotations (which then held the title) with 2025-03-26. The newer revisions, which most clients speak,
/// take the text as it is.
fn for_revision(tool: &'static str, version: &str) -> Cow<'static, str> {
    if version >= "2025-06-18" {
        return Cow::Borrowed(tool);
    }
    let Ok(Value::Object(mut tool)) = serde_json::from_str::<Value>(tool) else {
        return Cow::Borrowed(tool);
    };
    let title = tool.remove("title");
    tool.remove("outputSchema");
    if version < "2025-03-26" {
        tool.remove("annotations");
    } else if let (Some(title), Some(Value::Object(annotations))) =
        (title, tool.get_mut("annotations"))
    {
        // 2025-03-26 knew a tool's display title only as an annotation.
        annotations.insert("title".into(), title);
    }
    Cow::Owned(Value::Object(tool).to_string())
}

/// A tool result as `version` knows it: `structuredContent` came with 2025-06-18.
fn result_for_revision(mut result: Value, version: &str) -> Value {
    if version < "2025-06-18"
        && let Some(result) = result.as_object_mut()
    {
        result.remove("structuredContent");
    }
    result
}

/// Cursors are opaque to clients; ours is the index of the first tool of the page, tagged so
/// that a number from elsewhere is not mistaken for one.
fn encode_cursor(start: usize) -> String {
    format!("tools:{start}")
}

fn decode_cursor(cursor: &str) -> Option<usize> {
    cursor.strip_prefix("tools:")?.parse().ok()
}
