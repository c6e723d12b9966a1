//! How MCP clients become known: by a Client ID Metadata Document (the client id is an
//! https URL whose JSON document this server fetches, checks and caches for an hour), or by
//! dynamic registration (RFC 7591) for the clients that still use it. Every client is
//! public (no secret: a native app or a hosted client proves possession with PKCE), and
//! only the redirect URIs it declared are ever redirected to.

use std::net::IpAddr;
use std::time::Duration;

use bytes::Bytes;
use http::Response;
use http_body_util::{BodyExt, Full, Limited};
use serde_json::{Value, json};
use wasmtime_wasi_http::RequestOptions;

use super::Remote;
use super::reply::{json, oauth_error};
use crate::oauth::{now_secs, pkce::random_token};
use crate::store::KnownClient;

/// Bounds on what one registration may hold, so that registrations cannot grow the store
/// by much each.
const MAX_REDIRECT_URIS: usize = 10;
const MAX_URI_CHARS: usize = 2000;
const MAX_NAME_CHARS: usize = 200;

/// Clients known but not yet signed in with, at most: each holds a row of the store for a
/// day, and registering needs no account, so without a bound anyone could fill the disk.
/// Far above what honest sign-ins leave waiting on any one day.
const MAX_CLIENTS_WAITING: usize = 10_000;

const TOO_MANY_WAITING: &str = "too many clients registered here are still waiting for \
     their first sign-in; try again later";

/// A metadata document is small; anything larger is not one.
const MAX_DOCUMENT_BYTES: usize = 16 << 10;
/// How long a fetched document is trusted before it is fetched again.
const DOCUMENT_CACHE_SECS: u64 = 3600;
/// A client's document server gets this long to answer.
const DOCUMENT_TIMEOUT: Duration = Duration::from_secs(5);

/// Whether a client id is a metadata document's URL rather than one issued here.
pub fn is_document_url(client_id: &str) -> bool {
    client_id.starts_with("https://")
}

/// The client a metadata document describes: from the store while fresh, else fetched and
/// checked. The error says what is wrong, for the person's browser.
pub async fn document_client(remote: &Remote, client_id: &str) -> Result<KnownClient, String> {
    check_document_url(client_id, remote.settings.issuer.starts_with("http:"))?;
    if let Ok(Some(known)) = remote.store.client(client_id)
        && known.kind == "metadata_document"
        && now_secs().saturating_sub(known.fetched_at) < DOCUMENT_CACHE_SECS
    {
        return Ok(known);
    }
    if !remote.settings.issuer.starts_with("http:") {
        check_resolved(client_id).await?;
    }
    // One deadline for the whole document: a server that sends a byte now and then must not
    // hold the request (and a connection of this server) for long.
    let document = tokio::time::timeout(DOCUMENT_TIMEOUT, fetch_document(remote, client_id))
        .await
        .map_err(|_| {
            format!(
                "the client's metadata document could not be read within {} s",
                DOCUMENT_TIMEOUT.as_secs()
            )
        })??;
    if document["client_id"].as_str() != Some(client_id) {
        return Err("the document's client_id is not its own URL".into());
    }
    match document
        .get("token_endpoint_auth_method")
        .and_then(Value::as_str)
    {
        None | Some("none") => {}
        Some(_) => {
            return Err("the client must be public (token_endpoint_auth_method none)".into());
        }
    }
    if document.get("client_secret").is_some() {
        return Err("a metadata document must not carry a secret".into());
    }
    let client = KnownClient {
        client_id: client_id.to_string(),
        kind: "metadata_document".into(),
        client_name: client_name(&document),
        redirect_uris: redirect_uris(&document["redirect_uris"])?,
        fetched_at: now_secs(),
    };
    match remote.store.save_client(&client, MAX_CLIENTS_WAITING) {
        Ok(true) => Ok(client),
        Ok(false) => Err(TOO_MANY_WAITING.into()),
        Err(_) => Err("the client could not be recorded".into()),
    }
}

