//! The signed-in session the API gate draws access tokens from. It refreshes shortly
//! before expiry, and once more when the API answers 401; refreshes are serialised within
//! the process (a mutex) and across processes (the store's lock), the store is re-read
//! under that lock (another process may have rotated the tokens already), and rotated
//! tokens are stored before they are used. A grant the server no longer honours drops the
//! stored tokens and says how to sign in again.

use std::time::Duration;

use anyhow::{Result, bail};
use tokio::sync::Mutex;

use super::endpoint::{self, RefreshFailure};
use super::store::TokenStore;
use super::{OAuthSettings, SIGN_IN_HINT, Tokens};

/// Refresh this long before the access token expires, so no request leaves with a token
/// about to lapse in flight.
const REFRESH_MARGIN: Duration = Duration::from_secs(60);

pub struct OAuthSession {
    settings: OAuthSettings,
    store: TokenStore,
    current: Mutex<Tokens>,
}

impl OAuthSession {
    /// The stored sign-in, or None when there is none.
    pub fn resume(settings: &OAuthSettings) -> Result<Option<Self>> {
        let store = TokenStore::open(&settings.store);
        let Some(tokens) = store.load()? else {
            return Ok(None);
        };
        Ok(Some(Self {
            settings: settings.clone(),
            store,
            current: Mutex::new(tokens),
        }))
    }

    /// The tokens as they are now (for `check`).
    pub async fn tokens(&self) -> Tokens {
        self.current.lock().await.clone()
    }

    pub fn store_description(&self) -> String {
        self.store.describe()
    }

    /// An access token good for at least REFRESH_MARGIN.
    pub async fn access_token(&self) -> Result<String> {
        let mut current = self.current.lock().await;
        if current.expires_within(REFRESH_MARGIN) {
            self.refresh(&mut current, None).await?;
        }
        Ok(current.access_token.clone())
    }

    /// A new access token after the API refused `rejected` with a 401, unless another
    /// request has already replaced it.
    pub async fn replace_rejected(&self, rejected: &str) -> Result<String> {
        let mut current = self.current.lock().await;
        if current.access_token == rejected {
            self.refresh(&mut current, Some(rejected)).await?;
        }
        Ok(current.access_token.clone())
    }

    /// Refreshes under the store's lock. `rejected`, when given, is a token the API refused,
    /// which must not be kept even if the store still holds it.
    async fn refresh(&self, current: &mut Tokens, rejected: Option<&str>) -> Result<()> {
        let _lock = blocking(|| self.store.lock())?;
        // Another process may have refreshed meanwhile: its tokens are the current ones,
        // and the refresh token we hold may already be spent.
        if let Some(stored) = blocking(|| self.store.load())? {
            let fresh = !stored.expires_within(REFRESH_MARGIN)
                && Some(stored.access_token.as_str()) != rejected;
            *current = stored;
            if fresh {
                return Ok(());
            }
        } else {
            bail!(
                "the sign-in was removed ({}): {SIGN_IN_HINT}",
                self.store.describe()
            );
        }
        match endpoint::refresh(&self.settings, current).await {
            Ok(tokens) => {
                blocking(|| self.store.save(&tokens))?;
                *current = tokens;
                Ok(())
            }
            Err(RefreshFailure::InvalidGrant) => {
                blocking(|| self.store.delete())?;
                bail!("the sign-in has expired or was revoked: {SIGN_IN_HINT}")
            }
            Err(RefreshFailure::Other(error)) => Err(error),
        }
    }
}

/// Runs store work (file locks, the keyring's D-Bus calls) without holding up the other
/// tasks of this async thread.
fn blocking<T>(work: impl FnOnce() -> Result<T>) -> Result<T> {
    tokio::task::block_in_place(work)
}
