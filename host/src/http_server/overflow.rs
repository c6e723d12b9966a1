//! Connections beyond the cap. Left in the system's queue, a client would wait without a
//! word until its own timeout; instead a few of them at a time are taken in, read just far
//! enough to answer, and told to come back (503 with `Retry-After`), then closed. Probes are
//! still answered as usual: a process at its connection cap is alive. When even those few
//! are taken, the next connection waits for whichever comes first, a free connection slot
//! or a turn at being turned away, and the ones after it wait in the system's queue.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioTimer;
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use wasmtime_wasi_http::io::TokioIo;

use super::probes;
use super::request::{Shared, busy};
use super::write_deadline::WriteDeadline;

/// Connections being turned away at once: each costs a descriptor and a small buffer for
/// at most [`PATIENCE`].
const REFUSED_AT_ONCE: usize = 32;

/// How long a turned-away client has to send its request's head, and to take the answer.
const PATIENCE: Duration = Duration::from_secs(2);

/// The most of a turned-away request's head that is read.
const MAX_HEAD_BYTES: usize = 16 << 10;

pub struct Overflow {
    refusing: Arc<Semaphore>,
    max_connections: usize,
}

impl Overflow {
    pub fn new(max_connections: usize) -> Overflow {
        Overflow {
            refusing: Arc::new(Semaphore::new(REFUSED_AT_ONCE)),
            max_connections,
        }
    }

    /// A turn at turning a connection away, once fewer than [`REFUSED_AT_ONCE`] are.
    pub async fn turn(&self) -> OwnedSemaphorePermit {
        self.refusing
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed")
    }

    /// Answers `stream`'s request with a 503 in the background, in `turn`.
    pub fn turn_away(&self, turn: OwnedSemaphorePermit, stream: TcpStream, shared: &Arc<Shared>) {
        let shared = shared.clone();
        let message = format!(
            "the server is busy: {} connections are open already \
             (FACTURATION_HTTP_MAX_CONNECTIONS); try again in a moment",
            self.max_connections
        );
        let service = service_fn(move |request: http::Request<_>| {
            let answer = probes::answer(
                request.method(),
                request.uri().path(),
                &shared.draining,
                shared.remote.as_deref(),
            )
            .unwrap_or_else(|| busy(&message));
            async move { Ok::<_, Infallible>(answer) }
        });
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(PATIENCE)
            .keep_alive(false)
            .max_buf_size(MAX_HEAD_BYTES)
            .serve_connection(TokioIo::new(WriteDeadline::new(stream, PATIENCE)), service);
        tokio::spawn(async move {
            let _ = tokio::time::timeout(PATIENCE * 2, connection).await;
            drop(turn);
        });
    }
}
