-- Lens-based reviews (issue 7). Imported lens versions never change; a review's `state` holds its
-- answers, milestones and planned improvements as JSON; the columns are what queries filter on.
CREATE TABLE review_lenses (
    lens_key TEXT NOT NULL,
    version INTEGER NOT NULL,
    imported_by TEXT REFERENCES users(id),
    imported_at INTEGER NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (lens_key, version)
);

CREATE TABLE reviews (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    workload TEXT NOT NULL,
    lens_key TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    version INTEGER NOT NULL,
    state TEXT NOT NULL
);
CREATE INDEX reviews_account ON reviews (account_id, workload);
