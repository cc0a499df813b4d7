-- Success plans and the risk register (PRODUCT capability 9). `state` holds each as JSON; the
-- columns are what queries filter on. Their actions are rows of `actions` with the account.
CREATE TABLE success_plans (
    id UUID PRIMARY KEY,
    account_id UUID NOT NULL REFERENCES accounts(id),
    shared BOOLEAN NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    version BIGINT NOT NULL,
    state JSONB NOT NULL
);
CREATE INDEX success_plans_account ON success_plans (account_id);

CREATE TABLE risks (
    id UUID PRIMARY KEY,
    account_id UUID NOT NULL REFERENCES accounts(id),
    status TEXT NOT NULL,
    score INTEGER NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    version BIGINT NOT NULL,
    state JSONB NOT NULL
);
CREATE INDEX risks_account ON risks (account_id, status);
