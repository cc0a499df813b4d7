-- Users, sessions, API tokens, accounts, handoff, audit log, settings.
-- Ids are UUID text; instants are Unix milliseconds; dates are ISO text (YYYY-MM-DD).

CREATE TABLE accounts (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    tier TEXT NOT NULL,
    arr INTEGER NOT NULL,
    currency TEXT NOT NULL,
    renewal_date TEXT,
    region TEXT NOT NULL,
    timezone TEXT NOT NULL,
    phase TEXT NOT NULL,
    workloads TEXT NOT NULL DEFAULT '[]',
    downtime_cost_per_hour INTEGER,
    primary_tam_id TEXT REFERENCES users(id),
    backup_tam_id TEXT REFERENCES users(id),
    psm_id TEXT REFERENCES users(id),
    pam_id TEXT REFERENCES users(id),
    support_ids TEXT NOT NULL DEFAULT '[]',
    archived_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX accounts_name ON accounts (name);
CREATE INDEX accounts_primary_tam ON accounts (primary_tam_id);
CREATE INDEX accounts_backup_tam ON accounts (backup_tam_id);
CREATE INDEX accounts_psm ON accounts (psm_id);
CREATE INDEX accounts_pam ON accounts (pam_id);

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    account_id TEXT REFERENCES accounts(id),
    password_hash TEXT NOT NULL,
    active INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE login_failures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL,
    ip TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX login_failures_email ON login_failures (email, at);
CREATE INDEX login_failures_ip ON login_failures (ip, at);

CREATE TABLE phase_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    from_phase TEXT NOT NULL,
    to_phase TEXT NOT NULL,
    actor_id TEXT REFERENCES users(id),
    at INTEGER NOT NULL
);
CREATE INDEX phase_changes_account ON phase_changes (account_id, at);

CREATE TABLE handoffs (
    account_id TEXT PRIMARY KEY NOT NULL REFERENCES accounts(id),
    meeting_held INTEGER NOT NULL,
    documentation_reviewed INTEGER NOT NULL,
    shadow_period_done INTEGER NOT NULL,
    notes TEXT NOT NULL,
    psm_signed_by TEXT REFERENCES users(id),
    psm_signed_at INTEGER,
    tam_signed_by TEXT REFERENCES users(id),
    tam_signed_at INTEGER,
    updated_at INTEGER
);

CREATE TABLE audit_log (
    id TEXT PRIMARY KEY NOT NULL,
    at INTEGER NOT NULL,
    actor_id TEXT REFERENCES users(id),
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    account_id TEXT,
    action TEXT NOT NULL,
    before TEXT,
    after TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_account ON audit_log (account_id, at);

-- The audit log is append-only: the database refuses edits and deletions.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

CREATE TABLE settings (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
