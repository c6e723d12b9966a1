//! The remote connector's store: users, MCP clients, authorizations in progress, codes,
//! issued tokens, each user's sealed Facturation.PRO tokens, spent confirmation states and
//! quota counts. An embedded SQLite file by default ([`sqlite`]), or a PostgreSQL database
//! that several replicas share ([`postgres`]); one schema (`migrations/`, plain SQL both
//! read) and one set of statements ([`sql`]) for both.
//!
//! Secrets are stored as hashes (our tokens and codes: [`hash`]) or sealed (upstream
//! tokens, PKCE verifiers: [`sealing`]); nothing read from the store can be used as a token
//! by itself.

mod postgres;
pub mod sealing;
pub(crate) mod sql;
mod sqlite;

use std::path::PathBuf;

use anyhow::{Context, Result};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::oauth::{Tokens, now_secs};
use crate::pacing::Slot;
use sealing::StoreKey;
use sql::{Row, Sql, args};

/// The schema's steps, applied in order, each once, recorded in `schema_migrations`.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("migrations/0001_remote_connector.sql")),
    (2, include_str!("migrations/0002_spent_states.sql")),
    (3, include_str!("migrations/0003_quota_requests.sql")),
    (4, include_str!("migrations/0004_audit_events.sql")),
    (5, include_str!("migrations/0005_call_retries.sql")),
    (6, include_str!("migrations/0006_client_sign_ins.sql")),
];

/// How long a client may stay known without completing a sign-in.
const UNUSED_CLIENT_SECS: i64 = 24 * 3600;

/// A secret as the store keeps it: SHA-256, hex. Tokens are 256 random bits, so a plain
/// hash is enough (no dictionary to try).
pub fn hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// An MCP client this server knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownClient {
    pub client_id: String,
    /// `registered` (RFC 7591) or `metadata_document` (its id is its document's URL).
    pub kind: String,
    pub client_name: String,
    pub redirect_uris: Vec<String>,
    /// When its metadata document was fetched (seconds since the epoch).
    pub fetched_at: u64,
}

/// What a client asked for at the authorization endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Asked {
    pub client_id: String,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub client_state: Option<String>,
    pub scope: String,
    pub resource: String,
}

/// A person signed in through Facturation.PRO.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub upstream_account: String,
    pub email: String,
}

/// What an authorization code or a token stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub user_id: String,
    pub client_id: String,
    pub scope: String,
    pub resource: String,
}

/// A code waiting for its client: the grant, and what the token request must match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeGrant {
    pub grant: Grant,
    pub redirect_uri: String,
    pub code_challenge: String,
}

/// The outcome of presenting a refresh token.
#[derive(Debug, PartialEq, Eq)]
pub enum RefreshUse {
    /// First use: it is now spent; the grant continues in the same family.
    Fresh {
        grant: Grant,
        family: String,
    },
    /// Already spent: someone replayed it, and its whole family is now revoked.
    Replayed,
    Unknown,
}

/// Where the store is: `FACTURATION_STORE`, a file path or a `postgres://` URL.
#[derive(Clone)]
pub enum StoreLocation {
    File(PathBuf),
    /// The URL holds the database's password: it is never shown.
    Postgres(String),
}

impl StoreLocation {
    pub fn parse(setting: &str) -> StoreLocation {
        if setting.starts_with("postgres://") || setting.starts_with("postgresql://") {
            StoreLocation::Postgres(setting.to_string())
        } else {
            StoreLocation::File(PathBuf::from(setting))
        }
    }
}

impl std::fmt::Debug for StoreLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreLocation::File(path) => write!(f, "{}", path.display()),
            StoreLocation::Postgres(_) => f.write_str("a PostgreSQL database"),
        }
    }
}

enum Database {
    Sqlite(sqlite::Sqlite),
    // Boxed: its connection settings are large, and a store is made once.
    Postgres(Box<postgres::Postgres>),
}

pub struct Store {
    database: Database,
    key: StoreKey,
}

impl Store {
    /// Opens (creating if need be) the store and brings its schema up to date.
    pub fn open(location: &StoreLocation, key: StoreKey) -> Result<Store> {
        let database = match location {
            StoreLocation::File(path) => Database::Sqlite(sqlite::Sqlite::open(path)?),
            StoreLocation::Postgres(url) => {
                Database::Postgres(Box::new(postgres::Postgres::open(url)?))
            }
        };
        let store = Store { database, key };
        store
            .migrate()
            .with_context(|| format!("cannot bring the store ({location:?}) up to date"))?;
        Ok(store)
    }

