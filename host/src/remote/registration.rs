//! Dynamic client registration (RFC 7591) for MCP clients that register themselves. Every
//! client is public (no secret: a native app or a hosted client proves possession with
//! PKCE), and only the redirect URIs it registers are ever redirected to.

use bytes::Bytes;
use http::Response;
use serde_json::{Value, json};

use super::Remote;
use super::reply::{json, oauth_error};
use crate::oauth::{now_secs, pkce::random_token};
use crate::store::KnownClient;

/// Bounds on what one registration may hold, so that registrations cannot grow the store
/// by much each.
const MAX_REDIRECT_URIS: usize = 10;
const MAX_URI_CHARS: usize = 2000;
const MAX_NAME_CHARS: usize = 200;

pub fn register(remote: &Remote, body: &[u8]) -> Response<Bytes> {
    let request: Value = match serde_json::from_slice(body) {
        Ok(Value::Object(request)) => Value::Object(request),
        _ => return invalid_metadata("the body must be a JSON object of client metadata"),
    };
    let redirect_uris = match redirect_uris(&request["redirect_uris"]) {
        Ok(uris) => uris,
        Err(problem) => return oauth_error(400, "invalid_redirect_uri", &problem),
    };
    for (field, allowed) in [
        ("grant_types", &["authorization_code", "refresh_token"][..]),
        ("response_types", &["code"][..]),
    ] {
        if let Some(values) = request.get(field) {
            let fine = values.as_array().is_some_and(|values| {
                values
                    .iter()
                    .all(|v| v.as_str().is_some_and(|v| allowed.contains(&v)))
            });
            if !fine {
                return invalid_metadata(&format!("{field} may hold only {}", allowed.join(", ")));
            }
        }
    }
    let client_name = request["client_name"]
        .as_str()
        .unwrap_or("MCP client")
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_NAME_CHARS)
        .collect::<String>();
    let client_id = match random_token() {
        Ok(token) => format!("c_{token}"),
        Err(_) => return oauth_error(500, "server_error", "no randomness from the system"),
    };
    let issued_at = now_secs();
    let client = KnownClient {
        client_id: client_id.clone(),
        kind: "registered".into(),
        client_name: client_name.clone(),
        redirect_uris: redirect_uris.clone(),
        fetched_at: issued_at,
    };
    if let Err(error) = remote.store.save_client(&client) {
        eprintln!("facturation-pro-mcp: cannot record a client registration: {error:#}");
        return oauth_error(
            500,
            "server_error",
            "the registration could not be recorded",
        );
    }
    json(
        201,
        &json!({
            "client_id": client_id,
            "client_id_issued_at": issued_at,
            "client_name": client_name,
            "redirect_uris": redirect_uris,
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            // Whatever was asked: this server has public clients only.
            "token_endpoint_auth_method": "none",
        }),
    )
}

fn invalid_metadata(description: &str) -> Response<Bytes> {
    oauth_error(400, "invalid_client_metadata", description)
}

fn redirect_uris(value: &Value) -> Result<Vec<String>, String> {
    let uris = value
        .as_array()
        .filter(|uris| !uris.is_empty())
        .ok_or("redirect_uris must be a non-empty array")?;
    if uris.len() > MAX_REDIRECT_URIS {
        return Err(format!("at most {MAX_REDIRECT_URIS} redirect_uris"));
    }
    uris.iter()
        .map(|uri| {
            let uri = uri.as_str().ok_or("each redirect URI must be a string")?;
            acceptable_redirect_uri(uri)
                .then(|| uri.to_string())
                .ok_or_else(|| {
                    format!(
                        "{uri:?} cannot be a redirect URI: use https://, http:// on a loopback \
                     address (127.0.0.1, [::1], localhost), or an app's own reverse-domain \
                     scheme (com.example.app:/callback), with no fragment"
                    )
                })
        })
        .collect()
}

/// RFC 8252 and OAuth 2.1: https anywhere; plain http only back to this device's loopback;
/// a native app's private-use scheme (reverse domain name, so it has a dot). Never a
/// fragment, user info, or a scheme that runs code in the browser.
pub fn acceptable_redirect_uri(uri: &str) -> bool {
    if uri.len() > MAX_URI_CHARS
        || uri.contains('#')
        || uri.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return false;
    }
    let Some((scheme, rest)) = uri.split_once(':') else {
        return false;
    };
    let scheme = scheme.to_ascii_lowercase();
    match scheme.as_str() {
        "https" | "http" => {
            let Ok(parsed) = uri.parse::<http::Uri>() else {
                return false;
            };
            let Some(authority) = parsed.authority() else {
                return false;
            };
            if authority.as_str().contains('@') {
                return false;
            }
            scheme == "https" || is_loopback_host(authority.host())
        }
        "javascript" | "data" | "file" | "vbscript" | "blob" | "about" => false,
        _ => {
            scheme.contains('.')
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
                && !rest.is_empty()
        }
    }
}

pub fn is_loopback_host(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::acceptable_redirect_uri;

    #[test]
    fn redirect_uris_are_https_loopback_or_an_apps_own_scheme() {
        for fine in [
            "https://claude.ai/api/mcp/auth_callback",
            "http://127.0.0.1:33418/callback",
            "http://[::1]/cb",
            "http://localhost:6274/oauth/callback",
            "com.example.app:/oauth2redirect",
            "cursor.anysphere:/callback",
        ] {
            assert!(acceptable_redirect_uri(fine), "{fine}");
        }
        for refused in [
            "http://example.com/callback",
            "https://claude.ai/cb#fragment",
            "javascript:alert(1)",
            "data:text/html,hi",
            "myapp:/callback",
            "https://user:pass@example.com/cb",
            "https://example.com/c b",
            "",
            "http://127.0.0.1.evil.example/cb",
        ] {
            assert!(!acceptable_redirect_uri(refused), "{refused}");
        }
    }
}
