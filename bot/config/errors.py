"""The one error a bad configuration raises."""

from __future__ import annotations


class ConfigError(Exception):
    """A setting is missing or malformed; the message names it in one line."""
