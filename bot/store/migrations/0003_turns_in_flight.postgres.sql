-- PostgreSQL's spelling of 0003_turns_in_flight.sql.

CREATE TABLE turns_in_flight (
    conversation_id BIGINT PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
    started_at      TEXT NOT NULL DEFAULT utc_now_text()
);
