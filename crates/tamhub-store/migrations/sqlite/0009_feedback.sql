-- Feature requests and expansion opportunities (PRODUCT capability 10). A request concerns the
-- accounts that want it (`feature_request_accounts`, which scopes who sees it); `state` holds
-- each record as JSON.
CREATE TABLE feature_requests (
    id TEXT PRIMARY KEY NOT NULL,
    status TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    version INTEGER NOT NULL,
    state TEXT NOT NULL
);

CREATE TABLE feature_request_accounts (
    request_id TEXT NOT NULL REFERENCES feature_requests(id),
    account_id TEXT NOT NULL REFERENCES accounts(id),
    PRIMARY KEY (request_id, account_id)
);
CREATE INDEX feature_request_accounts_account ON feature_request_accounts (account_id);

CREATE TABLE opportunities (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    version INTEGER NOT NULL,
    state TEXT NOT NULL
);
CREATE INDEX opportunities_account ON opportunities (account_id);
