"""Secrets never reach the logs, even when something prints them."""

from __future__ import annotations

import logging

from bot.app.logs import MASK, RedactSecrets, setup_logging
from bot.config import Settings


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


def test_the_database_url_and_its_password_are_masked(capsys):
    """DATABASE_URL is a secret: the whole URL is masked, and its password on its own as a
    driver may quote it (percent-encoded as written, or decoded); the rest of a line stays."""
    url = "postgresql://support:pa%40ss-w0rd@db.example:5432/bot"
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        xai_api_key="xai-key-456",
        discord_token="discord-token-123",
        database_url=url,
    )
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        setup_logging(settings, interactive=False)
        log = logging.getLogger("test.database")
        log.warning("cannot reach %s", url)
        log.warning('password authentication failed for user "support" (pa@ss-w0rd)')
        log.warning("retrying with pa%40ss-w0rd at db.example, key xai-key-456")
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    err = capsys.readouterr().err
    assert "pa@ss-w0rd" not in err
    assert "pa%40ss-w0rd" not in err
    assert "xai-key-456" not in err
    assert err.count(MASK) == 4
    assert 'failed for user "support"' in err
    assert "at db.example" in err


def test_a_password_in_the_database_urls_query_is_masked_too():
    """PostgreSQL's drivers also read `?password=`: it is a secret on its own as well."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        xai_api_key="xai-key-456",
        database_url="postgresql://support@db.example/bot?password=qu%21ery-pw",
    )
    secret_filter = RedactSecrets(settings.secret_values)
    record = logging.LogRecord("t", logging.WARNING, __file__, 1, "%s / %s", None, None)
    record.args = ("qu%21ery-pw", "qu!ery-pw")
    secret_filter.filter(record)
    assert record.getMessage() == f"{MASK} / {MASK}"
