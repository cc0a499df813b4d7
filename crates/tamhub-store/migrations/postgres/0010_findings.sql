-- Findings: cost-optimisation findings and review improvement items (issue 7). `state` holds each
-- as JSON with its status history; the columns are what queries filter on.
CREATE TABLE findings (
    id UUID PRIMARY KEY,
    account_id UUID NOT NULL REFERENCES accounts(id),
    status TEXT NOT NULL,
    version BIGINT NOT NULL,
    state JSONB NOT NULL
);
CREATE INDEX findings_account ON findings (account_id, status);
