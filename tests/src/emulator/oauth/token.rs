//! `POST /oauth/token`: the `authorization_code` and `refresh_token` grants, with
//! Doorkeeper's checks in Doorkeeper's order (so the same mistake gets the same error).
//! Other grant types are `unsupported_grant_type`.

use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::{CACHE_CONTROL, PRAGMA};
use axum::response::{IntoResponse, Response};

use super::super::query::QueryParams;
use super::super::server::App;
use super::super::state::lock;
use super::client_auth::{self, Credentials};
use super::config::RefreshRotation;
use super::error::OAuthError;
use super::provider::{Provider, RefreshAttempt};
use super::{pkce, redirect, scope};

pub(crate) async fn token(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = form(&body);
    let mut provider = lock(&app.oauth);
    match grant(&mut provider, &headers, &form) {
        Ok(index) => (
            [(CACHE_CONTROL, "no-store, no-cache"), (PRAGMA, "no-cache")],
            Json(provider.token_answer(index)),
        )
            .into_response(),
        Err(error) => error.into_response(),
    }
}

/// A form-encoded body. Anything else reads as an empty form, which then lacks
/// `grant_type`.
pub(crate) fn form(body: &[u8]) -> QueryParams {
    QueryParams::new(std::str::from_utf8(body).ok())
}

fn grant(
    provider: &mut Provider,
    headers: &HeaderMap,
    form: &QueryParams,
) -> Result<usize, OAuthError> {
    let grant_type = form
        .get("grant_type")
        .ok_or_else(|| OAuthError::missing("grant_type"))?;
    if !matches!(grant_type, "authorization_code" | "refresh_token") {
        return Err(OAuthError::unsupported_grant_type());
    }
    let credentials = client_auth::presented(headers, form)?;
    if grant_type == "authorization_code" {
        exchange_code(provider, credentials.as_ref(), form)
    } else {
        let presented = form
            .get("refresh_token")
            .ok_or_else(|| OAuthError::missing("refresh_token"))?;
        let result = refresh(provider, credentials.as_ref(), presented, form.get("scope"));
        provider.refreshes.push(RefreshAttempt {
            refresh_token: presented.to_owned(),
            access_token: result
                .as_ref()
                .ok()
                .map(|&index| provider.tokens[index].access_token.clone()),
            error: result.as_ref().err().map(|error| error.name().to_owned()),
        });
        result
    }
}

/// Doorkeeper's `AuthorizationCodeRequest`. Possession (redirect URI, PKCE) is proven
/// before single use is enforced, so only a caller who could have used the code triggers
/// the revocation of what it already gave.
fn exchange_code(
    provider: &mut Provider,
    credentials: Option<&Credentials>,
    form: &QueryParams,
) -> Result<usize, OAuthError> {
    let code = form
        .get("code")
        .ok_or_else(|| OAuthError::missing("code"))?;
    let grant = provider.grants.iter().position(|grant| grant.code == code);
    let client = client_auth::authenticate(&provider.config.applications, credentials)
        .map(|application| application.client_id.clone());
    let verifier = form.get("code_verifier");
    if verifier.is_none() {
        let grant_has_challenge =
            grant.is_some_and(|index| provider.grants[index].challenge.is_some());
        if grant_has_challenge || (client.is_some() && provider.config.pkce_required) {
            return Err(OAuthError::missing("code_verifier"));
        }
    }
    let redirect_uri = form
        .get("redirect_uri")
        .ok_or_else(|| OAuthError::missing("redirect_uri"))?;
    let client = client.ok_or_else(OAuthError::invalid_client)?;
    let index = grant
        .filter(|&index| provider.grants[index].client_id == client)
        .ok_or_else(OAuthError::invalid_grant)?;

    let grant = &provider.grants[index];
    // Compared like the authorization request's: a loopback redirect may change port.
    if !redirect::allowed(redirect_uri, std::slice::from_ref(&grant.redirect_uri)) {
        return Err(OAuthError::invalid_grant());
    }
    let challenge_method = grant.challenge_method.as_deref();
    if !pkce::verified(grant.challenge.as_deref(), challenge_method, verifier) {
        return Err(OAuthError::invalid_grant());
    }
    if grant.used {
        if let Some(token) = grant.token {
            provider.tokens[token].revoked = true;
        }
        return Err(OAuthError::invalid_grant());
    }
    if Instant::now() >= grant.expires_at {
        return Err(OAuthError::invalid_grant());
    }

    let (scopes, account) = (grant.scopes.clone(), grant.account);
    let token = provider.issue_token(account, &client, scopes, None);
    let grant = &mut provider.grants[index];
    grant.used = true;
    grant.token = Some(token);
    Ok(token)
}

/// Doorkeeper's `RefreshTokenRequest`: the new record has the old one's account and scopes
/// (or fewer, if asked) and retires the old one as [`RefreshRotation`] says.
fn refresh(
    provider: &mut Provider,
    credentials: Option<&Credentials>,
    presented: &str,
    requested_scope: Option<&str>,
) -> Result<usize, OAuthError> {
    let index = provider
        .find_refresh(presented)
        .filter(|&index| !provider.tokens[index].revoked)
        .ok_or_else(OAuthError::invalid_grant)?;
    let client = match credentials {
        Some(_) => Some(
            client_auth::authenticate(&provider.config.applications, credentials)
                .ok_or_else(OAuthError::invalid_client)?
                .client_id
                .clone(),
        ),
        None => None,
    };
    let old = &provider.tokens[index];
    if client.as_deref() != Some(old.client_id.as_str()) {
        return Err(OAuthError::invalid_grant());
    }
    let scopes = match requested_scope {
        Some(text) if !scope::valid(text, &old.scopes) => return Err(OAuthError::invalid_scope()),
        Some(text) => scope::parse(text),
        None => old.scopes.clone(),
    };
    // The new pair acts for the same account: refreshing never changes who is signed in.
    let (client_id, account) = (old.client_id.clone(), old.account);
    if provider.config.refresh_rotation == RefreshRotation::Immediate {
        provider.tokens[index].revoked = true;
    }
    let refreshed_from = Some(presented.to_owned());
    Ok(provider.issue_token(account, &client_id, scopes, refreshed_from))
}