    /// Applies the migrations not applied yet. Replicas starting together take turns: the
    /// first applies them, the others find them done.
    fn migrate(&self) -> Result<()> {
        self.write(|tx| {
            tx.serialize_on("schema_migrations")?;
            tx.batch(
                "CREATE TABLE IF NOT EXISTS schema_migrations (
                     version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
            )?;
            for (version, sql) in MIGRATIONS {
                let applied = tx
                    .row(
                        "SELECT version FROM schema_migrations WHERE version = $1",
                        args![*version],
                    )?
                    .is_some();
                if !applied {
                    tx.batch(sql)?;
                    tx.execute(
                        "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                        args![*version, now()],
                    )?;
                }
            }
            Ok(())
        })
    }

    /// Whether the store answers a query: what a replica's readiness depends on.
    pub fn check(&self) -> Result<()> {
        self.read(|db| {
            db.rows("SELECT version FROM schema_migrations", &[])?;
            Ok(())
        })
    }

    /// Runs `work` in one transaction.
    fn write<T>(&self, work: impl FnOnce(&mut dyn Sql) -> Result<T>) -> Result<T> {
        match &self.database {
            Database::Sqlite(db) => db.write(work),
            Database::Postgres(db) => db.write(work),
        }
    }

    fn read<T>(&self, work: impl FnOnce(&mut dyn Sql) -> Result<T>) -> Result<T> {
        match &self.database {
            Database::Sqlite(db) => db.read(work),
            Database::Postgres(db) => db.read(work),
        }
    }

    /// Records or refreshes `client`. A client not known yet is refused (`false`) while
    /// `max_unused` others wait for their first sign-in; those that waited a day are gone.
    pub fn save_client(&self, client: &KnownClient, max_unused: usize) -> Result<bool> {
        let uris = serde_json::to_string(&client.redirect_uris)?;
        self.write(|tx| {
            tx.execute(
                "DELETE FROM clients WHERE signed_in_at IS NULL AND fetched_at < $1",
                args![now() - UNUSED_CLIENT_SECS],
            )?;
            let known = tx
                .row(
                    "SELECT 1 FROM clients WHERE client_id = $1",
                    args![&client.client_id],
                )?
                .is_some();
            // Only a newcomer is counted against the others waiting.
            if !known {
                let waiting = tx
                    .row(
                        "SELECT COUNT(*) FROM clients WHERE signed_in_at IS NULL",
                        &[],
                    )?
                    .map_or(Ok(0), |row| row.int(0))?;
                if waiting >= max_unused as i64 {
                    return Ok(false);
                }
            }
            tx.execute(
                "INSERT INTO clients (client_id, kind, client_name, redirect_uris, fetched_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (client_id) DO UPDATE SET kind = excluded.kind,
                     client_name = excluded.client_name, redirect_uris = excluded.redirect_uris,
                     fetched_at = excluded.fetched_at",
                args![
                    &client.client_id,
                    &client.kind,
                    &client.client_name,
                    &uris,
                    client.fetched_at as i64
                ],
            )?;
            Ok(true)
        })
    }

    pub fn client(&self, client_id: &str) -> Result<Option<KnownClient>> {
        let row = self.read(|db| {
            db.row(
                "SELECT kind, client_name, redirect_uris, fetched_at FROM clients
                 WHERE client_id = $1",
                args![client_id],
            )
        })?;
        row.map(|row| {
            Ok(KnownClient {
                client_id: client_id.to_string(),
                kind: row.text(0)?,
                client_name: row.text(1)?,
                redirect_uris: serde_json::from_str(&row.text(2)?)?,
                fetched_at: row.int(3)? as u64,
            })
        })
        .transpose()
    }

    /// Keeps what a client asked for while the user reads the consent page. `id` names it
    /// in the page's form, `browser` in the cookie the page set: both must come back.
    pub fn save_pending(
        &self,
        id: &str,
        browser: &str,
        asked: &Asked,
        lifetime: u64,
    ) -> Result<()> {
        self.write(|tx| {
            // Requests nobody finished are dropped as new ones come.
            drop_expired(tx, "pending_authorizations")?;
            tx.execute(
                "INSERT INTO pending_authorizations (id_hash, browser_hash, client_id,
                     redirect_uri, code_challenge, client_state, scope, resource, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                args![
                    &hash(id),
                    &hash(browser),
                    &asked.client_id,
                    &asked.redirect_uri,
                    &asked.code_challenge,
                    &asked.client_state,
                    &asked.scope,
                    &asked.resource,
                    now() + lifetime as i64
                ],
            )?;
            Ok(())
        })
    }

