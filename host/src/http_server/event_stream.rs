//! Response bodies: whole (`Full`), or a server-sent event stream written while the
//! request goes on, as a legacy call that asks the client something needs.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::{Either, Full};
use hyper::body::Frame;
use tokio::sync::mpsc;

/// What every response of `serve --http` carries.
pub type Body = Either<Full<Bytes>, EventStream>;

/// A whole body.
pub fn full(body: Bytes) -> Body {
    Either::Left(Full::new(body))
}

/// A body made of the events sent to it; it ends when every sender is gone.
pub struct EventStream {
    events: mpsc::Receiver<Bytes>,
}

impl EventStream {
    /// The body, and where to send its events (already framed, see [`message_event`]).
    /// A few events may wait to be written; a sender waits beyond that.
    pub fn new() -> (mpsc::Sender<Bytes>, EventStream) {
        let (sender, events) = mpsc::channel(4);
        (sender, EventStream { events })
    }
}

impl hyper::body::Body for EventStream {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.events
            .poll_recv(context)
            .map(|event| event.map(|event| Ok(Frame::data(event))))
    }
}

/// One JSON-RPC message as an SSE `message` event. A line break would end the `data`
/// field early, so the message is written anew on one line if it has any.
pub fn message_event(message: &[u8]) -> Bytes {
    let one_line = if message.contains(&b'\n') || message.contains(&b'\r') {
        serde_json::from_slice::<serde_json::Value>(message)
            .map(|message| message.to_string().into_bytes())
            .unwrap_or_else(|_| {
                message
                    .iter()
                    .map(|byte| {
                        if byte.is_ascii_whitespace() {
                            b' '
                        } else {
                            *byte
                        }
                    })
                    .collect()
            })
    } else {
        message.to_vec()
    };
    let mut event = Vec::with_capacity(one_line.len() + 24);
    event.extend_from_slice(b"event: message\ndata: ");
    event.extend_from_slice(&one_line);
    event.extend_from_slice(b"\n\n");
    Bytes::from(event)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_is_one_event_on_one_line() {
        assert_eq!(
            message_event(br#"{"id":1}"#),
            Bytes::from_static(b"event: message\ndata: {\"id\":1}\n\n")
        );
        assert_eq!(
            message_event(b"{\n  \"id\": 1\n}"),
            Bytes::from_static(b"event: message\ndata: {\"id\":1}\n\n")
        );
    }
}
