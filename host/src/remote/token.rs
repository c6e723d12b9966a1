//! The token endpoint (authorization code with PKCE, refresh with rotation) and revocation
//! (RFC 7009). Tokens are this server's own: random, stored as hashes, bound to the public
//! URL; a Facturation.PRO token is never given out.

use bytes::Bytes;
use http::{HeaderMap, Response};
use serde_json::json;

use super::reply::{fields, json, oauth_error};
use super::{ACCESS_TOKEN_SECS, REFRESH_TOKEN_SECS, Remote};
use crate::oauth::pkce::{challenge, is_verifier, random_token};
use crate::store::{Grant, RefreshUse, hash};

pub fn token(remote: &Remote, headers: &HeaderMap, body: &[u8]) -> Response<Bytes> {
    if headers.contains_key(http::header::AUTHORIZATION) {
        // Our clients are public: a secret sent along is one we never issued.
        return oauth_error(
            401,
            "invalid_client",
            "clients of this server authenticate with PKCE, not a secret",
        );
    }
    let form = match fields(body) {
        Ok(form) => form,
        Err(problem) => return oauth_error(400, "invalid_request", &problem),
    };
    let get = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    let client_id = get("client_id");
    if client_id.is_empty() {
        return oauth_error(401, "invalid_client", "client_id is required");
    }
    if let Some(resource) = form.get("resource")
        && resource != &remote.settings.public_url
    {
        return oauth_error(
            400,
            "invalid_target",
            "the resource is not this server's MCP endpoint",
        );
    }
    let outcome = match get("grant_type") {
        "authorization_code" => redeem_code(
            remote,
            client_id,
            get("code"),
            get("redirect_uri"),
            get("code_verifier"),
        ),
        "refresh_token" => refresh(
            remote,
            client_id,
            get("refresh_token"),
            form.get("scope").map(String::as_str),
        ),
        "" => Err(("invalid_request", "grant_type is required".to_string())),
        _ => Err((
            "unsupported_grant_type",
            "only authorization_code and refresh_token".to_string(),
        )),
    };
    match outcome {
        Ok(response) => response,
        Err((error, description)) => oauth_error(400, error, &description),
    }
}

type Outcome = Result<Response<Bytes>, (&'static str, String)>;

fn redeem_code(
    remote: &Remote,
    client_id: &str,
    code: &str,
    redirect_uri: &str,
    verifier: &str,
) -> Outcome {
    let invalid = |why: &str| ("invalid_grant", why.to_string());
    let store_failed = |_| ("server_error", "the store failed".to_string());
    // The tokens a code buys form a family named after the code, so that the code
    // presented again, by whoever intercepted it, can end them (RFC 6749 section 4.1.2).
    let family = code_family(code);
    // Taken before anything is checked: a code presented with a wrong verifier is spent,
    // so guessing verifiers against one code gets one try.
    let Some(code_grant) = remote.store.take_code(code).map_err(store_failed)? else {
        remote.store.revoke_family(&family).map_err(store_failed)?;
        return Err(invalid(
            "the code is unknown, expired or already used; any token it was redeemed for is \
             now revoked",
        ));
    };
    if code_grant.grant.client_id != client_id {
        return Err(invalid("the code was issued to another client"));
    }
    if code_grant.redirect_uri != redirect_uri {
        return Err(invalid(
            "redirect_uri differs from the authorization request's",
        ));
    }
    if !is_verifier(verifier) || challenge(verifier) != code_grant.code_challenge {
        return Err(invalid(
            "the PKCE code_verifier does not match the code_challenge",
        ));
    }
    issue(remote, &code_grant.grant, &family)
}

/// The family of the tokens `code` is redeemed for: derived from the code, which only its
/// holder knows, and telling nothing about it.
fn code_family(code: &str) -> String {
    hash(&format!("tokens bought with code {code}"))
}

fn refresh(remote: &Remote, client_id: &str, refresh_token: &str, scope: Option<&str>) -> Outcome {
    let invalid = |why: &str| ("invalid_grant", why.to_string());
    let used = remote
        .store
        .use_refresh(refresh_token)
        .map_err(|_| ("server_error", "the store failed".to_string()))?;
    let (mut grant, family) = match used {
        RefreshUse::Fresh { grant, family } => (grant, family),
        RefreshUse::Replayed => {
            return Err(invalid(
                "the refresh token was already used; every token of this sign-in is now revoked",
            ));
        }
        RefreshUse::Unknown => {
            return Err(invalid("the refresh token is unknown, expired or revoked"));
        }
    };
    if grant.client_id != client_id {
        return Err(invalid("the refresh token was issued to another client"));
    }
    // Issued for another address of this store (the deployment moved): another audience.
    if grant.resource != remote.settings.public_url {
        return Err(invalid("the refresh token was issued for another resource"));
    }
    // A refresh may narrow the scope, never widen it.
    if let Some(scope) = scope.filter(|s| !s.is_empty()) {
        let held: Vec<&str> = grant.scope.split(' ').collect();
        if !scope.split(' ').all(|s| held.contains(&s)) {
            return Err((
                "invalid_scope",
                "a refresh cannot widen the scope".to_string(),
            ));
        }
        grant.scope = scope.to_string();
    }
    // Without the user's Facturation.PRO tokens there is nothing to act with: sign in again.
    match remote.store.upstream_tokens(&grant.user_id) {
        Ok(Some(_)) => issue(remote, &grant, &family),
        Ok(None) => Err(invalid(
            "the Facturation.PRO sign-in behind this token is gone; sign in again",
        )),
        Err(_) => Err(("server_error", "the store failed".to_string())),
    }
}

/// A new access token and refresh token for `grant`, in `family`.
fn issue(remote: &Remote, grant: &Grant, family: &str) -> Outcome {
    let failed = |_| ("server_error", "cannot issue tokens".to_string());
    let access = random_token().map_err(failed)?;
    let refresh = random_token().map_err(failed)?;
    remote
        .store
        .save_token(&access, "access", family, grant, ACCESS_TOKEN_SECS)
        .and_then(|()| {
            remote
                .store
                .save_token(&refresh, "refresh", family, grant, REFRESH_TOKEN_SECS)
        })
        .map_err(failed)?;
    Ok(json(
        200,
        &json!({
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": ACCESS_TOKEN_SECS,
            "refresh_token": refresh,
            "scope": grant.scope,
        }),
    ))
}

/// RFC 7009: 200 whatever the token was, so the answer tells nothing about it.
pub fn revoke(remote: &Remote, body: &[u8]) -> Response<Bytes> {
    let form = match fields(body) {
        Ok(form) => form,
        Err(problem) => return oauth_error(400, "invalid_request", &problem),
    };
    let (Some(token), Some(client_id)) = (form.get("token"), form.get("client_id")) else {
        return oauth_error(400, "invalid_request", "token and client_id are required");
    };
    match remote.store.revoke(token, client_id) {
        Ok(()) => json(200, &json!({})),
        Err(_) => oauth_error(503, "temporarily_unavailable", "the store failed"),
    }
}