/// An https URL with a path and no fragment, user info or dot segments. Unless this server
/// itself runs on loopback (a trial), it fetches nothing from loopback or private
/// addresses: a client id must not become a way into the operator's network.
fn check_document_url(client_id: &str, local_trial: bool) -> Result<(), String> {
    let uri: http::Uri = client_id
        .parse()
        .map_err(|_| "the client id is not a URL".to_string())?;
    let authority = uri.authority().map(|a| a.as_str()).unwrap_or_default();
    let path = uri.path();
    let fine = uri.scheme_str() == Some("https")
        && !authority.is_empty()
        && !authority.contains('@')
        && !client_id.contains('#')
        && path.len() > 1
        && !path
            .split('/')
            .any(|segment| segment == "." || segment == "..");
    if !fine {
        return Err(
            "a client id URL must be https with a path, and no fragment or dot segments".into(),
        );
    }
    let host = uri.host().unwrap_or_default();
    let private = host.eq_ignore_ascii_case("localhost")
        || host
            .trim_matches(['[', ']'])
            .parse::<IpAddr>()
            .is_ok_and(|ip| !is_public(ip));
    if private && !local_trial {
        return Err("a client id on a loopback or private address is not fetched".into());
    }
    Ok(())
}

/// Whether `ip` is on the public internet: not this machine, not a private, shared,
/// link-local or reserved range, in either address family (an IPv4 address written as IPv6
/// is judged as the IPv4 one).
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => {
            let [first, second, ..] = ip.octets();
            !(ip.is_loopback()
                || ip.is_private()
                || ip.is_link_local()
                || ip.is_unspecified()
                || ip.is_broadcast()
                || ip.is_multicast()
                || ip.is_documentation()
                || first == 0
                // Shared address space (carrier-grade NAT), and benchmarking.
                || (first == 100 && (64..128).contains(&second))
                || (first == 198 && (18..20).contains(&second))
                || first >= 240)
        }
        IpAddr::V6(ip) => {
            if let Some(v4) = ip.to_ipv4() {
                return is_public(IpAddr::V4(v4));
            }
            let first = ip.segments()[0];
            !(ip.is_loopback()
                || ip.is_unspecified()
                || ip.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                // NAT64, which maps onto IPv4 addresses of any kind.
                || (first == 0x64 && ip.segments()[1] == 0xff9b))
        }
    }
}

/// Every address the document's host resolves to must be public: a name of the client's
/// choosing must not lead into the operator's network either. (The client resolves the name
/// again to connect; a name that changes its answer in between is the rebinding that the
/// short deadline and this check together make narrow, not impossible.)
async fn check_resolved(url: &str) -> Result<(), String> {
    let uri: http::Uri = url
        .parse()
        .map_err(|_| "the client id is not a URL".to_string())?;
    let host = uri.host().unwrap_or_default().trim_matches(['[', ']']);
    let port = uri.port_u16().unwrap_or(443);
    let addresses: Vec<_> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|_| "the client id's host name does not resolve".to_string())?
        .collect();
    if addresses.is_empty() || addresses.iter().any(|address| !is_public(address.ip())) {
        return Err("a client id on a loopback or private address is not fetched".into());
    }
    Ok(())
}

async fn fetch_document(remote: &Remote, url: &str) -> Result<Value, String> {
    let failed = |why: &str| format!("the client's metadata document could not be read: {why}");
    let request = http::Request::get(url)
        .header(http::header::ACCEPT, "application/json")
        .body(
            Full::new(Bytes::new())
                .map_err(|never| match never {})
                .boxed_unsync(),
        )
        .map_err(|_| failed("bad URL"))?;
    let options = RequestOptions {
        connect_timeout: Some(DOCUMENT_TIMEOUT),
        first_byte_timeout: Some(DOCUMENT_TIMEOUT),
        between_bytes_timeout: Some(DOCUMENT_TIMEOUT),
    };
    let (response, _) = remote
        .settings
        .upstream
        .client
        .send(request, &options)
        .await
        .map_err(|error| {
            // The detail is the operator's: shown to anyone, it would map what the server
            // can reach (refused, timed out, a certificate...).
            eprintln!("facturation-pro-mcp: fetching the client document {url} failed: {error}");
            failed("the server did not answer as expected")
        })?;
    if response.status() != 200 {
        return Err(failed(&format!("HTTP {}", response.status())));
    }
    let body = Limited::new(response.into_body(), MAX_DOCUMENT_BYTES)
        .collect()
        .await
        .map_err(|_| failed("too large or cut off"))?
        .to_bytes();
    match serde_json::from_slice(&body) {
        Ok(Value::Object(document)) => Ok(Value::Object(document)),
        _ => Err(failed("not a JSON object")),
    }
}

