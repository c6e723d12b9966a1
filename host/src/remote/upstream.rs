//! A user's Facturation.PRO tokens, as the gate asks for them before each API request. They
//! are read from the store (another request may have just refreshed them) and refreshed
//! shortly before expiry, or once the API refuses them, by one request at a time per user.
//! When Facturation.PRO no longer honours the grant (the user revoked the application),
//! the user is signed out everywhere and the request ends in a 401 that makes the client
//! sign in again; nothing was done with the refused token, so nothing is lost.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Result, bail};

use super::Remote;
use crate::oauth::endpoint::{self, RefreshFailure};

/// Refresh this long before the access token expires, so none lapses in flight.
const REFRESH_MARGIN: Duration = Duration::from_secs(60);

pub struct UpstreamAccess {
    remote: Arc<Remote>,
    user_id: String,
    /// Set when the grant turned out to be revoked during this request.
    revoked: AtomicBool,
}

impl UpstreamAccess {
    pub fn new(remote: Arc<Remote>, user_id: &str) -> UpstreamAccess {
        UpstreamAccess {
            remote,
            user_id: user_id.to_string(),
            revoked: AtomicBool::new(false),
        }
    }

    /// Whether this request found the user's Facturation.PRO grant revoked.
    pub fn revoked(&self) -> bool {
        self.revoked.load(Ordering::SeqCst)
    }

    /// An access token good for at least REFRESH_MARGIN.
    pub async fn access_token(&self) -> Result<String> {
        self.current(None).await
    }

    /// A token other than `rejected`, which the API just refused with a 401.
    pub async fn replace_rejected(&self, rejected: &str) -> Result<String> {
        self.current(Some(rejected)).await
    }

    async fn current(&self, rejected: Option<&str>) -> Result<String> {
        let usable = |tokens: &crate::oauth::Tokens| {
            !tokens.expires_within(REFRESH_MARGIN) && Some(tokens.access_token.as_str()) != rejected
        };
        let store = &self.remote.store;
        if let Some(tokens) = store.upstream_tokens(&self.user_id)?
            && usable(&tokens)
        {
            return Ok(tokens.access_token);
        }
        let lock = self.remote.refresh_lock(&self.user_id);
        let _one_at_a_time = lock.lock().await;
        // Whoever held the lock before may have refreshed already.
        let Some(tokens) = store.upstream_tokens(&self.user_id)? else {
            return self.signed_out();
        };
        if usable(&tokens) {
            return Ok(tokens.access_token);
        }
        match endpoint::refresh(&self.remote.settings.upstream, &tokens).await {
            Ok(fresh) => {
                store.save_upstream_tokens(&self.user_id, &fresh)?;
                Ok(fresh.access_token)
            }
            Err(RefreshFailure::InvalidGrant) => {
                store.sign_out_everywhere(&self.user_id)?;
                self.signed_out()
            }
            Err(RefreshFailure::Other(error)) => Err(error),
        }
    }

    fn signed_out(&self) -> Result<String> {
        self.revoked.store(true, Ordering::SeqCst);
        bail!("Facturation.PRO no longer accepts this sign-in (access was revoked): sign in again")
    }
}