    /// The request the consent form names, if the same browser sent it, it has not expired
    /// and the user has not answered it yet. It is removed: the form works once.
    pub fn take_pending(&self, id: &str, browser: &str) -> Result<Option<Asked>> {
        let row = self.write(|tx| {
            tx.row(
                "DELETE FROM pending_authorizations
                 WHERE id_hash = $1 AND browser_hash = $2 AND expires_at > $3
                     AND upstream_state_hash IS NULL
                 RETURNING client_id, redirect_uri, code_challenge, client_state, scope, resource",
                args![&hash(id), &hash(browser), now()],
            )
        })?;
        row.as_ref().map(asked_from_row).transpose()
    }

    /// Keeps an approved request while the user signs in at Facturation.PRO: found again by
    /// the upstream `state`, with the PKCE verifier sealed.
    pub fn save_upstream(
        &self,
        upstream_state: &str,
        verifier: &str,
        asked: &Asked,
        lifetime: u64,
    ) -> Result<()> {
        let state_hash = hash(upstream_state);
        let sealed = self
            .key
            .seal(&format!("pending:{state_hash}"), verifier.as_bytes())?;
        self.write(|tx| {
            tx.execute(
                "INSERT INTO pending_authorizations (id_hash, browser_hash, client_id,
                     redirect_uri, code_challenge, client_state, scope, resource,
                     upstream_state_hash, sealed_verifier, expires_at)
                 VALUES ($1, '', $2, $3, $4, $5, $6, $7, $1, $8, $9)",
                args![
                    &state_hash,
                    &asked.client_id,
                    &asked.redirect_uri,
                    &asked.code_challenge,
                    &asked.client_state,
                    &asked.scope,
                    &asked.resource,
                    &sealed,
                    now() + lifetime as i64
                ],
            )?;
            Ok(())
        })
    }

    /// The request waiting for this upstream `state`, and its verifier; once only.
    pub fn take_upstream(&self, upstream_state: &str) -> Result<Option<(Asked, String)>> {
        let state_hash = hash(upstream_state);
        let row = self.write(|tx| {
            tx.row(
                "DELETE FROM pending_authorizations
                 WHERE upstream_state_hash = $1 AND expires_at > $2
                 RETURNING client_id, redirect_uri, code_challenge, client_state, scope,
                     resource, sealed_verifier",
                args![&state_hash, now()],
            )
        })?;
        row.map(|row| {
            let sealed = row.bytes(6)?;
            let verifier = self.key.open(&format!("pending:{state_hash}"), &sealed)?;
            Ok((asked_from_row(&row)?, String::from_utf8(verifier)?))
        })
        .transpose()
    }

    /// The user of this Facturation.PRO account, created on first sign-in.
    pub fn user_for_account(&self, upstream_account: &str, email: &str) -> Result<User> {
        let id = format!("u_{}", &crate::oauth::pkce::random_token()?[..22]);
        let id = self.write(|tx| {
            tx.execute(
                "INSERT INTO users (id, upstream_account, email, created_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (upstream_account) DO UPDATE SET email = excluded.email",
                args![&id, upstream_account, email, now()],
            )?;
            tx.row(
                "SELECT id FROM users WHERE upstream_account = $1",
                args![upstream_account],
            )?
            .context("the user just stored is not in the store")?
            .text(0)
        })?;
        Ok(User {
            id,
            upstream_account: upstream_account.to_string(),
            email: email.to_string(),
        })
    }

    pub fn user(&self, user_id: &str) -> Result<Option<User>> {
        let row = self.read(|db| {
            db.row(
                "SELECT upstream_account, email FROM users WHERE id = $1",
                args![user_id],
            )
        })?;
        row.map(|row| {
            Ok(User {
                id: user_id.to_string(),
                upstream_account: row.text(0)?,
                email: row.text(1)?,
            })
        })
        .transpose()
    }

    /// Stores the user's Facturation.PRO tokens, sealed for that user.
    pub fn save_upstream_tokens(&self, user_id: &str, tokens: &Tokens) -> Result<()> {
        let sealed = self
            .key
            .seal(&format!("user:{user_id}"), &serde_json::to_vec(tokens)?)?;
        self.write(|tx| {
            tx.execute(
                "INSERT INTO upstream_grants (user_id, sealed_tokens, updated_at) VALUES ($1, $2, $3)
                 ON CONFLICT (user_id) DO UPDATE SET sealed_tokens = excluded.sealed_tokens,
                     updated_at = excluded.updated_at",
                args![user_id, &sealed, now()],
            )?;
            Ok(())
        })
    }

    pub fn upstream_tokens(&self, user_id: &str) -> Result<Option<Tokens>> {
        let row = self.read(|db| {
            db.row(
                "SELECT sealed_tokens FROM upstream_grants WHERE user_id = $1",
                args![user_id],
            )
        })?;
        row.map(|row| {
            let plain = self.key.open(&format!("user:{user_id}"), &row.bytes(0)?)?;
            Ok(serde_json::from_slice(&plain)?)
        })
        .transpose()
    }

    /// Forgets the user's Facturation.PRO tokens and every token issued to their clients:
    /// the access was revoked upstream, so every client must sign the user in again.
    pub fn sign_out_everywhere(&self, user_id: &str) -> Result<()> {
        self.write(|tx| {
            for table in ["upstream_grants", "tokens", "authorization_codes"] {
                tx.execute(
                    &format!("DELETE FROM {table} WHERE user_id = $1"),
                    args![user_id],
                )?;
            }
            Ok(())
        })
    }

    pub fn save_code(&self, code: &str, code_grant: &CodeGrant, lifetime: u64) -> Result<()> {
        let grant = &code_grant.grant;
        self.write(|tx| {
            drop_expired(tx, "authorization_codes")?;
            // The client is in use from now on: it no longer counts as waiting.
            tx.execute(
                "UPDATE clients SET signed_in_at = $2
                 WHERE client_id = $1 AND signed_in_at IS NULL",
                args![&grant.client_id, now()],
            )?;
            tx.execute(
                "INSERT INTO authorization_codes (code_hash, user_id, client_id, redirect_uri,
                     code_challenge, scope, resource, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                args![
                    &hash(code),
                    &grant.user_id,
                    &grant.client_id,
                    &code_grant.redirect_uri,
                    &code_grant.code_challenge,
                    &grant.scope,
                    &grant.resource,
                    now() + lifetime as i64
                ],
            )?;
            Ok(())
        })
    }

    /// The code's grant, once: a code is gone after its first presentation, whatever the
    /// outcome of the token request.
    pub fn take_code(&self, code: &str) -> Result<Option<CodeGrant>> {
        let row = self.write(|tx| {
            tx.row(
                "DELETE FROM authorization_codes WHERE code_hash = $1 AND expires_at > $2
                 RETURNING user_id, client_id, scope, resource, redirect_uri, code_challenge",
                args![&hash(code), now()],
            )
        })?;
        row.map(|row| {
            Ok(CodeGrant {
                grant: grant_from_row(&row)?,
                redirect_uri: row.text(4)?,
                code_challenge: row.text(5)?,
            })
        })
        .transpose()
    }

    /// Ends every token of `family` (one sign-in and its refreshes).
    pub fn revoke_family(&self, family: &str) -> Result<()> {
        self.write(|tx| delete_family(tx, family))
    }

    /// Records a token issued to a client (`kind`: `access` or `refresh`).
    pub fn save_token(
        &self,
        token: &str,
        kind: &str,
        family: &str,
        grant: &Grant,
        lifetime: u64,
    ) -> Result<()> {
        self.write(|tx| {
            drop_expired(tx, "tokens")?;
            tx.execute(
                "INSERT INTO tokens (token_hash, kind, family, user_id, client_id, scope,
                     resource, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                args![
                    &hash(token),
                    kind,
                    family,
                    &grant.user_id,
                    &grant.client_id,
                    &grant.scope,
                    &grant.resource,
                    now() + lifetime as i64
                ],
            )?;
            Ok(())
        })
    }

    /// The grant of a live access token.
    pub fn access_grant(&self, token: &str) -> Result<Option<Grant>> {
        let row = self.read(|db| {
            db.row(
                "SELECT user_id, client_id, scope, resource FROM tokens
                 WHERE token_hash = $1 AND kind = 'access' AND expires_at > $2",
                args![&hash(token), now()],
            )
        })?;
        row.as_ref().map(grant_from_row).transpose()
    }

    /// Spends a refresh token; a second presentation revokes everything issued from it.
    /// Two presentations at once, on two replicas, take turns: one rotates, the other is
    /// the replay.
    pub fn use_refresh(&self, token: &str) -> Result<RefreshUse> {
        let token_hash = hash(token);
        self.write(|tx| {
            tx.serialize_on(&token_hash)?;
            let row = tx.row(
                "SELECT user_id, client_id, scope, resource, family, used FROM tokens
                 WHERE token_hash = $1 AND kind = 'refresh' AND expires_at > $2",
                args![&token_hash, now()],
            )?;
            let Some(row) = row else {
                return Ok(RefreshUse::Unknown);
            };
            let family = row.text(4)?;
            if row.int(5)? != 0 {
                delete_family(tx, &family)?;
                return Ok(RefreshUse::Replayed);
            }
            tx.execute(
                "UPDATE tokens SET used = 1 WHERE token_hash = $1",
                args![&token_hash],
            )?;
            // The access tokens of the previous round end with the rotation.
            tx.execute(
                "DELETE FROM tokens WHERE family = $1 AND kind = 'access'",
                args![&family],
            )?;
            Ok(RefreshUse::Fresh {
                grant: grant_from_row(&row)?,
                family,
            })
        })
    }

    /// Revokes a token presented by `client_id` (RFC 7009): a refresh token takes its whole
    /// family with it, an access token only itself. Another client's token is left alone.
    pub fn revoke(&self, token: &str, client_id: &str) -> Result<()> {
        let token_hash = hash(token);
        self.write(|tx| {
            let row = tx.row(
                "SELECT kind, family FROM tokens WHERE token_hash = $1 AND client_id = $2",
                args![&token_hash, client_id],
            )?;
            let Some(row) = row else {
                return Ok(());
            };
            if row.text(0)? == "refresh" {
                delete_family(tx, &row.text(1)?)?;
            } else {
                tx.execute(
                    "DELETE FROM tokens WHERE token_hash = $1",
                    args![&token_hash],
                )?;
            }
            Ok(())
        })
    }
}

