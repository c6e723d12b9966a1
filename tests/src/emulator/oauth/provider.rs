//! The authorization server's memory: authorization codes and tokens, how tokens are issued
//! and found, and their public snapshots for tests.
//!
//! As in Doorkeeper, an access token and the refresh token issued with it are one record:
//! revoking either revokes both.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use super::super::accounts::Accounts;
use super::config::{OAuthApplication, OAuthConfig, RefreshRotation};
use super::scope;

/// An authorization code and what it was issued for.
pub(crate) struct Grant {
    pub(crate) code: String,
    pub(crate) client_id: String,
    /// The id of the account that was signed in when it was issued.
    pub(crate) account: u64,
    /// The redirect URI of the authorization request, as sent.
    pub(crate) redirect_uri: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) challenge: Option<String>,
    pub(crate) challenge_method: Option<String>,
    pub(crate) expires_at: Instant,
    /// Exchanged already: codes are single use.
    pub(crate) used: bool,
    /// The token issued for it, revoked if the code is replayed (RFC 6749 §10.5).
    pub(crate) token: Option<usize>,
}

/// An access token and its refresh token.
pub(crate) struct TokenRecord {
    pub(crate) access_token: String,
    pub(crate) refresh_token: String,
    pub(crate) client_id: String,
    /// The id of the account the token acts for (Doorkeeper's `resource_owner_id`).
    pub(crate) account: u64,
    pub(crate) scopes: Vec<String>,
    /// Seconds since the epoch, as token answers give it.
    pub(crate) created_at: u64,
    pub(crate) lifetime: Duration,
    pub(crate) expires_at: Instant,
    pub(crate) revoked: bool,
    /// The refresh token this record replaced, while it still waits to be retired
    /// ([`RefreshRotation::OnNewTokenUse`]).
    pub(crate) previous_refresh_token: Option<String>,
    /// The refresh token exchanged for this record, kept for tests.
    pub(crate) refreshed_from: Option<String>,
}

impl TokenRecord {
    pub(crate) fn expired(&self, now: Instant) -> bool {
        now >= self.expires_at
    }

    pub(crate) fn accessible(&self, now: Instant) -> bool {
        !self.revoked && !self.expired(now)
    }

    /// Whole seconds left, rounded, never negative.
    fn expires_in(&self, now: Instant) -> u64 {
        let left = self.expires_at.saturating_duration_since(now);
        left.as_secs() + u64::from(left.subsec_millis() >= 500)
    }
}

/// A token as a test sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthToken {
    pub access_token: String,
    pub refresh_token: String,
    pub client_id: String,
    /// The login of the account the token acts for (`"demo"` for the first account).
    pub account: String,
    /// Space-separated scopes, e.g. `"read_write"`.
    pub scope: String,
    /// Seconds since the epoch.
    pub created_at: u64,
    /// The lifetime it was issued with.
    pub lifetime: Duration,
    /// The access token's lifetime is over (it may still be refreshed).
    pub expired: bool,
    /// Revoked, through `/oauth/revoke`, rotation, code replay or a test.
    pub revoked: bool,
    /// The refresh token exchanged for this one; `None` for a token from a code (or a test).
    pub refreshed_from: Option<String>,
}

/// One `grant_type=refresh_token` request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefreshAttempt {
    /// The refresh token presented.
    pub refresh_token: String,
    /// The new access token, when the refresh succeeded.
    pub access_token: Option<String>,
    /// The OAuth error code (`invalid_grant`, `invalid_client`...), when it failed.
    pub error: Option<String>,
}

/// Everything the authorization server knows.
pub(crate) struct Provider {
    pub(crate) config: OAuthConfig,
    /// The accounts users may sign in as.
    pub(crate) accounts: Accounts,
    pub(crate) grants: Vec<Grant>,
    pub(crate) tokens: Vec<TokenRecord>,
    pub(crate) refreshes: Vec<RefreshAttempt>,
}

