//! What a legacy (handshake-era) client needs from the host, on stdio and over HTTP alike.
//!
//! The component keeps nothing between requests and speaks the 2026-07-28 way: it reads the
//! client's version and capabilities from each request's `_meta`, and it asks the user
//! something by answering `input_required`. A legacy client does neither: it says who it is
//! once, in `initialize`, and expects the server to send it requests (`elicitation/create`,
//! `sampling/createMessage`) in the middle of a tool call. So the host
//! - remembers the [`Handshake`] and adds it to each later request as `_meta`;
//! - turns an `input_required` answer into requests to the client, and sends the call again
//!   with the answers and the component's `requestState` ([`follow_questions`]).
//!
//! How a question reaches the client and its answer comes back is the transport's business
//! (a line on stdout; an event on the call's SSE stream): a [`Conversation`].

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use serde_json::{Map, Value, json};

use crate::component::{META_CAPABILITIES, META_VERSION};

/// How many times one call may come back with a question before we give up: the component
/// asks once per step (twice for a two-step call), and again only if an answer got lost.
const MAX_QUESTION_ROUNDS: usize = 3;

const META_CLIENT_INFO: &str = "io.modelcontextprotocol/clientInfo";

/// JSON-RPC's code for a failure of the server's own.
const INTERNAL_ERROR: i64 = -32603;

/// What a legacy client's `initialize` settled.
#[derive(Clone, Debug)]
pub struct Handshake {
    version: String,
    capabilities: Value,
    client_info: Value,
}

impl Handshake {
    /// What the handshake `request` settled, once the component accepted it with `reply`
    /// (its JSON-RPC answer); None when it did not.
    pub fn settled(request: &Value, reply: &[u8]) -> Option<Handshake> {
        let reply: Value = serde_json::from_slice(reply).ok()?;
        let version = reply["result"]["protocolVersion"].as_str()?;
        let params = &request["params"];
        Some(Handshake {
            version: version.to_string(),
            capabilities: params["capabilities"].clone(),
            client_info: params["clientInfo"].clone(),
        })
    }

    /// Adds what the handshake settled to `message` as the per-request metadata the
    /// component reads.
    pub fn add_meta(&self, message: &mut Value) {
        match message.get("params") {
            None | Some(Value::Null) => message["params"] = json!({}),
            Some(Value::Object(_)) => {}
            // Left as it is, for the component to refuse with the request's id.
            Some(_) => return,
        }
        let Some(params) = message["params"].as_object_mut() else {
            return;
        };
        let meta = params.entry("_meta").or_insert_with(|| json!({}));
        if let Some(meta) = meta.as_object_mut() {
            meta.insert(META_VERSION.into(), json!(self.version));
            meta.insert(META_CAPABILITIES.into(), self.capabilities.clone());
            meta.insert(META_CLIENT_INFO.into(), self.client_info.clone());
        }
    }

    /// Whether the client said it can answer a question in the middle of a call: show its
    /// user a form, or ask its model.
    pub fn answers_questions(&self) -> bool {
        ["elicitation", "sampling"].iter().any(|capability| {
            self.capabilities
                .get(capability)
                .is_some_and(Value::is_object)
        })
    }

    /// The question as this client's revision has it, as a request of ours with `id`.
    fn request(&self, id: &str, question: &Value) -> Value {
        let mut params = question["params"].clone();
        // Elicitation modes came with 2025-11-25; earlier clients know only the form.
        if self.version.as_str() < "2025-11-25"
            && let Some(params) = params.as_object_mut()
        {
            params.remove("mode");
        }
        json!({ "jsonrpc": "2.0", "id": id, "method": question["method"], "params": params })
    }
}

/// Whether `message` is a legacy `initialize`: the one request that carries its own version.
pub fn is_handshake(message: &Value) -> bool {
    message["method"] == "initialize" && !is_modern(message)
}

/// Whether `message` names its revision in `_meta`, as 2026-07-28 requests do: then it
/// needs nothing from a handshake.
pub fn is_modern(message: &Value) -> bool {
    message["params"]["_meta"].get(META_VERSION).is_some()
}

/// A transport's way to run a call and to put a question to the client.
pub trait Conversation: Sync {
    /// The component's answer, as the transport holds it.
    type Reply: Send;

    /// Runs one request (a JSON-RPC message) through a fresh instance.
    fn run(&self, body: Bytes) -> impl Future<Output = Self::Reply> + Send;

    /// The JSON-RPC text of a reply, to look for questions in.
    fn text(reply: &Self::Reply) -> Option<&[u8]>;

    /// Sends `request` (a JSON-RPC request of ours, whose id is `id`) to the client and
    /// waits for its JSON-RPC response; None when none came.
    fn ask(&self, id: &str, request: Value) -> impl Future<Output = Option<Value>> + Send;

    /// A JSON-RPC error answer to the call, of the host's own.
    fn failure(&self, message: &str) -> Self::Reply;
}

/// Whether a reply of the component asks the client something first.
pub fn asks(reply: &[u8]) -> bool {
    questions_in(reply).is_some()
}

