-- The outbox: every ticket event, written in the transaction of the change it reports, and
-- its delivery to each destination (the staff channel, each webhook URL).

ALTER TABLE tickets ADD COLUMN staff_post_url TEXT;

CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    -- Stable across retries and restarts: receivers drop repeats by it.
    webhook_id  TEXT NOT NULL UNIQUE,
    ticket_id   INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    type        TEXT NOT NULL,                  -- 'ticket.created', 'ticket.claimed', ...
    actor_id    TEXT,
    actor_name  TEXT,
    snapshot    TEXT NOT NULL,                  -- JSON: the ticket (and receipt) as the event left it
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX outbox_by_ticket ON outbox (ticket_id, id);

-- Where events go; a destination that answered 410 Gone is disabled until re-enabled.
CREATE TABLE outbox_destinations (
    name            TEXT PRIMARY KEY,           -- 'staff-channel' or 'webhook:<url>'
    active          INTEGER NOT NULL DEFAULT 1, -- configured in the running process
    disabled_at     TEXT,
    disabled_reason TEXT
);

CREATE TABLE outbox_deliveries (
    outbox_id       INTEGER NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,
    destination     TEXT NOT NULL REFERENCES outbox_destinations(name) ON DELETE CASCADE,
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,    -- unix seconds
    last_error      TEXT,
    finished_at     TEXT,
    PRIMARY KEY (destination, outbox_id)
);
CREATE INDEX outbox_deliveries_by_state ON outbox_deliveries (destination, state, outbox_id);
