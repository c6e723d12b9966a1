//! MCP over stdio: newline-delimited JSON-RPC on stdin and stdout. The host owns the
//! connection and the component owns each request: every request runs in its own instance,
//! concurrently, so a call waiting on the API never delays a `ping` or another call.
//!
//! What a connection needs beyond single requests lives here:
//! - a legacy client's handshake, remembered for the connection and added to each later
//!   request as `_meta`, and its questions, put to it as requests on stdout (the rules are
//!   in crate::legacy, shared with `serve --http`);
//! - cancellation: `notifications/cancelled` drops the request's instance (and the API
//!   requests it was waiting on), and no response is sent for it;
//! - a cap on requests in flight: beyond it, a request is told at once that the server is
//!   busy, rather than piling up tasks and instances.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use anyhow::Result;
use bytes::Bytes;
use serde_json::{Value, json};
use std::io::{BufRead, Write};

use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};
use tokio::task::{AbortHandle, JoinSet};

use crate::component::{Runner, modern_headers};
use crate::http_server::limits::{BUSY_CODE, busy_message};
use crate::legacy::{self, Conversation, Handshake};
use crate::locking::lock;
use crate::shutdown;

/// The longest line accepted, in bytes: the component refuses larger bodies anyway, and an
/// inline upload is the only large message.
const MAX_LINE_BYTES: usize = 32 << 20;

/// State of one stdio connection, shared by its request tasks.
struct Connection {
    runner: Runner,
    /// Lines for stdout. The component's replies pass as the text it wrote: a 200 KB tool
    /// list is not parsed and written again.
    output: mpsc::UnboundedSender<Bytes>,
    handshake: Mutex<Option<Handshake>>,
    /// Our questions to the client that await an answer, by the id we gave them.
    questions: Mutex<HashMap<String, oneshot::Sender<Value>>>,
    /// Requests being handled, by their id as JSON text, so a cancellation can stop them.
    in_flight: Mutex<HashMap<String, AbortHandle>>,
    /// One permit per request being handled (FACTURATION_MAX_IN_FLIGHT).
    permits: Arc<Semaphore>,
}

/// One framed input line, or the news that a line was too long to take.
enum Frame {
    Line(Vec<u8>),
    Oversized,
}

/// Serves until stdin ends and every request has been answered, or until the process is
/// asked to stop and the calls in flight are answered (for at most [`shutdown::DRAIN`]).
///
/// Stdin and stdout each get a plain thread: the tokio versions hand every read and write
/// to a blocking pool, which added a visible share of each request's latency.
pub async fn serve(runner: Runner) -> Result<()> {
    let max_in_flight = runner.settings().serve_limits.max_in_flight;
    let (frames, mut incoming) = mpsc::unbounded_channel::<Frame>();
    std::thread::spawn(move || {
        let mut input = std::io::stdin().lock();
        // A read error ends the input as its end would.
        while let Ok(Some(frame)) = read_frame(&mut input) {
            if frames.send(frame).is_err() {
                break;
            }
        }
    });
    let (sender, mut outgoing) = mpsc::unbounded_channel::<Bytes>();
    // One writer, so that lines from concurrent requests never interleave.
    let writer = std::thread::spawn(move || {
        let mut output = std::io::stdout().lock();
        while let Some(line) = outgoing.blocking_recv() {
            let mut framed = Vec::with_capacity(line.len() + 1);
            framed.extend_from_slice(&line);
            framed.push(b'\n');
            if output
                .write_all(&framed)
                .and_then(|()| output.flush())
                .is_err()
            {
                break;
            }
        }
    });
    let connection = Arc::new(Connection {
        runner,
        output: sender,
        handshake: Mutex::new(None),
        questions: Mutex::new(HashMap::new()),
        in_flight: Mutex::new(HashMap::new()),
        permits: Arc::new(Semaphore::new(max_in_flight)),
    });
    let mut tasks = JoinSet::new();
    let stop = shutdown::requested();
    tokio::pin!(stop);
    let mut stopping = false;
    loop {
        let frame = tokio::select! {
            frame = incoming.recv() => frame,
            _ = &mut stop => {
                stopping = true;
                None
            }
        };
        let Some(frame) = frame else { break };
        match frame {
            Frame::Line(line) => connection.receive(line, &mut tasks).await,
            Frame::Oversized => {
                let error = json!({ "code": -32700, "message": format!("message larger than {MAX_LINE_BYTES} bytes; it was ignored") });
                connection.send(&json!({ "jsonrpc": "2.0", "id": null, "error": error }));
            }
        }
        // Finished tasks are collected as we go, so a long session does not pile them up.
        while tasks.try_join_next().is_some() {}
    }
    // No answer to a question can come any more: the requests waiting for one go on as if
    // the user had dismissed it.
    lock(&connection.questions).clear();
    let all_answered = {
        let all_answered = async { while tasks.join_next().await.is_some() {} };
        tokio::pin!(all_answered);
        // With stdin closed, the calls in flight are answered however long they take, unless
        // a stop is asked for meanwhile: then the drain applies as it would have.
        let answered = !stopping
            && tokio::select! {
                () = &mut all_answered => true,
                _ = &mut stop => false,
            };
        answered
            || tokio::time::timeout(shutdown::DRAIN, &mut all_answered)
                .await
                .is_ok()
    };
    if !all_answered {
        // Past the drain, what still runs is dropped as a cancellation would drop it (their
        // writes are in the audit log already); the writer ends once they let go of it.
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
    }
    drop(connection);
    let _ = tokio::task::spawn_blocking(move || writer.join()).await;
    Ok(())
}

