"""Reading the OpenAPI document of ACTIONS_SPEC: its operations, `$ref`s resolved.

PyYAML reads YAML (and so JSON, a subset of it); `referencing` (the `$ref` resolver
`jsonschema` itself uses, so no further dependency) looks up every `$ref` within the document.
What cannot become a tool is a `ConfigError` naming ACTIONS_SPEC and the problem, in one line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from bot.config import ConfigError

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
# Deeper than any sane document; a `$ref` that leads back to itself stops here.
MAX_DEPTH = 32
DOCUMENT_URI = "urn:actions-spec"


def spec_error(problem: str) -> ConfigError:
    """The one line that stops the start."""
    return ConfigError(f"bad setting ACTIONS_SPEC: {problem}")


@dataclass(frozen=True)
class Parameter:
    """A path or query parameter of an operation."""

    name: str
    location: str  # "path" or "query"
    required: bool
    schema: dict[str, Any]
    description: str = ""


@dataclass(frozen=True)
class Operation:
    """One operation with an operationId: what its tool needs to describe and call it."""

    operation_id: str
    method: str  # upper case
    path: str
    summary: str
    description: str
    parameters: tuple[Parameter, ...]
    body: dict[str, Any] | None  # the JSON request body's object schema
    body_required: bool
    consequential: bool
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        """The operation in a few words: its summary, else its id."""
        return self.summary or self.operation_id


@dataclass(frozen=True)
class Document:
    """The operations of the document and the first `servers` URL, if any."""

    operations: tuple[Operation, ...]
    server_url: str | None


def read_document(path: Path) -> dict[str, Any]:
    """The document as data; unreadable or not an OpenAPI 3.0/3.1 mapping: ConfigError."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise spec_error(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise spec_error(f"{path} is not valid YAML or JSON{where}") from None
    if not isinstance(data, dict):
        raise spec_error(f"{path} is not an OpenAPI document (no mapping at the top)")
    version = str(data.get("openapi", ""))
    if not version.startswith(("3.0", "3.1")):
        raise spec_error(f"{path} is not OpenAPI 3.0 or 3.1 (openapi: {version or 'missing'})")
    return data


class _Resolver:
    """Inlines every `$ref` of the document (local ones: `#/components/...`)."""

    def __init__(self, document: dict[str, Any]) -> None:
        resource: Resource[Any] = DRAFT202012.create_resource(document)
        self._resolver = Registry().with_resource(DOCUMENT_URI, resource).resolver(DOCUMENT_URI)

    def inline(self, node: Any, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise spec_error("a $ref refers back to itself (recursive schemas are not supported)")
        if isinstance(node, list):
            return [self.inline(item, depth + 1) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str):
            if not ref.startswith("#"):
                raise spec_error(f"$ref {ref!r} points outside the document")
            try:
                target = self._resolver.lookup(ref).contents
            except Unresolvable:
                raise spec_error(f"$ref {ref!r} does not resolve") from None
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            resolved = self.inline(target, depth + 1)
            return {**resolved, **self.inline(siblings, depth + 1)} if siblings else resolved
        return {key: self.inline(value, depth + 1) for key, value in node.items()}


def _consequential(method: str, raw: dict[str, Any]) -> bool:
    flag = raw.get("x-openai-isConsequential")
    if isinstance(flag, bool):
        return flag
    return method != "GET"


def _parameters(raw: list[Any], where: str) -> list[Parameter]:
    found = []
    for item in raw:
        if not isinstance(item, dict) or "name" not in item:
            raise spec_error(f"{where}: a parameter without a name")
        location = item.get("in")
        if location not in ("path", "query"):
            continue  # headers and cookies are ours to set, never the model's
        found.append(
            Parameter(
                name=str(item["name"]),
                location=str(location),
                required=bool(item.get("required")) or location == "path",
                schema=schema if isinstance(schema := item.get("schema"), dict) else {},
                description=str(item.get("description") or ""),
            )
        )
    return found


def _body(raw: dict[str, Any], where: str) -> tuple[dict[str, Any] | None, bool]:
    body = raw.get("requestBody")
    if not isinstance(body, dict):
        return None, False
    content = body.get("content") or {}
    media = next((v for k, v in content.items() if k.split(";")[0].strip().endswith("json")), None)
    if media is None:
        raise spec_error(f"{where}: only a JSON request body can be sent")
    schema = media.get("schema") if isinstance(media, dict) else None
    if not isinstance(schema, dict) or schema.get("type", "object") != "object":
        raise spec_error(f"{where}: the request body's schema must be an object")
    return schema, bool(body.get("required"))


def parse_document(data: dict[str, Any]) -> Document:
    """The operations with an operationId, `$ref`s resolved; none at all is a ConfigError."""
    resolver = _Resolver(data)
    paths = data.get("paths")
    operations: list[Operation] = []
    for path, raw_item in paths.items() if isinstance(paths, dict) else ():
        if not isinstance(raw_item, dict):
            continue
        item = resolver.inline(raw_item)
        shared = item.get("parameters") or []
        for method in METHODS:
            raw = item.get(method)
            if not isinstance(raw, dict) or not raw.get("operationId"):
                continue
            upper = method.upper()
            where = f"operation {raw['operationId']} ({upper} {path})"
            own = {(p.name, p.location): p for p in _parameters(shared, where)}
            own.update(
                {(p.name, p.location): p for p in _parameters(raw.get("parameters") or [], where)}
            )
            body, body_required = _body(raw, where)
            operations.append(
                Operation(
                    operation_id=str(raw["operationId"]),
                    method=upper,
                    path=str(path),
                    summary=str(raw.get("summary") or "").strip(),
                    description=str(raw.get("description") or "").strip(),
                    parameters=tuple(own.values()),
                    body=body,
                    body_required=body_required,
                    consequential=_consequential(upper, raw),
                )
            )
    if not operations:
        raise spec_error("the document has no operation with an operationId")
    servers = data.get("servers")
    server_url = None
    if isinstance(servers, list) and servers and isinstance(servers[0], dict):
        server_url = str(servers[0].get("url") or "") or None
    return Document(tuple(operations), server_url)


def load_document(path: Path) -> Document:
    """Read and parse ACTIONS_SPEC."""
    return parse_document(read_document(path))
