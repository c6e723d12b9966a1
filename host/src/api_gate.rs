//! The guest's only way out: every outgoing HTTP request passes through [`ApiGate`], which
//! lets through requests to the configured API origin (redirect hops included, since each
//! hop is a new request), adds the credentials the guest never sees, caps timeouts, and
//! paces requests within the API's quotas. Each instance has its own gate, which knows the
//! request's user in the remote mode; what must span all of them (the pacers, one per
//! Facturation.PRO account, and the audit log) lives in one [`GateShared`].

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::prelude::{BASE64_STANDARD, Engine as _};
use http::{HeaderName, HeaderValue, header};
use http_body_util::Full;
use tokio::task::JoinSet;
use wasmtime_wasi_http::{
    DEFAULT_FORBIDDEN_HEADERS, Error as HttpError, ForbiddenHeaderFilter, RequestOptions, WasiBody,
    WasiHttpHooks,
};

use crate::audit::{self, AuditLog, Write};
use crate::config::{Authentication, Origin, Settings};
use crate::locking::lock;
use crate::oauth::SIGN_IN_HINT;
use crate::oauth::session::OAuthSession;
use crate::outgoing::{Client, not_sent};
use crate::pacing::{Pacer, Slot};
use crate::remote::bearer::Caller;
use crate::remote::upstream::UpstreamAccess;
use crate::store::{FirstAttempt, Quotas, Store};

type IoFuture = Box<dyn Future<Output = Result<(), HttpError>> + Send>;
type SendFuture =
    Box<dyn Future<Output = Result<(http::Response<WasiBody>, IoFuture), HttpError>> + Send>;

/// How requests are authenticated (see `config::Authentication`).
enum Credentials {
    Basic(HeaderValue),
    OAuth(Box<OAuthSession>),
    /// Each request's own user's tokens (the remote connector): the gate's caller has them.
    PerUser,
}

/// Where a request's OAuth access token comes from.
enum TokenSource<'a> {
    /// The one signed-in user of this machine.
    Local(&'a OAuthSession),
    /// The request's user, in the remote mode.
    Remote(&'a UpstreamAccess),
}

impl TokenSource<'_> {
    async fn access_token(&self) -> anyhow::Result<String> {
        match self {
            TokenSource::Local(session) => session.access_token().await,
            TokenSource::Remote(access) => access.access_token().await,
        }
    }

    async fn replace_rejected(&self, rejected: &str) -> anyhow::Result<String> {
        match self {
            TokenSource::Local(session) => session.replace_rejected(rejected).await,
            TokenSource::Remote(access) => access.replace_rejected(rejected).await,
        }
    }
}

/// The quota of the single-user modes, whose one account needs no name.
const THE_ACCOUNT: &str = "";

/// What every instance's gate shares.
pub struct GateShared {
    origin: Origin,
    credentials: Credentials,
    timeout: Duration,
    read_only: bool,
    audit: Option<AuditLog>,
    /// The pooled client every request leaves through.
    client: Client,
    /// The count of requests sent per Facturation.PRO account (the API's quotas are per
    /// account), whichever instance sent them.
    pacers: Mutex<HashMap<String, Pacer>>,
    /// The quotas each pacer starts with.
    quotas: Quotas,
    /// The remote connector's store, which counts each account's requests instead, for
    /// every process on it and across restarts.
    shared_counts: Option<Arc<Store>>,
    /// The exchanges of logged writes that have left, for the process to settle at exit.
    writes: Arc<WritesInFlight>,
}

/// Each logged write's exchange runs in a task of its own (see `send_write`), which nobody
/// waits for once its call is cancelled. They are kept here so that the process, before it
/// exits, lets them finish and log their outcome, or abandons them, which logs `no_answer`:
/// never a `sending` line left without its end.
#[derive(Default)]
pub struct WritesInFlight(Mutex<JoinSet<()>>);

