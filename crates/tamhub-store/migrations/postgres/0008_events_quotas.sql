-- Event readiness (IEM) and service quotas (PRODUCT capabilities 7 and 8). `state` holds each as
-- JSON; the columns are what queries filter and sort on.
CREATE TABLE events (
    id UUID PRIMARY KEY,
    account_id UUID NOT NULL REFERENCES accounts(id),
    starts_at TIMESTAMPTZ NOT NULL,
    ends_at TIMESTAMPTZ NOT NULL,
    version BIGINT NOT NULL,
    state JSONB NOT NULL
);
CREATE INDEX events_account ON events (account_id, starts_at);
CREATE INDEX events_ends ON events (ends_at);

CREATE TABLE quotas (
    id UUID PRIMARY KEY,
    account_id UUID NOT NULL REFERENCES accounts(id),
    version BIGINT NOT NULL,
    state JSONB NOT NULL
);
CREATE INDEX quotas_account ON quotas (account_id);
