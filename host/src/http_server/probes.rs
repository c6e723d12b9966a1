//! Liveness and readiness, for orchestrators and load balancers (Kubernetes probes, HAProxy
//! health checks). The host answers them itself, before the token checks: a probe carries no
//! token, and the answers say nothing about the account or its users.
//!
//! - `/healthz`: the process is serving. A failure means "restart me".
//! - `/readyz`: the process should be sent new requests. It says no while a stop is under way
//!   (so that the balancer moves traffic elsewhere before the listener closes) and, in the
//!   remote connector, while the store does not answer (a replica that cannot check a token
//!   can only refuse).

use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use http::{Method, Response, StatusCode};

use super::event_stream::{Body, full};
use crate::remote::Remote;

pub const LIVENESS_PATH: &str = "/healthz";
pub const READINESS_PATH: &str = "/readyz";

/// Whether the server has been asked to stop; shared by the accept loop and the probes.
#[derive(Default)]
pub struct Draining(AtomicBool);

impl Draining {
    pub fn begin(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    fn is_under_way(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// The probe's answer when `path` is one, else `None`.
pub fn answer(
    method: &Method,
    path: &str,
    draining: &Draining,
    remote: Option<&Remote>,
) -> Option<Response<Body>> {
    let ready = match path {
        LIVENESS_PATH => Ok(()),
        READINESS_PATH => readiness(draining, remote),
        _ => return None,
    };
    if method != Method::GET && method != Method::HEAD {
        let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD\n");
        response.headers_mut().insert(
            http::header::ALLOW,
            http::HeaderValue::from_static("GET, HEAD"),
        );
        return Some(response);
    }
    Some(match ready {
        Ok(()) => plain(StatusCode::OK, "ok\n"),
        Err(reason) => plain(StatusCode::SERVICE_UNAVAILABLE, &format!("{reason}\n")),
    })
}

fn readiness(draining: &Draining, remote: Option<&Remote>) -> Result<(), String> {
    if draining.is_under_way() {
        return Err("stopping: finishing the requests in flight".into());
    }
    match remote.map(|remote| remote.store.check()) {
        // The cause may name the store's file or host: the operator finds it in the log.
        Some(Err(error)) => {
            eprintln!("facturation-pro-mcp: not ready: the store does not answer: {error:#}");
            Err("the store does not answer".into())
        }
        _ => Ok(()),
    }
}

fn plain(status: StatusCode, text: &str) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .header(http::header::CACHE_CONTROL, "no-store")
        .body(full(Bytes::from(text.to_owned())))
        .expect("a valid response")
}