impl WritesInFlight {
    fn spawn(&self, exchange: impl Future<Output = ()> + Send + 'static) {
        let mut tasks = lock(&self.0);
        while tasks.try_join_next().is_some() {}
        tasks.spawn(exchange);
    }

    /// Waits up to `grace` for the writes in flight to be answered; the others are
    /// abandoned, and logged with an unknown outcome.
    pub async fn settle(&self, grace: Duration) {
        let mut tasks = std::mem::take(&mut *lock(&self.0));
        let all_answered = async { while tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(grace, all_answered).await.is_err() {
            tasks.shutdown().await;
        }
    }
}

impl GateShared {
    /// The writes in flight, which outlive the requests that made them.
    pub fn writes_in_flight(&self) -> Arc<WritesInFlight> {
        self.writes.clone()
    }

    /// `shared_counts`: the remote connector's store, where quotas are then counted.
    pub fn new(settings: &Settings, shared_counts: Option<Arc<Store>>) -> anyhow::Result<Self> {
        let credentials = match &settings.authentication {
            Authentication::ApiKey { id, key } => {
                let encoded = BASE64_STANDARD.encode(format!("{id}:{key}"));
                Credentials::Basic(sensitive(&format!("Basic {encoded}"))?)
            }
            Authentication::OAuth(oauth) => match OAuthSession::resume(oauth)? {
                Some(session) => Credentials::OAuth(Box::new(session)),
                None => anyhow::bail!(
                    "not signed in to {}: {SIGN_IN_HINT}",
                    settings.origin.base_url()
                ),
            },
            Authentication::Remote(_) => Credentials::PerUser,
        };
        Ok(Self {
            origin: settings.origin.clone(),
            credentials,
            timeout: settings.request_timeout,
            read_only: settings.read_only,
            client: settings.client.clone(),
            audit: AuditLog::open(settings.audit_log.as_deref(), shared_counts.clone())?,
            pacers: Mutex::default(),
            quotas: Quotas {
                per_5_minutes: settings.requests_per_5_minutes,
                per_day: settings.requests_per_day,
            },
            shared_counts,
            writes: Arc::default(),
        })
    }

    /// The OAuth session, when that is how requests are authenticated (for `check`).
    pub fn oauth(&self) -> Option<&OAuthSession> {
        match &self.credentials {
            Credentials::OAuth(session) => Some(session),
            Credentials::Basic(_) | Credentials::PerUser => None,
        }
    }

    /// Runs `work` on the pacer of `account`, made on its first request.
    fn with_pacer<T>(&self, account: &str, work: impl FnOnce(&mut Pacer) -> T) -> T {
        let mut pacers = lock(&self.pacers);
        let pacer = pacers
            .entry(account.to_string())
            .or_insert_with(|| Pacer::new(self.quotas.per_5_minutes, self.quotas.per_day));
        work(pacer)
    }

    /// Waits for room in the 5-minute window; the daily quota is not waited for (that could
    /// take hours): the request fails with words the guest recognises.
    async fn wait_for_quota(&self, account: &str) -> Result<(), HttpError> {
        loop {
            let slot = match &self.shared_counts {
                Some(store) => store
                    .take_quota_slot(account, self.quotas, now_millis())
                    .map_err(|error| {
                        eprintln!("facturation-pro-mcp: the store failed: {error:#}");
                        not_sent("the request could not be counted against the API's quota")
                    })?,
                None => self.with_pacer(account, |pacer| pacer.take_slot(Instant::now())),
            };
            match slot {
                Slot::Now => return Ok(()),
                Slot::After(wait) => {
                    eprintln!(
                        "facturation-pro-mcp: pacing requests to stay within the API's quota: waiting {wait:?}"
                    );
                    tokio::time::sleep(wait).await;
                }
                Slot::DailyQuotaSpent => {
                    return Err(HttpError::InternalError(Some(
                        "the daily request quota is spent".into(),
                    )));
                }
            }
        }
    }

