-- Actions: one model for every follow-up (SLA-SPEC 2.6 action items, PRODUCT capability 5).
-- `state` holds the whole action as JSON; the columns are what lists filter and sort on.
-- Who may see an action follows from its source: for a review's corrective action, the
-- accounts its incident impacts.
CREATE SEQUENCE action_numbers START 1;
CREATE TABLE actions (
    id UUID PRIMARY KEY,
    number BIGINT NOT NULL UNIQUE,
    incident_id UUID REFERENCES incidents(id),
    owner_id UUID NOT NULL REFERENCES users(id),
    service TEXT,
    priority TEXT NOT NULL,
    status TEXT NOT NULL,
    due_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ NOT NULL,
    version BIGINT NOT NULL,
    state JSONB NOT NULL
);
CREATE INDEX actions_incident ON actions (incident_id);
CREATE INDEX actions_open_due ON actions (due_at) WHERE status IN ('open', 'in_progress');
CREATE INDEX actions_owner ON actions (owner_id);

-- Reminders sent to an action's owner, each once per due date (a new due date reminds again).
CREATE TABLE action_reminders (
    action_id UUID NOT NULL REFERENCES actions(id),
    kind TEXT NOT NULL,
    due_at TIMESTAMPTZ NOT NULL,
    sent_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (action_id, kind, due_at)
);

ALTER TABLE notifications ADD COLUMN action_id UUID REFERENCES actions(id);
