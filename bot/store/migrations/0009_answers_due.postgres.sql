-- PostgreSQL's spelling of 0009_answers_due.sql (Discord snowflakes in BIGINT).

ALTER TABLE messages ADD COLUMN answer_due INTEGER NOT NULL DEFAULT 0;
CREATE INDEX messages_answer_due ON messages (conversation_id) WHERE answer_due = 1;
CREATE INDEX messages_by_discord_id ON messages (discord_message_id)
    WHERE discord_message_id IS NOT NULL;

CREATE TABLE channel_marks (
    channel_id  BIGINT PRIMARY KEY,
    message_id  BIGINT NOT NULL
);
