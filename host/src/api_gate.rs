//! The guest's only way out: every outgoing HTTP request passes through [`ApiGate`], which
//! lets through requests to the configured API origin (redirect hops included, since each
//! hop is a new request), adds the credentials the guest never sees, and caps timeouts.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use base64::prelude::{BASE64_STANDARD, Engine as _};
use http::{HeaderName, HeaderValue, header};
use wasmtime_wasi_http::{
    DEFAULT_FORBIDDEN_HEADERS, Error as HttpError, ForbiddenHeaderFilter, RequestOptions, WasiBody,
    WasiHttpHooks,
};

use crate::audit::{self, AuditLog, Entry};
use crate::cancellation::{CALL_HEADER, Cancellations};
use crate::config::{Origin, Settings};

type IoFuture = Box<dyn Future<Output = Result<(), HttpError>> + Send>;
type SendFuture =
    Box<dyn Future<Output = Result<(http::Response<WasiBody>, IoFuture), HttpError>> + Send>;

pub struct ApiGate {
    origin: Origin,
    authorization: HeaderValue,
    timeout: Duration,
    read_only: bool,
    audit: Option<AuditLog>,
    cancellations: Cancellations,
}

impl ApiGate {
    pub fn new(settings: &Settings, cancellations: Cancellations) -> anyhow::Result<Self> {
        let credentials =
            BASE64_STANDARD.encode(format!("{}:{}", settings.api_id, settings.api_key));
        let mut authorization = HeaderValue::from_str(&format!("Basic {credentials}"))?;
        authorization.set_sensitive(true);
        Ok(Self {
            origin: settings.origin.clone(),
            authorization,
            timeout: settings.request_timeout,
            read_only: settings.read_only,
            audit: settings
                .audit_log
                .as_deref()
                .map(AuditLog::open)
                .transpose()?,
            cancellations,
        })
    }

    /// The guest's own timeouts are honoured when shorter than ours, never when longer.
    fn capped(&self, options: Option<RequestOptions>) -> RequestOptions {
        let cap = |asked: Option<Duration>| {
            Some(asked.map_or(self.timeout, |asked| asked.min(self.timeout)))
        };
        let options = options.unwrap_or_default();
        RequestOptions {
            connect_timeout: cap(options.connect_timeout),
            first_byte_timeout: cap(options.first_byte_timeout),
            between_bytes_timeout: cap(options.between_bytes_timeout),
        }
    }
}

/// The error a cancelled call's requests end with; the guest recognises the words.
fn cancelled() -> HttpError {
    HttpError::InternalError(Some("cancelled by the client".into()))
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
        // The guest's hints (which tool, which call) are for the host only.
        let mut hint = |name: &str| {
            request
                .headers_mut()
                .remove(name)
                .and_then(|value| value.to_str().ok().map(str::to_string))
        };
        let tool = hint(audit::TOOL_HEADER);
        let call = hint(CALL_HEADER);
        if !self.origin.admits(request.uri()) {
            eprintln!(
                "facturation-pro-mcp: sandbox refused {} {} (only {} is allowed)",
                request.method(),
                request.uri(),
                self.origin.base_url()
            );
            return Box::new(async { Err(HttpError::HttpRequestDenied) });
        }
        let method = request.method().as_str().to_string();
        let path = request
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_string();
        let audit = (method != "GET").then(|| self.audit.clone()).flatten();
        let record = move |status: Option<u16>, location: Option<&str>| {
            if let Some(log) = &audit {
                log.record(&Entry {
                    tool: tool.as_deref(),
                    method: &method,
                    path: &path,
                    status,
                    location,
                });
            }
        };
        if self.read_only && request.method() != http::Method::GET {
            eprintln!(
                "facturation-pro-mcp: read-only mode refused {} {}",
                request.method(),
                request.uri()
            );
            record(None, None);
            return Box::new(async { Err(HttpError::HttpRequestDenied) });
        }
        request
            .headers_mut()
            .insert(header::AUTHORIZATION, self.authorization.clone());
        let options = self.capped(options);
        let cancellations = self.cancellations.clone();
        Box::new(async move {
            use http_body_util::BodyExt;
            let sent = wasmtime_wasi_http::default_send_request(request, Some(options));
            let outcome = match &call {
                None => sent.await,
                Some(call) if cancellations.is_cancelled(call) => Err(cancelled()),
                Some(call) => tokio::select! {
                    outcome = sent => outcome,
                    () = cancellations.cancelled(call) => Err(cancelled()),
                },
            };
            match outcome {
                Ok((response, io)) => {
                    let location = response
                        .headers()
                        .get(header::LOCATION)
                        .and_then(|v| v.to_str().ok());
                    record(Some(response.status().as_u16()), location);
                    Ok((
                        response.map(BodyExt::boxed_unsync),
                        Box::new(io) as IoFuture,
                    ))
                }
                Err(error) => {
                    record(None, None);
                    Err(error)
                }
            }
        })
    }
}
