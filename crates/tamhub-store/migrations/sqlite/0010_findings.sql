-- Findings: cost-optimisation findings and review improvement items (issue 7). `state` holds each
-- as JSON with its status history; the columns are what queries filter on.
CREATE TABLE findings (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    status TEXT NOT NULL,
    version INTEGER NOT NULL,
    state TEXT NOT NULL
);
CREATE INDEX findings_account ON findings (account_id, status);