    /// Sends one request within the quota. A write (`write` given) is logged before it
    /// leaves and its outcome after; see [`Self::send_write`].
    async fn send(
        &self,
        account: &str,
        request: http::Request<WasiBody>,
        options: RequestOptions,
        write: Option<&WriteRecord>,
    ) -> Result<(http::Response<WasiBody>, IoFuture), HttpError> {
        self.wait_for_quota(account).await?;
        let (response, io) = match write {
            Some(write) => self.send_write(request, options, write).await?,
            None => self.client.send(request, &options).await?,
        };
        self.observe(account, &response);
        Ok((response, io))
    }

    /// Once a write leaves, its exchange runs in a task of its own: cancelling the call,
    /// dropping the instance or a guest that drops its own response cannot stop the outcome
    /// from being logged. (A read needs no such care: dropping it loses nothing.)
    async fn send_write(
        &self,
        request: http::Request<WasiBody>,
        options: RequestOptions,
        write: &WriteRecord,
    ) -> Result<(http::Response<WasiBody>, IoFuture), HttpError> {
        let Some(log) = &write.log else {
            return self.client.send(request, &options).await;
        };
        // Fails closed: a write that cannot be logged does not leave.
        let pending = log
            .sending(&write.entry())
            .map_err(|error| not_sent(&format!("{error}; nothing was sent")))?;
        let (answer, answered) = tokio::sync::oneshot::channel();
        let client = self.client.clone();
        self.writes.spawn(async move {
            let sent = client.send(request, &options).await;
            match &sent {
                Ok((response, _)) => {
                    let location = response
                        .headers()
                        .get(header::LOCATION)
                        .and_then(|value| value.to_str().ok());
                    pending.answered(response.status().as_u16(), location);
                }
                Err(error) => pending.no_answer(&error.to_string()),
            }
            // Nobody waits any more when the call was cancelled: the answer is dropped.
            let _ = answer.send(sent);
        });
        answered
            .await
            .unwrap_or_else(|_| Err(not_sent("the request's task ended without an answer")))
    }

    /// Sends with the session's access token, and once more with a new one if the API
    /// answers 401 (it did nothing then, so nothing is done twice). The body is buffered for
    /// that second sending; the guest's bodies are bounded.
    async fn send_signed_in(
        &self,
        account: &str,
        tokens: TokenSource<'_>,
        request: http::Request<WasiBody>,
        options: RequestOptions,
        write: Option<&WriteRecord>,
    ) -> Result<(http::Response<WasiBody>, IoFuture), HttpError> {
        use http_body_util::BodyExt;
        let (parts, body) = request.into_parts();
        let body = body.collect().await?.to_bytes();
        let with_token = |token: &str| -> Result<http::Request<WasiBody>, HttpError> {
            let mut request = http::Request::builder()
                .method(parts.method.clone())
                .uri(parts.uri.clone())
                .version(parts.version)
                .body(
                    Full::new(body.clone())
                        .map_err(|never| match never {})
                        .boxed_unsync(),
                )
                .map_err(|_| HttpError::HttpRequestUriInvalid)?;
            *request.headers_mut() = parts.headers.clone();
            let value = sensitive(&format!("Bearer {token}"))
                .map_err(|_| not_sent("the stored access token is malformed"))?;
            request.headers_mut().insert(header::AUTHORIZATION, value);
            Ok(request)
        };
        let token = tokens
            .access_token()
            .await
            .map_err(|error| not_sent(&format!("{error:#}")))?;
        let (response, io) = self
            .send(account, with_token(&token)?, options, write)
            .await?;
        if response.status() != http::StatusCode::UNAUTHORIZED {
            return Ok((response, io));
        }
        drop((response, io));
        let renewed = tokens
            .replace_rejected(&token)
            .await
            .map_err(|error| not_sent(&format!("{error:#}")))?;
        self.send(account, with_token(&renewed)?, options, write)
            .await
    }

