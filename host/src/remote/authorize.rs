//! The authorization endpoint and what follows it in the browser:
//!
//! 1. `GET /oauth2/authorize`: the client's request is checked (a known client, one of its
//!    own redirect URIs, PKCE S256, this server as the `resource`), kept in the store, and
//!    the consent page is shown with a cookie that ties its form to this browser;
//! 2. `POST /oauth2/authorize`: the person's answer. Denied: back to the client with
//!    `access_denied`. Allowed: off to Facturation.PRO's own sign-in, with this server's
//!    PKCE and `state`;
//! 3. `GET /oauth2/callback`: Facturation.PRO's answer, taken only from the browser that
//!    gave consent (a second cookie, set with the detour, proves it). The code is redeemed, the account
//!    looked up, its tokens sealed in the store, and the client gets its own code, with
//!    `state` and `iss` (RFC 9207).
//!
//! An unknown client or a redirect URI that is not the client's ends on a page of ours,
//! never a redirect (RFC 6749 section 4.1.2.1); other errors go back to the client.

use base64::prelude::{BASE64_URL_SAFE_NO_PAD, Engine as _};
use bytes::Bytes;
use http::{HeaderMap, Response, header};
use serde_json::Value;

use super::consent_page::{self, Language};
use super::registration::{self, is_loopback_host};
use super::reply::{fields, page, redirect, with_query};
use super::{READ_SCOPE, Remote, WRITE_SCOPE};
use crate::oauth::pkce::{challenge, is_s256_challenge, random_token};
use crate::oauth::{Tokens, endpoint};
use crate::store::{Asked, CodeGrant, Grant};

/// How long the person has to read the consent page, then to sign in at Facturation.PRO.
const CONSENT_SECS: u64 = 600;
const UPSTREAM_SIGN_IN_SECS: u64 = 600;
/// A code is for its client to redeem at once.
const CODE_SECS: u64 = 120;

/// The cookie that ties the consent form to the browser the page was shown in: a page on
/// another site cannot make someone's browser answer a request that site started.
const CONSENT_COOKIE: &str = "fpm_consent";

/// The cookie that ties Facturation.PRO's answer to the browser that gave consent. Without
/// it, someone could consent in their own browser for their own client, then send the link
/// to Facturation.PRO's sign-in to another person: that person's sign-in would come back
/// here and complete the first one's authorization, handing them the second's account.
const SIGN_IN_COOKIE: &str = "fpm_sign_in";

