//! The shapes of the authorization server's answers: JSON (never cached: some carry
//! tokens), OAuth errors, redirects, and the plain pages a browser lands on.

use bytes::Bytes;
use http::{HeaderValue, Response, header};
use serde_json::{Value, json};

/// JSON that browser-based clients may read from any origin (metadata, tokens,
/// registration carry no ambient authority: no cookie is ever read from them).
pub fn json(status: u16, body: &Value) -> Response<Bytes> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CACHE_CONTROL, "no-store")
        .header(header::PRAGMA, "no-cache")
        .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")
        .body(Bytes::from(body.to_string()))
        .expect("a valid response")
}

/// An OAuth error answer (RFC 6749 section 5.2 and its kin).
pub fn oauth_error(status: u16, error: &str, description: &str) -> Response<Bytes> {
    json(
        status,
        &json!({ "error": error, "error_description": description }),
    )
}

/// The CORS preflight of the JSON endpoints.
pub fn preflight() -> Response<Bytes> {
    Response::builder()
        .status(204)
        .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")
        .header(header::ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, OPTIONS")
        .header(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            "authorization, content-type, mcp-protocol-version",
        )
        .header(header::ACCESS_CONTROL_MAX_AGE, "600")
        .body(Bytes::new())
        .expect("a valid response")
}

pub fn status(status: u16, text: &'static str) -> Response<Bytes> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(Bytes::from_static(text.as_bytes()))
        .expect("a valid response")
}

/// A 302 to `location`, built from parts this server checked.
pub fn redirect(location: &str) -> Response<Bytes> {
    match HeaderValue::from_str(location) {
        Ok(location) => Response::builder()
            .status(302)
            .header(header::LOCATION, location)
            .header(header::CACHE_CONTROL, "no-store")
            .body(Bytes::new())
            .expect("a valid response"),
        Err(_) => page(
            400,
            "Invalid redirect",
            "The address to return to is not valid.",
        ),
    }
}

/// `base` with `pairs` added to its query.
pub fn with_query(base: &str, pairs: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.extend_pairs(pairs);
    let separator = if base.contains('?') { '&' } else { '?' };
    format!("{base}{separator}{}", query.finish())
}

/// A plain page for the browser: where an error cannot be sent back to the client (its
/// redirect URI is unknown or not its own), the person reads it here.
pub fn page(status: u16, title: &str, text: &str) -> Response<Bytes> {
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><h1>{title}</h1><p>{text}</p></body></html>",
        title = escape(title),
        text = escape(text)
    );
    html_response(status, html)
}

/// HTML that no other site may frame (the consent page must not be clickjacked).
pub fn html_response(status: u16, html: String) -> Response<Bytes> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-store")
        .header("x-frame-options", "DENY")
        .header(
            "content-security-policy",
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        )
        .header("referrer-policy", "no-referrer")
        .body(Bytes::from(html))
        .expect("a valid response")
}

/// Text made safe for HTML, attributes included.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The fields of a form body or a query string; a field given twice is refused (RFC 6749
/// section 3.1: parameters must not repeat), so no two parsers can disagree on it.
pub fn fields(text: &[u8]) -> Result<std::collections::HashMap<String, String>, String> {
    let mut fields = std::collections::HashMap::new();
    for (name, value) in form_urlencoded::parse(text) {
        if fields.insert(name.to_string(), value.to_string()).is_some() {
            return Err(format!("the parameter {name} is given more than once"));
        }
    }
    Ok(fields)
}
