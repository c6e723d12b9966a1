//! Newline-delimited JSON-RPC over a reader and a writer (stdin and stdout in production):
//! framing with a size cap, writing replies, and the server's own requests to the client,
//! whose answers arrive on the same input as everything else.

use std::io::{BufRead, Read, Write};

use serde_json::{Value, json};

use super::jsonrpc::{self, RpcError};
use super::session::{ClientLink, Session, ToolProvider};

/// The longest message accepted, in bytes. Tool arguments are small; an inline upload of a
/// large file is the only big message, and uploads are capped well below this.
pub const MAX_MESSAGE_BYTES: usize = 32 << 20;

/// JSON-RPC error code for a request that arrives while we wait for the user (the session
/// handles one request at a time).
const SERVER_BUSY: i64 = -32000;

pub struct Stdio<R, W> {
    input: R,
    output: W,
    next_request: u64,
}

/// One framed input: a line, or a line too long to take.
enum Frame {
    Line(Vec<u8>),
    Oversized,
}

impl<R: BufRead, W: Write> Stdio<R, W> {
    pub fn new(input: R, output: W) -> Self {
        Self {
            input,
            output,
            next_request: 1,
        }
    }

    /// The next non-empty line, or None at end of input.
    fn read_frame(&mut self) -> std::io::Result<Option<Frame>> {
        loop {
            let mut line = Vec::new();
            let read = (&mut self.input)
                .take(MAX_MESSAGE_BYTES as u64 + 1)
                .read_until(b'\n', &mut line)?;
            if read == 0 {
                return Ok(None);
            }
            if line.len() > MAX_MESSAGE_BYTES {
                self.skip_line()?;
                return Ok(Some(Frame::Oversized));
            }
            let trimmed = line.trim_ascii();
            if !trimmed.is_empty() {
                return Ok(Some(Frame::Line(trimmed.to_vec())));
            }
        }
    }

    /// Drops the rest of an oversized line without holding it in memory.
    fn skip_line(&mut self) -> std::io::Result<()> {
        loop {
            let buffer = self.input.fill_buf()?;
            if buffer.is_empty() {
                return Ok(());
            }
            match buffer.iter().position(|byte| *byte == b'\n') {
                Some(end) => {
                    self.input.consume(end + 1);
                    return Ok(());
                }
                None => {
                    let length = buffer.len();
                    self.input.consume(length);
                }
            }
        }
    }

    fn write(&mut self, message: &Value) -> std::io::Result<()> {
        serde_json::to_writer(&mut self.output, message)?;
        self.output.write_all(b"\n")?;
        self.output.flush()
    }
}

fn oversized() -> Value {
    let error = RpcError::new(
        jsonrpc::PARSE_ERROR,
        format!("message larger than {MAX_MESSAGE_BYTES} bytes; it was ignored"),
    );
    jsonrpc::failure(&Value::Null, &error)
}

impl<R: BufRead, W: Write> ClientLink for Stdio<R, W> {
    fn request(&mut self, method: &str, params: Value) -> Result<Value, String> {
        let id = format!("server-{}", self.next_request);
        self.next_request += 1;
        let request = json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
        self.write(&request).map_err(|err| err.to_string())?;
        loop {
            let line = match self.read_frame().map_err(|err| err.to_string())? {
                None => return Err("the client closed the connection".into()),
                Some(Frame::Oversized) => {
                    self.write(&oversized()).map_err(|err| err.to_string())?;
                    continue;
                }
                Some(Frame::Line(line)) => line,
            };
            let Ok(message) = serde_json::from_slice::<Value>(&line) else {
                continue;
            };
            if message.get("method").is_none() {
                if message["id"] == json!(id) {
                    return match message.get("error") {
                        Some(error) => Err(format!("the client answered with an error: {error}")),
                        None => Ok(message["result"].clone()),
                    };
                }
                continue;
            }
            let Some(other) = message.get("id").cloned() else {
                if message["method"] == "notifications/cancelled" {
                    return Err("the client cancelled the request".into());
                }
                continue;
            };
            // While the user decides, answer pings and ask other requests to come back.
            let reply = if message["method"] == "ping" {
                jsonrpc::success(&other, json!({}))
            } else {
                let error = RpcError::new(
                    SERVER_BUSY,
                    "busy waiting for the user's answer; send it again afterwards",
                );
                jsonrpc::failure(&other, &error)
            };
            self.write(&reply).map_err(|err| err.to_string())?;
        }
    }
}

/// Serves until the input ends. Each reply is one line, flushed at once.
pub fn serve<P: ToolProvider>(
    session: &mut Session<P>,
    input: impl BufRead,
    output: impl Write,
) -> std::io::Result<()> {
    let mut stdio = Stdio::new(input, output);
    while let Some(frame) = stdio.read_frame()? {
        let reply = match frame {
            Frame::Oversized => Some(oversized()),
            Frame::Line(line) => session.handle_line(&line, &mut stdio),
        };
        if let Some(reply) = reply {
            stdio.write(&reply)?;
        }
    }
    Ok(())
}
