//! One HTTP exchange with the API, redirects included. Every request carries the
//! User-Agent the vendor asks for; JSON or a multipart form goes out; error statuses become
//! [`ApiError`]s carrying the API's own explanation.

use base64::prelude::{BASE64_STANDARD, Engine as _};
use serde_json::Value;
use wasip2::http::types::ErrorCode;

use std::time::{Duration, Instant};

pub use facturation_pro_catalog::Method;

use super::{ApiConfig, ApiError, Pagination, redirect};
use facturation_pro_wasi_http::{self as wasi_http, Incoming, Outgoing, SendError};

/// How many redirects we follow before giving up; the API's own shortcuts need one.
const MAX_REDIRECTS: usize = 5;

/// After a 429: how many more tries, the longest single wait, and the most waiting in all.
const RATE_LIMIT_RETRIES: u32 = 3;
const LONGEST_RATE_LIMIT_WAIT: Duration = Duration::from_secs(30);
const TOTAL_RATE_LIMIT_WAIT: Duration = Duration::from_secs(45);

/// How our host ends the HTTP requests of a call the client cancelled, and those it holds
/// back because the day's quota is spent (it paces every instance's requests).
const CANCELLED_BY_CLIENT: &str = "cancelled by the client";
const DAILY_QUOTA_SPENT: &str = "daily request quota";
/// How our host prefixes the reason it did not send a request at all (no valid sign-in,
/// say): nothing reached the API, and trying again would not help.
const NOT_SENT: &str = "not sent: ";
/// The host's prefix for a write its call already made (a retry with the same
/// Idempotency-Key), which it did not send again.
const ALREADY_MADE: &str = "already made: ";

/// Reads that fail with a 5xx or a network error are tried again this many times.
const READ_RETRIES: u32 = 2;

fn method_name(method: Method) -> &'static str {
    match method {
        Method::Get => "GET",
        Method::Post => "POST",
        Method::Patch => "PATCH",
        Method::Delete => "DELETE",
    }
}

pub enum RequestBody {
    Json(Value),
    /// A ready-made `multipart/form-data` body and its content type (with the boundary).
    Form {
        content_type: String,
        bytes: Vec<u8>,
    },
}

pub struct ApiRequest {
    /// The tool making the request; our host records it in its audit log and removes it.
    pub tool: &'static str,
    pub method: Method,
    /// Absolute path on the API host, e.g. `/firms/1/customers.json`.
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Option<RequestBody>,
}

pub struct ApiResponse {
    pub pagination: Option<Pagination>,
    pub content_type: Option<String>,
    /// The file name from `Content-Disposition`, when the server suggests one.
    pub file_name: Option<String>,
    pub body: Vec<u8>,
}

impl ApiResponse {
    /// The body as JSON; an empty body (the API sends none for most updates and deletes)
    /// reads as `None`.
    pub fn json(&self) -> Result<Option<Value>, ApiError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        serde_json::from_slice(&self.body)
            .map(Some)
            .map_err(|err| ApiError::BadResponse(format!("invalid JSON ({err})")))
    }
}

pub struct ApiClient {
    config: ApiConfig,
}

/// A failed exchange, with what the retry policy needs to know.
struct Failure {
    error: ApiError,
    /// Seconds the API asked us to wait (`Retry-After` on a 429).
    retry_after: Option<Duration>,
    /// Whether the request may have reached the API and been acted upon.
    maybe_processed: bool,
    /// Whether trying a read again could help: a 5xx or a network failure, but not a
    /// refusal by the sandbox, a cancellation, or an API that already took the whole timeout.
    transient: bool,
}

impl From<ApiError> for Failure {
    fn from(error: ApiError) -> Self {
        Failure {
            error,
            retry_after: None,
            maybe_processed: false,
            transient: false,
        }
    }
}

impl ApiClient {
    pub fn new(config: ApiConfig) -> Self {
        Self { config }
    }

    pub fn config(&self) -> &ApiConfig {
        &self.config
    }

