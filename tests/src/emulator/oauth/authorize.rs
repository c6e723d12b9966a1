//! `GET /oauth/authorize`: the authorization request of the code flow.
//!
//! Checks run in Doorkeeper's order. A request from an unknown client, or with a redirect
//! URI that is not registered, ends on an error page and never redirects (RFC 6749
//! §4.1.2.1: the URI cannot be trusted). Other errors also end on the page, as with
//! Doorkeeper's default `handle_auth_errors :render`. A valid request goes to the consent
//! step, where the configured [`Consent`] stands in for the user: approval redirects back
//! with a `code`, denial with `error=access_denied`; both carry `state`.
//!
//! The user is whoever the browser is signed in as at the vendor: the [`LOGIN_COOKIE`]
//! cookie names the account, and the code is bound to it. Without the cookie the first
//! account is signed in; a cookie naming no account is a session the vendor does not know,
//! answered with an error page before anything else (Doorkeeper authenticates the resource
//! owner before it looks at the request), never with a code.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::State;
use axum::http::header::{CONTENT_TYPE, COOKIE, LOCATION};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use super::super::accounts::LOGIN_COOKIE;
use super::super::query::QueryParams;
use super::super::server::App;
use super::super::state::lock;
use super::config::Consent;
use super::error::OAuthError;
use super::provider::{Grant, Provider, random_token};
use super::{pkce, redirect, scope};

/// A valid authorization request.
struct Request {
    client_id: String,
    redirect_uri: String,
    scopes: Vec<String>,
    state: Option<String>,
    challenge: Option<String>,
    challenge_method: Option<String>,
}

pub(crate) async fn authorize(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let params = QueryParams::new(uri.query());
    let mut provider = lock(&app.oauth);
    let account = match signed_in_login(&headers) {
        None => provider.accounts.first().id,
        Some(login) => match provider.accounts.by_login(&login) {
            Some(account) => account.id,
            None => return unknown_session(&login),
        },
    };
    let request = match check(&provider, &params) {
        Ok(request) => request,
        Err(error) => return error_page(&error),
    };
    let state = request.state.as_deref().unwrap_or_default();
    let location = match provider.config.consent {
        Consent::Approve => {
            let code = issue_code(&mut provider, &request, account);
            redirect::with_query(&request.redirect_uri, &[("code", &code), ("state", state)])
        }
        Consent::Deny => {
            let denied = OAuthError::access_denied();
            redirect::with_query(
                &request.redirect_uri,
                &[
                    ("error", denied.name()),
                    ("error_description", denied.description()),
                    ("state", state),
                ],
            )
        }
    };
    match HeaderValue::try_from(location) {
        Ok(location) => (StatusCode::FOUND, [(LOCATION, location)]).into_response(),
        Err(_) => error_page(&OAuthError::invalid_redirect_uri()),
    }
}

/// Doorkeeper's `PreAuthorization` validations, in its order.
fn check(provider: &Provider, params: &QueryParams) -> Result<Request, OAuthError> {
    let client_id = params
        .get("client_id")
        .ok_or_else(|| OAuthError::missing("client_id"))?;
    let application = provider
        .application(client_id)
        .ok_or_else(OAuthError::invalid_client)?;
    let redirect_uri = params
        .get("redirect_uri")
        .filter(|uri| redirect::allowed(uri, &application.redirect_uris))
        .ok_or_else(OAuthError::invalid_redirect_uri)?;
    let response_type = params
        .get("response_type")
        .ok_or_else(|| OAuthError::missing("response_type"))?;
    let requested_scope = params.get("scope");
    if requested_scope.is_none() && provider.config.default_scope.is_none() {
        return Err(OAuthError::missing("scope"));
    }
    if response_type != "code" {
        return Err(OAuthError::unsupported_response_type());
    }
    // Without a requested scope, the default one if the application may have it.
    let scope_text = match requested_scope {
        Some(text) => text.to_owned(),
        None => provider
            .config
            .default_scope
            .iter()
            .filter(|default| application.scopes.contains(default))
            .cloned()
            .collect(),
    };
    if !scope::valid(&scope_text, &application.scopes) {
        return Err(OAuthError::invalid_scope());
    }
    let challenge = params.get("code_challenge");
    if provider.config.pkce_required && challenge.is_none() {
        return Err(OAuthError::code_challenge_required());
    }
    let challenge_method = params.get("code_challenge_method");
    if challenge.is_some()
        && !challenge_method.is_some_and(|method| pkce::METHODS.contains(&method))
    {
        return Err(OAuthError::invalid_code_challenge_method(&pkce::METHODS));
    }
    Ok(Request {
        client_id: client_id.to_owned(),
        redirect_uri: redirect_uri.to_owned(),
        scopes: scope::parse(&scope_text),
        state: params.get("state").map(str::to_owned),
        challenge: challenge.map(str::to_owned),
        challenge_method: challenge_method.map(str::to_owned),
    })
}

/// The login the browser session names, from the first [`LOGIN_COOKIE`] of the `Cookie`
/// headers (HTTP/2 may split cookies over several).
fn signed_in_login(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == LOGIN_COOKIE)
        .map(|(_, login)| login.trim().to_owned())
}

fn issue_code(provider: &mut Provider, request: &Request, account: u64) -> String {
    let code = random_token();
    let expires_at = Instant::now() + provider.config.authorization_code_lifetime;
    provider.grants.push(Grant {
        code: code.clone(),
        client_id: request.client_id.clone(),
        account,
        redirect_uri: request.redirect_uri.clone(),
        scopes: request.scopes.clone(),
        challenge: request.challenge.clone(),
        challenge_method: request.challenge_method.clone(),
        expires_at,
        used: false,
        token: None,
    });
    code
}

/// The page a user would see instead of being sent back to the application. Doorkeeper
/// renders it with the error's status (401 for an unknown client, 400 otherwise).
fn error_page(error: &OAuthError) -> Response {
    page(error.status(), error.name(), error.description())
}

/// A session cookie that names no account: the vendor would not know the browser.
fn unknown_session(login: &str) -> Response {
    let description = format!("No account is signed in as {login:?}.");
    page(StatusCode::UNAUTHORIZED, "unauthorized", &description)
}

fn page(status: StatusCode, name: &str, description: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html>\n<html><head><title>An error has occurred</title></head>\n\
         <body><h1>An error has occurred</h1>\n<p><code>{}</code></p>\n<pre>{}</pre></body></html>\n",
        escape_html(name),
        escape_html(description)
    );
    (status, [(CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}
