//! How the emulated authorization server is set up: the registered applications and the
//! settings the vendor's Doorkeeper installation could have chosen. Defaults follow
//! Doorkeeper's own where the vendor's are unknown.

use std::time::Duration;

use anyhow::{bail, ensure};

use super::redirect;
use super::scope;

/// The emulated authorization server's settings.
#[derive(Clone, Debug)]
pub struct OAuthConfig {
    /// Applications registered at `/oauth/applications`, as the vendor's users register them.
    pub applications: Vec<OAuthApplication>,
    /// Doorkeeper's `force_pkce`: an authorization request without `code_challenge`, and a
    /// code exchange without `code_verifier`, are refused. Off by default, as in Doorkeeper;
    /// a challenge that was sent is always checked.
    pub pkce_required: bool,
    /// Lifetime of access tokens (Doorkeeper's default: 2 hours). Tests set a second or
    /// less to watch one expire; [`Emulator::set_oauth_access_token_lifetime`] changes it
    /// for the tokens issued afterwards.
    ///
    /// [`Emulator::set_oauth_access_token_lifetime`]: crate::emulator::Emulator::set_oauth_access_token_lifetime
    pub access_token_lifetime: Duration,
    /// Lifetime of authorization codes (Doorkeeper's default: 10 minutes).
    pub authorization_code_lifetime: Duration,
    /// When a refresh token stops working once exchanged.
    pub refresh_rotation: RefreshRotation,
    /// The scope granted when an authorization request names none. `None` (Doorkeeper with
    /// no `default_scopes`) refuses such a request, so clients must say what they want.
    pub default_scope: Option<String>,
    /// What the (absent) user answers on the consent page; can be changed while running
    /// with [`Emulator::set_oauth_consent`].
    ///
    /// [`Emulator::set_oauth_consent`]: crate::emulator::Emulator::set_oauth_consent
    pub consent: Consent,
}

impl Default for OAuthConfig {
    fn default() -> Self {
        Self {
            applications: vec![OAuthApplication::confidential(
                "demo-client-id",
                "demo-client-secret",
                "http://127.0.0.1/callback",
            )],
            pkce_required: false,
            access_token_lifetime: Duration::from_secs(2 * 60 * 60),
            authorization_code_lifetime: Duration::from_secs(10 * 60),
            refresh_rotation: RefreshRotation::Immediate,
            default_scope: None,
            consent: Consent::Approve,
        }
    }
}

/// One registered OAuth application.
#[derive(Clone, Debug)]
pub struct OAuthApplication {
    /// Doorkeeper's `uid`, sent as `client_id`.
    pub client_id: String,
    /// `Some` for a confidential application (Doorkeeper's default): the token and
    /// revocation endpoints then require it. `None` for a public one, which identifies
    /// itself by `client_id` alone.
    pub client_secret: Option<String>,
    /// Registered redirect URIs. An `http://127.0.0.1/...` (or `http://[::1]/...`) one
    /// accepts any port at run time (RFC 8252 §7.3), as Doorkeeper does; other URIs, and
    /// `http://localhost/...`, must match exactly.
    pub redirect_uris: Vec<String>,
    /// Scopes the application may ask for (`read`, `read_write`).
    pub scopes: Vec<String>,
}

impl OAuthApplication {
    /// A confidential application with both scopes and one redirect URI.
    pub fn confidential(client_id: &str, client_secret: &str, redirect_uri: &str) -> Self {
        Self {
            client_secret: Some(client_secret.to_owned()),
            ..Self::public(client_id, redirect_uri)
        }
    }

    /// A public application (no secret) with both scopes and one redirect URI.
    pub fn public(client_id: &str, redirect_uri: &str) -> Self {
        Self {
            client_id: client_id.to_owned(),
            client_secret: None,
            redirect_uris: vec![redirect_uri.to_owned()],
            scopes: scope::SERVER_SCOPES.map(str::to_owned).to_vec(),
        }
    }

    /// The same application limited to `scopes`.
    pub fn with_scopes(self, scopes: &[&str]) -> Self {
        Self {
            scopes: scopes.iter().map(|scope| (*scope).to_owned()).collect(),
            ..self
        }
    }
}

/// The answer of the user who is not there, on the authorization page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Consent {
    /// Authorize: redirect back with a `code`.
    Approve,
    /// Deny: redirect back with `error=access_denied`.
    Deny,
}

/// Doorkeeper's two ways of retiring a refresh token once exchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefreshRotation {
    /// The exchanged refresh token, and the access token issued with it, are revoked at
    /// once; using either again fails. Doorkeeper without the `previous_refresh_token`
    /// column. The strict choice, and the default here.
    Immediate,
    /// The exchanged refresh token keeps working until the new access token is first
    /// used (Doorkeeper with the `previous_refresh_token` column, which its install
    /// migration creates): a client that lost the answer can retry the refresh.
    OnNewTokenUse,
}

impl OAuthConfig {
    /// Refuses a setup Doorkeeper would refuse at registration, so a test's mistake shows at
    /// start rather than as a puzzling 400 later.
    pub(crate) fn validate(&self) -> anyhow::Result<()> {
        for (index, application) in self.applications.iter().enumerate() {
            let id = &application.client_id;
            ensure!(
                !id.trim().is_empty(),
                "OAuth application #{index} has no client id"
            );
            if self.applications[..index]
                .iter()
                .any(|other| &other.client_id == id)
            {
                bail!("OAuth client id {id:?} is registered twice");
            }
            ensure!(
                !application.redirect_uris.is_empty(),
                "OAuth application {id:?} has no redirect URI"
            );
            for uri in &application.redirect_uris {
                if let Err(problem) = redirect::registrable(uri) {
                    bail!("OAuth application {id:?}: redirect URI {uri:?} {problem}");
                }
            }
            for name in &application.scopes {
                ensure!(
                    scope::SERVER_SCOPES.contains(&name.as_str()),
                    "OAuth application {id:?}: unknown scope {name:?}"
                );
            }
        }
        if let Some(default) = &self.default_scope {
            ensure!(
                scope::SERVER_SCOPES.contains(&default.as_str()),
                "unknown default OAuth scope {default:?}"
            );
        }
        ensure!(
            !self.access_token_lifetime.is_zero(),
            "the OAuth access token lifetime must not be zero"
        );
        Ok(())
    }
}
