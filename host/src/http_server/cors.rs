//! Browsers' cross-origin rules (CORS). The component already refuses a POST whose Origin is
//! not allowed; a browser asks first with a preflight `OPTIONS`, which carries no token and
//! is answered here, and it shows a page the answer only if that answer names its origin.

use std::collections::HashSet;

use http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE, ACCESS_CONTROL_REQUEST_METHOD,
    HeaderMap, HeaderValue, ORIGIN, VARY,
};

/// What an MCP client sends besides the headers browsers allow anyway.
const ALLOWED_HEADERS: &str = "Authorization, Content-Type, Accept, Mcp-Protocol-Version, \
     Mcp-Session-Id, Mcp-Method, Mcp-Name, Last-Event-ID";

/// What a client's script may read from an answer besides the basic headers.
const EXPOSED_HEADERS: &str = "Mcp-Session-Id, Mcp-Protocol-Version, WWW-Authenticate, Retry-After";

/// The browser origins allowed to call the endpoint. The rule is the component's
/// (guest/src/mcp/http.rs): the listed origins, exactly as written, and any loopback origin.
pub struct AllowedOrigins(HashSet<String>);

impl AllowedOrigins {
    /// FACTURATION_HTTP_ALLOWED_ORIGINS as the component reads it: comma-separated, blanks
    /// ignored.
    pub fn parse(setting: Option<&str>) -> AllowedOrigins {
        AllowedOrigins(
            setting
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|origin| !origin.is_empty())
                .map(str::to_string)
                .collect(),
        )
    }

    pub fn allows(&self, origin: &str) -> bool {
        self.0.contains(origin) || is_loopback(origin)
    }
}

fn is_loopback(origin: &str) -> bool {
    let Some((scheme, rest)) = origin.split_once("://") else {
        return false;
    };
    if scheme != "http" && scheme != "https" {
        return false;
    }
    let host = match rest.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
        None => rest.split(':').next().unwrap_or_default(),
    };
    matches!(host, "localhost" | "127.0.0.1" | "::1")
}

/// The Origin of a preflight request (an OPTIONS asking for a method), if it is one.
pub fn preflight_origin(method: &http::Method, headers: &HeaderMap) -> Option<HeaderValue> {
    if method != http::Method::OPTIONS || !headers.contains_key(ACCESS_CONTROL_REQUEST_METHOD) {
        return None;
    }
    headers.get(ORIGIN).cloned()
}

/// The headers that grant a preflight from an allowed origin.
pub fn grant_preflight(headers: &mut HeaderMap, origin: HeaderValue) {
    headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(
        ACCESS_CONTROL_ALLOW_METHODS,
        // DELETE ends a legacy client's session.
        HeaderValue::from_static("POST, DELETE"),
    );
    headers.insert(
        ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(ALLOWED_HEADERS),
    );
    // A browser may reuse the answer for ten minutes rather than ask before every POST.
    headers.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
    headers.insert(VARY, HeaderValue::from_static("Origin"));
}

/// The headers that let a page from an allowed origin read an answer.
pub fn grant_response(headers: &mut HeaderMap, origin: HeaderValue) {
    headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(
        ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(EXPOSED_HEADERS),
    );
    headers.append(VARY, HeaderValue::from_static("Origin"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed_and_loopback_origins_are_allowed_and_no_others() {
        let allowed = AllowedOrigins::parse(Some(" https://app.example , "));
        assert!(allowed.allows("https://app.example"));
        assert!(allowed.allows("http://localhost:3000"));
        assert!(allowed.allows("http://[::1]:8080"));
        assert!(!allowed.allows("https://app.example.evil"));
        assert!(!allowed.allows("http://localhost.evil"));
        assert!(!allowed.allows("null"));
    }
}
