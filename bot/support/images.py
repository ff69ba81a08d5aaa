"""Which attachments are receipt candidates, and turning image bytes into a data URL."""

from __future__ import annotations

import base64
import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from bot.store import Attachment

MAX_IMAGE_BYTES = 20 * 1024 * 1024
# Far above any phone photo, far below what would exhaust memory when decoded.
MAX_IMAGE_PIXELS = 60_000_000
_PASSTHROUGH = {"JPEG": "image/jpeg", "PNG": "image/png"}
_CONVERTED = {"WEBP", "GIF"}
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
    """A base64 data URL of the image: JPEG and PNG as they are, WebP and GIF as PNG."""
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageRejectedError("the image is larger than 20 MiB")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image_format = image.format or ""
                if image.width * image.height > MAX_IMAGE_PIXELS:
                    raise ImageRejectedError("the image has too many pixels")
                if image_format in _PASSTHROUGH:
                    image.verify()
                    return _data_url(_PASSTHROUGH[image_format], data)
                if image_format in _CONVERTED:
                    image.seek(0)
                    converted = io.BytesIO()
                    image.convert("RGBA").save(converted, format="PNG")
                    return _data_url("image/png", converted.getvalue())
    except ImageRejectedError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ImageRejectedError("the file is not a readable image") from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejectedError("the image has too many pixels") from exc
    kind = image_format or "this"
    raise ImageRejectedError(f"{kind} images are not supported (JPG, PNG, WebP, GIF)")


def _data_url(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
