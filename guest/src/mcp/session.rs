//! The MCP session: lifecycle (initialize, then operation), protocol version negotiation,
//! and dispatch of requests to the tool provider. It sees messages, not bytes: the
//! transport (`transport.rs`) frames them, so the session is testable without a process.

use serde_json::{Map, Value, json};

use super::jsonrpc::{self, INVALID_PARAMS, INVALID_REQUEST, Incoming, METHOD_NOT_FOUND, RpcError};

/// Newest first; the first entry is what we answer when the client asks for something else.
pub const SUPPORTED_PROTOCOL_VERSIONS: [&str; 4] =
    ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];

/// Who we are, as told to the client in `initialize`.
pub struct ServerInfo {
    pub name: &'static str,
    pub title: &'static str,
    pub version: &'static str,
    pub instructions: &'static str,
}

/// What the session needs from the tool layer.
pub trait ToolProvider {
    /// Every tool as an MCP `Tool` object, in a stable order (cursors index into it).
    fn tools(&self) -> &[Value];
    /// Runs a tool and returns an MCP `CallToolResult`. Failures of the tool itself (API
    /// errors, bad argument values) belong in that result with `isError: true`; only a call
    /// that cannot be dispatched at all is a [`ToolCallError`].
    fn call(
        &mut self,
        name: &str,
        arguments: Map<String, Value>,
        call: ToolCall<'_>,
    ) -> Result<Value, ToolCallError>;
}

/// Sends requests to the client in the middle of handling one of its requests.
pub trait ClientLink {
    /// Sends `method` to the client and waits for its answer; `Err` carries the reason
    /// there is none (an error response, a cancellation, the end of input).
    fn request(&mut self, method: &str, params: Value) -> Result<Value, String>;
}

/// What a tool call knows of the client.
pub struct ToolCall<'a> {
    /// The negotiated revision, for results whose form depends on it.
    pub protocol_version: &'static str,
    /// A way to ask the user, when the client declared the elicitation capability.
    pub user: Option<&'a mut dyn ClientLink>,
    /// The request's id as JSON text (`7`, `"abc"`): the host cancels the HTTP requests
    /// tagged with it when the client cancels the call.
    pub call_id: String,
}

#[derive(Debug)]
pub enum ToolCallError {
    UnknownTool(String),
}

pub struct Session<P> {
    info: ServerInfo,
    provider: P,
    /// How many tools one `tools/list` page holds.
    page_size: usize,
    negotiated: Option<&'static str>,
    /// The client said it can put questions to the user (`elicitation` capability).
    client_can_elicit: bool,
}

impl<P: ToolProvider> Session<P> {
    pub fn new(info: ServerInfo, provider: P, page_size: usize) -> Self {
        Self {
            info,
            provider,
            page_size: page_size.max(1),
            negotiated: None,
            client_can_elicit: false,
        }
    }

    /// Handles one line of input; returns the message to write back, if any. `client` is
    /// how a tool call may ask the client something before answering.
    pub fn handle_line(&mut self, line: &[u8], client: &mut dyn ClientLink) -> Option<Value> {
        let Ok(text) = std::str::from_utf8(line) else {
            let error = RpcError::new(
                jsonrpc::PARSE_ERROR,
                "Parse error: input is not valid UTF-8",
            );
            return Some(jsonrpc::failure(&Value::Null, &error));
        };
        match jsonrpc::parse_line(text) {
            Incoming::Request { id, method, params } => {
                Some(match self.request(&id, &method, params, client) {
                    Ok(result) => jsonrpc::success(&id, result),
                    Err(error) => jsonrpc::failure(&id, &error),
                })
            }
            Incoming::Notification { method, .. } => {
                // `initialized` and `cancelled` need no answer; requests run one at a time, so
                // a cancellation always refers to a request that has already been answered.
                if !method.starts_with("notifications/") {
                    eprintln!("ignoring unknown notification {method}");
                }
                None
            }
            Incoming::Response => None,
            Incoming::Invalid { id, error } => Some(jsonrpc::failure(&id, &error)),
        }
    }

