-- The engagement charter and its cadence (PRODUCT capabilities 5 and 9): contacts (the
-- stakeholder map), charter versions, the engagements they schedule, meetings, and the secret
-- calendar feeds. `state` holds each record as JSON; the columns are what queries filter on.
CREATE TABLE contacts (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    name TEXT NOT NULL,
    executive_sponsor INTEGER NOT NULL,
    state TEXT NOT NULL
);
CREATE INDEX contacts_account ON contacts (account_id, name);

-- Every version of every charter; the highest version is in force.
CREATE TABLE charters (
    account_id TEXT NOT NULL REFERENCES accounts(id),
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (account_id, version)
);

-- Scheduled engagements. `outcome` is open, held or skipped; overdue is an open one past
-- `window_closes` (dates are the account's civil dates, YYYY-MM-DD). One per type, workload
-- ('' for none) and due day.
CREATE TABLE engagements (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    engagement_type TEXT NOT NULL,
    workload TEXT NOT NULL,
    due_on TEXT NOT NULL,
    window_closes TEXT NOT NULL,
    outcome TEXT NOT NULL,
    overdue_notified INTEGER NOT NULL,
    state TEXT NOT NULL,
    UNIQUE (account_id, engagement_type, workload, due_on)
);
CREATE INDEX engagements_due ON engagements (due_on);
CREATE INDEX engagements_to_notify ON engagements (window_closes) WHERE outcome = 'open' AND overdue_notified = 0;

CREATE TABLE meetings (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    starts_at INTEGER NOT NULL,
    state TEXT NOT NULL
);
CREATE INDEX meetings_account ON meetings (account_id, starts_at);

-- A user's calendar feed: the URL holds a secret token, stored hashed. Rotating revokes the old.
CREATE TABLE calendar_feeds (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX calendar_feeds_user ON calendar_feeds (user_id);

-- Actions from single-account sources (meetings; later success plans and risks) carry the
-- account, so who sees them follows from it.
ALTER TABLE actions ADD COLUMN account_id TEXT REFERENCES accounts(id);
CREATE INDEX actions_account ON actions (account_id);