/// The next non-empty line, or None at end of input. A line over the size limit is skipped
/// without being held in memory.
fn read_frame(input: &mut impl BufRead) -> std::io::Result<Option<Frame>> {
    let mut line = Vec::new();
    let mut oversized = false;
    loop {
        let buffer = input.fill_buf()?;
        if buffer.is_empty() {
            return Ok(match (oversized, line.trim_ascii().is_empty()) {
                (true, _) => Some(Frame::Oversized),
                (false, true) => None,
                (false, false) => Some(Frame::Line(line)),
            });
        }
        let (chunk, end) = match buffer.iter().position(|byte| *byte == b'\n') {
            Some(end) => (&buffer[..end], Some(end + 1)),
            None => (buffer, None),
        };
        if !oversized && line.len() + chunk.len() > MAX_LINE_BYTES {
            oversized = true;
            line = Vec::new();
        }
        if !oversized {
            line.extend_from_slice(chunk);
        }
        let consumed = end.unwrap_or(buffer.len());
        input.consume(consumed);
        if end.is_some() {
            if oversized {
                return Ok(Some(Frame::Oversized));
            }
            if !line.trim_ascii().is_empty() {
                return Ok(Some(Frame::Line(line)));
            }
            line.clear();
        }
    }
}

impl Connection {
    /// Takes one line from the client. A legacy `initialize` is answered before the next line
    /// is read, since what it settles applies to every request after it.
    async fn receive(self: &Arc<Self>, line: Vec<u8>, tasks: &mut JoinSet<()>) {
        let message: Value = match serde_json::from_slice(&line) {
            Ok(Value::Object(message)) => Value::Object(message),
            // The component says precisely what is wrong with it.
            _ => {
                self.spawn(Value::Null, Bytes::from(line), tasks);
                return;
            }
        };
        let id = message.get("id").cloned();
        match (message.get("method"), id) {
            (Some(Value::String(method)), None) => {
                if method == "notifications/cancelled" {
                    self.cancel(&message["params"]["requestId"]);
                }
                // Other notifications change nothing here.
            }
            (Some(_), Some(id)) if legacy::is_handshake(&message) => {
                let reply = self.answer(id, message).await;
                self.send_reply(reply);
            }
            (Some(_), Some(id)) => {
                let key = id.to_string();
                // Held until the handle is in: a call that finishes at once must find its
                // entry there to remove, or a stale one would outlive it.
                let mut in_flight = lock(&self.in_flight);
                // A second request under the id of one in flight would take its place in
                // the table, and a cancellation could then reach only one of the two.
                if in_flight.contains_key(&key) {
                    drop(in_flight);
                    let message = format!(
                        "a request with id {key} is still in flight: each request in flight \
                         needs an id of its own; this one was not run"
                    );
                    self.send_reply(error(&id, -32600, &message));
                    return;
                }
                let Some(permit) = self.permit(&id) else {
                    return;
                };
                let connection = self.clone();
                let handle = tasks.spawn(async move {
                    let reply = connection.answer(id.clone(), message).await;
                    lock(&connection.in_flight).remove(&id.to_string());
                    connection.send_reply(reply);
                    drop(permit);
                });
                in_flight.insert(key, handle);
            }
            (None, Some(id))
                if message.get("result").is_some() || message.get("error").is_some() =>
            {
                if let Some(waiting) = lock(&self.questions).remove(&legacy::answer_key(&id)) {
                    let _ = waiting.send(message);
                }
            }
            _ => self.spawn(Value::Null, Bytes::from(line), tasks),
        }
    }

