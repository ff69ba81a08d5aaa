"""Which attachments are receipt candidates, and turning image bytes into a data URL."""

from __future__ import annotations

import asyncio
import base64
import io
import warnings
from dataclasses import dataclass
from typing import Protocol

from PIL import Image, UnidentifiedImageError

from bot.store import Attachment

MAX_IMAGE_BYTES = 20 * 1024 * 1024
# The memory one image may take while it is decoded, converted and scaled, judged from its
# header before any pixel is decoded: a small file can decode to gigabytes (a 12000x12000
# PNG of one colour is 400 KB and 576 MB in memory), so the pixel count alone says too little.
MAX_DECODE_BYTES = 96 * 1024 * 1024
# The largest header any path opens: only a JPEG decoded at reduced size (`draft`) comes
# near it; everything else is refused by `MAX_DECODE_BYTES` long before.
MAX_HEADER_PIXELS = 100_000_000
# Pillow's own bomb guard, from the same figures: it refuses (DecompressionBombError) any
# image over twice this, in `Image.open` and on each GIF frame, whatever the code path.
# Between once and twice it only warns, and the budget above decides; the warning is noise.
Image.MAX_IMAGE_PIXELS = MAX_HEADER_PIXELS // 2
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
# Vision models downscale to about this size anyway; sending more costs upload time only.
MAX_SIDE_PIXELS = 2048
JPEG_QUALITY = 85
_PASSTHROUGH = {"JPEG": "image/jpeg", "PNG": "image/png"}
_SUPPORTED = ("JPEG", "PNG", "WEBP", "GIF")
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".gif")


class ImageRejectedError(Exception):
    """The bytes are not an image we can hand to the vision model; says why."""


@dataclass(frozen=True)
class Triage:
    """A message's attachments sorted: receipt candidates, and notes on the rest."""

    images: list[Attachment]
    notes: list[str]


class Described(Protocol):
    """What a platform says of a file: its name and content type."""

    @property
    def filename(self) -> str:
        """The file's name."""
        ...

    @property
    def content_type(self) -> str | None:
        """The content type the platform reports, if any."""
        ...


def is_image(attachment: Described) -> bool:
    """Whether the attachment claims to be an image, by content type or file name."""
    if attachment.content_type:
        return attachment.content_type.split(";")[0].strip().lower().startswith("image/")
    return attachment.filename.lower().endswith(_IMAGE_SUFFIXES)


def triage(attachments: list[Attachment], max_images: int = 4) -> Triage:
    """Keep up to `max_images` images of up to 20 MiB; explain every attachment left out."""
    images: list[Attachment] = []
    notes: list[str] = []
    for attachment in attachments:
        if is_image(attachment) and len(images) >= max_images:
            notes.append(
                f"{attachment.filename} was not read: I read up to {max_images} images a message."
            )
        elif not is_image(attachment):
            notes.append(
                f"{attachment.filename} was ignored: I can only read images (JPG, PNG, WebP, GIF)."
            )
        elif attachment.size > MAX_IMAGE_BYTES:
            size_mib = attachment.size / (1024 * 1024)
            notes.append(
                f"{attachment.filename} was not accepted: it is {size_mib:.1f} MiB and images"
                " must be 20 MiB or smaller. Please send a smaller photo."
            )
        else:
            images.append(attachment)
    return Triage(images, notes)


def to_data_url(data: bytes) -> str:
    """A base64 data URL of the image, at most `MAX_SIDE_PIXELS` on its long side.

    A still JPEG or PNG that is small enough goes as it is; a larger one is scaled down,
    and WebP, GIF and animated pictures (their first frame) are converted (JPEG for opaque
    pictures, PNG where transparency must survive). What decoding would cost is judged from
    the header first: a picture over `MAX_DECODE_BYTES` is read at reduced size (JPEG) or
    refused, so no file can exhaust memory. Decoding is CPU work for up to a second on a
    big photo, so call it off the event loop (`to_data_url_off_loop`).
    """
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageRejectedError("the image is larger than 20 MiB")
    try:
        # Only the four formats' parsers ever see the bytes, whatever the file is called.
        image = Image.open(io.BytesIO(data), formats=_SUPPORTED)
    except Image.DecompressionBombError as exc:
        raise ImageRejectedError(_TOO_LARGE) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageRejectedError(
            "the file is not a readable image (JPG, PNG, WebP or GIF)"
        ) from exc
    with image:
        # The first frame only: a GIF, APNG or WebP opens on it and is never advanced.
        animated = bool(getattr(image, "is_animated", False))
        fits = max(image.size) <= MAX_SIDE_PIXELS
        _plan_decode(image)
        try:
            image.load()
        except Image.DecompressionBombError as exc:
            raise ImageRejectedError(_TOO_LARGE) from exc
        except (OSError, SyntaxError, ValueError, EOFError, IndexError) as exc:
            raise ImageRejectedError(_INCOMPLETE) from exc
        image_format = image.format or ""
        if image_format in _PASSTHROUGH and fits and not animated:
            if image_format == "PNG":
                _verify_png(data)
            return _data_url(_PASSTHROUGH[image_format], data)
        return _encoded(image)


