"""Secrets never reach the logs, even when something prints them."""

from __future__ import annotations

import logging

from bot.app.logs import MASK, RedactSecrets


def test_secrets_are_masked_in_messages_arguments_and_tracebacks(caplog):
    """The token and key are replaced wherever they appear in a record."""
    logger = logging.getLogger("test.secrets")
    secret_filter = RedactSecrets(["discord-token-123", "xai-key-456"])
    logger.addFilter(secret_filter)
    try:
        with caplog.at_level(logging.INFO, logger="test.secrets"):
            logger.info("token is discord-token-123")
            logger.info("key is %s", "xai-key-456")
            try:
                raise RuntimeError("failed with xai-key-456")
            except RuntimeError:
                logger.exception("boom")
    finally:
        logger.removeFilter(secret_filter)
    text = caplog.text
    assert "discord-token-123" not in text
    assert "xai-key-456" not in text
    # Message, argument, and the traceback twice (its source line and its message).
    assert text.count(MASK) == 4
