-- Success plans and the risk register (PRODUCT capability 9). `state` holds each as JSON; the
-- columns are what queries filter on. Their actions are rows of `actions` with the account.
CREATE TABLE success_plans (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    shared INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    version INTEGER NOT NULL,
    state TEXT NOT NULL
);
CREATE INDEX success_plans_account ON success_plans (account_id);

CREATE TABLE risks (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    status TEXT NOT NULL,
    score INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    version INTEGER NOT NULL,
    state TEXT NOT NULL
);
CREATE INDEX risks_account ON risks (account_id, status);