_TOO_LARGE = (
    "the image has too many pixels to be read safely; ask the customer for a photo or"
    " screenshot of the receipt at an ordinary size (12 megapixels or less)"
)
_INCOMPLETE = "the image file is incomplete or damaged; ask the customer to send it again"


def _plan_decode(image: Image.Image) -> None:
    """Refuse, from the header alone, an image whose decoding would pass the budget.

    A JPEG is first set to decode at the smallest scale (1/2, 1/4, 1/8) that still covers
    the size it will be sent at (`draft`), which often brings a big photo under budget.
    """
    width, height = image.size
    if width * height > MAX_HEADER_PIXELS:
        raise ImageRejectedError(_TOO_LARGE)
    coefficients = 0
    if image.format == "JPEG":
        target = _fitted(image.size)
        if target != image.size:
            image.draft(None, target)
        coefficients = _jpeg_coefficient_bytes(image, width, height)
    if coefficients + _working_bytes(image) > MAX_DECODE_BYTES:
        raise ImageRejectedError(_TOO_LARGE)


def _fitted(size: tuple[int, int]) -> tuple[int, int]:
    """The size within `MAX_SIDE_PIXELS` x `MAX_SIDE_PIXELS`, aspect ratio kept."""
    width, height = size
    scale = min(1.0, MAX_SIDE_PIXELS / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _working_bytes(image: Image.Image) -> int:
    """Memory to decode the image (at its size now), convert it and scale it down.

    Pillow keeps one byte a pixel for 1, L and P, two for 16-bit grey, four for the rest;
    the conversion for the vision model makes a four-byte copy (a one-colour GIF of 59
    megapixels is 59 MB decoded and 237 MB converted); scaling holds one more pass.
    """
    width, height = image.size
    pixels = width * height
    decoded = pixels * _bytes_per_pixel(image.mode)
    converted = 0 if image.mode in ("RGB", "RGBA") else pixels * 4
    new_width, new_height = _fitted(image.size)
    scaled = (
        0
        if (new_width, new_height) == image.size
        else 4 * max(new_width * height, width * new_height)
    )
    return decoded + converted + scaled


def _bytes_per_pixel(mode: str) -> int:
    if mode in ("1", "L", "P"):
        return 1
    if mode.startswith("I;16"):
        return 2
    return 4


def _jpeg_coefficient_bytes(image: Image.Image, width: int, height: int) -> int:
    """What a progressive JPEG's decoder holds besides the pixels: every DCT coefficient
    of the full-size picture (two bytes each, per component and its sampling), whatever
    the scale it is decoded at. A baseline JPEG is decoded a strip at a time."""
    if not image.info.get("progressive"):
        return 0
    layers: list[tuple[int, int, int, int]] = getattr(image, "layer", [])
    if not layers:
        return width * height * 2 * 4
    h_max = max(layer[1] for layer in layers) or 1
    v_max = max(layer[2] for layer in layers) or 1
    return sum(
        2 * (width * layer[1] // h_max + 8) * (height * layer[2] // v_max + 8) for layer in layers
    )


def _verify_png(data: bytes) -> None:
    """A PNG sent as it is has intact chunks (checksums included)."""
    try:
        with Image.open(io.BytesIO(data), formats=("PNG",)) as image:
            image.verify()
    except Exception as exc:
        raise ImageRejectedError(_INCOMPLETE) from exc


async def to_data_url_off_loop(data: bytes) -> str:
    """`to_data_url` in a worker thread, so a big photo never stalls the event loop."""
    return await asyncio.to_thread(to_data_url, data)


def _encoded(image: Image.Image) -> str:
    """The image scaled to fit `MAX_SIDE_PIXELS`, as JPEG, or PNG when it has transparency."""
    transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    target = "RGBA" if transparent else "RGB"
    picture = image if image.mode == target else image.convert(target)
    picture.thumbnail((MAX_SIDE_PIXELS, MAX_SIDE_PIXELS), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if transparent:
        picture.save(out, format="PNG", optimize=True)
        return _data_url("image/png", out.getvalue())
    picture.save(out, format="JPEG", quality=JPEG_QUALITY)
    return _data_url("image/jpeg", out.getvalue())


def _data_url(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