    /// Sends the request, following redirects; fails on any status of 400 or more. (Our host
    /// paces requests within the API's quotas, since it sees those of every instance.) A 429 is waited out a bounded number of times (the API did nothing, so even
    /// a creation can be sent again); a read that meets a server or network failure is tried
    /// again; a write whose outcome is unknown is never sent twice.
    pub fn send(&self, request: &ApiRequest) -> Result<ApiResponse, ApiError> {
        let mut rate_limited = 0;
        let mut waited = Duration::ZERO;
        let mut read_failures = 0;
        loop {
            let failure = match self.send_once(request) {
                Ok(response) => return Ok(response),
                Err(failure) => failure,
            };
            let is_rate_limit = matches!(failure.error, ApiError::Status { status: 429, .. });
            if is_rate_limit {
                let wait = failure
                    .retry_after
                    .unwrap_or_else(|| backoff(rate_limited))
                    .min(LONGEST_RATE_LIMIT_WAIT);
                if rate_limited == RATE_LIMIT_RETRIES || waited + wait > TOTAL_RATE_LIMIT_WAIT {
                    return Err(ApiError::RateLimited {
                        attempts: rate_limited + 1,
                        waited,
                    });
                }
                eprintln!(
                    "rate limited by the API (HTTP 429); waiting {wait:?} before trying again"
                );
                std::thread::sleep(wait);
                rate_limited += 1;
                waited += wait;
                continue;
            }
            if request.method == Method::Get && failure.transient && read_failures < READ_RETRIES {
                read_failures += 1;
                eprintln!(
                    "{}; trying again ({read_failures}/{READ_RETRIES})",
                    failure.error
                );
                std::thread::sleep(Duration::from_millis(500) * read_failures);
                continue;
            }
            if request.method != Method::Get && failure.maybe_processed {
                let reason = match failure.error {
                    ApiError::Transport(reason) => reason,
                    ApiError::Cancelled => {
                        "the client cancelled the call before the API answered".into()
                    }
                    other => other.to_string(),
                };
                return Err(ApiError::OutcomeUnknown(reason));
            }
            return Err(failure.error);
        }
    }

    /// One attempt: the request and any redirects it meets.
    fn send_once(&self, request: &ApiRequest) -> Result<ApiResponse, Failure> {
        let mut url = self.url_for(&request.path);
        let mut method = request.method;
        let mut query: Vec<&(String, String)> = request.query.iter().collect();
        let mut body = request.body.as_ref();
        for _ in 0..=MAX_REDIRECTS {
            let response = self.exchange(request, method, &url, &query, body)?;
            let status = response.status;
            if matches!(status, 301 | 302 | 303 | 307 | 308) {
                // Read as bytes: a Location with a tab or a byte that is not ASCII must reach
                // the check (and be refused there, saying why), not vanish as "no header".
                let location = response
                    .raw_header("location")
                    .map(|value| String::from_utf8_lossy(value).into_owned())
                    .ok_or_else(|| {
                        ApiError::BadResponse(format!("HTTP {status} without a Location header"))
                    })?;
                url = self.follow(&url, &location)?;
                // The Location carries the query the API wants (the customer shortcuts add
                // `customer_id`); ours still applies where it does not say otherwise (`page`).
                let target_query = redirect::query_of(&url);
                query.retain(|(name, _)| {
                    !target_query
                        .split('&')
                        .any(|pair| pair.split('=').next() == Some(name))
                });
                if (301..=303).contains(&status) {
                    method = Method::Get;
                    body = None;
                }
                continue;
            }
            let pagination = response
                .header("x-pagination")
                .and_then(|v| Pagination::from_header(&v));
            let content_type = response.header("content-type");
            let file_name = response
                .header("content-disposition")
                .and_then(|v| disposition_file_name(&v));
            let retry_after = response
                .header("retry-after")
                .and_then(|v| v.trim().parse().ok())
                .map(Duration::from_secs);
            let bytes = response.body().map_err(|err| Failure {
                error: ApiError::Transport(format!("the response was cut off ({err})")),
                retry_after: None,
                maybe_processed: true,
                transient: true,
            })?;
            if status >= 400 {
                return Err(Failure {
                    error: ApiError::from_status(status, &bytes),
                    retry_after,
                    maybe_processed: false,
                    transient: status >= 500,
                });
            }
            return Ok(ApiResponse {
                pagination,
                content_type,
                file_name,
                body: bytes,
            });
        }
        Err(ApiError::BadResponse(format!(
            "more than {MAX_REDIRECTS} redirects in a row (a redirect loop?); the last one was not followed"
        ))
        .into())
    }

