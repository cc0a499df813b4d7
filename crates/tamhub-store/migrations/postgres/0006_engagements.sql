-- The engagement charter and its cadence (PRODUCT capabilities 5 and 9): contacts (the
-- stakeholder map), charter versions, the engagements they schedule, meetings, and the secret
-- calendar feeds. `state` holds each record as JSON; the columns are what queries filter on.
CREATE TABLE contacts (
    id UUID PRIMARY KEY,
    account_id UUID NOT NULL REFERENCES accounts(id),
    name TEXT NOT NULL,
    executive_sponsor BOOLEAN NOT NULL,
    state JSONB NOT NULL
);
CREATE INDEX contacts_account ON contacts (account_id, name);

-- Every version of every charter; the highest version is in force.
CREATE TABLE charters (
    account_id UUID NOT NULL REFERENCES accounts(id),
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    state JSONB NOT NULL,
    PRIMARY KEY (account_id, version)
);

-- Scheduled engagements. `outcome` is open, held or skipped; overdue is an open one past
-- `window_closes` (dates are the account's civil dates). One per type, workload
-- ('' for none) and due day.
CREATE TABLE engagements (
    id UUID PRIMARY KEY,
    account_id UUID NOT NULL REFERENCES accounts(id),
    engagement_type TEXT NOT NULL,
    workload TEXT NOT NULL,
    due_on DATE NOT NULL,
    window_closes DATE NOT NULL,
    outcome TEXT NOT NULL,
    overdue_notified BOOLEAN NOT NULL,
    state JSONB NOT NULL,
    UNIQUE (account_id, engagement_type, workload, due_on)
);
CREATE INDEX engagements_due ON engagements (due_on);
CREATE INDEX engagements_to_notify ON engagements (window_closes) WHERE outcome = 'open' AND NOT overdue_notified;

CREATE TABLE meetings (
    id UUID PRIMARY KEY,
    account_id UUID NOT NULL REFERENCES accounts(id),
    starts_at TIMESTAMPTZ NOT NULL,
    state JSONB NOT NULL
);
CREATE INDEX meetings_account ON meetings (account_id, starts_at);

-- A user's calendar feed: the URL holds a secret token, stored hashed. Rotating revokes the old.
CREATE TABLE calendar_feeds (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id UUID NOT NULL REFERENCES users(id),
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX calendar_feeds_user ON calendar_feeds (user_id);

-- Actions from single-account sources (meetings; later success plans and risks) carry the
-- account, so who sees them follows from it.
ALTER TABLE actions ADD COLUMN account_id UUID REFERENCES accounts(id);
CREATE INDEX actions_account ON actions (account_id);
