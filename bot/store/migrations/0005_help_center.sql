-- The help center's search index, rebuilt from the Markdown files (never the source of
-- truth), and the questions it could not answer.

-- One row per indexed article file: what it looked like when it was indexed.
CREATE TABLE help_files (
    path        TEXT PRIMARY KEY,               -- relative to KNOWLEDGE_DIR, '/'-separated
    root        TEXT NOT NULL,                  -- the KNOWLEDGE_DIR it was read from
    mtime_ns    INTEGER NOT NULL,
    size        INTEGER NOT NULL,
    title       TEXT,
    indexed_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- Each article split at its headings; BM25 over title, heading and body, Porter stemming.
CREATE VIRTUAL TABLE help_passages USING fts5(
    path UNINDEXED,
    position UNINDEXED,
    title,
    heading,
    body,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

CREATE TABLE help_gaps (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER REFERENCES conversations(id) ON DELETE CASCADE,
    query           TEXT NOT NULL,
    created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX help_gaps_by_time ON help_gaps (created_at);
