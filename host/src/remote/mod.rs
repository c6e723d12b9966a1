//! The remote connector (`serve --http --public-url URL`): many people, each with their own
//! Facturation.PRO account, behind one server. The host is an OAuth 2.1 authorization
//! server for MCP clients (MCP authorization, revision 2026-07-28) and an OAuth client of
//! Facturation.PRO for each person:
//!
//! - metadata.rs: where clients discover it (RFC 9728, RFC 8414);
//! - registration.rs: clients registering themselves (RFC 7591);
//! - authorize.rs and consent_page.rs: the authorization endpoint, the consent page, the
//!   detour through Facturation.PRO's own sign-in, and its callback;
//! - token.rs: codes and refresh tokens for access tokens, and revocation (RFC 7009);
//! - bearer.rs: every MCP request's access token, and the 401 that starts it all;
//! - upstream.rs: each user's Facturation.PRO tokens, refreshed one at a time per user.
//!
//! Everything that outlives a request lives in the store (`crate::store`). The component
//! never sees a token of either kind; the gate signs each request with its user's.

mod authorize;
pub mod bearer;
mod consent_page;
mod metadata;
mod registration;
mod reply;
mod token;
pub mod upstream;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use http::{Method, Response};

use crate::config::Source;
use crate::oauth::OAuthSettings;
use crate::store::sealing::StoreKey;
use crate::store::{Store, StoreLocation};

/// The path of the MCP endpoint; the public URL must end with it.
pub const MCP_PATH: &str = "/mcp";

/// Scopes a client may ask for: `write` includes reading.
pub const READ_SCOPE: &str = "read";
pub const WRITE_SCOPE: &str = "write";

/// Access tokens live an hour at most; refresh tokens a month, renewed at each use.
pub const ACCESS_TOKEN_SECS: u64 = 3600;
pub const REFRESH_TOKEN_SECS: u64 = 30 * 24 * 3600;

/// What the multi-user mode needs besides the usual settings. `Debug` shows no secret.
#[derive(Clone)]
pub struct RemoteSettings {
    /// The MCP endpoint's address as clients use it (`https://mcp.example.fr/mcp`); tokens
    /// are issued for it and for nothing else.
    pub public_url: String,
    /// The public URL without `/mcp`: this server's issuer identifier, and the base of its
    /// OAuth endpoints.
    pub issuer: String,
    /// FACTURATION_STORE: the embedded file, or the database replicas share.
    pub store: StoreLocation,
    pub store_key: StoreKey,
    /// The deployment's application registered at Facturation.PRO.
    pub upstream: OAuthSettings,
    /// FACTURATION_USER_AGENT, for the host's own API request (who signed in).
    pub user_agent: Option<String>,
}

impl std::fmt::Debug for RemoteSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteSettings")
            .field("public_url", &self.public_url)
            .field("store", &self.store)
            .field("upstream", &self.upstream)
            .finish_non_exhaustive()
    }
}

impl RemoteSettings {
    pub fn from_source(source: &Source, public_url: &str, upstream: OAuthSettings) -> Result<Self> {
        let issuer = check_public_url(public_url)?;
        upstream.require_client_id().context(
            "the remote connector signs each user in at Facturation.PRO with the deployment's \
             application",
        )?;
        if upstream.client_secret.is_none() {
            bail!(
                "FACTURATION_OAUTH_CLIENT_SECRET is not set: the remote connector redeems its \
                 users' sign-ins as the registered application, which needs its secret"
            );
        }
        let store_key = StoreKey::from_base64(&source.get("FACTURATION_STORE_KEY").context(
            "FACTURATION_STORE_KEY is not set: the remote connector seals its users' \
             Facturation.PRO tokens with it (make one with `openssl rand -base64 32`, and keep it)",
        )?)?;
        let store = match source.get("FACTURATION_STORE") {
            Some(setting) => StoreLocation::parse(&setting),
            None => StoreLocation::File(
                crate::config::config_folder(|name| source.get(name))
                    .context("no configuration folder to keep the store in: set FACTURATION_STORE")?
                    .join("facturation-pro-mcp")
                    .join("remote.sqlite3"),
            ),
        };
        Ok(RemoteSettings {
            public_url: public_url.to_string(),
            issuer,
            store,
            store_key,
            upstream,
            user_agent: source.get("FACTURATION_USER_AGENT"),
        })
    }

    /// This server's own endpoint at `path` (`/oauth2/token`...).
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    /// Where Facturation.PRO sends its users back: register it with the application.
    pub fn upstream_redirect_uri(&self) -> String {
        self.endpoint("/oauth2/callback")
    }
}

