-- PostgreSQL's spelling of 0004_production_true.sql (a message id is a BIGINT).
ALTER TABLE tickets ADD COLUMN request_key TEXT;
UPDATE tickets SET request_key = tool_call_id, tool_call_id = NULL;
CREATE UNIQUE INDEX tickets_by_request ON tickets (conversation_id, request_key);

ALTER TABLE usage ADD COLUMN cached_tokens BIGINT NOT NULL DEFAULT 0;

ALTER TABLE conversations ADD COLUMN context_start_id BIGINT;

CREATE INDEX conversations_by_customer ON conversations (customer_id);
CREATE INDEX usage_by_conversation ON usage (conversation_id, created_at);
