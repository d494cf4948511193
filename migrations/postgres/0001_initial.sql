-- Roster schema. Times are UTC milliseconds since the Unix epoch (BIGINT) and
-- ids are UUID strings, so the same queries run on SQLite and Postgres.

CREATE TABLE organisations (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    email          TEXT NOT NULL,           -- trimmed, lower-cased (R3)
    name           TEXT NOT NULL DEFAULT '',
    role           TEXT NOT NULL CHECK (role IN ('org_manager', 'member')),
    status         TEXT NOT NULL CHECK (status IN ('invited', 'active', 'deactivated')),
    password_hash  TEXT,                    -- Argon2id PHC string; NULL until registered
    time_zone      TEXT,
    created_at     BIGINT NOT NULL,
    activated_at   BIGINT,
    UNIQUE (org_id, email)
);
CREATE INDEX users_email ON users (email);
CREATE INDEX users_org_status_name ON users (org_id, status, name, id);
CREATE INDEX users_org_name ON users (org_id, name, id);

CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,           -- SHA-256 of the cookie value
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE teams (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (org_id, name)
);

CREATE TABLE team_members (
    team_id     TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    is_manager  BIGINT NOT NULL DEFAULT 0,
    added_at    BIGINT NOT NULL,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id);

-- One row per invitation; a user has at most one open ('pending') invitation.
CREATE TABLE invitations (
    id                 TEXT PRIMARY KEY,
    org_id             TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    user_id            TEXT REFERENCES users(id) ON DELETE SET NULL,
    email              TEXT NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'revoked')),
    invited_by_id      TEXT,                -- kept as text: survives the inviter's deletion (R26)
    invited_by_name    TEXT NOT NULL,
    first_sent_at      BIGINT NOT NULL,
    last_sent_at       BIGINT NOT NULL,     -- last invitation email; the R8 cooldown reads it
    last_sent_by_id    TEXT,
    last_sent_by_name  TEXT NOT NULL,
    created_at         BIGINT NOT NULL,
    closed_at          BIGINT
);
CREATE INDEX invitations_user ON invitations (user_id);
CREATE UNIQUE INDEX invitations_one_pending_per_user ON invitations (user_id) WHERE status = 'pending';

CREATE TABLE invite_links (
    id                    TEXT PRIMARY KEY,
    invitation_id         TEXT NOT NULL REFERENCES invitations(id) ON DELETE CASCADE,
    token_hash            TEXT NOT NULL UNIQUE,  -- SHA-256 of the token; the token itself is never stored
    token_end             TEXT NOT NULL,         -- last characters, shown to managers (R12)
    kind                  TEXT NOT NULL CHECK (kind IN ('email', 'copied')),
    state                 TEXT NOT NULL CHECK (state IN ('active', 'superseded', 'used', 'locked')),
    failed_confirmations  BIGINT NOT NULL DEFAULT 0,
    created_at            BIGINT NOT NULL,
    expires_at            BIGINT NOT NULL
);
CREATE INDEX invite_links_invitation ON invite_links (invitation_id, created_at);

CREATE TABLE outbox (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    invitation_id    TEXT REFERENCES invitations(id) ON DELETE SET NULL,
    to_address       TEXT NOT NULL,
    subject          TEXT NOT NULL,
    body_text        TEXT NOT NULL,
    body_html        TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    claimed_until    BIGINT NOT NULL DEFAULT 0,  -- lease, so several workers never send one email twice
    created_at       BIGINT NOT NULL,
    sent_at          BIGINT,
    last_result      TEXT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_invitation ON outbox (invitation_id);

CREATE TABLE delivery_attempts (
    id           TEXT PRIMARY KEY,
    outbox_id    TEXT NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,
    attempted_at BIGINT NOT NULL,
    succeeded    BIGINT NOT NULL,
    reply        TEXT NOT NULL              -- SMTP server's answer, or the error
);
CREATE INDEX delivery_attempts_outbox ON delivery_attempts (outbox_id, attempted_at);

CREATE TABLE audit_log (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    actor_id        TEXT,
    actor_name      TEXT NOT NULL,
    action          TEXT NOT NULL,
    target_user_id  TEXT,
    target_email    TEXT,
    detail          TEXT NOT NULL DEFAULT '',
    at              BIGINT NOT NULL
);
CREATE INDEX audit_log_org_at ON audit_log (org_id, at);
CREATE INDEX audit_log_target ON audit_log (target_user_id, at);
