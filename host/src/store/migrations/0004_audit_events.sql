-- The audit log of every process on this store in one place: each line the host writes to
-- FACTURATION_AUDIT_LOG (sending, answered, no_answer, refused), one row, whichever replica
-- wrote it. A write's `sending` row is stored before the request leaves.
CREATE TABLE audit_events (
    recorded_at BIGINT NOT NULL,
    event TEXT NOT NULL,
    write_id TEXT,
    user_id TEXT,
    line TEXT NOT NULL
);
CREATE INDEX audit_events_by_write ON audit_events (write_id);
CREATE INDEX audit_events_by_user ON audit_events (user_id, recorded_at);
