-- Requests to the company's own API (ACTIONS_SPEC): one row per distinct call of a turn,
-- keyed by its Idempotency-Key, with the customer's decision when it is consequential.

CREATE TABLE action_requests (
    id               INTEGER PRIMARY KEY,
    conversation_id  INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    operation        TEXT NOT NULL,                 -- the operationId
    method           TEXT NOT NULL,
    arguments        TEXT NOT NULL,                 -- JSON, as validated
    consequential    INTEGER NOT NULL DEFAULT 0,
    -- Stable for a retried call (same turn, same arguments), new for a new call.
    idempotency_key  TEXT NOT NULL UNIQUE,
    status           TEXT NOT NULL CHECK (status IN
                     ('awaiting', 'confirmed', 'cancelled', 'expired', 'sending', 'done', 'failed')),
    confirmed_by     TEXT,                          -- who pressed Confirm (or Cancel)
    http_status      INTEGER,
    result           TEXT,                          -- what the model was told
    duration_ms      INTEGER,
    attempts         INTEGER NOT NULL DEFAULT 0,
    created_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    decided_at       TEXT,
    finished_at      TEXT
);
CREATE INDEX action_requests_by_conversation ON action_requests (conversation_id, id);
