"""Attachments are sorted into receipt candidates and turned into data URLs."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from bot.store import Attachment
from bot.tools.images import (
    MAX_DECODE_BYTES,
    MAX_IMAGE_BYTES,
    ImageRejectedError,
    to_data_url,
    triage,
)


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


# Hostile images: bombs, truncated, mislabelled and animated files.

PEAK_LIMIT_MIB = 350

# Builds the one-colour bombs in a process of its own: the test process never holds the
# decoded pictures (a child inherits its parent's peak in ru_maxrss).
_BUILD_BOMBS = """
import io, sys
from PIL import Image
for size, fmt, path in [(12000, "PNG", sys.argv[1]), (7700, "PNG", sys.argv[2]),
                        (7700, "GIF", sys.argv[3]), (9000, "JPEG", sys.argv[4])]:
    out = io.BytesIO()
    Image.new("RGB", (size, size), (200, 30, 30)).save(out, format=fmt)
    with open(path, "wb") as f:
        f.write(out.getvalue())
"""

# Runs the bot's decode path on one file and reports what became of it and the peak memory.
_DECODE = """
import json, resource, sys
from bot.tools.images import ImageRejectedError, to_data_url
with open(sys.argv[1], "rb") as f:
    data = f.read()
inherited = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
try:
    url = to_data_url(data)
    outcome = {"outcome": "sent", "bytes": len(url)}
except ImageRejectedError as exc:
    outcome = {"outcome": "refused", "reason": str(exc)}
status = open("/proc/self/status").read()
outcome["inherited_mib"] = inherited
outcome["maxrss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
outcome["hwm_mib"] = int(status.split("VmHWM:")[1].split()[0]) / 1024
if outcome["outcome"] == "sent":
    import base64, io
    from PIL import Image
    with Image.open(io.BytesIO(base64.b64decode(url.partition(",")[2]))) as sent:
        outcome["size"] = list(sent.size)
print(json.dumps(outcome))
"""


@pytest.fixture(scope="module")
def bombs(tmp_path_factory) -> dict[str, Path]:
    """12000x12000 PNG (~430 MB decoded), 7700x7700 PNG and GIF (59 megapixels), and a
    9000x9000 JPEG (81 megapixels) that can be decoded at a quarter of its size."""
    folder = tmp_path_factory.mktemp("bombs")
    names = ("png12000.png", "png7700.png", "gif7700.png", "jpeg9000.jpg")
    paths = {name: folder / name for name in names}
    subprocess.run(
        [sys.executable, "-c", _BUILD_BOMBS, *map(str, paths.values())], check=True, timeout=120
    )
    return paths


def decode_in_child(path: Path) -> dict[str, object]:
    """`to_data_url` on the file in a fresh process: its outcome and peak memory."""
    done = subprocess.run(
        [sys.executable, "-c", _DECODE, str(path)],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    print(path.name, result)
    return result


@pytest.mark.parametrize(
    ("name", "outcome"),
    [
        ("png12000.png", "refused"),
        ("png7700.png", "refused"),
        ("gif7700.png", "refused"),
        ("jpeg9000.jpg", "sent"),
    ],
)
def test_a_decompression_bomb_is_refused_or_reduced_within_the_memory_budget(bombs, name, outcome):
    """A small file that decodes to hundreds of megabytes (a 12000x12000 or a 7700x7700
    picture of one colour; the GIF one mislabelled .png) is refused from its header, a JPEG
    is decoded at reduced size, and the decoding process's peak memory stays under 350 MiB."""
    assert bombs[name].stat().st_size < 2 * 1024 * 1024
    result = decode_in_child(bombs[name])
    # Linux carries a parent's peak into its child's ru_maxrss, so the child also reads its
    # own peak since exec (VmHWM); either way the decoding must not reach the limit.
    assert result["hwm_mib"] < PEAK_LIMIT_MIB
    assert result["maxrss_mib"] < PEAK_LIMIT_MIB or result["maxrss_mib"] == result["inherited_mib"]
    assert result["outcome"] == outcome
    if outcome == "refused":
        assert "too many pixels" in str(result["reason"])
    else:
        assert result["size"] == [2048, 2048]


def test_pillows_own_guard_agrees_with_the_budget():
    """Pillow's bomb guard is set from the same budget: nothing it lets open can be
    decoded past the budget at the reduced size the bot asks for."""
    assert Image.MAX_IMAGE_PIXELS is not None
    assert Image.MAX_IMAGE_PIXELS < 60_000_000
    assert MAX_DECODE_BYTES <= 128 * 1024 * 1024


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_a_truncated_image_is_refused_clearly(fmt):
    """A photo cut off mid-way (an interrupted upload) is refused as incomplete, not sent
    to the vision model and not a crash."""
    noisy = Image.effect_noise((600, 400), 64).convert("RGB")
    buffer = io.BytesIO()
    noisy.save(buffer, format=fmt)
    data = buffer.getvalue()
    with pytest.raises(ImageRejectedError, match="incomplete"):
        to_data_url(data[: len(data) // 2])


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"Hello, this is my receipt, promise!\n" * 20, "not a readable image"),
        (image_bytes("BMP"), "not a readable image"),
        (b"GIF89a" + b"\x00" * 40, "not a readable image"),
    ],
    ids=["text", "bmp", "gif-header-only"],
)
def test_a_mislabelled_file_is_refused_by_its_content(data, reason):
    """A file named .png that is text, another format, or a GIF header with nothing behind
    it is judged by its bytes, and refused with a reason."""
    with pytest.raises(ImageRejectedError, match=reason):
        to_data_url(data)


def test_a_mislabelled_gif_is_read_as_a_gif():
    """A real GIF called .png is converted like any GIF (its bytes say what it is)."""
    head, decoded = _decoded(to_data_url(image_bytes("GIF", (9, 5))))
    assert head in ("data:image/jpeg;base64", "data:image/png;base64")
    with Image.open(io.BytesIO(decoded)) as converted:
        assert converted.format in ("JPEG", "PNG")
        assert converted.size == (9, 5)


def _animated(fmt: str) -> bytes:
    frames = [Image.new("RGB", (40, 30), colour) for colour in ("red", "lime", "blue")]
    buffer = io.BytesIO()
    frames[0].save(buffer, format=fmt, save_all=True, append_images=frames[1:], duration=100)
    return buffer.getvalue()


@pytest.mark.parametrize("fmt", ["GIF", "PNG", "WEBP"])
def test_an_animated_image_becomes_its_first_frame(fmt):
    """An animated GIF, PNG (APNG) or WebP goes to the vision model as one still picture:
    its first frame."""
    data = _animated(fmt)
    with Image.open(io.BytesIO(data)) as original:
        assert getattr(original, "n_frames", 1) == 3
    _, decoded = _decoded(to_data_url(data))
    with Image.open(io.BytesIO(decoded)) as sent:
        assert getattr(sent, "n_frames", 1) == 1
        assert sent.size == (40, 30)
        red, green, blue = sent.convert("RGB").getpixel((20, 15))
        assert red > 200
        assert max(green, blue) < 60
