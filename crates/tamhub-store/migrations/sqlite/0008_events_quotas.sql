-- Event readiness (IEM) and service quotas (PRODUCT capabilities 7 and 8). `state` holds each as
-- JSON; the columns are what queries filter and sort on.
CREATE TABLE events (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    version INTEGER NOT NULL,
    state TEXT NOT NULL
);
CREATE INDEX events_account ON events (account_id, starts_at);
CREATE INDEX events_ends ON events (ends_at);

CREATE TABLE quotas (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    version INTEGER NOT NULL,
    state TEXT NOT NULL
);
CREATE INDEX quotas_account ON quotas (account_id);
