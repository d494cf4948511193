-- Step 10: API tokens. An Org Manager makes one for a script or an HR
-- system; it acts with Org Manager rights in its organisation only. Only a
-- hash of the secret is kept (the secret is shown once); `token_end` names
-- it in lists.
CREATE TABLE api_tokens (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    token_hash      TEXT NOT NULL UNIQUE,
    token_end       TEXT NOT NULL,
    created_by_id   TEXT,
    created_by_name TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT,
    last_used_at    BIGINT,
    revoked_at      BIGINT
);
CREATE INDEX api_tokens_org ON api_tokens (org_id, created_at);
