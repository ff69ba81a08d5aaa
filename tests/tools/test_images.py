"""Attachments are sorted into receipt candidates and turned into data URLs."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from bot.store import Attachment
from bot.tools.images import MAX_IMAGE_BYTES, ImageRejectedError, to_data_url, triage


def image_bytes(fmt: str, size: tuple[int, int] = (8, 8)) -> bytes:
    """A small real image in the given format."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


def _decoded(url: str) -> tuple[str, bytes]:
    head, _, data = url.partition(",")
    return head, base64.b64decode(data)


@pytest.mark.parametrize(("fmt", "mime"), [("JPEG", "image/jpeg"), ("PNG", "image/png")])
def test_jpeg_and_png_pass_as_they_are(fmt, mime):
    """JPEG and PNG bytes are sent unchanged, with their own type."""
    data = image_bytes(fmt)
    head, decoded = _decoded(to_data_url(data))
    assert head == f"data:{mime};base64"
    assert decoded == data


@pytest.mark.parametrize("fmt", ["WEBP", "GIF"])
def test_webp_and_gif_are_converted_at_their_size(fmt):
    """WebP and GIF are converted (JPEG for an opaque picture) at the same size."""
    head, decoded = _decoded(to_data_url(image_bytes(fmt, (5, 7))))
    assert head in ("data:image/jpeg;base64", "data:image/png;base64")
    with Image.open(io.BytesIO(decoded)) as converted:
        assert converted.size == (5, 7)


def test_transparency_survives_conversion():
    """A transparent WebP becomes a PNG that keeps its alpha channel."""
    buffer = io.BytesIO()
    Image.new("RGBA", (6, 4), (0, 0, 0, 0)).save(buffer, format="WEBP", lossless=True)
    head, decoded = _decoded(to_data_url(buffer.getvalue()))
    assert head == "data:image/png;base64"
    with Image.open(io.BytesIO(decoded)) as converted:
        assert converted.mode == "RGBA"


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_large_photos_are_scaled_to_2048_on_the_long_side(fmt):
    """A phone photo larger than 2048 px is scaled down, keeping its aspect ratio."""
    head, decoded = _decoded(to_data_url(image_bytes(fmt, (4000, 3000))))
    assert head == "data:image/jpeg;base64"
    with Image.open(io.BytesIO(decoded)) as scaled:
        assert scaled.size == (2048, 1536)


def test_broken_bytes_are_rejected_with_a_reason():
    """A truncated or fake image raises ImageRejectedError, not a crash."""
    with pytest.raises(ImageRejectedError, match="not a readable image"):
        to_data_url(b"\x89PNG\r\n\x1a\nthis is not really a png")
    with pytest.raises(ImageRejectedError):
        to_data_url(image_bytes("PNG", (64, 64))[:60])


def test_triage_keeps_images_and_explains_the_rest():
    """Images up to 20 MiB are kept; larger ones and non-images get a note each."""
    receipt = Attachment("https://cdn/r.png", "r.png", "image/png", 1000)
    huge = Attachment("https://cdn/h.jpg", "h.jpg", "image/jpeg", MAX_IMAGE_BYTES + 1)
    pdf = Attachment("https://cdn/a.pdf", "a.pdf", "application/pdf", 10)
    sorted_out = triage([receipt, huge, pdf])
    assert sorted_out.images == [receipt]
    assert len(sorted_out.notes) == 2
    assert "h.jpg" in sorted_out.notes[0]
    assert "20 MiB" in sorted_out.notes[0]
    assert "a.pdf" in sorted_out.notes[1]
    assert "ignored" in sorted_out.notes[1]