impl Store {
    /// Records a confirmation state as answered until `expires_at`; false when it already
    /// was (the answer must not act again).
    pub fn claim_state(&self, state: &str, expires_at: u64) -> Result<bool> {
        self.write(|tx| {
            drop_expired(tx, "spent_states")?;
            let inserted = tx.execute(
                "INSERT INTO spent_states (state_hash, expires_at) VALUES ($1, $2)
                 ON CONFLICT (state_hash) DO NOTHING",
                args![&hash(state), expires_at as i64],
            )?;
            Ok(inserted == 1)
        })
    }

    /// Gives a claimed state back: its call did nothing with it.
    pub fn release_state(&self, state: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "DELETE FROM spent_states WHERE state_hash = $1",
                args![&hash(state)],
            )?;
            Ok(())
        })
    }
}

/// One line of the audit log, as [`Store::record_audit`] keeps it.
pub struct AuditEvent<'a> {
    pub event: &'a str,
    pub write_id: Option<&'a str>,
    pub user_id: Option<&'a str>,
    /// The whole line, JSON, as the audit log file has it.
    pub line: &'a str,
}

impl Store {
    /// Adds a line to the audit log every process on this store shares.
    pub fn record_audit(&self, event: &AuditEvent) -> Result<()> {
        let recorded_at = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_millis() as i64;
        let write_id = event.write_id.map(str::to_string);
        let user_id = event.user_id.map(str::to_string);
        self.write(|tx| {
            tx.execute(
                "INSERT INTO audit_events (recorded_at, event, write_id, user_id, line)
                 VALUES ($1, $2, $3, $4, $5)",
                args![recorded_at, event.event, &write_id, &user_id, event.line],
            )?;
            Ok(())
        })
    }
}