/// The name the consent page shows. Only letters and digits of any script, spaces and
/// common punctuation are kept: zero-width characters and bidirectional overrides would let
/// a client look like another one on the page where the person decides.
fn client_name(metadata: &Value) -> String {
    let name: String = metadata["client_name"]
        .as_str()
        .unwrap_or_default()
        .chars()
        .filter(|&c| {
            c.is_alphanumeric() || c == ' ' || c.is_ascii_punctuation() || "’‘“”«»–—·".contains(c)
        })
        .take(MAX_NAME_CHARS)
        .collect();
    match name.trim() {
        "" => "MCP client".to_string(),
        name => name.to_string(),
    }
}

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
    let client_name = client_name(&request);
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
    match remote.store.save_client(&client, MAX_CLIENTS_WAITING) {
        Ok(true) => {}
        Ok(false) => return oauth_error(503, "temporarily_unavailable", TOO_MANY_WAITING),
        Err(error) => {
            eprintln!("facturation-pro-mcp: cannot record a client registration: {error:#}");
            return oauth_error(
                500,
                "server_error",
                "the registration could not be recorded",
            );
        }
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
    // A URI is ASCII (RFC 3986); other characters would show on the consent page as
    // something other than where the browser goes.
    if uri.len() > MAX_URI_CHARS
        || !uri.is_ascii()
        || uri.contains('#')
        || uri
            .bytes()
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
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
    use super::{acceptable_redirect_uri, check_document_url, check_resolved, client_name};
    use serde_json::json;

    #[test]
    fn document_urls_are_https_with_a_path_and_not_private_unless_on_a_trial() {
        assert!(check_document_url("https://app.example.com/oauth/client.json", false).is_ok());
        for refused in [
            "http://app.example.com/client.json",
            "https://app.example.com/",
            "https://app.example.com/a/../client.json",
            "https://user@app.example.com/client.json",
            "https://app.example.com/client.json#x",
            "https://127.0.0.1/client.json",
            "https://10.0.0.8/client.json",
            "https://[::1]/client.json",
            "https://localhost/client.json",
            // The same addresses in other clothes, and other ranges that are not public.
            "https://[::ffff:127.0.0.1]/client.json",
            "https://[::ffff:7f00:1]/client.json",
            "https://[fe80::1]/client.json",
            "https://[64:ff9b::a00:8]/client.json",
            "https://100.64.0.1/client.json",
            "https://169.254.169.254/client.json",
            "https://0.0.0.0/client.json",
        ] {
            assert!(check_document_url(refused, false).is_err(), "{refused}");
        }
        assert!(check_document_url("https://127.0.0.1:8443/client.json", true).is_ok());
        assert!(check_document_url("https://[2606:4700::1111]/client.json", false).is_ok());
    }

    #[tokio::test]
    async fn a_host_name_that_resolves_to_this_machine_is_not_fetched() {
        let refused = check_resolved("https://localhost:8443/client.json").await;
        assert!(refused.is_err(), "{refused:?}");
    }

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
            "https://claude.ai/cb\u{202e}lper.evil",
            "https://exa\u{200b}mple.com/cb",
        ] {
            assert!(!acceptable_redirect_uri(refused), "{refused}");
        }
    }

    #[test]
    fn client_names_keep_what_can_be_seen() {
        let name = |given: &str| client_name(&json!({ "client_name": given }));
        assert_eq!(name("Claude"), "Claude");
        assert_eq!(name("Éditions d’Été (v2.1)"), "Éditions d’Été (v2.1)");
        assert_eq!(name("Cla\u{200b}ude\u{202e}"), "Claude");
        assert_eq!(name("\u{2066}\u{feff} "), "MCP client");
        assert_eq!(name("line\nbreak\u{7}"), "linebreak");
    }
}
