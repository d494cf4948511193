-- Step 10: webhooks. An Org Manager registers an endpoint and the events it
-- wants; each event is written as one delivery per subscribed endpoint in
-- the same transaction as the change it reports (an outbox), then sent,
-- signed, with retries.
CREATE TABLE webhook_endpoints (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    url             TEXT NOT NULL,
    events          TEXT NOT NULL,      -- event names separated by spaces
    secret          TEXT NOT NULL,      -- "whsec_" + base64; kept to sign with
    created_by_name TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);
-- One endpoint per address in an organisation, even when two add it at once.
CREATE UNIQUE INDEX webhook_endpoints_org_url ON webhook_endpoints (org_id, url);

CREATE TABLE webhook_deliveries (
    id               TEXT PRIMARY KEY,  -- the `webhook-id` header: the same on every retry
    endpoint_id      TEXT NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    org_id           TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    event_type       TEXT NOT NULL,
    payload          TEXT NOT NULL,     -- the JSON body, exactly as signed and sent
    status           TEXT NOT NULL CHECK (status IN ('queued', 'delivered', 'failed')),
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    claimed_until    BIGINT NOT NULL DEFAULT 0,  -- lease: while it runs, no other worker sends it
    created_at       BIGINT NOT NULL,
    delivered_at     BIGINT,
    last_status_code BIGINT,           -- the receiver's HTTP status; none when it never answered
    last_error       TEXT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_org ON webhook_deliveries (org_id, created_at);
-- Deleting an endpoint deletes its deliveries (ON DELETE CASCADE) by this.
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id);

-- `invitation.expired` is a moment, not a change: the scan announces the
-- links that expired between this mark and now, and moves the mark in the
-- same transaction (only one of several instances moves it).
ALTER TABLE organisations ADD COLUMN expiries_announced_until BIGINT NOT NULL DEFAULT 0;
