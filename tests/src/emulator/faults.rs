//! Fault injection: the failures a real API and network produce now and then (quota refusals,
//! server errors, slow answers, a connection lost after the work was done), switched on per
//! test with [`Emulator::inject`](super::Emulator::inject).
//!
//! Faults wait in a queue and are used up in order, one request at a time, whatever the
//! request (rejected ones included). A refusal (`RateLimited`, `ServerError`) replaces the
//! answer: the request is neither checked nor carried out, and does not count against the
//! quotas. `Slow` and `CutAfterProcessing` let the request be handled as usual first.
//!
//! Cutting a connection needs a hand on the socket, which handlers do not have: the emulator
//! listens through [`CuttableListener`], whose connections carry a [`Connection`] switch that
//! reaches each request as `ConnectInfo` (through `connections::Peer`). Once it is thrown,
//! every write fails, so not one byte of the answer goes out and the server drops (closes)
//! the connection; over TLS, the encrypted writes fail the same way.

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::serve::Listener;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use super::error::ApiError;
use super::rate_limit;

/// A failure to inject; see [`Emulator::inject`](super::Emulator::inject).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The next `times` requests get 429 "Retry later", with `Retry-After: secs` when given.
    RateLimited {
        times: usize,
        retry_after: Option<u64>,
    },
    /// The next `times` requests get this status (meant for 5xx) with a short JSON body.
    ServerError { times: usize, status: u16 },
    /// The next `times` requests are carried out at once but answered only after `delay`.
    Slow { times: usize, delay: Duration },
    /// The next `times` requests are carried out (records created or changed as usual), then
    /// the connection is closed before any byte of the answer is sent.
    CutAfterProcessing { times: usize },
}

impl Fault {
    fn times(&mut self) -> &mut usize {
        match self {
            Fault::RateLimited { times, .. }
            | Fault::ServerError { times, .. }
            | Fault::Slow { times, .. }
            | Fault::CutAfterProcessing { times } => times,
        }
    }
}

/// What one request meets.
pub(crate) enum Effect {
    /// Send this instead of handling the request.
    Answer(Response),
    /// Handle the request, and send the answer after this long.
    Delay(Duration),
    /// Handle the request, then close the connection without answering.
    Cut,
}

/// The faults still to come, in order.
#[derive(Default)]
pub(crate) struct FaultQueue(VecDeque<Fault>);

impl FaultQueue {
    pub(crate) fn push(&mut self, mut fault: Fault) {
        if *fault.times() > 0 {
            self.0.push_back(fault);
        }
    }

    pub(crate) fn clear(&mut self) {
        self.0.clear();
    }

    /// Uses up one occurrence of the fault at the head of the queue, if any.
    pub(crate) fn next_effect(&mut self) -> Option<Effect> {
        let fault = self.0.front_mut()?;
        let effect = match *fault {
            Fault::RateLimited { retry_after, .. } => {
                Effect::Answer(rate_limit::refusal(retry_after))
            }
            Fault::ServerError { status, .. } => {
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
                let reason = status.canonical_reason().unwrap_or("Server error");
                Effect::Answer(ApiError::new(status, reason).into_response())
            }
            Fault::Slow { delay, .. } => Effect::Delay(delay),
            Fault::CutAfterProcessing { .. } => Effect::Cut,
        };
        let times = fault.times();
        *times -= 1;
        if *times == 0 {
            self.0.pop_front();
        }
        Some(effect)
    }
}

/// The switch that cuts one connection; every request on it carries a copy.
#[derive(Clone, Default)]
pub(crate) struct Connection(Arc<AtomicBool>);

impl Connection {
    pub(crate) fn cut(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    fn is_cut(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// A TCP listener whose connections can be cut.
pub(crate) struct CuttableListener(pub(crate) TcpListener);

impl Listener for CuttableListener {
    type Io = CuttableStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (stream, addr) = Listener::accept(&mut self.0).await;
        // Answers leave at once, as a production server's do: with Nagle's algorithm on, a
        // response written just after the TLS session tickets would wait for their
        // acknowledgement, which the peer may delay by 40 ms.
        let _ = stream.set_nodelay(true);
        let connection = Connection::default();
        (CuttableStream { stream, connection }, addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Listener::local_addr(&self.0)
    }
}

/// A TCP stream that reads as ended and refuses every write once its connection is cut.
pub(crate) struct CuttableStream {
    stream: TcpStream,
    connection: Connection,
}

impl CuttableStream {
    /// The switch that cuts this connection, for the requests that come on it.
    pub(crate) fn connection(&self) -> &Connection {
        &self.connection
    }
}

fn cut_error() -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionAborted, "connection cut (fault)")
}

impl AsyncRead for CuttableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.connection.is_cut() {
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for CuttableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.connection.is_cut() {
            return Poll::Ready(Err(cut_error()));
        }
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.connection.is_cut() {
            return Poll::Ready(Err(cut_error()));
        }
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
