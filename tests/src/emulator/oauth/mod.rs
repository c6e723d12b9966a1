//! The vendor's OAuth2 authorization server, emulated after Ruby's Doorkeeper (which
//! Facturation.PRO uses): `/oauth/authorize`, `/oauth/token`, `/oauth/revoke` and
//! `/oauth/token/info`, served beside the API, plus the Bearer check every API route makes.
//!
//! The user signed in at the vendor is named by a browser cookie (`LOGIN_COOKIE`, else the
//! first account), and codes and tokens act for that account; the user's answer on the
//! consent page is a policy that tests set (see [`Consent`]). Tokens live in memory with the rest of the emulator; tests watch
//! and tamper with them through the `Emulator` methods in `observe.rs`.
//!
//! Where the vendor's settings are unknown, Doorkeeper's defaults apply (2-hour access
//! tokens, 10-minute codes, confidential applications, `plain` and `S256` PKCE methods,
//! errors rendered rather than redirected), and the rest is configurable ([`OAuthConfig`]).

mod authorize;
mod bearer;
mod client_auth;
mod config;
mod error;
mod info;
mod observe;
mod pkce;
mod provider;
mod redirect;
mod revoke;
mod scope;
mod token;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

pub use config::{Consent, OAuthApplication, OAuthConfig, RefreshRotation};
pub use provider::{OAuthToken, RefreshAttempt};

pub(crate) use bearer::{admit as admit_bearer, token_from_header as bearer_token};
pub(crate) use error::OAuthError;
pub(crate) use provider::Provider;

use super::server::App;

/// Whether a path belongs to the authorization server rather than to the API: such
/// requests need no API credentials, no User-Agent and use no quota.
pub(crate) fn is_oauth_path(path: &str) -> bool {
    path == "/oauth" || path.starts_with("/oauth/")
}

pub(crate) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/oauth/authorize", get(authorize::authorize))
        .route("/oauth/token", post(token::token))
        .route("/oauth/revoke", post(revoke::revoke))
        .route("/oauth/token/info", get(info::token_info))
}
