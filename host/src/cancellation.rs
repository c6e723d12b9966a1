//! Cancelling a tool call while it waits on the API. The guest runs one request at a time
//! and cannot read stdin while it waits for an HTTP answer, so the host does the listening:
//! it passes stdin through to the guest unchanged, notices `notifications/cancelled` on the
//! way, and fails the HTTP requests the guest tagged with that call's id. The guest then
//! answers at once instead of after the API (or the timeout).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::sync::Notify;

/// Header by which the guest tags an HTTP request with the MCP call it serves.
pub const CALL_HEADER: &str = "x-facturation-call";

/// The longest line inspected for a cancellation; longer lines pass through unread.
const INSPECTED_LINE_BYTES: usize = 64 << 10;

#[derive(Clone, Default)]
pub struct Cancellations(Arc<Inner>);

#[derive(Default)]
struct Inner {
    calls: Mutex<HashSet<String>>,
    changed: Notify,
}

impl Cancellations {
    fn cancel(&self, call: String) {
        self.0
            .calls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(call);
        self.0.changed.notify_waiters();
    }

    pub fn is_cancelled(&self, call: &str) -> bool {
        self.0
            .calls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(call)
    }

    /// Resolves once `call` is cancelled.
    pub async fn cancelled(&self, call: &str) {
        loop {
            let changed = self.0.changed.notified();
            tokio::pin!(changed);
            // Registered before the check, so a cancellation in between is not missed.
            changed.as_mut().enable();
            if self.is_cancelled(call) {
                return;
            }
            changed.await;
        }
    }
}

/// Copies `input` to the returned stream (the guest's stdin), byte for byte and without
/// delay, recording the calls that `notifications/cancelled` lines cancel.
pub fn relay_stdin(
    input: impl AsyncRead + Send + Unpin + 'static,
    cancellations: Cancellations,
) -> DuplexStream {
    let (mut to_guest, guest_stdin) = tokio::io::duplex(64 << 10);
    tokio::spawn(async move {
        let mut input = input;
        let mut chunk = vec![0u8; 16 << 10];
        let mut line = Vec::new();
        let mut line_too_long = false;
        loop {
            let read = match input.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(read) => read,
            };
            if to_guest.write_all(&chunk[..read]).await.is_err() {
                break;
            }
            for &byte in &chunk[..read] {
                if byte == b'\n' {
                    if !line_too_long && let Some(call) = cancelled_call(&line) {
                        cancellations.cancel(call);
                    }
                    line.clear();
                    line_too_long = false;
                } else if line.len() < INSPECTED_LINE_BYTES {
                    line.push(byte);
                } else {
                    line_too_long = true;
                }
            }
        }
        // Dropping the writer ends the guest's stdin, as the real one ended.
    });
    guest_stdin
}

/// The call id a `notifications/cancelled` message names, as the guest writes it in its tag.
fn cancelled_call(line: &[u8]) -> Option<String> {
    let message: Value = serde_json::from_slice(line).ok()?;
    if message.get("method")?.as_str()? != "notifications/cancelled" || message.get("id").is_some()
    {
        return None;
    }
    Some(message.get("params")?.get("requestId")?.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_call_id_of_a_cancellation() {
        let line = br#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":42,"reason":"x"}}"#;
        assert_eq!(cancelled_call(line).as_deref(), Some("42"));
        let line =
            br#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"a-1"}}"#;
        assert_eq!(cancelled_call(line).as_deref(), Some("\"a-1\""));
        assert_eq!(
            cancelled_call(br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#),
            None
        );
        assert_eq!(cancelled_call(b"not json"), None);
    }

    #[tokio::test]
    async fn passes_everything_through_and_notes_cancellations() {
        let cancellations = Cancellations::default();
        let input: &[u8] = b"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":7}}\nrest";
        let mut guest = relay_stdin(input, cancellations.clone());
        let mut received = Vec::new();
        guest.read_to_end(&mut received).await.unwrap();
        assert_eq!(received, input);
        assert!(cancellations.is_cancelled("7"));
        cancellations.cancelled("7").await;
    }
}
