"""Checks of message components (buttons, action rows) as Discord applies them."""

from __future__ import annotations

import copy
from collections.abc import Iterator

from fakes.discord_server.constants import (
    BUTTON_STYLE_LINK,
    BUTTON_STYLE_PREMIUM,
    COMPONENT_ACTION_ROW,
    COMPONENT_BUTTON,
    JSON,
    MAX_ACTION_ROWS,
    MAX_BUTTON_LABEL,
    MAX_CUSTOM_ID,
    MAX_ROW_WIDTH,
    MESSAGE_FLAG_IS_COMPONENTS_V2,
)
from fakes.discord_spec import SpecViolation


def walk_components(components: list[JSON]) -> Iterator[JSON]:
    """Yield every component depth-first (action rows, v2 containers/sections, modal labels)."""
    for component in components:
        if not isinstance(component, dict):
            continue
        yield component
        children = component.get("components")
        if isinstance(children, list):
            yield from walk_components(children)
        for key in ("accessory", "component"):
            inner = component.get(key)
            if isinstance(inner, dict):
                yield from walk_components([inner])


def normalize_components(components: list[JSON]) -> list[JSON]:
    """Return components as Discord stores them: each gets a unique numeric ``id`` if missing."""
    out = copy.deepcopy(components)
    used = {c["id"] for c in walk_components(out) if isinstance(c.get("id"), int)}
    next_id = 1
    for component in walk_components(out):
        if isinstance(component.get("id"), int):
            continue
        while next_id in used:
            next_id += 1
        component["id"] = next_id
        used.add(next_id)
    return out


def _check_button(path: tuple[str | int, ...], button: JSON) -> list[SpecViolation]:
    """Check one button: custom_id xor url (link) / sku_id (premium), label length."""
    out: list[SpecViolation] = []
    style = button.get("style")
    custom_id = button.get("custom_id")
    label = button.get("label")
    if style == BUTTON_STYLE_LINK:
        if not button.get("url"):
            out.append(
                SpecViolation((*path, "url"), "BASE_TYPE_REQUIRED", "Link buttons need url.")
            )
        if custom_id is not None:
            out.append(
                SpecViolation(
                    (*path, "custom_id"),
                    "BUTTON_COMPONENT_CUSTOM_ID_NOT_ALLOWED",
                    "Link buttons cannot have a custom_id.",
                )
            )
    elif style != BUTTON_STYLE_PREMIUM:
        if not isinstance(custom_id, str) or not custom_id:
            out.append(
                SpecViolation(
                    (*path, "custom_id"),
                    "BASE_TYPE_REQUIRED",
                    "Buttons need a custom_id (or a url with the link style).",
                )
            )
        elif len(custom_id) > MAX_CUSTOM_ID:
            out.append(
                SpecViolation(
                    (*path, "custom_id"),
                    "BASE_TYPE_MAX_LENGTH",
                    f"Must be {MAX_CUSTOM_ID} or fewer in length.",
                )
            )
    if isinstance(label, str) and len(label) > MAX_BUTTON_LABEL:
        out.append(
            SpecViolation(
                (*path, "label"),
                "BASE_TYPE_MAX_LENGTH",
                f"Must be {MAX_BUTTON_LABEL} or fewer in length.",
            )
        )
    return out


def _check_action_row(path: tuple[str | int, ...], row: JSON) -> list[SpecViolation]:
    """Check an action row: at most 5 buttons, or exactly one select menu."""
    items = row.get("components")
    if not isinstance(items, list):
        return []
    out: list[SpecViolation] = []
    # A select menu takes the whole row.
    width = sum(
        MAX_ROW_WIDTH if isinstance(i, dict) and i.get("type") in (3, 5, 6, 7, 8) else 1
        for i in items
    )
    if width > MAX_ROW_WIDTH:
        out.append(
            SpecViolation(
                (*path, "components"),
                "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                "The specified component exceeds the maximum width",
            )
        )
    for index, item in enumerate(items):
        if isinstance(item, dict) and item.get("type") == COMPONENT_BUTTON:
            out.extend(_check_button((*path, "components", index), item))
    return out


def check_components(body: JSON) -> list[SpecViolation]:
    """Check message components like Discord: <= 5 action rows of <= 5 buttons, valid buttons.

    With the IS_COMPONENTS_V2 flag, top-level layout components are allowed instead of rows.
    """
    components = body.get("components")
    if not isinstance(components, list):
        return []
    out: list[SpecViolation] = []
    v2 = bool(int(body.get("flags") or 0) & MESSAGE_FLAG_IS_COMPONENTS_V2)
    if not v2 and len(components) > MAX_ACTION_ROWS:
        out.append(too_many(("components",), MAX_ACTION_ROWS))
    for index, component in enumerate(components):
        if not isinstance(component, dict):
            continue
        path: tuple[str | int, ...] = ("components", index)
        if component.get("type") == COMPONENT_ACTION_ROW:
            out.extend(_check_action_row(path, component))
        elif not v2:
            out.append(
                SpecViolation(
                    (*path, "type"),
                    "BASE_TYPE_CHOICES",
                    "Top-level components must be action rows (type 1) without IS_COMPONENTS_V2.",
                )
            )
    out.extend(duplicated_custom_ids(("components",), components))
    return out


def too_many(path: tuple[str | int, ...], limit: int) -> SpecViolation:
    """Discord's answer to a list longer than ``limit``."""
    return SpecViolation(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def duplicated_custom_ids(
    path: tuple[str | int, ...], components: list[JSON]
) -> list[SpecViolation]:
    """One violation (at ``path``) per repeated custom id: they are unique in a message/modal."""
    out: list[SpecViolation] = []
    seen: set[str] = set()
    for component in walk_components(components):
        custom_id = component.get("custom_id")
        if isinstance(custom_id, str):
            if custom_id in seen:
                out.append(
                    SpecViolation(
                        path,
                        "COMPONENT_CUSTOM_ID_DUPLICATED",
                        f"Component custom id {custom_id!r} cannot be duplicated",
                    )
                )
            seen.add(custom_id)
    return out
