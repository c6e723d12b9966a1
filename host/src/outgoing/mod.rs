//! The one HTTP client every outgoing request leaves through, whichever instance sent it:
//! connections to the API are kept alive and pooled, HTTP/2 is used when the server offers
//! it, TLS sessions are resumed, and corporate proxies and CAs are honoured. A tool call then
//! costs one round trip to the API instead of a TCP and a TLS handshake first.
//!
//! It only carries requests: the gate (`api_gate`) decides what may leave, adds the
//! credentials, paces and audits, on every request and every redirect hop, before handing a
//! request here.

mod connector;
mod failure;
pub mod network;
mod tls;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use anyhow::Result;
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, Incoming};
use hyper_util::client::legacy::Client as PooledClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody};

use connector::Connector;
pub use failure::not_sent;
use network::NetworkSettings;

type IoFuture = Box<dyn Future<Output = Result<(), HttpError>> + Send>;

/// How long a connection may sit idle in the pool: under the minute after which common
/// front ends (load balancers, nginx) drop idle connections, so we close first, yet long
/// enough to span the seconds an assistant thinks between two tool calls.
const IDLE_TIMEOUT: Duration = Duration::from_secs(50);

/// Idle connections kept per origin: as many as calls that commonly run at once.
const MAX_IDLE_PER_ORIGIN: usize = 16;

/// Cheap to clone: every clone shares the one pool.
#[derive(Clone)]
pub struct Client(Arc<Shared>);

struct Shared {
    pooled: PooledClient<hyper_rustls::HttpsConnector<Connector>, WasiBody>,
    /// Connecting, the first response byte and each later one, each within this.
    timeout: Duration,
    network: NetworkSettings,
}

impl Client {
    pub fn new(network: NetworkSettings, timeout: Duration) -> Result<Client> {
        let mut direct = HttpConnector::new();
        direct.enforce_http(false);
        direct.set_connect_timeout(Some(timeout));
        direct.set_nodelay(true);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls::client_config(network.ca_file.as_deref())?)
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .wrap_connector(Connector::new(&network, direct));
        let pooled = PooledClient::builder(TokioExecutor::new())
            .pool_idle_timeout(IDLE_TIMEOUT)
            .pool_max_idle_per_host(MAX_IDLE_PER_ORIGIN)
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .build(https);
        Ok(Client(Arc::new(Shared {
            pooled,
            timeout,
            network,
        })))
    }

    /// The settings it was made with (secrets hidden by their `Debug`).
    pub fn network(&self) -> &NetworkSettings {
        &self.0.network
    }

    pub fn timeout(&self) -> Duration {
        self.0.timeout
    }

    /// Sends one request (scheme and host in its URI) and returns the response as soon as
    /// its head arrives; the body follows as the reader pulls it. The guest's timeouts apply
    /// when shorter than ours.
    pub async fn send(
        &self,
        request: http::Request<WasiBody>,
        options: &RequestOptions,
    ) -> Result<(http::Response<WasiBody>, IoFuture), HttpError> {
        let origin = origin_of(request.uri());
        let ours = self.0.timeout;
        let within = |asked: Option<Duration>| asked.map_or(ours, |asked| asked.min(ours));
        // A fresh connection's handshakes count towards the wait for the first byte.
        let wait = within(options.connect_timeout) + within(options.first_byte_timeout);
        let response = match tokio::time::timeout(wait, self.0.pooled.request(request)).await {
            Ok(Ok(response)) => response,
            Ok(Err(error)) => return Err(failure::classify(&error, &origin)),
            // Perhaps it was sent: the guest must not send a write again.
            Err(_) => return Err(HttpError::ConnectionReadTimeout),
        };
        let between_bytes = within(options.between_bytes_timeout);
        let response = response.map(|body| TimedBody::new(body, between_bytes).boxed_unsync());
        // The pool drives each connection in a task of its own: nothing left to drive here.
        Ok((response, Box::new(async { Ok(()) })))
    }

    /// Sends a request the host makes itself (OAuth's token endpoint) and reads its whole
    /// answer.
    pub async fn exchange(
        &self,
        request: http::Request<http_body_util::Full<Bytes>>,
    ) -> Result<(u16, Bytes), HttpError> {
        let request = request.map(|body| body.map_err(|never| match never {}).boxed_unsync());
        let (response, _) = self.send(request, &RequestOptions::default()).await?;
        let status = response.status().as_u16();
        let body = response.into_body().collect().await?.to_bytes();
        Ok((status, body))
    }
}

fn origin_of(uri: &http::Uri) -> String {
    match (uri.scheme_str(), uri.authority()) {
        (Some(scheme), Some(authority)) => format!("{scheme}://{authority}"),
        _ => uri.to_string(),
    }
}

/// A response body that fails when the API pauses longer than the timeout between two
/// pieces of it.
struct TimedBody {
    incoming: Incoming,
    between_bytes: Duration,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl TimedBody {
    fn new(incoming: Incoming, between_bytes: Duration) -> TimedBody {
        TimedBody {
            incoming,
            between_bytes,
            deadline: Box::pin(tokio::time::sleep(between_bytes)),
        }
    }
}

impl Body for TimedBody {
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, HttpError>>> {
        match Pin::new(&mut self.incoming).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                let next = tokio::time::Instant::now() + self.between_bytes;
                self.deadline.as_mut().reset(next);
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(error))) => Poll::Ready(Some(Err(failure::after_sending(&error)))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => match self.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Some(Err(HttpError::ConnectionReadTimeout))),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.incoming.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.incoming.size_hint()
    }
}
