-- Lens-based reviews (issue 7). Imported lens versions never change; a review's `state` holds its
-- answers, milestones and planned improvements as JSON; the columns are what queries filter on.
CREATE TABLE review_lenses (
    lens_key TEXT NOT NULL,
    version BIGINT NOT NULL,
    imported_by UUID REFERENCES users(id),
    imported_at TIMESTAMPTZ NOT NULL,
    state JSONB NOT NULL,
    PRIMARY KEY (lens_key, version)
);

CREATE TABLE reviews (
    id UUID PRIMARY KEY,
    account_id UUID NOT NULL REFERENCES accounts(id),
    workload TEXT NOT NULL,
    lens_key TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    version BIGINT NOT NULL,
    state JSONB NOT NULL
);
CREATE INDEX reviews_account ON reviews (account_id, workload);
