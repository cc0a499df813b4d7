-- Incidents (SLA-SPEC section 2). The row caches the state that the timeline gives, with the
-- columns listings filter and sort on; `state` holds the whole incident (roles, milestones,
-- services, links) as JSON, written together with the columns from one value.
CREATE SEQUENCE incident_numbers START 1;
CREATE TABLE incidents (
    id UUID PRIMARY KEY,
    number BIGINT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    severity TEXT NOT NULL,
    max_severity TEXT NOT NULL,
    status TEXT NOT NULL,
    test BOOLEAN NOT NULL DEFAULT FALSE,
    declared_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    last_seq BIGINT NOT NULL,
    state JSONB NOT NULL,
    -- The customer-update cadence (R-I1): when the next update is due, and when the scanner
    -- must look again (a warning or a breach); NULL when nothing is pending.
    update_due_at TIMESTAMPTZ,
    cadence_next_check_at TIMESTAMPTZ
);
CREATE INDEX incidents_declared ON incidents (declared_at);
CREATE INDEX incidents_cadence_check ON incidents (cadence_next_check_at) WHERE cadence_next_check_at IS NOT NULL;

-- Which accounts an incident impacts: who may see it follows from these (account scope).
CREATE TABLE incident_accounts (
    incident_id UUID NOT NULL REFERENCES incidents(id),
    account_id UUID NOT NULL REFERENCES accounts(id),
    PRIMARY KEY (incident_id, account_id)
);
CREATE INDEX incident_accounts_account ON incident_accounts (account_id);

-- Append-only: edits are new entries (section 2.2).
CREATE TABLE incident_timeline (
    incident_id UUID NOT NULL REFERENCES incidents(id),
    seq BIGINT NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    actor_id UUID REFERENCES users(id),
    kind TEXT NOT NULL,
    payload JSONB NOT NULL,
    PRIMARY KEY (incident_id, seq)
);
CREATE FUNCTION incident_timeline_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'incident_timeline is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER incident_timeline_no_change BEFORE UPDATE OR DELETE ON incident_timeline
FOR EACH ROW EXECUTE FUNCTION incident_timeline_append_only();

-- Cadence warnings and breaches, each once (R-W4 keyed per incident).
CREATE TABLE incident_alerts (
    incident_id UUID NOT NULL REFERENCES incidents(id),
    cycle_no INTEGER NOT NULL,
    kind TEXT NOT NULL,
    threshold BIGINT NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (incident_id, cycle_no, kind, threshold)
);

-- Post-incident reviews (SLA-SPEC 2.6): one per incident, stored whole like the incident.
CREATE TABLE incident_reviews (
    incident_id UUID PRIMARY KEY REFERENCES incidents(id),
    status TEXT NOT NULL,
    due_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ NOT NULL,
    state JSONB NOT NULL
);

-- A notification may be about an incident, and links to it.
ALTER TABLE notifications ADD COLUMN incident_id UUID REFERENCES incidents(id);
