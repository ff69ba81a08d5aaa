-- Nothing lost across a crash. A customer message that is to be answered is stored with
-- answer_due = 1, in the same row, and cleared in the transaction that stores its answer (or
-- once its failure notice is shown): what a crash leaves due, the next start answers.
-- Discord message ids are looked up to store no message twice, and channel_marks remembers
-- the newest message handled in a channel (the support channel), so a start reads only the
-- messages sent while the bot was down.

ALTER TABLE messages ADD COLUMN answer_due INTEGER NOT NULL DEFAULT 0;
CREATE INDEX messages_answer_due ON messages (conversation_id) WHERE answer_due = 1;
CREATE INDEX messages_by_discord_id ON messages (discord_message_id)
    WHERE discord_message_id IS NOT NULL;

CREATE TABLE channel_marks (
    channel_id  INTEGER PRIMARY KEY,
    message_id  INTEGER NOT NULL
);
