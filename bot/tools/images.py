"""Which attachments are receipt candidates, and turning image bytes into a data URL."""

from __future__ import annotations

import asyncio
import base64
import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from bot.store import Attachment

MAX_IMAGE_BYTES = 20 * 1024 * 1024
# Far above any phone photo, far below what would exhaust memory when decoded.
MAX_IMAGE_PIXELS = 60_000_000
# Vision models downscale to about this size anyway; sending more costs upload time only.
MAX_SIDE_PIXELS = 2048
JPEG_QUALITY = 85
_PASSTHROUGH = {"JPEG": "image/jpeg", "PNG": "image/png"}
_SUPPORTED = {"JPEG", "PNG", "WEBP", "GIF"}
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".gif")


class ImageRejectedError(Exception):
    """The bytes are not an image we can hand to the vision model; says why."""


@dataclass(frozen=True)
class Triage:
    """A message's attachments sorted: receipt candidates, and notes on the rest."""

    images: list[Attachment]
    notes: list[str]


def is_image(attachment: Attachment) -> bool:
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

    A JPEG or PNG that is small enough goes as it is; a larger one is scaled down, and WebP
    and GIF are converted (JPEG for opaque pictures, PNG where transparency must survive).
    This decodes the whole image: CPU work for up to a second on a big photo, so call it off
    the event loop (`to_data_url_off_loop`).
    """
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageRejectedError("the image is larger than 20 MiB")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image_format = image.format or ""
                if image_format not in _SUPPORTED:
                    kind = image_format or "this"
                    raise ImageRejectedError(
                        f"{kind} images are not supported (JPG, PNG, WebP, GIF)"
                    )
                if image.width * image.height > MAX_IMAGE_PIXELS:
                    raise ImageRejectedError("the image has too many pixels")
                fits = max(image.width, image.height) <= MAX_SIDE_PIXELS
                if image_format in _PASSTHROUGH and fits:
                    image.verify()
                    return _data_url(_PASSTHROUGH[image_format], data)
                image.seek(0)
                image.load()
                return _encoded(image)
    except ImageRejectedError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageRejectedError("the file is not a readable image") from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejectedError("the image has too many pixels") from exc


async def to_data_url_off_loop(data: bytes) -> str:
    """`to_data_url` in a worker thread, so a big photo never stalls the event loop."""
    return await asyncio.to_thread(to_data_url, data)


def _encoded(image: Image.Image) -> str:
    """The image scaled to fit `MAX_SIDE_PIXELS`, as JPEG, or PNG when it has transparency."""
    transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    picture = image.convert("RGBA" if transparent else "RGB")
    picture.thumbnail((MAX_SIDE_PIXELS, MAX_SIDE_PIXELS), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if transparent:
        picture.save(out, format="PNG", optimize=True)
        return _data_url("image/png", out.getvalue())
    picture.save(out, format="JPEG", quality=JPEG_QUALITY)
    return _data_url("image/jpeg", out.getvalue())


def _data_url(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
