"""File helpers: embeds without nulls, content types and image sizes."""

from __future__ import annotations

from typing import Any


def _strip_nulls(value: Any) -> Any:
    """Drop ``None`` values from nested dicts (Discord omits unset embed fields)."""
    if isinstance(value, dict):
        return {k: _strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip_nulls(v) for v in value]
    return value


def _guess_type(filename: str) -> str:
    """Guess a content type from a file name (Discord sniffs it from the upload)."""
    import mimetypes

    guessed, _ = mimetypes.guess_type(filename)
    return guessed or "application/octet-stream"


def _image_size(data: bytes) -> tuple[int | None, int | None]:
    """Return (width, height) of image bytes using Pillow when available."""
    try:
        import io

        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow is a project dependency
        return None, None
    try:
        with Image.open(io.BytesIO(data)) as image:
            return int(image.width), int(image.height)
    except Exception:
        return None, None
