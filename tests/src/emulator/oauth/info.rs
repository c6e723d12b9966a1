//! `GET /oauth/token/info`: what an access token, presented as a Bearer credential, is
//! (Doorkeeper's `AccessToken#as_json`).

use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::response::{IntoResponse, Response};

use super::super::server::App;
use super::super::state::lock;
use super::bearer::token_from_header;
use super::error::{OAuthError, TokenProblem};

pub(crate) async fn token_info(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    let token = headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(token_from_header);
    let mut provider = lock(&app.oauth);
    let index = token.and_then(|token| provider.present_access_token(token));
    match index.filter(|&index| provider.tokens[index].accessible(Instant::now())) {
        Some(index) => Json(provider.token_info(index)).into_response(),
        // Doorkeeper's token info gives the generic reason whatever the token's state.
        None => OAuthError::invalid_token(TokenProblem::Unknown).into_response(),
    }
}
