-- Outcomes: the rating prompts sent to customers and what they answered.

-- One row per rating prompt: at most one per conversation episode (an episode ends with a
-- prompt; the customer's next message starts the next one). The rating is NULL until the
-- customer presses a button, and changes when they press again.
CREATE TABLE ratings (
    id                INTEGER PRIMARY KEY,
    conversation_id   INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    episode           TEXT NOT NULL,            -- 'after:<id of the last customer message>'
    ticket_id         INTEGER REFERENCES tickets(id) ON DELETE SET NULL,  -- asked at its Resolve
    reason            TEXT NOT NULL CHECK (reason IN ('resolved', 'quiet')),
    prompt_message_id INTEGER,                  -- the Discord message with the buttons
    rating            INTEGER CHECK (rating BETWEEN 1 AND 5),
    comment           TEXT,
    rated_by          TEXT,
    asked_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    rated_at          TEXT,
    UNIQUE (conversation_id, episode)
);
CREATE INDEX ratings_by_time ON ratings (asked_at);

-- When the conversation's thread was last archived for being idle (ARCHIVE_AFTER_DAYS); a
-- message after it makes the conversation active again.
ALTER TABLE conversations ADD COLUMN archived_at TEXT;
