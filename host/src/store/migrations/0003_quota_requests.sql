-- The API requests sent for each Facturation.PRO account over the last day: the vendor's
-- quotas (per 5 minutes, per day) are per account, so every process serving that account
-- counts in the same place, and a restart forgets nothing. Times in milliseconds since the
-- Unix epoch.
CREATE TABLE quota_requests (
    account TEXT NOT NULL,
    sent_at BIGINT NOT NULL
);
CREATE INDEX quota_requests_by_account ON quota_requests (account, sent_at);
