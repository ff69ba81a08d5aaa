"""Secrets among the settings: the mask that replaces them wherever they would be shown, and
the password inside a database URL."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

# What a secret is replaced with wherever it would be shown (logs, `check`).
SECRET_MASK = "[secret]"  # noqa: S105 - the mask, not a password


def url_passwords(url: str) -> list[str]:
    """A database URL's password, as written and decoded: in its user part, or in a
    `password` query parameter (which PostgreSQL's drivers also read)."""
    parts = urlsplit(url)
    written = [parts.password] if parts.password else []
    for pair in parts.query.split("&"):
        key, _, value = pair.partition("=")
        if key == "password" and value:
            written.append(value)
    return list(dict.fromkeys(p for w in written for p in (w, unquote(w))))
