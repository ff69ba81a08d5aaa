-- The staff desk: who claimed a ticket, every status change, and staff messages in threads.

ALTER TABLE tickets ADD COLUMN claimed_by TEXT;
ALTER TABLE tickets ADD COLUMN claimed_by_name TEXT;
ALTER TABLE tickets ADD COLUMN claimed_at TEXT;
ALTER TABLE tickets ADD COLUMN channel_id INTEGER;

CREATE TABLE ticket_events (
    id          INTEGER PRIMARY KEY,
    ticket_id   INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    status      TEXT NOT NULL CHECK (status IN ('open', 'claimed', 'resolved')),
    actor_id    TEXT,
    actor_name  TEXT,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX ticket_events_by_ticket ON ticket_events (ticket_id, id);

INSERT INTO ticket_events (ticket_id, status, actor_id, actor_name, created_at)
    SELECT id, 'open', user_id, user_display, created_at FROM tickets;

ALTER TABLE messages ADD COLUMN author_kind TEXT CHECK (author_kind IN ('customer', 'staff'));
