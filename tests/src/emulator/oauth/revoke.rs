//! `POST /oauth/revoke` (RFC 7009), as Doorkeeper answers it: an authenticated client is
//! required, then the answer is 200 `{}` whether or not the token was known (so the
//! endpoint cannot be used to test guesses); a token of another client is refused with 403.

use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::super::server::App;
use super::super::state::lock;
use super::client_auth;
use super::token::form;

pub(crate) async fn revoke(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = form(&body);
    let credentials = match client_auth::presented(&headers, &form) {
        Ok(credentials) => credentials,
        Err(error) => return error.into_response(),
    };
    let mut provider = lock(&app.oauth);
    let Some(client_id) =
        client_auth::authenticate(&provider.config.applications, credentials.as_ref())
            .map(|application| application.client_id.clone())
    else {
        return refused();
    };
    let Some(token) = form.get("token") else {
        return revoked();
    };
    // The hint only orders the lookups; a wrong hint still finds the token.
    let as_access = provider.find_access(token).map(|index| (index, true));
    let as_refresh = provider.find_refresh(token).map(|index| (index, false));
    let found = if form.get("token_type_hint") == Some("refresh_token") {
        as_refresh.or(as_access)
    } else {
        as_access.or(as_refresh)
    };
    let Some((index, is_access_token)) = found else {
        return revoked();
    };
    let record = &mut provider.tokens[index];
    if record.client_id != client_id {
        return refused();
    }
    // Doorkeeper leaves an expired access token alone: revoking it would change nothing
    // for the token itself, and its refresh token stays usable.
    let revocable = if is_access_token {
        record.accessible(Instant::now())
    } else {
        !record.revoked
    };
    if revocable {
        record.revoked = true;
    }
    revoked()
}

fn revoked() -> Response {
    (StatusCode::OK, Json(json!({}))).into_response()
}

/// Doorkeeper's answer when the client is not authenticated or the token is not its own.
fn refused() -> Response {
    (
        StatusCode::FORBIDDEN,
        Json(json!({
            "error": "unauthorized_client",
            "error_description": "You are not authorized to revoke this token",
        })),
    )
        .into_response()
}
