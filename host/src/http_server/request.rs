//! One HTTP request, from the host's side: the checks that need no component (well-formed
//! HTTP, CORS preflight, bearer token, room in flight), then the body within its bounds,
//! then a fresh instance of the component, with what a legacy session adds
//! (legacy_sessions.rs).

use std::sync::Arc;

use bytes::Bytes;
use http::header::ORIGIN;
use http::{HeaderValue, Response};
use hyper::body::Incoming;
use serde_json::json;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::body::{BodyError, MAX_BODY_BYTES, MAX_LARGE_BODIES, read_body};
use super::checks::{bearer_matches, well_formed};
use super::cors::{self, AllowedOrigins};
use super::event_stream::{Body, full};
use super::legacy_sessions;
use super::limits::{BUSY_CODE, ServeLimits, busy_message};
use super::probes::{self, Draining};
use super::sessions::{SESSION_HEADER, Sessions};
use crate::component::Runner;
use crate::remote::{Remote, bearer};

/// The largest body an authorization server endpoint reads (forms and client metadata).
const MAX_AUTHORIZATION_BODY: usize = 64 << 10;

/// JSON-RPC's code for a request that is not a valid one.
pub const INVALID_REQUEST: i64 = -32600;

/// Seconds a client told the server is busy should wait before trying again: a request
/// usually takes well under that.
const RETRY_AFTER_SECS: &str = "1";

/// What every request of the server shares.
pub struct Shared {
    pub runner: Runner,
    pub limits: ServeLimits,
    pub origins: AllowedOrigins,
    /// Permits for requests being handled.
    pub in_flight: Arc<Semaphore>,
    /// Permits for large bodies being held.
    pub large_bodies: Arc<Semaphore>,
    /// Legacy clients' sessions.
    pub sessions: Sessions,
    /// The remote connector's authorization server and store, in that mode.
    pub remote: Option<Arc<Remote>>,
    /// Set once a stop is asked for: readiness then says no.
    pub draining: Draining,
}

impl Shared {
    pub fn new(runner: Runner, limits: ServeLimits, remote: Option<Arc<Remote>>) -> Shared {
        let origins = AllowedOrigins::parse(
            runner
                .settings()
                .guest_settings
                .iter()
                .find(|(name, _)| name == "FACTURATION_HTTP_ALLOWED_ORIGINS")
                .map(|(_, value)| value.as_str()),
        );
        Shared {
            sessions: Sessions::new(
                limits.max_sessions,
                limits.session_idle,
                limits.max_in_flight,
            ),
            in_flight: Arc::new(Semaphore::new(limits.max_in_flight)),
            large_bodies: Arc::new(Semaphore::new(MAX_LARGE_BODIES)),
            runner,
            limits,
            origins,
            remote,
            draining: Draining::default(),
        }
    }
}

/// The answer to one request, with the CORS headers a page from an allowed origin needs to
/// read it.
pub async fn answer(shared: &Shared, request: http::Request<Incoming>) -> Response<Body> {
    let origin = request
        .headers()
        .get(ORIGIN)
        .filter(|origin| {
            origin
                .to_str()
                .is_ok_and(|origin| shared.origins.allows(origin))
        })
        .cloned();
    let mut response = handle(shared, request).await;
    // A 403 is the component refusing the origin; it must not look granted to the browser.
    if let Some(origin) = origin
        && response.status() != http::StatusCode::FORBIDDEN
    {
        cors::grant_response(response.headers_mut(), origin);
    }
    response
}