/// How long a call's Idempotency-Key is remembered: longer than any client goes on retrying.
const RETRY_KEY_LIFETIME: u64 = 24 * 60 * 60;

/// What a retried call's first attempt made of the same write.
#[derive(Debug, PartialEq, Eq)]
pub enum FirstAttempt {
    /// The API answered it: its audit line (`answered`, with the status and record id).
    Answered(Value),
    /// No answer was recorded: it may or may not have reached the API.
    Unknown,
}

impl Store {
    /// Claims the `seq`-th write of the call known by `retry_key` for `write_id`; when a
    /// first attempt already claimed it, what became of that one.
    pub fn claim_write(
        &self,
        retry_key: &str,
        seq: u64,
        write_id: &str,
    ) -> Result<Option<FirstAttempt>> {
        let first = self.write(|tx| {
            drop_expired(tx, "call_retries")?;
            let claimed = tx.execute(
                "INSERT INTO call_retries (retry_key, seq, write_id, expires_at)
                 VALUES ($1, $2, $3, $4) ON CONFLICT (retry_key, seq) DO NOTHING",
                args![
                    retry_key,
                    seq as i64,
                    write_id,
                    now() + RETRY_KEY_LIFETIME as i64
                ],
            )?;
            if claimed == 1 {
                return Ok(None);
            }
            tx.row(
                "SELECT write_id FROM call_retries WHERE retry_key = $1 AND seq = $2",
                args![retry_key, seq as i64],
            )?
            .context("the claimed write is not in the store")?
            .text(0)
            .map(Some)
        })?;
        let Some(first) = first else {
            return Ok(None);
        };
        let answered = self.read(|db| {
            db.row(
                "SELECT line FROM audit_events WHERE write_id = $1 AND event = 'answered'",
                args![&first],
            )
        })?;
        Ok(Some(match answered {
            Some(row) => FirstAttempt::Answered(serde_json::from_str(&row.text(0)?)?),
            None => FirstAttempt::Unknown,
        }))
    }
}