    /// One HTTP exchange for `request`, at `url` (which redirects may have changed).
    fn exchange(
        &self,
        request: &ApiRequest,
        method: Method,
        url: &str,
        query: &[&(String, String)],
        body: Option<&RequestBody>,
    ) -> Result<Incoming, Failure> {
        let mut headers = vec![
            ("User-Agent", self.config.user_agent.clone()),
            ("Accept", "application/json".to_string()),
            ("X-Facturation-Tool", request.tool.to_string()),
        ];
        if let Some((id, key)) = &self.config.basic_credentials {
            headers.push(("Authorization", basic_authorization(id, key)));
        }
        let json_text;
        let bytes = match body {
            None => None,
            Some(RequestBody::Json(json)) => {
                json_text = json.to_string();
                headers.push(("Content-Type", "application/json; charset=utf-8".into()));
                Some(json_text.as_bytes())
            }
            Some(RequestBody::Form {
                content_type,
                bytes,
            }) => {
                headers.push(("Content-Type", content_type.clone()));
                Some(bytes.as_slice())
            }
        };
        // With a length, the body goes out in one piece rather than chunked, which some
        // proxies and API front ends refuse.
        if let Some(bytes) = bytes {
            headers.push(("Content-Length", bytes.len().to_string()));
        }
        let url = with_query(url, query);
        wasi_http::send(&Outgoing {
            method: method_name(method),
            url: &url,
            headers,
            body: bytes,
        })
        .map_err(|error| self.transport_failure(&error))
    }

    fn url_for(&self, path: &str) -> String {
        format!("{}{path}", self.config.base_url)
    }

    /// Where a redirect from `current` to `location` leads, refused (before anything is
    /// sent) unless it stays on the base URL's scheme, host and port: our host would refuse
    /// it too, but other runtimes let the component reach any host, with the credentials it
    /// then holds itself.
    fn follow(&self, current: &str, location: &str) -> Result<String, Failure> {
        let base = &self.config.base_url;
        redirect::follow(base, current, location).map_err(|refusal| {
            ApiError::Transport(format!(
                "the API redirected to {refusal}, which was not followed: this server may only \
                 contact {base}, and nothing was sent elsewhere"
            ))
            .into()
        })
    }

    /// What a failed exchange means, and whether the API may have acted on the request:
    /// nothing was sent when the sandbox refused it or no connection could be made.
    fn transport_failure(&self, error: &SendError) -> Failure {
        let base = &self.config.base_url;
        let code = match error {
            SendError::Code(code) => code,
            // Refused before it left: nothing was sent, and it would be refused again.
            SendError::Unusable(reason) => return ApiError::Transport(reason.clone()).into(),
            SendError::Broken(reason) => {
                return Failure {
                    error: ApiError::Transport(reason.clone()),
                    retry_after: None,
                    maybe_processed: true,
                    transient: true,
                };
            }
        };
        let (reason, maybe_processed) = match code {
            ErrorCode::HttpRequestDenied => (
                format!("the sandbox refused the request: this server may only contact {base}"),
                false,
            ),
            ErrorCode::ConnectionRefused => (format!("connection refused by {base}"), false),
            ErrorCode::ConnectionTimeout => (format!("could not connect to {base} in time"), false),
            ErrorCode::DnsError(_) => (format!("could not resolve {base}"), false),
            ErrorCode::ConnectionReadTimeout | ErrorCode::HttpResponseTimeout => {
                ("the API did not answer in time".to_string(), true)
            }
            ErrorCode::HttpProtocolError
            | ErrorCode::ConnectionTerminated
            | ErrorCode::HttpResponseIncomplete => (
                "the connection closed before the API's answer arrived".to_string(),
                true,
            ),
            ErrorCode::InternalError(Some(reason)) if reason.contains(DAILY_QUOTA_SPENT) => {
                return ApiError::DailyQuotaSpent.into();
            }
            ErrorCode::InternalError(Some(reason)) if reason.contains(CANCELLED_BY_CLIENT) => {
                return Failure {
                    error: ApiError::Cancelled,
                    retry_after: None,
                    maybe_processed: true,
                    transient: false,
                };
            }
            ErrorCode::InternalError(Some(reason)) if reason.starts_with(ALREADY_MADE) => {
                // Not this attempt's to be unsure about: the message says what the first
                // attempt did.
                return Failure {
                    error: ApiError::AlreadyMade(reason[ALREADY_MADE.len()..].to_string()),
                    retry_after: None,
                    maybe_processed: false,
                    transient: false,
                };
            }
            ErrorCode::InternalError(Some(reason)) if reason.starts_with(NOT_SENT) => {
                return Failure {
                    error: ApiError::Transport(reason[NOT_SENT.len()..].to_string()),
                    retry_after: None,
                    maybe_processed: false,
                    transient: false,
                };
            }
            code => (format!("the exchange failed ({code:?})"), true),
        };
        // Not worth repeating: a refusal by the sandbox, or an API that already made us
        // wait the whole timeout.
        let refused = matches!(
            code,
            ErrorCode::HttpRequestDenied
                | ErrorCode::ConnectionReadTimeout
                | ErrorCode::HttpResponseTimeout
        );
        Failure {
            error: ApiError::Transport(reason),
            retry_after: None,
            maybe_processed,
            transient: !refused,
        }
    }
}

