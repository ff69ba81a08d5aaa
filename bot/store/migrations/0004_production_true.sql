-- Ticket requests are unique per conversation, not across the database: some servers repeat
-- tool-call ids (`call_1` in every response) or send none. `tool_call_id` is no longer written.
ALTER TABLE tickets ADD COLUMN request_key TEXT;
UPDATE tickets SET request_key = tool_call_id, tool_call_id = NULL;
CREATE UNIQUE INDEX tickets_by_request ON tickets (conversation_id, request_key);

-- Prompt tokens the provider served from its cache, per turn.
ALTER TABLE usage ADD COLUMN cached_tokens INTEGER NOT NULL DEFAULT 0;

-- Where the history sent to the model starts (after the system prompt): it moves rarely and
-- in large steps, so the provider's prompt cache keeps matching the prefix. NULL: the start.
ALTER TABLE conversations ADD COLUMN context_start_id INTEGER;

-- The cost cap sums one customer's usage over the last day.
CREATE INDEX conversations_by_customer ON conversations (customer_id);
CREATE INDEX usage_by_conversation ON usage (conversation_id, created_at);
