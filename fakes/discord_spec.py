"""Validate Discord REST request bodies against the official OpenAPI spec plus real limits.

The schemas live in ``discord_openapi_subset.json`` (extracted from discord/discord-api-spec),
keyed by ``"<METHOD> <path template>"``. Limits that the spec does not encode (2000 content
characters for bots, 6000 total embed characters, ...) are checked by :func:`check_message_limits`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError, relevance

SUBSET_PATH = Path(__file__).with_name("discord_openapi_subset.json")

MAX_CONTENT_LENGTH = 2000
MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000
MAX_EMBED_FIELDS = 25
EMBED_LIMITS: dict[str, int] = {"title": 256, "description": 4096}
EMBED_FIELD_LIMITS: dict[str, int] = {"name": 256, "value": 1024}
MESSAGE_BODY_KEYS = ("content", "embeds", "sticker_ids", "components", "poll")

_SCHEMA_CODES: dict[str, str] = {
    "maxLength": "BASE_TYPE_MAX_LENGTH",
    "minLength": "BASE_TYPE_MIN_LENGTH",
    "maxItems": "BASE_TYPE_MAX_LENGTH",
    "minItems": "BASE_TYPE_MIN_LENGTH",
    "maximum": "NUMBER_TYPE_MAX",
    "minimum": "NUMBER_TYPE_MIN",
    "required": "BASE_TYPE_REQUIRED",
    "type": "BASE_TYPE_BAD_TYPE",
    "const": "BASE_TYPE_CHOICES",
    "enum": "BASE_TYPE_CHOICES",
}


@dataclass(frozen=True)
class SpecViolation:
    """One problem found in a request body, located by its JSON path."""

    path: tuple[str | int, ...]
    code: str
    message: str

    def describe(self) -> str:
        """Return a one-line human readable description."""
        where = ".".join(str(p) for p in self.path) or "<body>"
        return f"{where}: {self.code}: {self.message}"


def _check_date_time(value: object) -> bool:
    """Return whether a string is an ISO 8601 timestamp (non-strings pass)."""
    if not isinstance(value, str):
        return True
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _check_uri(value: object) -> bool:
    """Return whether a string looks like an absolute URI (non-strings pass)."""
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme) and bool(parts.netloc or parts.path)


def _format_checker() -> FormatChecker:
    """Build a format checker for the formats Discord's spec uses (no extra deps needed)."""
    checker = FormatChecker(formats=())
    checker.checks("date-time")(_check_date_time)
    checker.checks("uri")(_check_uri)
    return checker


@functools.cache
def load_subset() -> dict[str, dict[str, Any]]:
    """Load the extracted schema subset, skipping ``_``-prefixed metadata keys."""
    raw: dict[str, Any] = json.loads(SUBSET_PATH.read_text(encoding="utf-8"))
    return {key: value for key, value in raw.items() if not key.startswith("_")}


class RequestValidator:
    """Validates request bodies for ``"<METHOD> <path template>"`` routes."""

    def __init__(self, schemas: Mapping[str, dict[str, Any]] | None = None) -> None:
        """Create a validator over ``schemas`` (defaults to the bundled subset)."""
        self._schemas: Mapping[str, dict[str, Any]] = (
            schemas if schemas is not None else load_subset()
        )
        self._validators: dict[str, Draft202012Validator] = {}
        self._formats = _format_checker()

    def has_schema(self, method: str, template: str) -> bool:
        """Return whether a request body schema is known for the route."""
        return f"{method.upper()} {template}" in self._schemas

    def _validator(self, key: str) -> Draft202012Validator:
        """Return a cached compiled validator for a route key."""
        validator = self._validators.get(key)
        if validator is None:
            schema = self._schemas[key]
            Draft202012Validator.check_schema(schema)
            validator = Draft202012Validator(schema, format_checker=self._formats)
            self._validators[key] = validator
        return validator

    def validate(self, method: str, template: str, body: Any) -> list[SpecViolation]:
        """Return schema violations of ``body`` for the route (empty when valid or unknown)."""
        key = f"{method.upper()} {template}"
        if key not in self._schemas:
            return []
        errors = sorted(self._validator(key).iter_errors(body), key=relevance, reverse=True)
        return [_violation_from_error(error) for error in errors]


def _is_discriminator_mismatch(error: ValidationError) -> bool:
    """Return whether an error only says a union member's ``type`` tag differs."""
    return list(error.relative_path) == ["type"] and error.validator in ("enum", "const", "anyOf")


def _is_wrong_kind(error: ValidationError) -> bool:
    """Return whether an error says the whole value has the wrong JSON type (e.g. not null)."""
    return not error.relative_path and error.validator == "type"


def _is_choice_error(error: ValidationError) -> bool:
    """Return whether an error is a plain const/enum mismatch of the value itself."""
    return not error.relative_path and error.validator in ("const", "enum")


def _pick_leaf(error: ValidationError) -> ValidationError:
    """Descend into anyOf/oneOf errors, preferring the union member that almost matched."""
    if not error.context or all(map(_is_choice_error, error.context)):
        return error
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    candidates = list(branches.values())
    for reject in (_is_discriminator_mismatch, _is_wrong_kind):
        kept = [errs for errs in candidates if not any(map(reject, errs))]
        candidates = kept or candidates
    chosen = min(candidates, key=len)
    return _pick_leaf(max(chosen, key=relevance))


