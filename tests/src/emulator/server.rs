//! The HTTP front: routing, and the checks the vendor applies to every API request before it
//! reaches an endpoint (credentials, application identification, quotas), plus recording.
//! The OAuth endpoints (`/oauth/...`) are the authorization server's, not the API's: they
//! are recorded and meet injected faults, but skip the API's checks.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::{Body, to_bytes};
use axum::extract::rejection::RawPathParamsRejection;
use axum::extract::{ConnectInfo, RawPathParams, Request, State};
use axum::http::header::{AUTHORIZATION, LOCATION, USER_AGENT, WWW_AUTHENTICATE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Router};

use super::EmulatorConfig;
use super::accounts::{Account, Accounts};
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
use super::state::{self, Store, lock};
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
    pub(crate) accounts: Accounts,
    /// The quotas of each account, by account id: the vendor counts them per account.
    limiters: Mutex<BTreeMap<u64, RateLimiter>>,
    log_requests: AtomicBool,
}

/// The account an API request is served as (its id), set by the front door once the
/// credentials are checked, for the handlers that depend on who asks.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Caller(pub(crate) u64);

/// Why a request's credentials were refused.
enum Refused {
    NoCredentials,
    WrongKey,
    Token(oauth::OAuthError),
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        match self {
            Refused::NoCredentials => unauthorized(
                "Authentication required: send the API id and API key with HTTP Basic auth",
            ),
            Refused::WrongKey => unauthorized("Invalid API id or API key"),
            Refused::Token(error) => error.into_response(),
        }
    }
}

/// What the front door's checks decided about a request.
struct Screening {
    /// The account whose credentials the request carries, once they are checked.
    account: Option<u64>,
    /// The answer to give instead of routing the request.
    refusal: Option<Response>,
}

impl App {
    pub(crate) fn new(config: &EmulatorConfig) -> Self {
        let accounts = Accounts::new(config);
        let mut store = Store::new(config, &accounts);
        if config.seed_demo_data {
            seed::demo_data(&mut store);
        }
        let limiters = accounts
            .iter()
            .map(|account| {
                let limiter =
                    RateLimiter::new(config.rate_limit_per_5min, config.rate_limit_per_day);
                (account.id, limiter)
            })
            .collect();
        Self {
            store: Mutex::new(store),
            recorder: Mutex::default(),
            redirect_target: Mutex::default(),
            faults: Mutex::default(),
            oauth: Mutex::new(Provider::new(config.oauth.clone(), accounts.clone())),
            accounts,
            limiters: Mutex::new(limiters),
            log_requests: AtomicBool::new(false),
        }
    }

    /// The account a request is served as.
    pub(crate) fn account(&self, Caller(id): Caller) -> &Account {
        self.accounts
            .by_id(id)
            .expect("callers are configured accounts")
    }

    pub(crate) fn set_logging(&self, enabled: bool) {
        self.log_requests.store(enabled, Ordering::Relaxed);
    }

    /// Who the request is from and the answer to give instead of routing it, if any, in the
    /// order the checks apply: injected redirect, credentials, User-Agent, then the
    /// account's quotas (so refused requests do not use up the quota).
    fn screen(&self, parts: &Parts) -> Screening {
        let refused = |refusal: Response, account| Screening {
            account,
            refusal: Some(refusal),
        };
        if let Some(target) = lock(&self.redirect_target).as_deref() {
            return refused(redirect_fault(target, &parts.uri), None);
        }
        if oauth::is_oauth_path(parts.uri.path()) {
            return Screening {
                account: None,
                refusal: None,
            };
        }
        let account = match self.authenticate(parts) {
            Ok(account) => account,
            Err(refusal) => return refused(refusal.into_response(), None),
        };
        if !identifies_application(&parts.headers) {
            let refusal = ApiError::forbidden(
                "Missing User-Agent: identify your application with a User-Agent (or \
                 X-User-Agent) header giving its name and a contact e-mail or URL",
            );
            return refused(refusal.into_response(), Some(account));
        }
        if !self.with_limiter(account, |limiter| limiter.admit(Instant::now())) {
            return refused(rate_limit::refusal(None), Some(account));
        }
        Screening {
            account: Some(account),
            refusal: None,
        }
    }

    /// The account of the API key (HTTP Basic) or of the valid OAuth access token (Bearer)
    /// the request carries, or the refusal if it has neither.
    fn authenticate(&self, parts: &Parts) -> Result<u64, Refused> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok());
        if let Some(token) = header.and_then(oauth::bearer_token) {
            return oauth::admit_bearer(&mut lock(&self.oauth), token, &parts.method)
                .map_err(Refused::Token);
        }
        let (id, key) = header
            .and_then(basic_credentials)
            .ok_or(Refused::NoCredentials)?;
        self.accounts
            .by_api_key(&id, &key)
            .map(|account| account.id)
            .ok_or(Refused::WrongKey)
    }

    /// The account whose quota the answer reports: the one the credentials name, checked
    /// or not (an injected answer skips the checks), else the first account's, as when the
    /// emulator served one account only.
    fn quota_account(&self, headers: &HeaderMap) -> u64 {
        let header = headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok());
        let named = match header {
            Some(value) => match oauth::bearer_token(value) {
                Some(token) => lock(&self.oauth).token_account(token),
                None => basic_credentials(value)
                    .and_then(|(id, key)| self.accounts.by_api_key(&id, &key))
                    .map(|account| account.id),
            },
            None => None,
        };
        named.unwrap_or_else(|| self.accounts.first().id)
    }

    fn with_limiter<R>(&self, account: u64, use_it: impl FnOnce(&mut RateLimiter) -> R) -> R {
        let mut limiters = lock(&self.limiters);
        use_it(
            limiters
                .get_mut(&account)
                .expect("every account has its limiter"),
        )
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
        // Only on matched routes, so an unknown path under another account's firm is still
        // 404 like any unknown path.
        .route_layer(from_fn_with_state(Arc::clone(&app), own_firms_only))
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
    let (mut parts, body) = request.into_parts();
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
    let quota_account =
        (!oauth::is_oauth_path(parts.uri.path())).then(|| app.quota_account(&parts.headers));
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
        (None, Ok(body)) => {
            let screening = app.screen(&parts);
            if let Some(account) = screening.account {
                let login = &app.account(Caller(account)).login;
                lock(&app.recorder).served_as(ticket, login);
                parts.extensions.insert(Caller(account));
            }
            match screening.refusal {
                Some(refusal) => refusal,
                None => next.run(Request::from_parts(parts, Body::from(body))).await,
            }
        }
    };

    if let Some(account) = quota_account {
        let (limit, remaining) = app.with_limiter(account, |limiter| {
            (limiter.limit(), limiter.remaining(Instant::now()))
        });
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

/// Refuses a route's `{firm}` when it belongs to another account than the caller's, before
/// the handler runs, so no handler can reach another account's data.
async fn own_firms_only(
    State(app): State<Arc<App>>,
    caller: Option<Extension<Caller>>,
    // Percent-decoded, as the handlers' own `Path` sees the segment.
    params: Result<RawPathParams, RawPathParamsRejection>,
    request: Request,
    next: Next,
) -> Response {
    let firm = params
        .iter()
        .flat_map(RawPathParams::iter)
        .find_map(|(name, value)| (name == "firm").then(|| value.to_owned()));
    let caller = caller.map(|Extension(Caller(id))| id);
    if let Some(segment) = firm
        && let Err(refusal) = state::check_owner(&lock(&app.store), &segment, caller)
    {
        return refusal.into_response();
    }
    next.run(request).await
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
