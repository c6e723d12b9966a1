//! `serve --http`: Streamable HTTP on one address, each POST handled by a fresh instance of
//! the component, like `wasmtime serve` but behind our capability gate. The component
//! applies the transport's rules (path, methods, headers, Origin); the host adds what needs
//! a secret the component must not see (the bearer token), what protects the process itself
//! (timeouts, caps on connections, requests and bodies), CORS preflights, and a plain 400
//! for HTTP the component could not be given.

mod accept;
mod body;
mod checks;
mod cors;
mod event_stream;
mod legacy_sessions;
pub mod limits;
mod overflow;
mod probes;
mod request;
mod sessions;
mod write_deadline;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioTimer;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use wasmtime_wasi_http::io::TokioIo;

use crate::component::Runner;
use crate::config::Authentication;
use crate::remote::Remote;
use crate::shutdown;
use accept::Acceptor;
use limits::ServeLimits;
use overflow::Overflow;
use request::Shared;
use write_deadline::WriteDeadline;

/// The shortest token accepted beyond loopback: guessing it must be hopeless, whatever the
/// number of tries.
const MIN_TOKEN_CHARS: usize = 32;

/// The most a connection's read buffer may grow to, which bounds the request head too: a
/// connection that never gets a permit holds no more than this.
const MAX_BUFFER_BYTES: usize = 64 << 10;

/// Serves until the process is asked to stop (see [`shutdown`]), then, once the drain delay
/// is over, lets the requests in flight finish.
pub async fn serve(runner: Runner, address: SocketAddr) -> Result<()> {
    let remote = match &runner.settings().authentication {
        Authentication::Remote(settings) => Some(Remote::new(
            settings.as_ref().clone(),
            runner
                .store()
                .context("the remote connector's store is not open")?
                .clone(),
        )),
        _ => {
            check_token(&runner, address)?;
            None
        }
    };
    let limits: ServeLimits = runner.settings().serve_limits.clone();
    let listener = TcpListener::bind(address)
        .await
        .with_context(|| format!("cannot listen on {address}"))?;
    let mut acceptor = Acceptor::new(listener);
    let local = acceptor.local_addr()?;
    // Tests and scripts read the actual port from this line (port 0 picks a free one).
    eprintln!("facturation-pro-mcp: serving MCP on http://{local}/mcp");
    if let Some(remote) = &remote {
        eprintln!(
            "facturation-pro-mcp: remote connector for {}: each user signs in with their own \
             Facturation.PRO account (register {} with the application)",
            remote.settings.public_url,
            remote.settings.upstream_redirect_uri()
        );
    }
    let drain_delay = limits.drain_delay;
    let connections = Arc::new(Semaphore::new(limits.max_connections));
    let overflow = Overflow::new(limits.max_connections);
    let server = Server {
        shared: Arc::new(Shared::new(runner, limits, remote)),
        connections,
        overflow,
        graceful: GracefulShutdown::new(),
    };
    server
        .accept_until(&mut acceptor, shutdown::requested())
        .await;
    // Asked to stop: readiness says no at once, and during the drain delay new requests are
    // still served, while the load balancer or Kubernetes takes the replica out of rotation.
    server.shared.draining.begin();
    if !drain_delay.is_zero() {
        eprintln!(
            "facturation-pro-mcp: not ready any more; serving new requests for {} s more",
            drain_delay.as_secs()
        );
        server
            .accept_until(&mut acceptor, tokio::time::sleep(drain_delay))
            .await;
    }
    // Then no new connection (the listener closes), idle ones are closed, and the requests
    // in flight are answered, for at most the drain's length.
    drop(acceptor);
    let _ = tokio::time::timeout(shutdown::DRAIN, server.graceful.shutdown()).await;
    Ok(())
}

/// What the accept loop hands each connection.
struct Server {
    shared: Arc<Shared>,
    /// Permits for open connections.
    connections: Arc<Semaphore>,
    /// Connections beyond the cap, told to come back.
    overflow: Overflow,
    /// Every connection, so that a stop can wait for them.
    graceful: GracefulShutdown,
}

impl Server {
    /// Accepts and serves connections until `until` resolves.
    async fn accept_until(&self, acceptor: &mut Acceptor, until: impl Future) {
        tokio::pin!(until);
        loop {
            let stream = tokio::select! {
                stream = acceptor.accept() => stream,
                _ = &mut until => return,
            };
            let (permit, stream) = match self.connections.clone().try_acquire_owned() {
                Ok(permit) => (permit, stream),
                // At the cap: served if a connection closes first, else told to come back
                // as soon as the server is turning away fewer than it does at once.
                Err(_) => {
                    let next = tokio::select! {
                        biased;
                        permit = self.connections.clone().acquire_owned() => Ok(permit),
                        turn = self.overflow.turn() => Err(turn),
                        _ = &mut until => return,
                    };
                    match next {
                        Ok(permit) => (permit.expect("the semaphore is never closed"), stream),
                        Err(turn) => {
                            self.overflow.turn_away(turn, stream, &self.shared);
                            continue;
                        }
                    }
                }
            };
            let read_timeout = self.shared.limits.read_timeout;
            let shared = self.shared.clone();
            let service = service_fn(move |request| {
                let shared = shared.clone();
                async move { Ok::<_, Infallible>(request::answer(&shared, request).await) }
            });
            // The header timeout runs from the moment the connection waits for a request:
            // it closes an idle keep-alive connection as well as one trickling its headers.
            // The same timeout bounds a client that stops taking its answers.
            // A client that disconnects drops its request's future, and with it the instance.
            let connection = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(read_timeout)
                .keep_alive(true)
                .max_buf_size(MAX_BUFFER_BYTES)
                .serve_connection(
                    TokioIo::new(WriteDeadline::new(stream, read_timeout)),
                    service,
                );
            let connection = self.graceful.watch(connection);
            tokio::spawn(async move {
                let _ = connection.await;
                drop(permit);
            });
        }
    }
}

/// Beyond loopback, anyone who reaches the port could use the account: a long token is
/// required.
fn check_token(runner: &Runner, address: SocketAddr) -> Result<()> {
    if address.ip().is_loopback() {
        return Ok(());
    }
    match &runner.settings().http_token {
        None => bail!(
            "serving on {address}, beyond this machine, needs FACTURATION_HTTP_TOKEN: anyone who \
             reaches the port would otherwise use your Facturation.PRO account"
        ),
        Some(token) if token.chars().count() < MIN_TOKEN_CHARS => bail!(
            "FACTURATION_HTTP_TOKEN is {} characters long; serving on {address}, beyond this \
             machine, needs at least {MIN_TOKEN_CHARS} (a random one, e.g. from `openssl rand \
             -hex 32`)",
            token.chars().count()
        ),
        Some(_) => Ok(()),
    }
}