/// The `inputRequests` and `requestState` of an `input_required` reply.
fn questions_in(reply: &[u8]) -> Option<(Map<String, Value>, Value)> {
    let mut reply: Value = serde_json::from_slice(reply).ok()?;
    let result = reply.get_mut("result")?;
    if result["resultType"] != "input_required" {
        return None;
    }
    let questions = match result.get_mut("inputRequests").map(Value::take) {
        Some(Value::Object(questions)) => questions,
        _ => Map::new(),
    };
    Some((questions, result["requestState"].take()))
}

/// Starting from the component's `reply` to the call `message`: as long as it asks
/// something, asks the client and sends the call again with the answers. Returns the last
/// reply, the one that asks nothing.
pub async fn follow_questions<C: Conversation>(
    conversation: &C,
    handshake: &Handshake,
    mut message: Value,
    mut reply: C::Reply,
) -> C::Reply {
    for _ in 0..MAX_QUESTION_ROUNDS {
        let Some((questions, state)) = C::text(&reply).and_then(questions_in) else {
            return reply;
        };
        let answers = ask_each(conversation, handshake, &questions).await;
        let Some(params) = message["params"].as_object_mut() else {
            return reply;
        };
        params.insert("inputResponses".into(), Value::Object(answers));
        params.insert("requestState".into(), state);
        reply = conversation.run(Bytes::from(message.to_string())).await;
    }
    if C::text(&reply).is_some_and(asks) {
        return conversation.failure("the server kept asking the same question; nothing was done");
    }
    reply
}

/// Puts each question to the client in turn and gathers the answers; a question that gets
/// no usable answer counts as dismissed.
async fn ask_each<C: Conversation>(
    conversation: &C,
    handshake: &Handshake,
    questions: &Map<String, Value>,
) -> Map<String, Value> {
    let mut answers = Map::new();
    for (key, question) in questions {
        let id = next_question_id();
        let answer = match conversation
            .ask(&id, handshake.request(&id, question))
            .await
        {
            Some(reply) if reply.get("result").is_some() => reply["result"].clone(),
            _ => json!({ "action": "cancel" }),
        };
        answers.insert(key.clone(), answer);
    }
    answers
}

/// An id for a request of ours, unique in the process (a client's answer names it).
fn next_question_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("server-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The text of the key the questions waiting for an answer are filed under: a response's
/// `id` as JSON, so that `"server-1"` and `1` stay apart.
pub fn answer_key(id: &Value) -> String {
    id.to_string()
}

/// A JSON-RPC error answer to the request `id`, as text.
pub fn error_reply(id: &Value, code: i64, message: &str) -> Bytes {
    let error =
        json!({ "jsonrpc": "2.0", "id": id, "error": { "code": code, "message": message } });
    Bytes::from(error.to_string())
}

/// The error answer a call gets when the host itself could not complete it.
pub fn internal_error(id: &Value, message: &str) -> Bytes {
    error_reply(id, INTERNAL_ERROR, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handshake(version: &str, capabilities: Value) -> Handshake {
        Handshake {
            version: version.into(),
            capabilities,
            client_info: json!({ "name": "c", "version": "1" }),
        }
    }

    #[test]
    fn the_handshake_travels_as_per_request_metadata() {
        let mut message = json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/list" });
        handshake("2025-06-18", json!({ "elicitation": {} })).add_meta(&mut message);
        assert_eq!(message["params"]["_meta"][META_VERSION], "2025-06-18");
        assert_eq!(
            message["params"]["_meta"][META_CAPABILITIES],
            json!({ "elicitation": {} })
        );
        assert!(is_modern(&message) && !is_handshake(&message));
    }

    #[test]
    fn a_handshake_is_settled_only_by_an_accepting_reply() {
        let request = json!({ "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": { "sampling": {} } } });
        assert!(is_handshake(&request));
        let accepted = br#"{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-06-18"}}"#;
        let settled = Handshake::settled(&request, accepted).unwrap();
        assert_eq!(settled.version, "2025-06-18");
        assert!(settled.answers_questions());
        let refused = br#"{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"no"}}"#;
        assert!(Handshake::settled(&request, refused).is_none());
        assert!(!handshake("2025-11-25", json!({ "roots": {} })).answers_questions());
    }

    #[test]
    fn older_clients_get_questions_without_a_mode() {
        let question = json!({ "method": "elicitation/create",
            "params": { "mode": "form", "message": "sure?" } });
        let old = handshake("2025-06-18", json!({})).request("server-1", &question);
        assert_eq!(old["params"], json!({ "message": "sure?" }));
        let new = handshake("2025-11-25", json!({})).request("server-2", &question);
        assert_eq!(new["params"]["mode"], "form");
        assert_eq!(new["id"], "server-2");
    }

    #[test]
    fn only_an_input_required_result_asks() {
        assert!(asks(
            br#"{"result":{"resultType":"input_required","inputRequests":{}}}"#
        ));
        assert!(!asks(br#"{"result":{"content":[]}}"#));
        assert!(!asks(b"event: message\ndata: {}\n\n"));
    }
}
