"""Logging set up once, with secrets masked in every record."""

from __future__ import annotations

import logging

from bot.config import SECRET_MASK, Settings

MASK = SECRET_MASK


class RedactSecrets(logging.Filter):
    """Replaces any configured secret that appears in a log line."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        # Longest first: a whole URL is masked before the password inside it.
        self._secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask secrets in the formatted message (and its traceback text)."""
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        redacted = self._redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_text:
            record.exc_text = self._redact(record.exc_text)
        return True

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text


def setup_logging(settings: Settings, *, interactive: bool) -> None:
    """Log to stderr at LOG_LEVEL; discord.py's chatter stays at INFO or above."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")
    )
    # Every secret setting (API key, token, webhook secret, DATABASE_URL and its password).
    handler.addFilter(RedactSecrets(settings.secret_values))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    level = logging.getLevelName(settings.log_level)
    # In the terminal chat, routine log lines would land in the middle of the conversation.
    root.setLevel(max(level, logging.WARNING) if interactive else level)
    # A line per HTTP request drowns what matters; DEBUG still shows them.
    for noisy in ("httpx", "httpx2", "openai", "aiosqlite"):
        logging.getLogger(noisy).setLevel(level if level <= logging.DEBUG else logging.WARNING)
