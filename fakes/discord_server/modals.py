"""Checks of modals the bot opens, and of what a fake user submits in them."""

from __future__ import annotations

from fakes.discord_server.components import duplicated_custom_ids, too_many
from fakes.discord_server.constants import (
    COMPONENT_ACTION_ROW,
    COMPONENT_FILE_UPLOAD,
    COMPONENT_LABEL,
    COMPONENT_TEXT_INPUT,
    JSON,
    MAX_MODAL_COMPONENTS,
)
from fakes.discord_spec import SpecViolation


def _modal_violation(path: tuple[str | int, ...], code: str, message: str) -> SpecViolation:
    """A violation inside a modal callback body (paths start at ``data``)."""
    return SpecViolation(("data", *path), code, message)


def _check_modal_field(
    path: tuple[str | int, ...], item: JSON, in_label: bool
) -> list[SpecViolation]:
    """Check a text input or file upload against the rules the docs give and the spec omits."""
    out: list[SpecViolation] = []
    kind = item.get("type")
    if kind == COMPONENT_FILE_UPLOAD:
        if not in_label:
            out.append(
                _modal_violation(
                    (*path, "type"),
                    "COMPONENT_INVALID_PLACEMENT",
                    "A File Upload must be placed inside a Label (type 18).",
                )
            )
        minimum, maximum = item.get("min_values"), item.get("max_values")
        if item.get("required", True) is not False and minimum is not None and minimum < 1:
            out.append(
                _modal_violation(
                    (*path, "min_values"),
                    "NUMBER_TYPE_MIN",
                    "min_values must be at least 1 when the upload is required.",
                )
            )
        if minimum is not None and maximum is not None and minimum > maximum:
            out.append(
                _modal_violation(
                    (*path, "min_values"), "NUMBER_TYPE_MAX", "min_values exceeds max_values."
                )
            )
    elif kind == COMPONENT_TEXT_INPUT:
        if not in_label and not item.get("label"):
            out.append(
                _modal_violation(
                    (*path, "label"),
                    "BASE_TYPE_REQUIRED",
                    "A Text Input outside a Label needs its own label.",
                )
            )
        minimum, maximum = item.get("min_length"), item.get("max_length")
        if minimum is not None and maximum is not None and minimum > maximum:
            out.append(
                _modal_violation(
                    (*path, "min_length"), "NUMBER_TYPE_MAX", "min_length exceeds max_length."
                )
            )
    return out


def check_modal(data: JSON) -> list[SpecViolation]:
    """Check a modal (callback type 9 ``data``) like Discord beyond the schema.

    At most 5 top-level components (the docs' limit); File Uploads only inside a Label; a
    required upload asks for at least one file; a Text Input in a legacy action row has its
    own label; custom ids are unique.
    """
    components = data.get("components")
    if not isinstance(components, list):
        return []
    out: list[SpecViolation] = []
    if len(components) > MAX_MODAL_COMPONENTS:
        out.append(too_many(("data", "components"), MAX_MODAL_COMPONENTS))
    for index, component in enumerate(components):
        if not isinstance(component, dict):
            continue
        path: tuple[str | int, ...] = ("components", index)
        if component.get("type") == COMPONENT_LABEL and isinstance(
            component.get("component"), dict
        ):
            out.extend(_check_modal_field((*path, "component"), component["component"], True))
        elif component.get("type") == COMPONENT_ACTION_ROW:
            for child_index, child in enumerate(component.get("components") or []):
                if isinstance(child, dict):
                    child_path = (*path, "components", child_index)
                    out.extend(_check_modal_field(child_path, child, False))
    out.extend(duplicated_custom_ids(("data", "components"), components))
    return out


def _typed_value(component: JSON, value: str) -> str:
    """Return what a user typed into a text input, refused as Discord's client refuses it."""
    custom_id = component["custom_id"]
    if not value:
        if component.get("required", True) is not False:
            raise ValueError(f"text input {custom_id!r} is required")
        return ""
    minimum = component.get("min_length") or 0
    maximum = component.get("max_length") or 4000
    if not minimum <= len(value) <= maximum:
        raise ValueError(
            f"text input {custom_id!r} takes {minimum}-{maximum} characters, got {len(value)}"
        )
    return value


_FILE_TYPE_GROUPS: dict[str, frozenset[str]] = {
    "image": frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".bmp", ".heic"}),
    "video": frozenset({".mp4", ".mov", ".webm", ".mkv", ".avi"}),
    "audio": frozenset({".mp3", ".ogg", ".wav", ".flac", ".m4a", ".opus"}),
}


def _checked_uploads(
    component: JSON, uploads: list[tuple[str, str, bytes]], size_limit: int
) -> list[tuple[str, str, bytes]]:
    """Return the files given for a file upload, refused as Discord's client refuses them."""
    custom_id = component["custom_id"]
    if not uploads and component.get("required", True) is False:
        return []
    minimum = component.get("min_values")
    maximum = component.get("max_values")
    minimum = 1 if minimum is None else int(minimum)
    maximum = 1 if maximum is None else int(maximum)
    if not max(minimum, 1) <= len(uploads) <= maximum:
        raise ValueError(
            f"file upload {custom_id!r} takes {max(minimum, 1)}-{maximum} files, got {len(uploads)}"
        )
    accepted = component.get("file_types") or []
    for name, _, data in uploads:
        if len(data) > size_limit:
            raise ValueError(f"{name} is over the attachment size limit ({size_limit} bytes)")
        extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if accepted and not any(
            extension in _FILE_TYPE_GROUPS.get(kind, frozenset({kind.lower()})) for kind in accepted
        ):
            raise ValueError(f"file upload {custom_id!r} accepts {accepted}, not {name}")
    return uploads
