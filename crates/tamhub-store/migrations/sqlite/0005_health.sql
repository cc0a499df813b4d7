-- Health scores (PRODUCT capability 2): pushed signals, versioned scorecards per tier, daily
-- snapshots of each account's score, and the TAM's override beside the number.

-- A point is identified by account, name and instant: the same point sent twice is stored once.
CREATE TABLE signals (
    account_id TEXT NOT NULL REFERENCES accounts(id),
    name TEXT NOT NULL,
    at INTEGER NOT NULL,
    value REAL NOT NULL,
    recorded_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, name, at)
);

-- Every change is a new version; the highest is the one in force.
CREATE TABLE scorecards (
    tier TEXT NOT NULL,
    version INTEGER NOT NULL,
    content TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT REFERENCES users(id),
    PRIMARY KEY (tier, version)
);

-- One score per account and day (UTC), with the breakdown it was made of.
CREATE TABLE health_snapshots (
    account_id TEXT NOT NULL REFERENCES accounts(id),
    day TEXT NOT NULL,
    scorecard_version INTEGER NOT NULL,
    score REAL,
    band TEXT NOT NULL,
    breakdown TEXT NOT NULL,
    computed_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, day)
);
CREATE INDEX health_snapshots_day ON health_snapshots (day);

-- A TAM's judgement beside the number: kept and shown, never averaged in.
CREATE TABLE health_overrides (
    account_id TEXT PRIMARY KEY NOT NULL REFERENCES accounts(id),
    band TEXT NOT NULL,
    reason TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    set_by TEXT REFERENCES users(id),
    set_at INTEGER NOT NULL
);

-- The built-in measures count an account's tickets by creation time, its open urgent tickets
-- and its breaches: indexes that answer those counts without reading the rows.
CREATE INDEX tickets_account_created ON tickets (account_id, created_at);
CREATE INDEX tickets_account_open_priority ON tickets (account_id, priority) WHERE status NOT IN ('solved', 'closed');
CREATE INDEX sla_alerts_ticket_kind ON sla_alerts (ticket_id, kind, at);
