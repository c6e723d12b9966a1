-- When each client first completed a sign-in. A registration that never leads to one
-- (abandoned, or made in bulk to fill the store) is dropped a day after it was made, and
-- only so many may wait at once. Clients known before this step are counted as signed in.
ALTER TABLE clients ADD COLUMN signed_in_at BIGINT;
UPDATE clients SET signed_in_at = fetched_at;