def _violation_from_error(error: ValidationError) -> SpecViolation:
    """Convert a jsonschema error to a :class:`SpecViolation` (descending into unions)."""
    leaf = _pick_leaf(error)
    path = tuple(leaf.absolute_path)
    validator = str(leaf.validator)
    message = leaf.message
    if leaf.context and all(map(_is_choice_error, leaf.context)):
        choices: list[Any] = []
        for sub in leaf.context:
            choices.extend(
                [sub.validator_value] if sub.validator == "const" else sub.validator_value
            )
        validator = "enum"
        message = f"{leaf.instance!r} is not one of {choices}"
    if validator in ("maxLength", "maxItems"):
        message = f"Must be {leaf.validator_value} or fewer in length."
    elif validator in ("minLength", "minItems"):
        message = f"Must be {leaf.validator_value} or more in length."
    code = _SCHEMA_CODES.get(validator, f"SCHEMA_{validator.upper()}")
    if len(message) > 300:
        message = message[:300] + "..."
    return SpecViolation(path=path, code=code, message=message)


def _max_length(path: tuple[str | int, ...], limit: int) -> SpecViolation:
    """Build Discord's BASE_TYPE_MAX_LENGTH violation."""
    return SpecViolation(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def _embed_text_length(embed: Mapping[str, Any]) -> int:
    """Count the characters Discord sums up for the 6000-character embed limit."""
    total = 0
    for key in ("title", "description"):
        value = embed.get(key)
        if isinstance(value, str):
            total += len(value)
    for key, inner in (("footer", "text"), ("author", "name")):
        sub = embed.get(key)
        if isinstance(sub, Mapping) and isinstance(sub.get(inner), str):
            total += len(sub[inner])
    fields = embed.get("fields")
    if isinstance(fields, list):
        for field in fields:
            if isinstance(field, Mapping):
                for key in ("name", "value"):
                    if isinstance(field.get(key), str):
                        total += len(field[key])
    return total


def _check_embed(index: int, embed: Mapping[str, Any]) -> list[SpecViolation]:
    """Check one embed's per-field limits."""
    out: list[SpecViolation] = []
    base: tuple[str | int, ...] = ("embeds", index)
    for key, limit in EMBED_LIMITS.items():
        value = embed.get(key)
        if isinstance(value, str) and len(value) > limit:
            out.append(_max_length((*base, key), limit))
    for key, inner, limit in (("footer", "text", 2048), ("author", "name", 256)):
        sub = embed.get(key)
        if isinstance(sub, Mapping) and isinstance(sub.get(inner), str) and len(sub[inner]) > limit:
            out.append(_max_length((*base, key, inner), limit))
    fields = embed.get("fields")
    if isinstance(fields, list):
        if len(fields) > MAX_EMBED_FIELDS:
            out.append(_max_length((*base, "fields"), MAX_EMBED_FIELDS))
        for f_index, field in enumerate(fields):
            if not isinstance(field, Mapping):
                continue
            for key, limit in EMBED_FIELD_LIMITS.items():
                value = field.get(key)
                if isinstance(value, str) and len(value) > limit:
                    out.append(_max_length((*base, "fields", f_index, key), limit))
    return out


def check_message_limits(body: Mapping[str, Any]) -> list[SpecViolation]:
    """Check the limits Discord enforces on bot message bodies that the spec leaves out."""
    out: list[SpecViolation] = []
    content = body.get("content")
    if isinstance(content, str) and len(content) > MAX_CONTENT_LENGTH:
        out.append(_max_length(("content",), MAX_CONTENT_LENGTH))
    embeds = body.get("embeds")
    if isinstance(embeds, list):
        if len(embeds) > MAX_EMBEDS:
            out.append(_max_length(("embeds",), MAX_EMBEDS))
        total = 0
        for index, embed in enumerate(embeds):
            if isinstance(embed, Mapping):
                out.extend(_check_embed(index, embed))
                total += _embed_text_length(embed)
        if total > MAX_EMBED_TOTAL:
            out.append(
                SpecViolation(
                    ("embeds",),
                    "MAX_EMBED_SIZE_EXCEEDED",
                    f"Embed size exceeds maximum size of {MAX_EMBED_TOTAL}",
                )
            )
    return out


def is_empty_message(body: Mapping[str, Any], file_count: int) -> bool:
    """Return whether a message create body has nothing to send (Discord error 50006)."""
    if file_count:
        return False
    for key in MESSAGE_BODY_KEYS:
        value = body.get(key)
        if value:
            return False
    attachments = body.get("attachments")
    return not attachments


def discord_error_body(violations: Iterable[SpecViolation]) -> dict[str, Any]:
    """Build Discord's ``50035 Invalid Form Body`` JSON error for the violations."""
    errors: dict[str, Any] = {}
    for violation in violations:
        node = errors
        for part in violation.path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append(
            {"code": violation.code, "message": violation.message}
        )
    return {"code": 50035, "message": "Invalid Form Body", "errors": errors}


__all__ = [
    "SUBSET_PATH",
    "RequestValidator",
    "SpecViolation",
    "check_message_limits",
    "discord_error_body",
    "is_empty_message",
    "load_subset",
]