    /// Passes a message the host cannot classify to the component, for its error answer.
    fn spawn(self: &Arc<Self>, id: Value, body: Bytes, tasks: &mut JoinSet<()>) {
        let Some(permit) = self.permit(&id) else {
            return;
        };
        let connection = self.clone();
        tasks.spawn(async move {
            let reply = connection.run(&id, &[], body).await;
            connection.send_reply(reply);
            drop(permit);
        });
    }

    /// Room for one more request in flight, or None once the client has been told the
    /// server is busy.
    fn permit(&self, id: &Value) -> Option<OwnedSemaphorePermit> {
        let permit = self.permits.clone().try_acquire_owned().ok();
        if permit.is_none() {
            let message = busy_message(self.runner.settings().serve_limits.max_in_flight);
            self.send_reply(error(id, BUSY_CODE, &message));
        }
        permit
    }

    fn send(&self, message: &Value) {
        let _ = self.output.send(Bytes::from(message.to_string()));
    }

    /// Writes the reply, if there is one (a notification the component accepted has none).
    fn send_reply(&self, reply: Option<Bytes>) {
        if let Some(line) = reply {
            let _ = self.output.send(line);
        }
    }

    fn cancel(&self, request_id: &Value) {
        if let Some(task) = lock(&self.in_flight).remove(&request_id.to_string()) {
            task.abort();
        }
    }

    /// Answers one request, asking the user on the client's behalf when needed.
    async fn answer(&self, id: Value, mut message: Value) -> Option<Bytes> {
        let modern = legacy::is_modern(&message);
        let handshake = lock(&self.handshake).clone();
        if !modern {
            match (message["method"].as_str(), &handshake) {
                (Some("initialize"), Some(_)) => {
                    return error(&id, -32600, "the session is already initialized");
                }
                (Some("initialize"), None) => return self.initialize(id, message).await,
                (Some("ping"), None) => {}
                (_, None) => {
                    return error(
                        &id,
                        -32600,
                        "the session is not initialized yet: send `initialize` first (or \
                         per-request `_meta`, as protocol 2026-07-28 does)",
                    );
                }
                (_, Some(handshake)) => handshake.add_meta(&mut message),
            }
        }
        let headers = if modern {
            modern_headers(&message)
        } else {
            Vec::new()
        };
        let reply = self
            .run(&id, &headers, Bytes::from(message.to_string()))
            .await;
        // Only a legacy client's tool call can come back with a question the host must ask:
        // a modern client asks its user itself.
        match handshake {
            Some(handshake)
                if !modern
                    && message["method"] == "tools/call"
                    && handshake.answers_questions() =>
            {
                let call = StdioCall {
                    connection: self,
                    id: &id,
                };
                legacy::follow_questions(&call, &handshake, message, reply).await
            }
            _ => reply,
        }
    }

    async fn initialize(&self, id: Value, message: Value) -> Option<Bytes> {
        let reply = self.run(&id, &[], Bytes::from(message.to_string())).await;
        if let Some(handshake) = reply
            .as_deref()
            .and_then(|reply| Handshake::settled(&message, reply))
        {
            *lock(&self.handshake) = Some(handshake);
        }
        reply
    }

