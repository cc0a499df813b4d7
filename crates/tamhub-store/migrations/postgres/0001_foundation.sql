-- Users, sessions, API tokens, accounts, handoff, audit log, settings.

CREATE TABLE users (
    id UUID PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    account_id UUID,
    password_hash TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE accounts (
    id UUID PRIMARY KEY,
    name TEXT NOT NULL,
    tier TEXT NOT NULL,
    arr BIGINT NOT NULL,
    currency TEXT NOT NULL,
    renewal_date DATE,
    region TEXT NOT NULL,
    timezone TEXT NOT NULL,
    phase TEXT NOT NULL,
    workloads JSONB NOT NULL DEFAULT '[]',
    downtime_cost_per_hour BIGINT,
    primary_tam_id UUID REFERENCES users(id),
    backup_tam_id UUID REFERENCES users(id),
    psm_id UUID REFERENCES users(id),
    pam_id UUID REFERENCES users(id),
    support_ids UUID[] NOT NULL DEFAULT '{}',
    archived_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX accounts_name ON accounts (name);
CREATE INDEX accounts_primary_tam ON accounts (primary_tam_id);
CREATE INDEX accounts_backup_tam ON accounts (backup_tam_id);
CREATE INDEX accounts_psm ON accounts (psm_id);
CREATE INDEX accounts_pam ON accounts (pam_id);
CREATE INDEX accounts_support ON accounts USING GIN (support_ids);

ALTER TABLE users ADD CONSTRAINT users_account FOREIGN KEY (account_id) REFERENCES accounts(id);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id UUID PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE login_failures (
    id BIGSERIAL PRIMARY KEY,
    email TEXT NOT NULL,
    ip TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL
);
CREATE INDEX login_failures_email ON login_failures (email, at);
CREATE INDEX login_failures_ip ON login_failures (ip, at);

CREATE TABLE phase_changes (
    id BIGSERIAL PRIMARY KEY,
    account_id UUID NOT NULL REFERENCES accounts(id),
    from_phase TEXT NOT NULL,
    to_phase TEXT NOT NULL,
    actor_id UUID REFERENCES users(id),
    at TIMESTAMPTZ NOT NULL
);
CREATE INDEX phase_changes_account ON phase_changes (account_id, at);

CREATE TABLE handoffs (
    account_id UUID PRIMARY KEY REFERENCES accounts(id),
    meeting_held BOOLEAN NOT NULL,
    documentation_reviewed BOOLEAN NOT NULL,
    shadow_period_done BOOLEAN NOT NULL,
    notes TEXT NOT NULL,
    psm_signed_by UUID REFERENCES users(id),
    psm_signed_at TIMESTAMPTZ,
    tam_signed_by UUID REFERENCES users(id),
    tam_signed_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ
);

CREATE TABLE audit_log (
    id UUID PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL,
    actor_id UUID REFERENCES users(id),
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    account_id UUID,
    action TEXT NOT NULL,
    before JSONB,
    after JSONB
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_account ON audit_log (account_id, at);

-- The audit log is append-only: the database refuses edits and deletions.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value JSONB NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