pub async fn ask(remote: &Remote, query: &str, headers: &HeaderMap) -> Response<Bytes> {
    let language = Language::from_headers(headers);
    let params = match fields(query.as_bytes()) {
        Ok(params) => params,
        Err(problem) => return page(400, "Invalid request", &problem),
    };
    let get = |name: &str| {
        params
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    let Some(client_id) = get("client_id") else {
        return page(
            400,
            "Invalid request",
            "The request names no client (client_id).",
        );
    };
    let client = if registration::is_document_url(client_id) {
        match registration::document_client(remote, client_id).await {
            Ok(client) => client,
            Err(problem) => return page(400, "Unknown client", &problem),
        }
    } else {
        match remote.store.client(client_id) {
            Ok(Some(client)) if client.kind == "registered" => client,
            Ok(_) => {
                return page(
                    400,
                    "Unknown client",
                    "This application is not registered here.",
                );
            }
            Err(error) => return store_failure(&error),
        }
    };
    let Some(redirect_uri) =
        get("redirect_uri").filter(|uri| redirect_matches(&client.redirect_uris, uri))
    else {
        return page(
            400,
            "Invalid redirect",
            "The address to return to is not one this application registered.",
        );
    };
    let state = get("state");
    let back = |error: &str, description: &str| {
        error_to_client(remote, redirect_uri, state, error, description)
    };
    if get("response_type") != Some("code") {
        return back(
            "unsupported_response_type",
            "only response_type=code is supported",
        );
    }
    let Some(code_challenge) = get("code_challenge") else {
        return back(
            "invalid_request",
            "PKCE is required: send code_challenge (S256)",
        );
    };
    if get("code_challenge_method") != Some("S256") {
        return back("invalid_request", "code_challenge_method must be S256");
    }
    if !is_s256_challenge(code_challenge) {
        return back("invalid_request", "code_challenge is not an S256 challenge");
    }
    let resource = get("resource").unwrap_or(&remote.settings.public_url);
    if resource != remote.settings.public_url {
        return back(
            "invalid_target",
            "the resource is not this server's MCP endpoint",
        );
    }
    let scope = match granted_scope(get("scope")) {
        Ok(scope) => scope,
        Err(unknown) => return back("invalid_scope", &format!("unknown scope {unknown:?}")),
    };
    let asked = Asked {
        client_id: client.client_id.clone(),
        redirect_uri: redirect_uri.to_string(),
        code_challenge: code_challenge.to_string(),
        client_state: state.map(str::to_string),
        scope,
        resource: resource.to_string(),
    };
    let (Ok(request_id), Ok(browser)) = (random_token(), random_token()) else {
        return page(500, "Server error", "No randomness from the system.");
    };
    if let Err(error) = remote
        .store
        .save_pending(&request_id, &browser, &asked, CONSENT_SECS)
    {
        return store_failure(&error);
    }
    let mut response = consent_page::render(language, &client, &asked, &request_id);
    set_cookie(
        remote,
        &mut response,
        (CONSENT_COOKIE, &browser),
        "/oauth2/authorize",
        CONSENT_SECS,
    );
    response
}

/// Gives the browser a cookie for `path` only, for `seconds`, out of reach of scripts and
/// of requests other sites start (SameSite=Lax still sends it on a top-level navigation,
/// which is how Facturation.PRO sends the person back).
fn set_cookie(
    remote: &Remote,
    response: &mut Response<Bytes>,
    (name, value): (&str, &str),
    path: &str,
    seconds: u64,
) {
    let secure = if remote.settings.issuer.starts_with("https:") {
        "; Secure"
    } else {
        ""
    };
    let cookie =
        format!("{name}={value}; Path={path}; Max-Age={seconds}; HttpOnly; SameSite=Lax{secure}");
    response
        .headers_mut()
        .append(header::SET_COOKIE, cookie.parse().expect("a valid cookie"));
}

/// What the sign-in cookie holds for `upstream_state`: a seal of the state under the store
/// key, so that every replica can check it and nobody without the key can make one.
fn sign_in_proof(remote: &Remote, upstream_state: &str) -> anyhow::Result<String> {
    let sealed = remote
        .settings
        .store_key
        .seal(&sign_in_context(upstream_state), b"")?;
    Ok(BASE64_URL_SAFE_NO_PAD.encode(sealed))
}

fn is_sign_in_proof(remote: &Remote, upstream_state: &str, proof: &str) -> bool {
    BASE64_URL_SAFE_NO_PAD.decode(proof).is_ok_and(|sealed| {
        remote
            .settings
            .store_key
            .open(&sign_in_context(upstream_state), &sealed)
            .is_ok()
    })
}

fn sign_in_context(upstream_state: &str) -> String {
    format!("browser of sign-in {upstream_state}")
}

/// The person's answer on the consent page.
pub fn consent(remote: &Remote, headers: &HeaderMap, body: &[u8]) -> Response<Bytes> {
    let form = match fields(body) {
        Ok(form) => form,
        Err(problem) => return page(400, "Invalid request", &problem),
    };
    let browser = cookie(headers, CONSENT_COOKIE).unwrap_or_default();
    let id = form.get("request").map(String::as_str).unwrap_or_default();
    let asked = match remote.store.take_pending(id, &browser) {
        Ok(Some(asked)) => asked,
        Ok(None) => {
            return page(
                400,
                "Request expired",
                "This sign-in request has expired, was already answered, or was opened in \
                 another browser. Start again from your assistant.",
            );
        }
        Err(error) => return store_failure(&error),
    };
    let state = asked.client_state.as_deref();
    if form.get("decision").map(String::as_str) != Some("allow") {
        return error_to_client(
            remote,
            &asked.redirect_uri,
            state,
            "access_denied",
            "the user refused",
        );
    }
    // The person may narrow the access asked for, never widen it.
    let wants_write = form.get("access").map(String::as_str) == Some(WRITE_SCOPE);
    let asked = Asked {
        scope: if wants_write && asked.scope.split(' ').any(|s| s == WRITE_SCOPE) {
            asked.scope.clone()
        } else {
            READ_SCOPE.to_string()
        },
        ..asked
    };
    let (Ok(upstream_state), Ok(verifier)) = (random_token(), random_token()) else {
        return page(500, "Server error", "No randomness from the system.");
    };
    let Ok(proof) = sign_in_proof(remote, &upstream_state) else {
        return page(500, "Server error", "No randomness from the system.");
    };
    if let Err(error) =
        remote
            .store
            .save_upstream(&upstream_state, &verifier, &asked, UPSTREAM_SIGN_IN_SECS)
    {
        return store_failure(&error);
    }
    let upstream = &remote.settings.upstream;
    let scope = if asked.scope.split(' ').any(|s| s == WRITE_SCOPE) {
        "read_write"
    } else {
        "read"
    };
    let location = with_query(
        &format!("{}/oauth/authorize", upstream.origin.base_url()),
        &[
            (
                "client_id",
                upstream.client_id.as_deref().unwrap_or_default(),
            ),
            ("redirect_uri", &remote.settings.upstream_redirect_uri()),
            ("response_type", "code"),
            ("scope", scope),
            ("state", &upstream_state),
            ("code_challenge", &challenge(&verifier)),
            ("code_challenge_method", "S256"),
        ],
    );
    let mut response = redirect(&location);
    set_cookie(
        remote,
        &mut response,
        (SIGN_IN_COOKIE, &proof),
        "/oauth2/callback",
        UPSTREAM_SIGN_IN_SECS,
    );
    response
}

/// Facturation.PRO's answer to the sign-in.
pub async fn callback(remote: &Remote, query: &str, headers: &HeaderMap) -> Response<Bytes> {
    let params = fields(query.as_bytes()).unwrap_or_default();
    let Some(upstream_state) = params.get("state") else {
        return page(
            400,
            "Invalid request",
            "Facturation.PRO's answer carries no state.",
        );
    };
    let (asked, verifier) = match remote.store.take_upstream(upstream_state) {
        Ok(Some(found)) => found,
        Ok(None) => {
            return page(
                400,
                "Request expired",
                "This sign-in has expired or was already completed. Start again from your assistant.",
            );
        }
        Err(error) => return store_failure(&error),
    };
    // Checked once the state is taken, so that a sign-in that came back to a stranger's
    // browser is over: its code can no longer be carried to the browser that consented.
    let proof = cookie(headers, SIGN_IN_COOKIE).unwrap_or_default();
    if !is_sign_in_proof(remote, upstream_state, &proof) {
        return page(
            400,
            "Wrong browser",
            "This sign-in was allowed in another browser. Nothing was granted, and that \
             sign-in is cancelled. Start again from your assistant, in this browser.",
        );
    }
    let state = asked.client_state.as_deref();
    let Some(code) = params.get("code") else {
        // Refused or failed at Facturation.PRO: the client hears it was denied.
        return error_to_client(
            remote,
            &asked.redirect_uri,
            state,
            "access_denied",
            "the sign-in at Facturation.PRO did not complete",
        );
    };
    match sign_in(remote, &asked, code, &verifier).await {
        Ok(code) => {
            let mut pairs = vec![("code", code.as_str())];
            if let Some(state) = state {
                pairs.push(("state", state));
            }
            pairs.push(("iss", &remote.settings.issuer));
            redirect(&with_query(&asked.redirect_uri, &pairs))
        }
        Err(error) => {
            eprintln!("facturation-pro-mcp: a sign-in at Facturation.PRO failed: {error:#}");
            error_to_client(
                remote,
                &asked.redirect_uri,
                state,
                "server_error",
                "the sign-in at Facturation.PRO failed",
            )
        }
    }
}

/// Redeems Facturation.PRO's code, finds (or makes) the user of that account, seals their
/// tokens, and issues the client's code.
async fn sign_in(
    remote: &Remote,
    asked: &Asked,
    code: &str,
    verifier: &str,
) -> anyhow::Result<String> {
    let upstream = &remote.settings.upstream;
    let tokens = endpoint::redeem_code(
        upstream,
        upstream.require_client_id()?,
        code,
        verifier,
        &remote.settings.upstream_redirect_uri(),
    )
    .await?;
    let (account, email) = account_of(remote, &tokens).await?;
    let user = remote.store.user_for_account(&account, &email)?;
    remote.store.save_upstream_tokens(&user.id, &tokens)?;
    let code = random_token()?;
    remote.store.save_code(
        &code,
        &CodeGrant {
            grant: Grant {
                user_id: user.id,
                client_id: asked.client_id.clone(),
                scope: asked.scope.clone(),
                resource: asked.resource.clone(),
            },
            redirect_uri: asked.redirect_uri.clone(),
            code_challenge: asked.code_challenge.clone(),
        },
        CODE_SECS,
    )?;
    Ok(code)
}

/// Who signed in: the account's id and e-mail, from `GET /account.json`.
async fn account_of(remote: &Remote, tokens: &Tokens) -> anyhow::Result<(String, String)> {
    let upstream = &remote.settings.upstream;
    let mut request = http::Request::get(format!("{}/account.json", upstream.origin.base_url()))
        .header(header::ACCEPT, "application/json")
        .header(
            header::AUTHORIZATION,
            format!("Bearer {}", tokens.access_token),
        );
    if let Some(agent) = &remote.settings.user_agent {
        request = request.header(header::USER_AGENT, agent);
    }
    let request = request.body(http_body_util::Full::new(Bytes::new()))?;
    let (status, body) = upstream
        .client
        .exchange(request)
        .await
        .map_err(|error| anyhow::anyhow!("cannot read the account: {error}"))?;
    anyhow::ensure!(status == 200, "reading the account answered HTTP {status}");
    let account: Value = serde_json::from_slice(&body)?;
    let id = match &account["id"] {
        Value::Number(id) => id.to_string(),
        Value::String(id) if !id.is_empty() => id.clone(),
        _ => anyhow::bail!("the account has no id"),
    };
    Ok((
        id,
        account["email"].as_str().unwrap_or_default().to_string(),
    ))
}

/// The scope granted for `asked`: what was asked among ours, all of it when nothing was.
fn granted_scope(asked: Option<&str>) -> Result<String, String> {
    let Some(asked) = asked else {
        return Ok(format!("{READ_SCOPE} {WRITE_SCOPE}"));
    };
    let mut write = false;
    for scope in asked.split(' ').filter(|s| !s.is_empty()) {
        match scope {
            READ_SCOPE => {}
            WRITE_SCOPE => write = true,
            unknown => return Err(unknown.to_string()),
        }
    }
    Ok(if write {
        format!("{READ_SCOPE} {WRITE_SCOPE}")
    } else {
        READ_SCOPE.to_string()
    })
}

/// A registered redirect URI matches exactly; a loopback one also on any port, since a
/// native app listens wherever the system lets it (RFC 8252 section 7.3).
fn redirect_matches(registered: &[String], given: &str) -> bool {
    registered.iter().any(|uri| {
        uri == given
            || (loopback_without_port(uri).is_some()
                && loopback_without_port(uri) == loopback_without_port(given))
    })
}

/// `http://HOST/PATH?QUERY` of a loopback http URI, its port left out.
fn loopback_without_port(uri: &str) -> Option<String> {
    let parsed: http::Uri = uri.parse().ok()?;
    if parsed.scheme_str() != Some("http") || !is_loopback_host(parsed.host()?) {
        return None;
    }
    Some(format!(
        "http://{}{}",
        parsed.host()?,
        parsed.path_and_query().map_or("/", |p| p.as_str())
    ))
}

/// An error sent back to the client's (checked) redirect URI.
fn error_to_client(
    remote: &Remote,
    redirect_uri: &str,
    state: Option<&str>,
    error: &str,
    description: &str,
) -> Response<Bytes> {
    let mut pairs = vec![("error", error), ("error_description", description)];
    if let Some(state) = state {
        pairs.push(("state", state));
    }
    pairs.push(("iss", &remote.settings.issuer));
    redirect(&with_query(redirect_uri, &pairs))
}

fn store_failure(error: &anyhow::Error) -> Response<Bytes> {
    eprintln!("facturation-pro-mcp: the store failed: {error:#}");
    page(
        500,
        "Server error",
        "The server could not record this sign-in. Try again later.",
    )
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_redirects_match_on_any_port_others_exactly() {
        let registered = vec![
            "http://127.0.0.1/callback".to_string(),
            "https://claude.ai/api/mcp/auth_callback".to_string(),
        ];
        assert!(redirect_matches(
            &registered,
            "http://127.0.0.1:49152/callback"
        ));
        assert!(redirect_matches(
            &registered,
            "https://claude.ai/api/mcp/auth_callback"
        ));
        assert!(!redirect_matches(
            &registered,
            "http://127.0.0.1:49152/other"
        ));
        assert!(!redirect_matches(
            &registered,
            "https://claude.ai/api/mcp/auth_callback/x"
        ));
        assert!(!redirect_matches(
            &registered,
            "https://claude.ai:444/api/mcp/auth_callback"
        ));
        assert!(!redirect_matches(
            &registered,
            "http://localhost:49152/callback"
        ));
    }

    #[test]
    fn scopes_are_ours_and_write_includes_read() {
        assert_eq!(granted_scope(None).unwrap(), "read write");
        assert_eq!(granted_scope(Some("read")).unwrap(), "read");
        assert_eq!(granted_scope(Some("write")).unwrap(), "read write");
        assert_eq!(granted_scope(Some("")).unwrap(), "read");
        assert!(granted_scope(Some("read admin")).is_err());
    }
}