    /// One request through one fresh instance; its JSON-RPC reply as the component wrote
    /// it, or None when there is none (an accepted notification).
    async fn run(
        &self,
        id: &Value,
        headers: &[(&'static str, String)],
        body: Bytes,
    ) -> Option<Bytes> {
        match self.runner.handle_message(headers, body).await {
            Ok(response) if response.status() == http::StatusCode::ACCEPTED => None,
            // Our component writes one JSON object without line breaks; anything else would
            // break the framing, so it is not passed on.
            Ok(response) if is_one_line_object(response.body()) => Some(response.into_body()),
            Ok(_) => error(id, -32603, "the component's answer is not a JSON object"),
            Err(crash) => {
                eprintln!("facturation-pro-mcp: {}", crash.0);
                error(id, -32603, &crash.0)
            }
        }
    }
}

/// One legacy tool call on this connection, as the question loop sees it.
struct StdioCall<'a> {
    connection: &'a Connection,
    id: &'a Value,
}

impl Conversation for StdioCall<'_> {
    type Reply = Option<Bytes>;

    async fn run(&self, body: Bytes) -> Option<Bytes> {
        self.connection.run(self.id, &[], body).await
    }

    fn text(reply: &Option<Bytes>) -> Option<&[u8]> {
        reply.as_deref()
    }

    /// The question goes out as a line like any other; the reader hands its answer over.
    async fn ask(&self, id: &str, request: Value) -> Option<Value> {
        let (sender, receiver) = oneshot::channel();
        lock(&self.connection.questions).insert(legacy::answer_key(&json!(id)), sender);
        self.connection.send(&request);
        receiver.await.ok()
    }

    fn failure(&self, message: &str) -> Option<Bytes> {
        Some(legacy::internal_error(self.id, message))
    }
}

fn error(id: &Value, code: i64, message: &str) -> Option<Bytes> {
    Some(legacy::error_reply(id, code, message))
}

fn is_one_line_object(body: &[u8]) -> bool {
    body.starts_with(b"{") && body.ends_with(b"}") && !body.contains(&b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::{META_VERSION, MODERN_VERSION, header_safe};

    #[test]
    fn frames_skip_blank_lines_and_refuse_oversized_ones() {
        let mut input = format!(
            "\n  \n{{\"a\":1}}\n{}\n{{}}",
            "x".repeat(MAX_LINE_BYTES + 1)
        );
        input.push('\n');
        let mut reader = std::io::BufReader::with_capacity(1024, input.as_bytes());
        assert!(
            matches!(read_frame(&mut reader).unwrap(), Some(Frame::Line(line)) if line == br#"{"a":1}"#)
        );
        assert!(matches!(
            read_frame(&mut reader).unwrap(),
            Some(Frame::Oversized)
        ));
        assert!(
            matches!(read_frame(&mut reader).unwrap(), Some(Frame::Line(line)) if line == b"{}")
        );
        assert!(read_frame(&mut reader).unwrap().is_none());
    }

    #[test]
    fn names_that_a_header_cannot_carry_go_as_base64() {
        assert_eq!(header_safe("get_customer"), "get_customer");
        assert_eq!(header_safe("facture n°1"), "=?base64?ZmFjdHVyZSBuwrAx?=");
        assert_eq!(header_safe("=?base64?x?="), "=?base64?PT9iYXNlNjQ/eD89?=");
    }

    #[test]
    fn modern_headers_mirror_the_body() {
        let message = json!({ "method": "tools/call", "params": { "name": "get_account",
            "_meta": { META_VERSION: MODERN_VERSION } } });
        assert_eq!(
            modern_headers(&message),
            [
                ("mcp-protocol-version", MODERN_VERSION.to_string()),
                ("mcp-method", "tools/call".to_string()),
                ("mcp-name", "get_account".to_string()),
            ]
        );
    }
}

#[cfg(test)]
#[path = "stdio_framing_props.rs"]
mod framing_props;
