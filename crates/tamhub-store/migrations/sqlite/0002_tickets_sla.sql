-- Business calendars, SLA policies, tickets with their append-only event log and cached SLA
-- state, SLA alerts, notifications, escalations, and leases for periodic jobs.

CREATE TABLE business_calendars (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- R-K10 / R-K12: every edit is a new version effective from an instant; old ones stay.
CREATE TABLE calendar_versions (
    calendar_id TEXT NOT NULL REFERENCES business_calendars(id),
    version INTEGER NOT NULL,
    effective_from INTEGER NOT NULL,
    hours TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT REFERENCES users(id),
    PRIMARY KEY (calendar_id, version)
);

-- The ordered policy list, versioned as a whole (R-T1, R-T3).
CREATE TABLE sla_policy_sets (
    version INTEGER PRIMARY KEY NOT NULL,
    effective_from INTEGER NOT NULL,
    policies TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT REFERENCES users(id)
);

-- One row: the organisation's default calendar and a revision that every calendar or policy
-- change bumps, so servers know when to reload their copy.
CREATE TABLE sla_settings (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    revision INTEGER NOT NULL,
    default_calendar_id TEXT REFERENCES business_calendars(id)
);
INSERT INTO sla_settings (id, revision, default_calendar_id) VALUES (1, 0, NULL);

ALTER TABLE accounts ADD COLUMN calendar_id TEXT REFERENCES business_calendars(id);

CREATE TABLE tickets (
    id TEXT PRIMARY KEY NOT NULL,
    number INTEGER NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    priority TEXT NOT NULL,
    status TEXT NOT NULL,
    ticket_type TEXT NOT NULL,
    assignee_id TEXT REFERENCES users(id),
    requester_id TEXT REFERENCES users(id),
    created_by TEXT REFERENCES users(id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    -- Cached SLA state (R-C3: always equal to a recomputation from the event log).
    last_seq INTEGER NOT NULL,
    sla_evaluated_at INTEGER,
    sla_cycles TEXT NOT NULL DEFAULT '[]',
    -- What breaches next: the earliest due instant of a running clock, for queues; the rank
    -- puts tickets without a running clock last and lets an index give the order.
    sla_due_at INTEGER,
    sla_due_rank INTEGER GENERATED ALWAYS AS (COALESCE(sla_due_at, 9223372036854775807)) VIRTUAL,
    -- R-W4: when the scanner must look again; NULL when nothing can change without an event.
    sla_next_check_at INTEGER
);
CREATE INDEX tickets_account ON tickets (account_id, status);
CREATE INDEX tickets_assignee ON tickets (assignee_id, status);
CREATE INDEX tickets_queue ON tickets (sla_due_rank, number) WHERE status NOT IN ('solved', 'closed');
CREATE INDEX tickets_next_check ON tickets (sla_next_check_at) WHERE sla_next_check_at IS NOT NULL;

CREATE TABLE ticket_events (
    ticket_id TEXT NOT NULL REFERENCES tickets(id),
    seq INTEGER NOT NULL,
    at INTEGER NOT NULL,
    actor_id TEXT REFERENCES users(id),
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    PRIMARY KEY (ticket_id, seq)
);
CREATE TRIGGER ticket_events_no_update BEFORE UPDATE ON ticket_events
BEGIN SELECT RAISE(ABORT, 'ticket_events is append-only'); END;
CREATE TRIGGER ticket_events_no_delete BEFORE DELETE ON ticket_events
BEGIN SELECT RAISE(ABORT, 'ticket_events is append-only'); END;

-- R-W4: the key makes every warning and breach exist once, however many servers evaluate.
CREATE TABLE sla_alerts (
    ticket_id TEXT NOT NULL REFERENCES tickets(id),
    metric TEXT NOT NULL,
    cycle_no INTEGER NOT NULL,
    kind TEXT NOT NULL,
    threshold INTEGER NOT NULL,
    at INTEGER NOT NULL,
    recorded_at INTEGER NOT NULL,
    PRIMARY KEY (ticket_id, metric, cycle_no, kind, threshold)
);
CREATE INDEX sla_alerts_at ON sla_alerts (at);

CREATE TABLE notifications (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    account_id TEXT REFERENCES accounts(id),
    ticket_id TEXT REFERENCES tickets(id),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    read_at INTEGER
);
CREATE INDEX notifications_user ON notifications (user_id, at);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;

CREATE TABLE escalations (
    id TEXT PRIMARY KEY NOT NULL,
    ticket_id TEXT NOT NULL UNIQUE REFERENCES tickets(id),
    brief TEXT NOT NULL,
    engineering_team TEXT NOT NULL,
    engineering_owner_id TEXT REFERENCES users(id),
    escalated_by TEXT REFERENCES users(id),
    escalated_at INTEGER NOT NULL,
    acknowledged_by TEXT REFERENCES users(id),
    acknowledged_at INTEGER,
    completeness_score INTEGER NOT NULL,
    reviewer_score INTEGER,
    reviewer_id TEXT REFERENCES users(id),
    reviewer_note TEXT NOT NULL DEFAULT '',
    reviewed_at INTEGER
);

-- Periodic jobs hold a lease so one server runs them at a time.
CREATE TABLE job_leases (
    name TEXT PRIMARY KEY NOT NULL,
    holder TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