    /// Takes note of what the API says the account has left (`X-RateLimit-Remaining`).
    /// With counts shared in the store the hint is not used: every process serving the
    /// account counts there, so the API's figure and ours agree but for other clients.
    fn observe<B>(&self, account: &str, response: &http::Response<B>) {
        if self.shared_counts.is_some() {
            return;
        }
        if let Some(remaining) = response
            .headers()
            .get("x-ratelimit-remaining")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse().ok())
        {
            self.with_pacer(account, |pacer| {
                pacer.observe_remaining(remaining, Instant::now());
            });
        }
    }
}

pub struct ApiGate {
    shared: Arc<GateShared>,
    /// The request's user, in the remote mode.
    caller: Option<Arc<Caller>>,
    /// The writes this request's call has asked for so far: a retry of the call asks for
    /// the same ones in the same order.
    writes_asked: u64,
}

impl ApiGate {
    pub fn new(shared: Arc<GateShared>, caller: Option<Arc<Caller>>) -> Self {
        Self {
            shared,
            caller,
            writes_asked: 0,
        }
    }

    /// For a write of a call that carries an Idempotency-Key (in the remote connector, whose
    /// store keeps the audit), its place among the call's writes.
    fn retry_of(&mut self, write: Option<&WriteRecord>, caller: Option<&Caller>) -> Option<Retry> {
        let key = caller?.retry_key.clone()?;
        let store = write?.log.as_ref()?.store()?.clone();
        let seq = self.writes_asked;
        self.writes_asked += 1;
        Some(Retry { store, key, seq })
    }

    /// The guest's own timeouts are honoured when shorter than ours, never when longer.
    fn capped(&self, options: Option<RequestOptions>) -> RequestOptions {
        let timeout = self.shared.timeout;
        let cap = |asked: Option<Duration>| Some(asked.map_or(timeout, |asked| asked.min(timeout)));
        let options = options.unwrap_or_default();
        RequestOptions {
            connect_timeout: cap(options.connect_timeout),
            first_byte_timeout: cap(options.first_byte_timeout),
            between_bytes_timeout: cap(options.between_bytes_timeout),
        }
    }
}

/// Headers the guest may not set: the usual hop-by-hop ones, plus the credentials, so a
/// compromised guest can neither read the key nor substitute another one.
fn is_forbidden(name: &HeaderName) -> bool {
    name == header::AUTHORIZATION || DEFAULT_FORBIDDEN_HEADERS.contains(name)
}

impl WasiHttpHooks for ApiGate {
    fn forbidden_header_filter(&mut self) -> ForbiddenHeaderFilter {
        Arc::new(is_forbidden)
    }

