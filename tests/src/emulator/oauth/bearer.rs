//! The API's side of OAuth: a request carrying `Authorization: Bearer <access token>` is
//! served as the token's account when the token is valid, like one with its API key. As with
//! Doorkeeper's `doorkeeper_authorize!`, an unknown, revoked or expired token gets 401
//! `invalid_token` (the reason in `error_description`), and a token without the scope a
//! route needs gets 403 `insufficient_scope`: a `read` token may only read.

use std::time::Instant;

use axum::http::Method;

use super::error::{OAuthError, TokenProblem};
use super::provider::Provider;
use super::scope;

/// The token of a `Bearer <token>` header value (scheme in any case), if that is what it is.
pub(crate) fn token_from_header(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Admits an API request made with `token` as the token's account (its id), or says why not.
pub(crate) fn admit(
    provider: &mut Provider,
    token: &str,
    method: &Method,
) -> Result<u64, OAuthError> {
    let index = provider
        .present_access_token(token)
        .ok_or(OAuthError::invalid_token(TokenProblem::Unknown))?;
    let record = &provider.tokens[index];
    if record.revoked {
        return Err(OAuthError::invalid_token(TokenProblem::Revoked));
    }
    if record.expired(Instant::now()) {
        return Err(OAuthError::invalid_token(TokenProblem::Expired));
    }
    let reads_only = method == Method::GET || method == Method::HEAD;
    if !reads_only && !scope::allows_writes(&record.scopes) {
        return Err(OAuthError::insufficient_scope(scope::WRITE_SCOPE));
    }
    Ok(record.account)
}

#[cfg(test)]
mod tests {
    use super::token_from_header;

    #[test]
    fn reads_bearer_headers_only() {
        assert_eq!(token_from_header("Bearer abc.DEF-123"), Some("abc.DEF-123"));
        assert_eq!(token_from_header("bearer  abc "), Some("abc"));
        assert_eq!(token_from_header("Bearer "), None);
        assert_eq!(token_from_header("Basic ZGVtbzprZXk="), None);
    }
}
