-- Single sign-on (Step 7). The organisation signs in with passwords or through
-- one OpenID Connect provider; the client secret is stored here and is never
-- serialised, logged or returned.
ALTER TABLE organisations ADD COLUMN sign_in_method TEXT NOT NULL DEFAULT 'password';  -- 'password' | 'sso'
ALTER TABLE organisations ADD COLUMN oidc_issuer TEXT;
ALTER TABLE organisations ADD COLUMN oidc_client_id TEXT;
ALTER TABLE organisations ADD COLUMN oidc_client_secret TEXT;

-- The provider's `sub`, set at the first single sign-on; NULLs never collide.
ALTER TABLE users ADD COLUMN sso_subject TEXT;
CREATE UNIQUE INDEX users_org_sso_subject ON users (org_id, sso_subject);

-- One authorization-code flow in progress; single use.
CREATE TABLE sso_requests (
    state         TEXT PRIMARY KEY,    -- random, 32 bytes base64url
    org_id        TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    purpose       TEXT NOT NULL CHECK (purpose IN ('invite', 'login')),
    link_id       TEXT REFERENCES invite_links(id) ON DELETE CASCADE,  -- for 'invite'
    browser_hash  TEXT NOT NULL,       -- SHA-256 (hex) of the roster_sso cookie that binds the flow to one browser
    nonce         TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    next_path     TEXT,                -- for 'login': where to go after (validated with domain::redirect)
    created_at    BIGINT NOT NULL,
    used_at       BIGINT
);
