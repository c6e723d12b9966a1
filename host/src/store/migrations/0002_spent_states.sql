-- Confirmation states already answered, each until its expiry: a state acts once, even
-- when the same answer comes again after a restart (or, later, to another replica).
CREATE TABLE spent_states (
    state_hash TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