/// The API's quotas, as counted in [`Store::take_quota_slot`].
#[derive(Clone, Copy, Debug)]
pub struct Quotas {
    pub per_5_minutes: usize,
    pub per_day: usize,
}

const FIVE_MINUTES_MS: i64 = 5 * 60 * 1000;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

impl Store {
    /// When `account`'s next API request may go, deciding and counting it in one
    /// transaction that requests for the same account take in turns (in any process on this
    /// store), so that two of them cannot both take the last slot. The same rule as
    /// `pacing::Pacer`, on shared counts.
    pub fn take_quota_slot(&self, account: &str, quotas: Quotas, now_ms: i64) -> Result<Slot> {
        self.write(|tx| {
            tx.serialize_on(&format!("quota:{account}"))?;
            tx.execute(
                "DELETE FROM quota_requests WHERE account = $1 AND sent_at <= $2",
                args![account, now_ms - DAY_MS],
            )?;
            let today = tx
                .row(
                    "SELECT COUNT(*) FROM quota_requests WHERE account = $1",
                    args![account],
                )?
                .context("COUNT(*) returned no row")?
                .int(0)?;
            if today >= quotas.per_day as i64 {
                return Ok(Slot::DailyQuotaSpent);
            }
            // With the window full, room comes back when the request that many places
            // back leaves it.
            let holding = tx.row(
                "SELECT sent_at FROM quota_requests WHERE account = $1 AND sent_at > $2
                 ORDER BY sent_at DESC LIMIT 1 OFFSET $3",
                args![
                    account,
                    now_ms - FIVE_MINUTES_MS,
                    quotas.per_5_minutes as i64 - 1
                ],
            )?;
            if let Some(row) = holding {
                let wait = (row.int(0)? + FIVE_MINUTES_MS - now_ms).max(0) as u64;
                return Ok(Slot::After(std::time::Duration::from_millis(wait)));
            }
            tx.execute(
                "INSERT INTO quota_requests (account, sent_at) VALUES ($1, $2)",
                args![account, now_ms],
            )?;
            Ok(Slot::Now)
        })
    }
}

/// Removes the rows of `table` past their expiry, as new ones come: nothing else does.
/// Every token of a sign-in and its refreshes, gone.
fn delete_family(tx: &mut dyn Sql, family: &str) -> Result<()> {
    tx.execute("DELETE FROM tokens WHERE family = $1", args![family])?;
    Ok(())
}

fn drop_expired(tx: &mut dyn Sql, table: &'static str) -> Result<()> {
    tx.execute(
        &format!("DELETE FROM {table} WHERE expires_at < $1"),
        args![now()],
    )?;
    Ok(())
}

fn asked_from_row(row: &Row) -> Result<Asked> {
    Ok(Asked {
        client_id: row.text(0)?,
        redirect_uri: row.text(1)?,
        code_challenge: row.text(2)?,
        client_state: row.optional_text(3)?,
        scope: row.text(4)?,
        resource: row.text(5)?,
    })
}

fn grant_from_row(row: &Row) -> Result<Grant> {
    Ok(Grant {
        user_id: row.text(0)?,
        client_id: row.text(1)?,
        scope: row.text(2)?,
        resource: row.text(3)?,
    })
}

fn now() -> i64 {
    now_secs() as i64
}

#[cfg(test)]
mod tests;
