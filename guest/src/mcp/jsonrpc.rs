//! JSON-RPC 2.0 message parsing and the error codes MCP uses.
//!
//! Parsing is strict on purpose: a message that is not a well-formed request or notification
//! gets a specific error instead of a guess, so a confused client learns what it did wrong.

use serde_json::{Map, Value, json};

use crate::json_text::object;

pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const METHOD_NOT_FOUND: i64 = -32601;
pub const INVALID_PARAMS: i64 = -32602;
pub const INTERNAL_ERROR: i64 = -32603;
/// "Resource not found" before 2026-07-28, which uses INVALID_PARAMS for it instead.
pub const LEGACY_RESOURCE_NOT_FOUND: i64 = -32002;
/// Codes MCP 2026-07-28 defines: HTTP headers that contradict the body, and a protocol
/// version we do not speak. Its third, -32021 (a client capability the request needs), never
/// arises here: no request needs one, as a client that cannot show a form is simply not
/// asked to confirm.
pub const HEADER_MISMATCH: i64 = -32020;
pub const UNSUPPORTED_PROTOCOL_VERSION: i64 = -32022;

/// One incoming line, classified.
#[derive(Debug)]
pub enum Incoming {
    Request {
        id: Value,
        method: String,
        params: Map<String, Value>,
    },
    Notification,
    /// A response: the server asks the client nothing itself, so it is noise here.
    Response,
    /// The line was not acceptable; answer with this error (id is null when unknown).
    Invalid {
        id: Value,
        error: RpcError,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
    /// Details a client can act on, such as the versions we do support.
    pub data: Option<Value>,
}

impl RpcError {
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            data: None,
        }
    }

    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }
}

/// Parses one message given as bytes (an HTTP body or a stdio line).
pub fn parse_bytes(bytes: &[u8]) -> Incoming {
    match std::str::from_utf8(bytes) {
        Ok(text) => parse_line(text),
        Err(_) => Incoming::Invalid {
            id: Value::Null,
            error: RpcError::new(PARSE_ERROR, "Parse error: input is not valid UTF-8"),
        },
    }
}

pub fn parse_line(line: &str) -> Incoming {
    let value: Value = match serde_json::from_str(line) {
        Ok(value) => value,
        Err(err) => {
            return Incoming::Invalid {
                id: Value::Null,
                error: RpcError::new(PARSE_ERROR, format!("Parse error: {err}")),
            };
        }
    };
    classify(value)
}

fn classify(value: Value) -> Incoming {
    let Value::Object(mut message) = value else {
        let error = if value.is_array() {
            // Batches were removed from MCP in 2025-06-18; say so rather than "invalid".
            RpcError::new(INVALID_REQUEST, "JSON-RPC batches are not supported by MCP")
        } else {
            RpcError::new(INVALID_REQUEST, "a JSON-RPC message must be an object")
        };
        return Incoming::Invalid {
            id: Value::Null,
            error,
        };
    };

    let id = message.remove("id");
    let reply_id = match &id {
        Some(id @ (Value::String(_) | Value::Number(_))) => id.clone(),
        _ => Value::Null,
    };
    let invalid = |reason: &str| Incoming::Invalid {
        id: reply_id.clone(),
        error: RpcError::new(INVALID_REQUEST, reason),
    };

    if message.get("jsonrpc") != Some(&Value::String("2.0".into())) {
        return invalid("\"jsonrpc\" must be \"2.0\"");
    }
    let method = match message.remove("method") {
        Some(Value::String(method)) => method,
        Some(_) => return invalid("\"method\" must be a string"),
        None if message.contains_key("result") || message.contains_key("error") => {
            return Incoming::Response;
        }
        None => return invalid("missing \"method\""),
    };
    let params = match message.remove("params") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(params)) => params,
        Some(_) => {
            return Incoming::Invalid {
                id: reply_id,
                error: RpcError::new(INVALID_PARAMS, "\"params\" must be an object"),
            };
        }
    };
    match id {
        None => Incoming::Notification,
        // A notification expects no answer, so it cannot carry an id; say so rather than
        // answer as if it were a request.
        Some(_) if method.starts_with("notifications/") => {
            invalid("a notification must not carry an \"id\"")
        }
        Some(id @ (Value::String(_) | Value::Number(_))) => {
            Incoming::Request { id, method, params }
        }
        Some(_) => invalid("\"id\" must be a string or a number"),
    }
}

pub fn success(id: &Value, result: Value) -> Value {
    object([
        ("jsonrpc", Value::from("2.0")),
        ("id", id.clone()),
        ("result", result),
    ])
}

/// A success whose result is JSON text already written.
pub fn success_text(id: &Value, result: &str) -> String {
    // Sized up front: `result` can be the whole tool list, which `format!` would copy
    // several times while growing its buffer.
    let id = id.to_string();
    let mut text = String::with_capacity(result.len() + id.len() + 32);
    text.push_str(r#"{"jsonrpc":"2.0","id":"#);
    text.push_str(&id);
    text.push_str(r#","result":"#);
    text.push_str(result);
    text.push('}');
    text
}

pub fn failure(id: &Value, error: &RpcError) -> Value {
    let mut body = json!({ "code": error.code, "message": error.message });
    if let Some(data) = &error.data {
        body["data"] = data.clone();
    }
    json!({ "jsonrpc": "2.0", "id": id, "error": body })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid_code(line: &str) -> i64 {
        match parse_line(line) {
            Incoming::Invalid { error, .. } => error.code,
            other => panic!("expected an error for {line}, got {other:?}"),
        }
    }

    #[test]
    fn rejects_malformed_messages_with_specific_codes() {
        assert_eq!(invalid_code("{not json"), PARSE_ERROR);
        assert_eq!(invalid_code("[]"), INVALID_REQUEST);
        assert_eq!(invalid_code("42"), INVALID_REQUEST);
        assert_eq!(
            invalid_code(r#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#),
            INVALID_REQUEST
        );
        assert_eq!(
            invalid_code(r#"{"jsonrpc":"2.0","id":{},"method":"ping"}"#),
            INVALID_REQUEST
        );
        assert_eq!(
            invalid_code(r#"{"jsonrpc":"2.0","id":1,"method":"x","params":[1]}"#),
            INVALID_PARAMS
        );
    }

    #[test]
    fn keeps_the_id_of_a_bad_request_so_the_client_can_match_it() {
        match parse_line(r#"{"jsonrpc":"2.0","id":"abc","method":7}"#) {
            Incoming::Invalid { id, .. } => assert_eq!(id, json!("abc")),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn tells_requests_from_notifications() {
        assert!(matches!(
            parse_line(r#"{"jsonrpc":"2.0","id":3,"method":"ping"}"#),
            Incoming::Request { method, .. } if method == "ping"
        ));
        assert!(matches!(
            parse_line(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#),
            Incoming::Notification
        ));
    }
}
