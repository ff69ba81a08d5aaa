"""Validation of WEBHOOK_URLS and WEBHOOK_SECRET (kept out of config.py, which stays small)."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import urlsplit

from pydantic import SecretStr

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret


def split_urls(value: str | None) -> list[str]:
    """Comma-separated URLs, blanks dropped."""
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def check_webhook_urls(value: str | None) -> str | None:
    """Each URL is http(s) with a host; errors never repeat a URL (it may hold a token)."""
    for number, url in enumerate(split_urls(value), start=1):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"URL number {number} must start with http:// or https://")
    return value


def check_webhook_secret(value: SecretStr | None, *, urls: str | None) -> SecretStr | None:
    """A Standard Webhooks secret, required as soon as there is a URL to sign for."""
    if value is None:
        if split_urls(urls):
            raise ValueError("is required when WEBHOOK_URLS is set (whsec_ followed by base64)")
        return None
    secret = value.get_secret_value().strip()
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("must start with whsec_ (a Standard Webhooks secret)")
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except binascii.Error:
        raise ValueError("must be whsec_ followed by base64") from None
    if len(key) < 16:
        raise ValueError("is too short: use at least 16 random bytes (24 base64 characters)")
    return SecretStr(secret)