impl Provider {
    pub(crate) fn new(config: OAuthConfig, accounts: Accounts) -> Self {
        Self {
            config,
            accounts,
            grants: Vec::new(),
            tokens: Vec::new(),
            refreshes: Vec::new(),
        }
    }

    pub(crate) fn application(&self, client_id: &str) -> Option<&OAuthApplication> {
        self.config
            .applications
            .iter()
            .find(|application| application.client_id == client_id)
    }

    /// Issues a token record for `account` with the current lifetime and returns its index.
    pub(crate) fn issue_token(
        &mut self,
        account: u64,
        client_id: &str,
        scopes: Vec<String>,
        refreshed_from: Option<String>,
    ) -> usize {
        let lifetime = self.config.access_token_lifetime;
        let deferred = self.config.refresh_rotation == RefreshRotation::OnNewTokenUse;
        self.tokens.push(TokenRecord {
            access_token: random_token(),
            refresh_token: random_token(),
            client_id: client_id.to_owned(),
            account,
            scopes,
            created_at: unix_now(),
            lifetime,
            expires_at: Instant::now() + lifetime,
            revoked: false,
            previous_refresh_token: refreshed_from.clone().filter(|_| deferred),
            refreshed_from,
        });
        self.tokens.len() - 1
    }

    pub(crate) fn find_access(&self, token: &str) -> Option<usize> {
        self.tokens
            .iter()
            .position(|record| record.access_token == token)
    }

    pub(crate) fn find_refresh(&self, token: &str) -> Option<usize> {
        self.tokens
            .iter()
            .position(|record| record.refresh_token == token)
    }

    /// The account an access token acts for, whatever its state, without presenting it.
    pub(crate) fn token_account(&self, token: &str) -> Option<u64> {
        self.find_access(token)
            .map(|index| self.tokens[index].account)
    }

    /// Finds the record of a presented access token, whatever its state. As Doorkeeper's
    /// `Token.authenticate` does, presenting it retires the refresh token it replaced
    /// (deferred rotation): the client evidently got the new pair.
    pub(crate) fn present_access_token(&mut self, token: &str) -> Option<usize> {
        let index = self.find_access(token)?;
        if let Some(previous) = self.tokens[index].previous_refresh_token.take()
            && let Some(old) = self.find_refresh(&previous)
        {
            self.tokens[old].revoked = true;
        }
        Some(index)
    }

    /// The token endpoint's answer for a record.
    pub(crate) fn token_answer(&self, index: usize) -> Value {
        let record = &self.tokens[index];
        json!({
            "access_token": record.access_token,
            "token_type": "Bearer",
            "expires_in": record.expires_in(Instant::now()),
            "refresh_token": record.refresh_token,
            "scope": scope::join(&record.scopes),
            "created_at": record.created_at,
        })
    }

    /// `/oauth/token/info`'s answer (Doorkeeper's `AccessToken#as_json`: `scope` is a list).
    pub(crate) fn token_info(&self, index: usize) -> Value {
        let record = &self.tokens[index];
        json!({
            "resource_owner_id": record.account,
            "scope": record.scopes,
            "expires_in": record.expires_in(Instant::now()),
            "application": {"uid": record.client_id},
            "created_at": record.created_at,
        })
    }

    pub(crate) fn snapshot(&self) -> Vec<OAuthToken> {
        let now = Instant::now();
        self.tokens
            .iter()
            .map(|record| OAuthToken {
                access_token: record.access_token.clone(),
                refresh_token: record.refresh_token.clone(),
                client_id: record.client_id.clone(),
                account: self.accounts.login(record.account),
                scope: scope::join(&record.scopes),
                created_at: record.created_at,
                lifetime: record.lifetime,
                expired: record.expired(now),
                revoked: record.revoked,
                refreshed_from: record.refreshed_from.clone(),
            })
            .collect()
    }
}

/// 32 random bytes, URL-safe base64: the shape of Doorkeeper's default token generator.
pub(crate) fn random_token() -> String {
    let mut bytes = [0_u8; 32];
    getrandom::fill(&mut bytes).expect("the OS has randomness to give");
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}
