//! Signing in with Facturation.PRO's OAuth2 (Doorkeeper's routes under `/oauth`), the
//! alternative to an API key: `login` and `logout` (login.rs), where tokens are kept
//! (store.rs), the token endpoint (endpoint.rs), and the session the API gate asks for a
//! current access token before each request (session.rs). Tokens stay in the host: never in
//! the component's environment, a log line or an error message.

mod callback;
pub mod endpoint;
mod keyring_store;
pub mod login;
pub mod pkce;
pub mod session;
pub mod store;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::config::{Origin, Source};
use crate::outgoing::Client;
use store::StoreLocation;

/// The one-line instruction every "not signed in" error ends with.
pub const SIGN_IN_HINT: &str =
    "run `facturation-pro-mcp login` (or set FACTURATION_AUTH=key to use the API key)";

/// What signing in and refreshing need: the registered application and the API origin.
/// `Debug` leaves the client secret out.
#[derive(Clone)]
pub struct OAuthSettings {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// The redirect URI registered for the application, when it is a fixed one.
    pub redirect_uri: Option<String>,
    pub origin: Origin,
    pub store: StoreLocation,
    /// The same client the API's requests use: one pool, the same proxy and CAs.
    pub client: Client,
}

impl OAuthSettings {
    pub fn from_source(source: &Source, origin: &Origin, client: &Client) -> Result<Self> {
        Ok(Self {
            client_id: source.get("FACTURATION_OAUTH_CLIENT_ID"),
            client_secret: source.get("FACTURATION_OAUTH_CLIENT_SECRET"),
            redirect_uri: source.get("FACTURATION_OAUTH_REDIRECT_URI"),
            origin: origin.clone(),
            store: StoreLocation::from_source(source, origin)?,
            client: client.clone(),
        })
    }

    /// The application's id, required to sign in.
    pub fn require_client_id(&self) -> Result<&str> {
        self.client_id.as_deref().with_context(|| {
            format!(
                "FACTURATION_OAUTH_CLIENT_ID is not set: register an application at {}/oauth/applications",
                self.origin.base_url()
            )
        })
    }

    fn endpoint(&self, path: &str) -> String {
        format!("{}/oauth/{path}", self.origin.base_url())
    }
}

impl std::fmt::Debug for OAuthSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthSettings")
            .field("client_id", &self.client_id)
            .field("redirect_uri", &self.redirect_uri)
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

/// One sign-in's tokens, as stored. `Debug` shows no secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
    /// Seconds since the Unix epoch.
    pub expires_at: u64,
    pub scope: String,
    /// The application the tokens were issued to: refreshing needs it.
    pub client_id: String,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("scope", &self.scope)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl Tokens {
    /// Whether the access token expires within `margin` from now.
    pub fn expires_within(&self, margin: Duration) -> bool {
        now_secs().saturating_add(margin.as_secs()) >= self.expires_at
    }

    /// The expiry as RFC 3339, for people.
    pub fn expiry(&self) -> String {
        humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(self.expires_at))
            .to_string()
    }
}

pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}