/// Waits after a 429 without `Retry-After`: 1, 2, 4 seconds, each stretched by up to a
/// quarter so that several clients do not come back in step.
fn backoff(attempt: u32) -> Duration {
    use std::hash::{BuildHasher, RandomState};
    let base = Duration::from_secs(1 << attempt.min(5));
    let jitter = RandomState::new().hash_one(Instant::now()) % 250;
    base + base * jitter as u32 / 1000
}

/// `url` with `query` added, form-encoded, after any query it already has.
fn with_query(url: &str, query: &[&(String, String)]) -> String {
    if query.is_empty() {
        return url.to_string();
    }
    let (base, existing) = match url.split_once('?') {
        Some((base, existing)) => (base, existing),
        None => (url, ""),
    };
    let mut encoded = form_urlencoded::Serializer::new(existing.to_string());
    encoded.extend_pairs(query.iter().map(|(name, value)| (name, value)));
    format!("{base}?{}", encoded.finish())
}

/// The `filename="..."` of a Content-Disposition header, if any.
/// The RFC 6266 `filename*=UTF-8''...` form wins: it is how servers send accented names,
/// with a plain-ASCII `filename=` beside it for old clients.
fn disposition_file_name(value: &str) -> Option<String> {
    let parameter = |wanted: &str| {
        value.split(';').find_map(|part| {
            let (key, name) = part.trim().split_once('=')?;
            key.trim()
                .eq_ignore_ascii_case(wanted)
                .then(|| name.trim().trim_matches('"').to_string())
        })
    };
    let extended = parameter("filename*").and_then(|encoded| {
        let (charset, rest) = encoded.split_once('\'')?;
        let (_language, encoded) = rest.split_once('\'')?;
        charset
            .eq_ignore_ascii_case("utf-8")
            .then(|| percent_decode(encoded))
            .flatten()
    });
    extended.or_else(|| parameter("filename"))
}

/// `%XX` escapes decoded; `None` for a broken escape or bytes that are not UTF-8.
pub fn percent_decode(text: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        if byte == b'%' {
            let hex = std::str::from_utf8(tail.get(..2)?).ok()?;
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
            rest = &tail[2..];
        } else {
            bytes.push(byte);
            rest = tail;
        }
    }
    String::from_utf8(bytes).ok()
}

/// `Basic base64(id:key)`, for runtimes where the guest holds the credentials itself.
fn basic_authorization(id: &str, key: &str) -> String {
    format!("Basic {}", BASE64_STANDARD.encode(format!("{id}:{key}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_basic_credentials_like_rfc_7617() {
        assert_eq!(
            basic_authorization("Aladdin", "open sesame"),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
    }

    #[test]
    fn reads_the_file_name_the_server_suggests() {
        assert_eq!(
            disposition_file_name(r#"attachment; filename="facture 42.pdf""#).as_deref(),
            Some("facture 42.pdf")
        );
        assert_eq!(disposition_file_name("inline"), None);
        let both = "attachment; filename=\"relev_.pdf\"; filename*=UTF-8''relev%C3%A9%20d%27%C3%A9ch%C3%A9ances.pdf";
        assert_eq!(
            disposition_file_name(both).as_deref(),
            Some("relevé d'échéances.pdf")
        );
    }
}
