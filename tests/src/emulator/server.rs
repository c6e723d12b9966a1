//! The HTTP front: routing, and the checks the vendor applies to every API request before it
//! reaches an endpoint (credentials, application identification, quotas), plus recording.
//! The OAuth endpoints (`/oauth/...`) are the authorization server's, not the API's: they
//! are recorded and meet injected faults, but skip the API's checks.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{AUTHORIZATION, LOCATION, USER_AGENT, WWW_AUTHENTICATE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};

use super::EmulatorConfig;
use super::auth::basic_credentials;
use super::categories::{CATEGORIES, FOLLOWUPS};
use super::connections::Peer;
use super::error::ApiError;
use super::faults::{Effect, FaultQueue};
use super::oauth::{self, Provider};
use super::products::PRODUCTS;
use super::purchases::PURCHASES;
use super::rate_limit::{self, RateLimiter};
use super::recording::Recorder;
use super::recurring::{RECURRING_INVOICES, RECURRING_PURCHASES};
use super::state::{ACCOUNT_ID, Store, lock};
use super::suppliers::SUPPLIERS;
use super::{account, assets, customers, emails, invoices, quotes, seed, settlements};

const X_USER_AGENT: HeaderName = HeaderName::from_static("x-user-agent");
const X_RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
const X_RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");

/// Bodies are buffered whole for the recorder; anything larger is refused.
const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// Everything the server threads and the test-facing handle share.
pub(crate) struct App {
    pub(crate) store: Mutex<Store>,
    pub(crate) recorder: Mutex<Recorder>,
    pub(crate) redirect_target: Mutex<Option<String>>,
    pub(crate) faults: Mutex<FaultQueue>,
    pub(crate) oauth: Mutex<Provider>,
    limiter: Mutex<RateLimiter>,
    api_id: String,
    api_key: String,
    log_requests: AtomicBool,
}

impl App {
    pub(crate) fn new(config: &EmulatorConfig) -> Self {
        let mut store = Store::new(config);
        if config.seed_demo_data {
            seed::demo_data(&mut store);
        }
        Self {
            store: Mutex::new(store),
            recorder: Mutex::default(),
            redirect_target: Mutex::default(),
            faults: Mutex::default(),
            oauth: Mutex::new(Provider::new(config.oauth.clone(), ACCOUNT_ID)),
            limiter: Mutex::new(RateLimiter::new(
                config.rate_limit_per_5min,
                config.rate_limit_per_day,
            )),
            api_id: config.api_id.clone(),
            api_key: config.api_key.clone(),
            log_requests: AtomicBool::new(false),
        }
    }

    pub(crate) fn set_logging(&self, enabled: bool) {
        self.log_requests.store(enabled, Ordering::Relaxed);
    }

    /// The answer to give instead of routing the request, if any, in the order the checks
    /// apply: injected redirect, credentials, User-Agent, then quotas (so refused requests
    /// do not use up the quota).
    fn screen(&self, parts: &Parts) -> Option<Response> {
        if let Some(target) = lock(&self.redirect_target).as_deref() {
            return Some(redirect_fault(target, &parts.uri));
        }
        if oauth::is_oauth_path(parts.uri.path()) {
            return None;
        }
        if let Some(refusal) = self.check_credentials(parts) {
            return Some(refusal);
        }
        if !identifies_application(&parts.headers) {
            return Some(
                ApiError::forbidden(
                    "Missing User-Agent: identify your application with a User-Agent (or \
                     X-User-Agent) header giving its name and a contact e-mail or URL",
                )
                .into_response(),
            );
        }
        if !lock(&self.limiter).admit(Instant::now()) {
            return Some(rate_limit::refusal(None));
        }
        None
    }

    /// The refusal, if the request has neither the API key (HTTP Basic) nor a valid OAuth
    /// access token (Bearer): either one stands for the account.
    fn check_credentials(&self, parts: &Parts) -> Option<Response> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok());
        if let Some(token) = header.and_then(oauth::bearer_token) {
            return oauth::admit_bearer(&mut lock(&self.oauth), token, &parts.method)
                .err()
                .map(IntoResponse::into_response);
        }
        match header.and_then(basic_credentials) {
            None => Some(unauthorized(
                "Authentication required: send the API id and API key with HTTP Basic auth",
            )),
            Some((id, key)) if id != self.api_id || key != self.api_key => {
                Some(unauthorized("Invalid API id or API key"))
            }
            Some(_) => None,
        }
    }
}

pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new()
        .merge(account::routes())
        .merge(customers::routes())
        .merge(CATEGORIES.routes())
        .merge(FOLLOWUPS.routes())
        .merge(PRODUCTS.routes())
        .merge(SUPPLIERS.routes())
        .merge(PURCHASES.routes())
        .merge(quotes::routes())
        .merge(invoices::routes())
        .merge(settlements::routes())
        .merge(RECURRING_INVOICES.routes())
        .merge(RECURRING_PURCHASES.routes())
        .merge(assets::routes())
        .merge(emails::routes())
        .merge(oauth::routes())
        .fallback(unknown_endpoint)
        .method_not_allowed_fallback(method_not_allowed)
        // Outermost, so that rejected and unknown requests are recorded and screened too.
        .layer(from_fn_with_state(Arc::clone(&app), front_door))
        .with_state(app)
}

/// Records the request, meets any injected fault, screens it, runs the endpoint, then stamps
/// the quota headers that every answer carries and records the status.
async fn front_door(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let received_at = Instant::now();
    let (parts, body) = request.into_parts();
    let peer = parts
        .extensions
        .get::<ConnectInfo<Peer>>()
        .map(|ConnectInfo(peer)| peer.clone());
    let body = to_bytes(body, MAX_BODY_BYTES).await;
    let ticket = lock(&app.recorder).begin(
        &parts,
        peer.as_ref(),
        body.as_deref().unwrap_or_default(),
        received_at,
    );
    // The authorization server has no quota, so reports none.
    let reports_quota = !oauth::is_oauth_path(parts.uri.path());
    let log_line = app
        .log_requests
        .load(Ordering::Relaxed)
        .then(|| format!("{} {}", parts.method, parts.uri));
    // An injected answer replaces the handling; a delay or a cut comes after it.
    let (answer, fault) = match lock(&app.faults).next_effect() {
        Some(Effect::Answer(answer)) => (Some(answer), None),
        fault => (None, fault),
    };

    let mut response = match (answer, body) {
        (Some(answer), _) => answer,
        (None, Err(_)) => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("Request body larger than {MAX_BODY_BYTES} bytes"),
        )
        .into_response(),
        (None, Ok(body)) => match app.screen(&parts) {
            Some(refusal) => refusal,
            None => next.run(Request::from_parts(parts, Body::from(body))).await,
        },
    };

    if reports_quota {
        let (limit, remaining) = {
            let mut limiter = lock(&app.limiter);
            (limiter.limit(), limiter.remaining(Instant::now()))
        };
        let headers = response.headers_mut();
        headers.insert(X_RATELIMIT_LIMIT, HeaderValue::from(limit));
        headers.insert(X_RATELIMIT_REMAINING, HeaderValue::from(remaining));
    }

    let status = match (&fault, peer) {
        (Some(Effect::Cut), Some(peer)) => {
            peer.cut.cut();
            0
        }
        _ => response.status().as_u16(),
    };
    lock(&app.recorder).finish(ticket, status);
    if let Some(line) = log_line {
        eprintln!("{line} -> {status}");
    }
    if let Some(Effect::Delay(delay)) = fault {
        tokio::time::sleep(delay).await;
    }
    response
}

/// The vendor asks every client to name itself; `X-User-Agent` stands in for clients that
/// cannot set `User-Agent`.
fn identifies_application(headers: &HeaderMap) -> bool {
    [USER_AGENT, X_USER_AGENT].iter().any(|name| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| !value.trim().is_empty())
    })
}

fn unauthorized(message: &str) -> Response {
    let mut response = ApiError::new(StatusCode::UNAUTHORIZED, message).into_response();
    response.headers_mut().insert(
        WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"Facturation.PRO API\""),
    );
    response
}

/// Fault injection: send the client to the same path and query on another origin.
fn redirect_fault(target: &str, uri: &Uri) -> Response {
    let path_and_query = uri.path_and_query().map_or("/", |pq| pq.as_str());
    let location = format!("{}{path_and_query}", target.trim_end_matches('/'));
    match HeaderValue::try_from(location) {
        Ok(location) => (StatusCode::FOUND, [(LOCATION, location)]).into_response(),
        Err(_) => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("Redirect target {target:?} is not a valid header value"),
        )
        .into_response(),
    }
}

async fn unknown_endpoint(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!("No API endpoint for {method} {}", uri.path()),
    )
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("{method} is not allowed on {}", uri.path()),
    )
}