/// Checks the public URL and returns the issuer (the URL without `/mcp`). Plain http is
/// for this machine only: tokens would cross the network readable.
fn check_public_url(url: &str) -> Result<String> {
    let uri: http::Uri = url
        .parse()
        .with_context(|| format!("--public-url / FACTURATION_PUBLIC_URL {url:?} is not a URL"))?;
    let host = uri.host().unwrap_or_default();
    let loopback = host == "localhost"
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match uri.scheme_str() {
        Some("https") => {}
        Some("http") if loopback => {}
        _ => bail!(
            "the public URL {url:?} must be https:// (TLS in front of the server), or \
             http://127.0.0.1:PORT/mcp for a trial on this machine"
        ),
    }
    if uri.path() != MCP_PATH || uri.query().is_some() || url.contains('#') {
        bail!(
            "the public URL {url:?} must be the MCP endpoint's full address, ending in {MCP_PATH} \
             with no query, e.g. https://mcp.example.fr/mcp"
        );
    }
    Ok(url[..url.len() - MCP_PATH.len()].to_string())
}

/// The authorization server and what every request of the remote mode shares.
pub struct Remote {
    pub settings: RemoteSettings,
    pub store: Arc<Store>,
    /// One lock per user: their Facturation.PRO refresh token is spent by one request at a
    /// time, the others wait and use the tokens it stored.
    refreshing: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Remote {
    /// The authorization server over `store` (the runner's: one store per process).
    pub fn new(settings: RemoteSettings, store: Arc<Store>) -> Arc<Remote> {
        Arc::new(Remote {
            settings,
            store,
            refreshing: Mutex::default(),
        })
    }

    fn refresh_lock(&self, user_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        crate::locking::lock(&self.refreshing)
            .entry(user_id.to_string())
            .or_default()
            .clone()
    }

    /// Whether a request is for the authorization server rather than the MCP endpoint.
    pub fn serves(path: &str) -> bool {
        path.starts_with("/.well-known/") || path.starts_with("/oauth2/")
    }

    /// Answers a request for one of the authorization server's endpoints.
    pub async fn answer(
        &self,
        method: &Method,
        uri: &http::Uri,
        headers: &http::HeaderMap,
        body: Bytes,
    ) -> Response<Bytes> {
        let path = uri.path();
        if method == Method::OPTIONS && !path.starts_with("/oauth2/authorize") {
            return reply::preflight();
        }
        let query = uri.query().unwrap_or_default();
        match (method.as_str(), path) {
            ("GET", "/.well-known/oauth-protected-resource")
            | ("GET", "/.well-known/oauth-protected-resource/mcp") => {
                metadata::protected_resource(&self.settings)
            }
            ("GET", "/.well-known/oauth-authorization-server")
            | ("GET", "/.well-known/openid-configuration") => {
                metadata::authorization_server(&self.settings)
            }
            ("GET", "/oauth2/authorize") => authorize::ask(self, query, headers).await,
            ("POST", "/oauth2/authorize") => authorize::consent(self, headers, &body),
            ("GET", "/oauth2/callback") => authorize::callback(self, query, headers).await,
            ("POST", "/oauth2/token") => token::token(self, headers, &body),
            ("POST", "/oauth2/revoke") => token::revoke(self, &body),
            ("POST", "/oauth2/register") => registration::register(self, &body),
            (
                _,
                "/oauth2/authorize" | "/oauth2/callback" | "/oauth2/token" | "/oauth2/revoke"
                | "/oauth2/register",
            ) => reply::status(405, "method not allowed"),
            _ => reply::status(404, "not found"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::check_public_url;

    #[test]
    fn the_public_url_is_the_mcp_endpoint_over_https_or_on_loopback() {
        assert_eq!(
            check_public_url("https://mcp.example.fr/mcp").unwrap(),
            "https://mcp.example.fr"
        );
        assert_eq!(
            check_public_url("http://127.0.0.1:8750/mcp").unwrap(),
            "http://127.0.0.1:8750"
        );
        for refused in [
            "http://mcp.example.fr/mcp",
            "https://mcp.example.fr/",
            "https://mcp.example.fr/mcp?x=1",
            "https://mcp.example.fr/other/mcp",
            "ftp://mcp.example.fr/mcp",
            "not a url",
        ] {
            assert!(check_public_url(refused).is_err(), "{refused}");
        }
    }
}
