//! What tests may see and do behind the authorization server's back: the tokens it issued,
//! the refreshes it was asked for, and the events a real deployment has without the client
//! taking part (a token revoked from the account's settings, a user withdrawing an
//! application's access, tokens expiring mid-session,
//! the user saying no).

use std::time::{Duration, Instant};

use super::super::Emulator;
use super::super::accounts::FIRST_LOGIN;
use super::super::state::lock;
use super::config::Consent;
use super::provider::{OAuthToken, Provider, RefreshAttempt};
use super::scope;

impl Emulator {
    /// What the user answers on the authorization page from now on.
    pub fn set_oauth_consent(&self, consent: Consent) {
        lock(&self.app.oauth).config.consent = consent;
    }

    /// The lifetime of access tokens issued from now on (by a code or a refresh); tokens
    /// already issued keep theirs.
    ///
    /// # Panics
    /// If `lifetime` is zero: a token that is born expired is a mistake in the test.
    pub fn set_oauth_access_token_lifetime(&self, lifetime: Duration) {
        assert!(
            !lifetime.is_zero(),
            "an access token lifetime must not be zero"
        );
        lock(&self.app.oauth).config.access_token_lifetime = lifetime;
    }

    /// Every token issued so far, oldest first, with its current state.
    pub fn oauth_tokens(&self) -> Vec<OAuthToken> {
        lock(&self.app.oauth).snapshot()
    }

    /// Every `refresh_token` grant request so far (with a `refresh_token` parameter),
    /// oldest first, successful or not.
    pub fn oauth_refreshes(&self) -> Vec<RefreshAttempt> {
        lock(&self.app.oauth).refreshes.clone()
    }

    /// How many refreshes succeeded.
    pub fn oauth_refresh_count(&self) -> usize {
        lock(&self.app.oauth)
            .refreshes
            .iter()
            .filter(|attempt| attempt.error.is_none())
            .count()
    }

    /// Revokes the token pair that `token` (an access or a refresh token) belongs to, as
    /// the user would from the account's settings. Returns whether the token was known.
    pub fn revoke_oauth_token(&self, token: &str) -> bool {
        let mut provider = lock(&self.app.oauth);
        let index = provider
            .find_access(token)
            .or_else(|| provider.find_refresh(token));
        if let Some(index) = index {
            provider.tokens[index].revoked = true;
        }
        index.is_some()
    }

    /// Ends the lifetime of every access token issued so far; their refresh tokens keep
    /// working.
    pub fn expire_access_tokens(&self) {
        let now = Instant::now();
        for record in &mut lock(&self.app.oauth).tokens {
            record.expires_at = record.expires_at.min(now);
        }
    }

    /// Revokes every token and unused code the account signed in as `login` gave any
    /// application, as when the user removes them all from the vendor's settings. Returns how
    /// many tokens were revoked (not counting those revoked already).
    ///
    /// # Panics
    /// If no account has this login: a mistake in the test.
    pub fn revoke_oauth_access(&self, login: &str) -> usize {
        self.revoke_where(login, |_| true)
    }

    /// The same for one application only: the user revokes `client_id`'s access in the
    /// vendor's settings; other applications keep theirs.
    ///
    /// # Panics
    /// If no account has this login: a mistake in the test.
    pub fn revoke_oauth_application_access(&self, login: &str, client_id: &str) -> usize {
        self.revoke_where(login, |client| client == client_id)
    }

    fn revoke_where(&self, login: &str, application: impl Fn(&str) -> bool) -> usize {
        let mut provider = lock(&self.app.oauth);
        let account = account_id(&provider, login);
        // Doorkeeper's `revoke_all_for`: the codes not exchanged yet go too, as used ones.
        for grant in &mut provider.grants {
            if grant.account == account && application(&grant.client_id) {
                grant.used = true;
            }
        }
        let mut revoked = 0;
        for record in &mut provider.tokens {
            if record.account == account && application(&record.client_id) && !record.revoked {
                record.revoked = true;
                revoked += 1;
            }
        }
        revoked
    }

    /// Issues a token pair directly, as if `client_id` had completed a sign-in with
    /// `scope` for the first account, so a test can start from stored tokens without the
    /// browser step.
    ///
    /// # Panics
    /// If the client is not registered or may not have `scope`: a mistake in the test.
    pub fn issue_oauth_token(&self, client_id: &str, scope: &str) -> OAuthToken {
        self.issue_oauth_token_for(FIRST_LOGIN, client_id, scope)
    }

    /// The same for the account signed in as `login`.
    ///
    /// # Panics
    /// If no account has this login, the client is not registered or may not have
    /// `scope`: a mistake in the test.
    pub fn issue_oauth_token_for(&self, login: &str, client_id: &str, scope: &str) -> OAuthToken {
        let mut provider = lock(&self.app.oauth);
        let account = account_id(&provider, login);
        let application = provider
            .application(client_id)
            .unwrap_or_else(|| panic!("no OAuth application {client_id:?} is registered"));
        assert!(
            scope::valid(scope, &application.scopes),
            "OAuth application {client_id:?} may not have scope {scope:?}"
        );
        let index = provider.issue_token(account, client_id, scope::parse(scope), None);
        provider.snapshot().swap_remove(index)
    }
}

fn account_id(provider: &Provider, login: &str) -> u64 {
    provider
        .accounts
        .by_login(login)
        .unwrap_or_else(|| panic!("no account is signed in as {login:?} in this emulator"))
        .id
}
