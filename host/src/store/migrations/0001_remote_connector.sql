-- The remote connector's state: who signed in, with which MCP client, holding which tokens.
-- Plain SQL that SQLite and PostgreSQL both read: the embedded store and the one several
-- replicas share take the same migrations. Binary columns are BYTEA, PostgreSQL's name,
-- which SQLite stores as it would a BLOB. Secrets are never stored as given: our own tokens
-- and codes by their SHA-256, the users' Facturation.PRO tokens sealed.

-- One person, as Facturation.PRO knows them: signing in again finds the same user.
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    upstream_account TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- The user's Facturation.PRO tokens, sealed with FACTURATION_STORE_KEY. No row: the user
-- must sign in again (they revoked the application, or never finished signing in).
CREATE TABLE upstream_grants (
    user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    sealed_tokens BYTEA NOT NULL,
    updated_at BIGINT NOT NULL
);

-- MCP clients: registered here (RFC 7591) or known by their metadata document's URL.
CREATE TABLE clients (
    client_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    client_name TEXT NOT NULL,
    redirect_uris TEXT NOT NULL,
    fetched_at BIGINT NOT NULL
);

-- An authorization in progress: asked by a client, shown on the consent page, then away at
-- Facturation.PRO until its callback comes back with the upstream state.
CREATE TABLE pending_authorizations (
    id_hash TEXT PRIMARY KEY,
    browser_hash TEXT NOT NULL,
    client_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    client_state TEXT,
    scope TEXT NOT NULL,
    resource TEXT NOT NULL,
    upstream_state_hash TEXT UNIQUE,
    sealed_verifier BYTEA,
    expires_at BIGINT NOT NULL
);

-- Codes handed to a client's redirect URI, each redeemable once.
CREATE TABLE authorization_codes (
    code_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    scope TEXT NOT NULL,
    resource TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- Access and refresh tokens issued to clients. A family is one sign-in and its chain of
-- refreshes: a refresh token presented twice revokes the whole family.
CREATE TABLE tokens (
    token_hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    family TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    resource TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    used INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX tokens_by_family ON tokens (family);
CREATE INDEX tokens_by_user ON tokens (user_id);
