-- The writes of each tools/call that carried an Idempotency-Key, by the user's key and the
-- write's place in the call. A retry of the call (its replica died, its connection broke)
-- finds the first attempt here, and its outcome in audit_events, instead of writing again.
CREATE TABLE call_retries (
    retry_key TEXT NOT NULL,
    seq BIGINT NOT NULL,
    write_id TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (retry_key, seq)
);