    fn send_request(
        &mut self,
        mut request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _response_errors: IoFuture,
    ) -> SendFuture {
        // The guest's hint (which tool) is for the host only.
        let tool = request
            .headers_mut()
            .remove(audit::TOOL_HEADER)
            .and_then(|value| value.to_str().ok().map(str::to_string));
        let shared = self.shared.clone();
        let caller = self.caller.clone();
        if !shared.origin.admits(request.uri()) {
            eprintln!(
                "facturation-pro-mcp: sandbox refused {} {} (only {} is allowed)",
                request.method(),
                request.uri(),
                shared.origin.base_url()
            );
            return Box::new(async { Err(HttpError::HttpRequestDenied) });
        }
        let write = (request.method() != http::Method::GET).then(|| WriteRecord {
            id: shared
                .audit
                .as_ref()
                .map_or_else(String::new, AuditLog::new_write_id),
            log: shared.audit.clone(),
            user: caller.as_ref().map(|caller| caller.user.id.clone()),
            tool,
            method: request.method().to_string(),
            path: request
                .uri()
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .to_string(),
        });
        let read_only = shared.read_only || caller.as_ref().is_some_and(|caller| caller.read_only);
        if read_only && let Some(write) = &write {
            eprintln!(
                "facturation-pro-mcp: read-only mode refused {} {}",
                request.method(),
                request.uri()
            );
            if let Some(log) = &write.log {
                log.refused(&write.entry(), "read-only mode");
            }
            return Box::new(async { Err(HttpError::HttpRequestDenied) });
        }
        let options = self.capped(options);
        let retry = self.retry_of(write.as_ref(), caller.as_deref());
        Box::new(async move {
            let write = write.as_ref();
            if let (Some(retry), Some(write)) = (retry, write) {
                retry.claim(write)?;
            }
            match (&shared.credentials, &caller) {
                (Credentials::Basic(authorization), _) => {
                    request
                        .headers_mut()
                        .insert(header::AUTHORIZATION, authorization.clone());
                    shared.send(THE_ACCOUNT, request, options, write).await
                }
                (Credentials::OAuth(session), _) => {
                    let tokens = TokenSource::Local(session);
                    shared
                        .send_signed_in(THE_ACCOUNT, tokens, request, options, write)
                        .await
                }
                (Credentials::PerUser, Some(caller)) => {
                    let tokens = TokenSource::Remote(&caller.upstream);
                    let account = &caller.user.upstream_account;
                    shared
                        .send_signed_in(account, tokens, request, options, write)
                        .await
                }
                // The host's own requests in the remote mode (its start-up check) have no
                // user, and so no credentials: nothing is sent.
                (Credentials::PerUser, None) => {
                    Err(not_sent("no user is signed in for this request"))
                }
            }
        })
    }
}

/// A write of a call that names itself with an Idempotency-Key.
struct Retry {
    store: Arc<Store>,
    key: String,
    seq: u64,
}

impl Retry {
    /// Goes ahead with the write if no earlier attempt of the call made it; otherwise says
    /// what became of that one, and sends nothing.
    fn claim(&self, write: &WriteRecord) -> Result<(), HttpError> {
        let first = match self.store.claim_write(&self.key, self.seq, &write.id) {
            Ok(None) => return Ok(()),
            Ok(Some(first)) => first,
            Err(error) => {
                eprintln!("facturation-pro-mcp: the store failed: {error:#}");
                return Err(not_sent(
                    "the server could not check this call's Idempotency-Key",
                ));
            }
        };
        if let Some(log) = &write.log {
            log.refused(
                &write.entry(),
                "its call was made before (same Idempotency-Key)",
            );
        }
        let detail = match first {
            FirstAttempt::Answered(line) => {
                let record = line["id"]
                    .as_u64()
                    .map(|id| format!(" (record {id})"))
                    .unwrap_or_default();
                format!(
                    "its first attempt reached Facturation.PRO, which answered HTTP {}{record}",
                    line["status"]
                )
            }
            FirstAttempt::Unknown => "its first attempt was sent, and no answer to it was \
                 recorded: it may or may not have been carried out"
                .to_string(),
        };
        Err(HttpError::InternalError(Some(format!(
            "{ALREADY_MADE}{detail}"
        ))))
    }
}

/// What the guest recognises in a write refused because its call already made it.
const ALREADY_MADE: &str = "already made: ";

/// A request that may change data, as the audit log describes it.
struct WriteRecord {
    /// Its `write` id in the audit log (empty without a log).
    id: String,
    log: Option<AuditLog>,
    /// The user it is made for, in the remote mode.
    user: Option<String>,
    tool: Option<String>,
    method: String,
    path: String,
}

impl WriteRecord {
    fn entry(&self) -> Write<'_> {
        Write {
            id: &self.id,
            user: self.user.as_deref(),
            tool: self.tool.as_deref(),
            method: &self.method,
            path: &self.path,
        }
    }
}

/// Wall-clock milliseconds: counts shared between processes need a clock they share.
fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as i64)
}

/// A header value that is never printed (http's debug output shows "Sensitive").
fn sensitive(value: &str) -> anyhow::Result<HeaderValue> {
    let mut value = HeaderValue::from_str(value)?;
    value.set_sensitive(true);
    Ok(value)
}
