//! OAuth error answers in Doorkeeper's shape: a JSON body `{error, error_description}`, the
//! status Doorkeeper gives each error, and its headers (`Cache-Control: no-store`, and a
//! `WWW-Authenticate: Bearer realm="Doorkeeper", error=..., error_description=...`
//! challenge). Descriptions are Doorkeeper's English ones, so a client that shows them shows
//! what the real service would say.

use axum::Json;
use axum::http::header::{CACHE_CONTROL, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// Doorkeeper's default `realm`.
const REALM: &str = "Doorkeeper";

/// Why a Bearer token was not accepted, in the order Doorkeeper checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenProblem {
    Unknown,
    Revoked,
    Expired,
}

#[derive(Clone, Debug)]
pub(crate) struct OAuthError {
    name: &'static str,
    description: String,
}

impl OAuthError {
    fn new(name: &'static str, description: impl Into<String>) -> Self {
        Self {
            name,
            description: description.into(),
        }
    }

    pub(crate) fn missing(param: &str) -> Self {
        Self::new(
            "invalid_request",
            format!("Missing required parameter: {param}."),
        )
    }

    pub(crate) fn code_challenge_required() -> Self {
        Self::new("invalid_request", "Code challenge is required.")
    }

    pub(crate) fn multiple_client_auth_methods() -> Self {
        Self::new(
            "invalid_request",
            "The request utilizes more than one mechanism for authenticating the client.",
        )
    }

    pub(crate) fn invalid_client() -> Self {
        Self::new(
            "invalid_client",
            "Client authentication failed due to unknown client, no client authentication \
             included, or unsupported authentication method.",
        )
    }

    pub(crate) fn invalid_grant() -> Self {
        Self::new(
            "invalid_grant",
            "The provided authorization grant is invalid, expired, revoked, does not match the \
             redirection URI used in the authorization request, or was issued to another client.",
        )
    }

    pub(crate) fn invalid_scope() -> Self {
        Self::new(
            "invalid_scope",
            "The requested scope is invalid, unknown, or malformed.",
        )
    }

    pub(crate) fn invalid_redirect_uri() -> Self {
        Self::new(
            "invalid_redirect_uri",
            "The requested redirect URI is malformed or doesn't match the client redirect URI.",
        )
    }

    pub(crate) fn invalid_code_challenge_method(methods: &[&str]) -> Self {
        Self::new(
            "invalid_code_challenge_method",
            format!(
                "The code_challenge_method must be one of {}.",
                methods.join(", ")
            ),
        )
    }

    pub(crate) fn unsupported_response_type() -> Self {
        Self::new(
            "unsupported_response_type",
            "The authorization server does not support this response type.",
        )
    }

    pub(crate) fn unsupported_grant_type() -> Self {
        Self::new(
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server.",
        )
    }

    pub(crate) fn access_denied() -> Self {
        Self::new(
            "access_denied",
            "The resource owner or authorization server denied the request.",
        )
    }

    pub(crate) fn invalid_token(problem: TokenProblem) -> Self {
        let description = match problem {
            TokenProblem::Unknown => "The access token is invalid",
            TokenProblem::Revoked => "The access token was revoked",
            TokenProblem::Expired => "The access token expired",
        };
        Self::new("invalid_token", description)
    }

    pub(crate) fn insufficient_scope(scope: &str) -> Self {
        Self::new(
            "insufficient_scope",
            format!("Access to this resource requires scope \"{scope}\"."),
        )
    }

    pub(crate) fn name(&self) -> &'static str {
        self.name
    }

    pub(crate) fn description(&self) -> &str {
        &self.description
    }

    /// Doorkeeper's status for each error: 401 for a client or token it cannot
    /// authenticate, 403 for a token without the scope, 400 for everything else.
    pub(crate) fn status(&self) -> StatusCode {
        match self.name {
            "invalid_client" | "invalid_token" => StatusCode::UNAUTHORIZED,
            "insufficient_scope" => StatusCode::FORBIDDEN,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    pub(crate) fn body(&self) -> Value {
        json!({"error": self.name, "error_description": self.description})
    }

    /// The `WWW-Authenticate` value. RFC 6750 forbids `"` and `\` (and anything outside
    /// printable ASCII) in these attributes; Doorkeeper replaces them with `_`.
    pub(crate) fn challenge(&self) -> HeaderValue {
        let value = format!(
            "Bearer realm=\"{REALM}\", error=\"{}\", error_description=\"{}\"",
            sanitize(self.name),
            sanitize(&self.description)
        );
        HeaderValue::try_from(value).expect("sanitized to printable ASCII")
    }
}

fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            ' '..='~' if c != '"' && c != '\\' => c,
            _ => '_',
        })
        .collect()
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        (
            self.status(),
            [
                (
                    CACHE_CONTROL,
                    HeaderValue::from_static("no-store, no-cache"),
                ),
                (WWW_AUTHENTICATE, self.challenge()),
            ],
            Json(self.body()),
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::{OAuthError, TokenProblem};

    #[test]
    fn statuses_follow_doorkeeper() {
        assert_eq!(OAuthError::invalid_client().status(), 401);
        assert_eq!(
            OAuthError::invalid_token(TokenProblem::Expired).status(),
            401
        );
        assert_eq!(OAuthError::insufficient_scope("read_write").status(), 403);
        assert_eq!(OAuthError::invalid_grant().status(), 400);
        assert_eq!(OAuthError::unsupported_grant_type().status(), 400);
    }

    #[test]
    fn the_challenge_has_no_quotes_inside_attributes() {
        let challenge = OAuthError::insufficient_scope("read_write").challenge();
        assert_eq!(
            challenge.to_str().unwrap(),
            "Bearer realm=\"Doorkeeper\", error=\"insufficient_scope\", \
             error_description=\"Access to this resource requires scope _read_write_.\""
        );
    }
}
