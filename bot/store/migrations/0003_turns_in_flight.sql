-- Turns being answered: a row left behind by a crash marks a reply that was cut short.

CREATE TABLE turns_in_flight (
    conversation_id INTEGER PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
    started_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
