-- Business calendars, SLA policies, tickets with their append-only event log and cached SLA
-- state, SLA alerts, notifications, escalations, and leases for periodic jobs.

CREATE TABLE business_calendars (
    id UUID PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- R-K10 / R-K12: every edit is a new version effective from an instant; old ones stay.
CREATE TABLE calendar_versions (
    calendar_id UUID NOT NULL REFERENCES business_calendars(id),
    version BIGINT NOT NULL,
    effective_from TIMESTAMPTZ NOT NULL,
    hours JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    created_by UUID REFERENCES users(id),
    PRIMARY KEY (calendar_id, version)
);

-- The ordered policy list, versioned as a whole (R-T1, R-T3).
CREATE TABLE sla_policy_sets (
    version BIGINT PRIMARY KEY,
    effective_from TIMESTAMPTZ NOT NULL,
    policies JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    created_by UUID REFERENCES users(id)
);

-- One row: the organisation's default calendar and a revision that every calendar or policy
-- change bumps, so servers know when to reload their copy.
CREATE TABLE sla_settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    revision BIGINT NOT NULL,
    default_calendar_id UUID REFERENCES business_calendars(id)
);
INSERT INTO sla_settings (id, revision, default_calendar_id) VALUES (1, 0, NULL);

ALTER TABLE accounts ADD COLUMN calendar_id UUID REFERENCES business_calendars(id);

CREATE SEQUENCE ticket_numbers START 1001;

CREATE TABLE tickets (
    id UUID PRIMARY KEY,
    number BIGINT NOT NULL UNIQUE,
    account_id UUID NOT NULL REFERENCES accounts(id),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    priority TEXT NOT NULL,
    status TEXT NOT NULL,
    ticket_type TEXT NOT NULL,
    assignee_id UUID REFERENCES users(id),
    requester_id UUID REFERENCES users(id),
    created_by UUID REFERENCES users(id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    -- Cached SLA state (R-C3: always equal to a recomputation from the event log).
    last_seq BIGINT NOT NULL,
    sla_evaluated_at TIMESTAMPTZ,
    sla_cycles JSONB NOT NULL DEFAULT '[]',
    -- What breaches next: the earliest due instant of a running clock, for queues; the rank
    -- puts tickets without a running clock last and lets an index give the order.
    sla_due_at TIMESTAMPTZ,
    sla_due_rank TIMESTAMPTZ GENERATED ALWAYS AS (COALESCE(sla_due_at, 'infinity'::TIMESTAMPTZ)) STORED,
    -- R-W4: when the scanner must look again; NULL when nothing can change without an event.
    sla_next_check_at TIMESTAMPTZ
);
CREATE INDEX tickets_account ON tickets (account_id, status);
CREATE INDEX tickets_assignee ON tickets (assignee_id, status);
CREATE INDEX tickets_queue ON tickets (sla_due_rank, number) WHERE status NOT IN ('solved', 'closed');
CREATE INDEX tickets_next_check ON tickets (sla_next_check_at) WHERE sla_next_check_at IS NOT NULL;

CREATE TABLE ticket_events (
    ticket_id UUID NOT NULL REFERENCES tickets(id),
    seq BIGINT NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    actor_id UUID REFERENCES users(id),
    kind TEXT NOT NULL,
    payload JSONB NOT NULL,
    PRIMARY KEY (ticket_id, seq)
);
CREATE FUNCTION ticket_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ticket_events is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER ticket_events_no_change BEFORE UPDATE OR DELETE ON ticket_events
FOR EACH ROW EXECUTE FUNCTION ticket_events_append_only();

-- R-W4: the key makes every warning and breach exist once, however many servers evaluate.
CREATE TABLE sla_alerts (
    ticket_id UUID NOT NULL REFERENCES tickets(id),
    metric TEXT NOT NULL,
    cycle_no INTEGER NOT NULL,
    kind TEXT NOT NULL,
    threshold BIGINT NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (ticket_id, metric, cycle_no, kind, threshold)
);
CREATE INDEX sla_alerts_at ON sla_alerts (at);

CREATE TABLE notifications (
    id UUID PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users(id),
    at TIMESTAMPTZ NOT NULL,
    kind TEXT NOT NULL,
    account_id UUID REFERENCES accounts(id),
    ticket_id UUID REFERENCES tickets(id),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    read_at TIMESTAMPTZ
);
CREATE INDEX notifications_user ON notifications (user_id, at);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;

CREATE TABLE escalations (
    id UUID PRIMARY KEY,
    ticket_id UUID NOT NULL UNIQUE REFERENCES tickets(id),
    brief JSONB NOT NULL,
    engineering_team TEXT NOT NULL,
    engineering_owner_id UUID REFERENCES users(id),
    escalated_by UUID REFERENCES users(id),
    escalated_at TIMESTAMPTZ NOT NULL,
    acknowledged_by UUID REFERENCES users(id),
    acknowledged_at TIMESTAMPTZ,
    completeness_score INTEGER NOT NULL,
    reviewer_score INTEGER,
    reviewer_id UUID REFERENCES users(id),
    reviewer_note TEXT NOT NULL DEFAULT '',
    reviewed_at TIMESTAMPTZ
);

-- Periodic jobs hold a lease so one server runs them at a time.
CREATE TABLE job_leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
