-- Conversations, their full message history, tickets, receipts, attachments and usage.

CREATE TABLE conversations (
    id           INTEGER PRIMARY KEY,
    key          TEXT NOT NULL UNIQUE,          -- 'discord:<thread id>' or 'console:<name>'
    channel_id   INTEGER,                       -- the Discord thread, when there is one
    customer_id  TEXT,
    customer_name TEXT,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    role            TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),
    content         TEXT,
    tool_calls      TEXT,                       -- JSON list in the chat API's shape
    tool_call_id    TEXT,
    author_id       TEXT,
    discord_message_id INTEGER,
    status          TEXT NOT NULL DEFAULT 'complete' CHECK (status IN ('complete', 'interrupted')),
    created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX messages_by_conversation ON messages (conversation_id, id);

CREATE TABLE attachments (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    url             TEXT NOT NULL,
    filename        TEXT NOT NULL,
    content_type    TEXT,
    size            INTEGER NOT NULL,
    discord_message_id INTEGER,
    created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (conversation_id, url)
);

CREATE TABLE receipts (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    tool_call_id    TEXT,
    image_url       TEXT NOT NULL,
    data            TEXT NOT NULL,              -- the validated Receipt as JSON
    created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX receipts_by_conversation ON receipts (conversation_id, id);

CREATE TABLE tickets (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    tool_call_id    TEXT UNIQUE,                -- a repeated tool call never makes a second ticket
    customer_name   TEXT NOT NULL,
    issue           TEXT NOT NULL,
    user_id         TEXT,
    user_display    TEXT,
    thread_url      TEXT,
    receipt_id      INTEGER REFERENCES receipts(id),
    status          TEXT NOT NULL DEFAULT 'open',
    staff_message_id INTEGER,
    created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX tickets_by_conversation ON tickets (conversation_id, id);

CREATE TABLE usage (
    id                INTEGER PRIMARY KEY,
    conversation_id   INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    model             TEXT NOT NULL,
    prompt_tokens     INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    total_tokens      INTEGER NOT NULL,
    rounds            INTEGER NOT NULL,
    created_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
