-- Incidents (SLA-SPEC section 2). The row caches the state that the timeline gives, with the
-- columns listings filter and sort on; `state` holds the whole incident (roles, milestones,
-- services, links) as JSON, written together with the columns from one value.
CREATE TABLE incidents (
    id TEXT PRIMARY KEY NOT NULL,
    number INTEGER NOT NULL UNIQUE,
    title TEXT NOT NULL,
    severity TEXT NOT NULL,
    max_severity TEXT NOT NULL,
    status TEXT NOT NULL,
    test INTEGER NOT NULL DEFAULT 0,
    declared_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    state TEXT NOT NULL,
    -- The customer-update cadence (R-I1): when the next update is due, and when the scanner
    -- must look again (a warning or a breach); NULL when nothing is pending.
    update_due_at INTEGER,
    cadence_next_check_at INTEGER
);
CREATE INDEX incidents_declared ON incidents (declared_at);
CREATE INDEX incidents_cadence_check ON incidents (cadence_next_check_at) WHERE cadence_next_check_at IS NOT NULL;

-- Which accounts an incident impacts: who may see it follows from these (account scope).
CREATE TABLE incident_accounts (
    incident_id TEXT NOT NULL REFERENCES incidents(id),
    account_id TEXT NOT NULL REFERENCES accounts(id),
    PRIMARY KEY (incident_id, account_id)
);
CREATE INDEX incident_accounts_account ON incident_accounts (account_id);

-- Append-only: edits are new entries (section 2.2).
CREATE TABLE incident_timeline (
    incident_id TEXT NOT NULL REFERENCES incidents(id),
    seq INTEGER NOT NULL,
    at INTEGER NOT NULL,
    actor_id TEXT REFERENCES users(id),
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    PRIMARY KEY (incident_id, seq)
);
CREATE TRIGGER incident_timeline_no_update BEFORE UPDATE ON incident_timeline
BEGIN SELECT RAISE(ABORT, 'incident_timeline is append-only'); END;
CREATE TRIGGER incident_timeline_no_delete BEFORE DELETE ON incident_timeline
BEGIN SELECT RAISE(ABORT, 'incident_timeline is append-only'); END;

-- Cadence warnings and breaches, each once (R-W4 keyed per incident).
CREATE TABLE incident_alerts (
    incident_id TEXT NOT NULL REFERENCES incidents(id),
    cycle_no INTEGER NOT NULL,
    kind TEXT NOT NULL,
    threshold INTEGER NOT NULL,
    at INTEGER NOT NULL,
    recorded_at INTEGER NOT NULL,
    PRIMARY KEY (incident_id, cycle_no, kind, threshold)
);

-- Post-incident reviews (SLA-SPEC 2.6): one per incident, stored whole like the incident.
CREATE TABLE incident_reviews (
    incident_id TEXT PRIMARY KEY NOT NULL REFERENCES incidents(id),
    status TEXT NOT NULL,
    due_at INTEGER,
    updated_at INTEGER NOT NULL,
    state TEXT NOT NULL
);

-- A notification may be about an incident, and links to it.
ALTER TABLE notifications ADD COLUMN incident_id TEXT REFERENCES incidents(id);