    fn request(
        &mut self,
        id: &Value,
        method: &str,
        params: Map<String, Value>,
        client: &mut dyn ClientLink,
    ) -> Result<Value, RpcError> {
        match method {
            "initialize" => self.initialize(&params),
            "ping" => Ok(json!({})),
            "tools/list" | "tools/call" if self.negotiated.is_none() => Err(RpcError::new(
                INVALID_REQUEST,
                "the session is not initialized yet: send `initialize` first",
            )),
            "tools/list" => self.list_tools(&params),
            "tools/call" => self.call_tool(id, params, client),
            other => Err(RpcError::new(
                METHOD_NOT_FOUND,
                format!("Method not found: {other}"),
            )),
        }
    }

    fn initialize(&mut self, params: &Map<String, Value>) -> Result<Value, RpcError> {
        if self.negotiated.is_some() {
            return Err(RpcError::new(
                INVALID_REQUEST,
                "the session is already initialized",
            ));
        }
        let Some(requested) = params.get("protocolVersion").and_then(Value::as_str) else {
            return Err(RpcError::new(
                INVALID_PARAMS,
                "initialize needs a string `protocolVersion`",
            ));
        };
        let version = SUPPORTED_PROTOCOL_VERSIONS
            .iter()
            .find(|supported| **supported == requested)
            .unwrap_or(&SUPPORTED_PROTOCOL_VERSIONS[0]);
        self.negotiated = Some(version);
        self.client_can_elicit = params
            .get("capabilities")
            .and_then(|capabilities| capabilities.get("elicitation"))
            .is_some_and(Value::is_object);
        Ok(json!({
            "protocolVersion": version,
            "capabilities": { "tools": { "listChanged": false } },
            "serverInfo": {
                "name": self.info.name,
                "title": self.info.title,
                "version": self.info.version,
            },
            "instructions": self.info.instructions,
        }))
    }

    fn list_tools(&self, params: &Map<String, Value>) -> Result<Value, RpcError> {
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
        let mut result = json!({ "tools": &tools[start..end] });
        if end < tools.len() {
            result["nextCursor"] = Value::String(encode_cursor(end));
        }
        Ok(result)
    }

    fn call_tool(
        &mut self,
        id: &Value,
        mut params: Map<String, Value>,
        client: &mut dyn ClientLink,
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
        let call = ToolCall {
            protocol_version: self.negotiated.unwrap_or(SUPPORTED_PROTOCOL_VERSIONS[0]),
            user: self.client_can_elicit.then_some(client),
            call_id: id.to_string(),
        };
        self.provider
            .call(&name, arguments, call)
            .map_err(|error| match error {
                ToolCallError::UnknownTool(name) => {
                    RpcError::new(INVALID_PARAMS, format!("Unknown tool: {name}"))
                }
            })
    }
}

/// Cursors are opaque to clients; ours is the index of the first tool of the page, tagged so
/// that a number from elsewhere is not mistaken for one.
fn encode_cursor(start: usize) -> String {
    format!("tools:{start}")
}