async fn handle(shared: &Shared, request: http::Request<Incoming>) -> Response<Body> {
    let (mut parts, body) = request.into_parts();
    // First, and without a Host: a load balancer's health check may send none.
    if let Some(probe) = probes::answer(
        &parts.method,
        parts.uri.path(),
        &shared.draining,
        shared.remote.as_deref(),
    ) {
        return probe;
    }
    if let Err((status, message)) = well_formed(&parts) {
        return refusal(status, INVALID_REQUEST, &message);
    }
    if let Some(remote) = &shared.remote
        && Remote::serves(parts.uri.path())
    {
        return authorization_server(shared, remote, parts, body).await;
    }
    if let Some(origin) = cors::preflight_origin(&parts.method, &parts.headers) {
        return preflight(shared, origin);
    }
    let caller = match &shared.remote {
        Some(remote) => match bearer::authenticate(remote, &parts.headers) {
            Ok(caller) => Some(caller),
            Err(refusal) => return (*refusal).map(full),
        },
        None => None,
    };
    if let Some(token) = &shared.runner.settings().http_token
        && !bearer_matches(parts.headers.get(http::header::AUTHORIZATION), token)
    {
        let mut response = refusal(
            401,
            INVALID_REQUEST,
            "a valid bearer token is required (FACTURATION_HTTP_TOKEN)",
        );
        response.headers_mut().insert(
            http::header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer"),
        );
        return response;
    }
    // The token is the host's secret: the sandbox never sees it.
    parts.headers.remove(http::header::AUTHORIZATION);
    // Taken before the body is read, so that bodies in memory are bounded by the cap. At
    // the cap, a session's client may still answer the question a held call awaits (the
    // calls holding the permits may be the very ones waiting), and do nothing else.
    let room = match shared.in_flight.clone().try_acquire_owned() {
        Ok(permit) => Room::InFlight(permit),
        Err(_) => {
            let answer = parts
                .headers
                .get(SESSION_HEADER)
                .and_then(|session| session.to_str().ok())
                .and_then(|session| shared.sessions.answer_permit(session));
            match answer {
                Some(permit) => Room::AnswerOnly(permit),
                None => return busy(&busy_message(shared.limits.max_in_flight)),
            }
        }
    };
    let (body, _large_body) = match read_body(
        body,
        MAX_BODY_BYTES,
        shared.limits.read_timeout,
        &shared.large_bodies,
    )
    .await
    {
        Ok(read) => read,
        Err(error) => return body_refusal(error),
    };
    let response = legacy_sessions::respond(shared, parts, body, room, caller.clone()).await;
    // The user's Facturation.PRO grant turned out to be revoked: nothing was done with it,
    // and the client must sign the user in again.
    match (&shared.remote, caller) {
        (Some(remote), Some(caller)) if caller.upstream.revoked() => bearer::unauthorized(
            remote,
            Some("invalid_token"),
            "Facturation.PRO no longer accepts this user's sign-in: sign in again",
        )
        .map(full),
        _ => response,
    }
}

/// A request for the authorization server (discovery, sign-in, tokens): small bodies only.
async fn authorization_server(
    shared: &Shared,
    remote: &Remote,
    parts: http::request::Parts,
    body: Incoming,
) -> Response<Body> {
    // Capped while it is read, not after: these endpoints answer anyone, and must not hold
    // the memory (or the permits) that large uploads of signed-in users need.
    let read = read_body(
        body,
        MAX_AUTHORIZATION_BODY,
        shared.limits.read_timeout,
        &shared.large_bodies,
    )
    .await;
    let body = match read {
        Ok((body, _)) => body,
        Err(BodyError::TooLarge) => {
            return refusal(
                413,
                INVALID_REQUEST,
                "the body is too large for this endpoint",
            );
        }
        Err(error) => return body_refusal(error),
    };
    remote
        .answer(&parts.method, &parts.uri, &parts.headers, body)
        .await
        .map(full)
}

/// What lets a request in.
pub enum Room {
    /// One of the permits of the in-flight cap.
    InFlight(OwnedSemaphorePermit),
    /// Room for a session's answer to a question, taken at the cap: anything else is busy.
    AnswerOnly(OwnedSemaphorePermit),
}

/// A CORS preflight: granted for an allowed origin, refused without any CORS header for
/// the others (the browser then sends nothing).
fn preflight(shared: &Shared, origin: HeaderValue) -> Response<Body> {
    let allowed = origin
        .to_str()
        .is_ok_and(|origin| shared.origins.allows(origin));
    if !allowed {
        return refusal(
            403,
            INVALID_REQUEST,
            "requests from this origin are not allowed (FACTURATION_HTTP_ALLOWED_ORIGINS)",
        );
    }
    let mut response = Response::new(full(Bytes::new()));
    *response.status_mut() = http::StatusCode::NO_CONTENT;
    cors::grant_preflight(response.headers_mut(), origin);
    response
}

fn body_refusal(error: BodyError) -> Response<Body> {
    match error {
        BodyError::TooLarge => refusal(
            413,
            INVALID_REQUEST,
            &format!("the body is larger than {} bytes", MAX_BODY_BYTES - 1),
        ),
        BodyError::Busy => busy(
            "the server is busy: it is already receiving as many large bodies as it holds at \
             once; try again in a moment",
        ),
        BodyError::TooSlow => refusal(
            408,
            INVALID_REQUEST,
            "the body arrived too slowly; it was not read",
        ),
        // The client stopped sending (or the connection broke) before its body was whole.
        BodyError::Broken(error) => refusal(
            400,
            INVALID_REQUEST,
            &format!("the body could not be read: {error}"),
        ),
    }
}

/// A 503 saying when to try again.
pub fn busy(message: &str) -> Response<Body> {
    let mut response = refusal(503, BUSY_CODE, message);
    response.headers_mut().insert(
        http::header::RETRY_AFTER,
        HeaderValue::from_static(RETRY_AFTER_SECS),
    );
    response
}

pub fn refusal(status: u16, code: i64, message: &str) -> Response<Body> {
    let body =
        json!({ "jsonrpc": "2.0", "id": null, "error": { "code": code, "message": message } });
    Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(full(Bytes::from(body.to_string())))
        .expect("a valid response")
}
