//! One HTTP exchange with the API, redirects included. Every request carries the
//! User-Agent the vendor asks for; JSON goes out and comes back; error statuses become
//! [`ApiError`]s carrying the API's own explanation.

use base64::prelude::{BASE64_STANDARD, Engine as _};
use serde_json::Value;
use waki::ErrorCode;

use super::{ApiConfig, ApiError, Pagination};

/// How many redirects we follow before giving up; the API's own shortcuts need one.
const MAX_REDIRECTS: usize = 5;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Patch,
    Delete,
}

impl Method {
    fn to_waki(self) -> waki::Method {
        match self {
            Method::Get => waki::Method::Get,
            Method::Post => waki::Method::Post,
            Method::Patch => waki::Method::Patch,
            Method::Delete => waki::Method::Delete,
        }
    }
}

pub struct ApiRequest {
    pub method: Method,
    /// Absolute path on the API host, e.g. `/firms/1/customers.json`.
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Option<Value>,
}

pub struct ApiResponse {
    pub pagination: Option<Pagination>,
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

impl ApiClient {
    pub fn new(config: ApiConfig) -> Self {
        Self { config }
    }

    pub fn config(&self) -> &ApiConfig {
        &self.config
    }

    /// Sends the request, following redirects, and fails on any status of 400 or more.
    pub fn send(&self, request: &ApiRequest) -> Result<ApiResponse, ApiError> {
        let mut url = self.url_for(&request.path);
        let mut method = request.method;
        let mut query = request.query.as_slice();
        let mut body = request.body.as_ref();
        for _ in 0..=MAX_REDIRECTS {
            let response = self.exchange(method, &url, query, body)?;
            let status = response.status_code();
            if matches!(status, 301 | 302 | 303 | 307 | 308) {
                let location = header(&response, "location").ok_or_else(|| {
                    ApiError::BadResponse(format!("HTTP {status} without a Location header"))
                })?;
                // The Location carries its own query; the original one must not be re-added.
                url = self.resolve(&location);
                query = &[];
                if (301..=303).contains(&status) {
                    method = Method::Get;
                    body = None;
                }
                continue;
            }
            let pagination =
                header(&response, "x-pagination").and_then(|v| Pagination::from_header(&v));
            let bytes = response.body().map_err(|err| {
                ApiError::Transport(format!("the response body was cut off ({err})"))
            })?;
            if status >= 400 {
                return Err(ApiError::from_status(status, &bytes));
            }
            return Ok(ApiResponse {
                pagination,
                body: bytes,
            });
        }
        Err(ApiError::BadResponse(format!(
            "more than {MAX_REDIRECTS} redirects"
        )))
    }

    fn exchange(
        &self,
        method: Method,
        url: &str,
        query: &[(String, String)],
        body: Option<&Value>,
    ) -> Result<waki::Response, ApiError> {
        let mut builder = waki::Client::new()
            .request(method.to_waki(), url)
            .header("User-Agent", self.config.user_agent.as_str())
            .header("Accept", "application/json");
        if !query.is_empty() {
            builder = builder.query(query);
        }
        if let Some((id, key)) = &self.config.basic_credentials {
            builder = builder.header("Authorization", basic_authorization(id, key));
        }
        if let Some(body) = body {
            builder = builder
                .header("Content-Type", "application/json; charset=utf-8")
                .body(body.to_string());
        }
        builder
            .send()
            .map_err(|err| ApiError::Transport(self.describe_transport_error(&err)))
    }

    fn url_for(&self, path: &str) -> String {
        format!("{}{path}", self.config.base_url)
    }

    /// Locations may be absolute URLs or absolute paths on the API host. An absolute URL is
    /// followed as given: the host decides whether it may be reached.
    fn resolve(&self, location: &str) -> String {
        if location.starts_with("http://") || location.starts_with("https://") {
            location.to_string()
        } else {
            self.url_for(location)
        }
    }

    fn describe_transport_error(&self, err: &anyhow::Error) -> String {
        match err.downcast_ref::<ErrorCode>() {
            Some(ErrorCode::HttpRequestDenied) => format!(
                "the sandbox refused the request: this server may only contact {}",
                self.config.base_url
            ),
            Some(ErrorCode::ConnectionRefused) => {
                format!("connection refused by {}", self.config.base_url)
            }
            Some(ErrorCode::ConnectionTimeout | ErrorCode::ConnectionReadTimeout) => {
                "the API did not answer in time".to_string()
            }
            Some(ErrorCode::DnsError(_)) => format!("could not resolve {}", self.config.base_url),
            Some(code) => format!("{code:?}"),
            None => format!("{err:#}"),
        }
    }
}

fn header(response: &waki::Response, name: &str) -> Option<String> {
    response
        .header(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_string)
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
        assert_eq!(basic_authorization("a", "b"), "Basic YTpi");
    }
}