fn decode_cursor(cursor: &str) -> Option<usize> {
    cursor.strip_prefix("tools:")?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mcp::serve;
    use crate::mcp::transport::MAX_MESSAGE_BYTES;

    /// A client that cannot be asked anything.
    struct NoClient;

    impl ClientLink for NoClient {
        fn request(&mut self, _: &str, _: Value) -> Result<Value, String> {
            Err("no client".into())
        }
    }

    struct TwoTools(Vec<Value>);

    impl ToolProvider for TwoTools {
        fn tools(&self) -> &[Value] {
            &self.0
        }
        fn call(
            &mut self,
            name: &str,
            arguments: Map<String, Value>,
            _call: ToolCall<'_>,
        ) -> Result<Value, ToolCallError> {
            match name {
                "echo" => Ok(json!({ "content": [], "structuredContent": arguments })),
                _ => Err(ToolCallError::UnknownTool(name.into())),
            }
        }
    }

    fn session(page_size: usize) -> Session<TwoTools> {
        let info = ServerInfo {
            name: "n",
            title: "t",
            version: "1",
            instructions: "i",
        };
        let tools = vec![json!({ "name": "echo" }), json!({ "name": "other" })];
        Session::new(info, TwoTools(tools), page_size)
    }

    fn send(session: &mut Session<TwoTools>, message: Value) -> Value {
        session
            .handle_line(message.to_string().as_bytes(), &mut NoClient)
            .expect("a reply")
    }

    fn init(session: &mut Session<TwoTools>, version: &str) -> Value {
        send(
            session,
            json!({"jsonrpc":"2.0","id":1,"method":"initialize",
            "params":{"protocolVersion": version, "capabilities":{}, "clientInfo":{"name":"t","version":"0"}}}),
        )
    }

    #[test]
    fn negotiates_each_supported_version_and_falls_back_to_the_newest() {
        for version in SUPPORTED_PROTOCOL_VERSIONS {
            assert_eq!(
                init(&mut session(10), version)["result"]["protocolVersion"],
                version
            );
        }
        assert_eq!(
            init(&mut session(10), "2099-01-01")["result"]["protocolVersion"],
            "2025-11-25"
        );
    }

    #[test]
    fn refuses_tools_before_initialize_and_a_second_initialize() {
        let mut s = session(10);
        let early = send(
            &mut s,
            json!({"jsonrpc":"2.0","id":2,"method":"tools/list"}),
        );
        assert_eq!(early["error"]["code"], INVALID_REQUEST);
        init(&mut s, "2025-06-18");
        assert_eq!(init(&mut s, "2025-06-18")["error"]["code"], INVALID_REQUEST);
    }

    #[test]
    fn pages_tools_with_an_opaque_cursor() {
        let mut s = session(1);
        init(&mut s, "2025-11-25");
        let first = send(
            &mut s,
            json!({"jsonrpc":"2.0","id":2,"method":"tools/list"}),
        );
        assert_eq!(first["result"]["tools"][0]["name"], "echo");
        let cursor = first["result"]["nextCursor"].clone();
        let second = send(
            &mut s,
            json!({"jsonrpc":"2.0","id":3,"method":"tools/list","params":{"cursor":cursor}}),
        );
        assert_eq!(second["result"]["tools"][0]["name"], "other");
        assert!(second["result"].get("nextCursor").is_none());
        let bad = send(
            &mut s,
            json!({"jsonrpc":"2.0","id":4,"method":"tools/list","params":{"cursor":"tools:99"}}),
        );
        assert_eq!(bad["error"]["code"], INVALID_PARAMS);
    }

    #[test]
    fn unknown_methods_and_tools_get_specific_errors() {
        let mut s = session(10);
        init(&mut s, "2025-11-25");
        let unknown = send(
            &mut s,
            json!({"jsonrpc":"2.0","id":5,"method":"server/discover"}),
        );
        assert_eq!(unknown["error"]["code"], METHOD_NOT_FOUND);
        let tool = send(
            &mut s,
            json!({"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"nope"}}),
        );
        assert_eq!(tool["error"]["code"], INVALID_PARAMS);
        let args = send(
            &mut s,
            json!({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":3}}),
        );
        assert_eq!(args["error"]["code"], INVALID_PARAMS);
    }

    #[test]
    fn notifications_get_no_reply_and_serving_ends_cleanly_at_eof() {
        let mut s = session(10);
        assert!(
            s.handle_line(
                br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
                &mut NoClient
            )
            .is_none()
        );
        let input = b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n\nnot json\n";
        let mut output = Vec::new();
        serve(&mut s, &input[..], &mut output).unwrap();
        let lines: Vec<Value> = output
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["result"], json!({}));
        assert_eq!(lines[1]["error"]["code"], jsonrpc::PARSE_ERROR);
    }

    /// Runs every line of `input` through `serve` and returns the replies.
    fn serve_all(session: &mut Session<TwoTools>, input: &[u8]) -> Vec<Value> {
        let mut output = Vec::new();
        serve(session, input, &mut output).unwrap();
        output
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).unwrap())
            .collect()
    }

    #[test]
    fn an_oversized_message_is_refused_and_the_next_one_served() {
        let mut s = session(10);
        let mut input = vec![b'x'; MAX_MESSAGE_BYTES + 10];
        input.extend_from_slice(b"\n{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"ping\"}\n");
        let replies = serve_all(&mut s, &input);
        assert_eq!(replies.len(), 2);
        assert_eq!(replies[0]["error"]["code"], jsonrpc::PARSE_ERROR);
        assert!(
            replies[0]["error"]["message"]
                .as_str()
                .unwrap()
                .contains("larger than")
        );
        assert_eq!(replies[1]["id"], 9);
    }

    #[test]
    fn deep_nesting_and_notifications_with_ids_are_refused() {
        let mut s = session(10);
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let reply = s.handle_line(deep.as_bytes(), &mut NoClient).unwrap();
        assert!(
            reply["error"]["code"] == jsonrpc::PARSE_ERROR
                || reply["error"]["code"] == INVALID_REQUEST
        );
        let reply = send(
            &mut s,
            json!({"jsonrpc":"2.0","id":4,"method":"notifications/initialized"}),
        );
        assert_eq!(reply["error"]["code"], INVALID_REQUEST);
        assert_eq!(reply["id"], 4);
    }

    mod fuzz {
        use super::*;
        use proptest::prelude::*;

        fn json_value() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::Bool),
                any::<i64>().prop_map(|n| json!(n)),
                any::<f64>().prop_map(|n| json!(n)),
                ".{0,12}".prop_map(Value::String),
            ];
            leaf.prop_recursive(4, 32, 6, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                    prop::collection::btree_map(".{0,8}", inner, 0..6)
                        .prop_map(|map| Value::Object(map.into_iter().collect())),
                ]
            })
        }

        /// Messages shaped like JSON-RPC, with every field sometimes wrong.
        fn message() -> impl Strategy<Value = Value> {
            let method = prop_oneof![
                Just("initialize".to_string()),
                Just("ping".to_string()),
                Just("tools/list".to_string()),
                Just("tools/call".to_string()),
                Just("notifications/cancelled".to_string()),
                ".{0,16}",
            ];
            (json_value(), method, json_value(), any::<bool>(), any::<bool>()).prop_map(
                |(id, method, params, with_id, right_version)| {
                    let mut message = json!({ "jsonrpc": if right_version { "2.0" } else { "1.0" }, "method": method, "params": params });
                    if with_id {
                        message["id"] = id;
                    }
                    message
                },
            )
        }

        /// Every reply is a well-formed JSON-RPC response.
        fn check_reply(reply: &Value) {
            assert_eq!(reply["jsonrpc"], "2.0", "{reply}");
            assert!(
                reply.get("result").is_some() != reply.get("error").is_some(),
                "{reply}"
            );
            if let Some(code) = reply["error"]["code"].as_i64() {
                assert!((-32700..=-32600).contains(&code), "{reply}");
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 3000, failure_persistence: None, ..ProptestConfig::default() })]

            #[test]
            fn arbitrary_bytes_never_crash_the_session(lines in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..200), 1..8)) {
                let mut s = session(1);
                for line in &lines {
                    if let Some(reply) = s.handle_line(line, &mut NoClient) {
                        check_reply(&reply);
                    }
                }
            }

            #[test]
            fn json_rpc_shaped_messages_get_well_formed_answers(messages in prop::collection::vec(message(), 1..8), initialize_first in any::<bool>()) {
                let mut s = session(1);
                if initialize_first {
                    init(&mut s, "2025-11-25");
                }
                let mut stream = Vec::new();
                for message in &messages {
                    stream.extend_from_slice(message.to_string().as_bytes());
                    stream.push(b'\n');
                }
                for reply in serve_all(&mut s, &stream) {
                    check_reply(&reply);
                }
            }
        }
    }
}
