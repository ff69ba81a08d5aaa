"""Draws docs/ticket-embed.png from the real ticket embed, for the README.

Run: .venv/bin/python docs/render_ticket_embed.py
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from bot.frontends.discord.staff import ticket_embed
from bot.frontends.discord.views import ticket_view
from bot.store import ReceiptRecord, Ticket
from fakes.constants import SAMPLE_RECEIPT

OUT = Path(__file__).with_name("ticket-embed.png")
FONTS = Path("/usr/share/fonts/truetype/dejavu")
BACKGROUND, CARD, TEXT, MUTED, LINK = "#313338", "#2b2d31", "#dbdee1", "#949ba4", "#00a8fc"
WIDTH, PAD = 760, 16


def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu when installed, else Pillow's own font."""
    path = FONTS / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")
    return ImageFont.truetype(str(path), size) if path.exists() else ImageFont.load_default(size)


def sample() -> tuple[Ticket, ReceiptRecord]:
    """A claimed refund ticket whose receipt does not add up."""
    ticket = Ticket(
        id=13,
        conversation_id=7,
        request_key="tool:call_1",
        customer_name="Ana",
        issue="Refund for 2 missing Margherita pizzas (2 × 8.50 EUR) from the order of 2024-05-03.",
        user_id="1100000000000000001",
        user_display="ana.eats",
        thread_url="https://discord.com/channels/1/2/3",
        receipt_id=1,
        status="claimed",
        staff_message_id=None,
        created_at="2026-11-23T18:04:00.000Z",
        claimed_by="1200000000000000002",
        claimed_by_name="Sam",
        claimed_at="2026-11-23T18:09:00.000Z",
    )
    receipt = ReceiptRecord(
        id=1,
        conversation_id=7,
        image_url="https://cdn.discordapp.com/attachments/receipt.jpg",
        # Without the delivery fee the items do not add up: the picture shows the warning.
        data={
            **SAMPLE_RECEIPT,
            "items": [i for i in SAMPLE_RECEIPT["items"] if i["name"] != "Delivery fee"],
        },
    )
    return ticket, receipt


def readable(value: str) -> str:
    """Mentions and timestamps as Discord shows them."""
    return value.replace("<@1100000000000000001>", "@ana.eats").replace(
        "<@1200000000000000002>", "@Sam"
    ).split(" <t:")[0] + (" · 5 minutes ago" if "<t:" in value else "")


Text = tuple[int, int, str, ImageFont.FreeTypeFont | ImageFont.ImageFont, str]


def layout(embed: dict[str, Any]) -> tuple[list[Text], int]:
    """Where each piece of text of the embed goes, and where the card ends."""
    texts: list[Text] = []
    inner, y = PAD * 2 + 16, PAD + 42
    texts.append((inner, y, embed["title"], font(16, True), TEXT))
    y += 28
    for line in textwrap.wrap(embed["description"], 78):
        texts.append((inner, y, line, font(14), TEXT))
        y += 20
    y += 8
    fields = embed["fields"]
    index = 0
    while index < len(fields):
        row = []
        while index < len(fields) and fields[index].get("inline") and len(row) < 3:
            row.append(fields[index])
            index += 1
        if row:
            for column, cell in enumerate(row):
                x = inner + column * 230
                texts.append((x, y, cell["name"], font(13, True), TEXT))
                texts.append((x, y + 18, readable(cell["value"]), font(13), TEXT))
            y += 46
            continue
        field = fields[index]
        index += 1
        texts.append((inner, y, field["name"], font(13, True), TEXT))
        y += 18
        colour = LINK if field["value"].startswith("http") else TEXT
        for line in readable(field["value"]).splitlines():
            texts.append((inner, y, line, font(13), colour))
            y += 18
        y += 10
    texts.append((inner, y, "Created • 23/11/2026 18:04", font(11), MUTED))
    return texts, y + 26


def render(embed: dict[str, Any], buttons: list[str]) -> Image.Image:
    """A Discord-like picture of the post: author line, embed card, buttons."""
    texts, bottom = layout(embed)
    image = Image.new("RGB", (WIDTH, bottom + 60), BACKGROUND)
    pen = ImageDraw.Draw(image)
    pen.text((PAD * 2, PAD), "SupportBot   New ticket #13 from Ana", font=font(15, True), fill=TEXT)
    top = PAD + 30
    pen.rounded_rectangle((PAD * 2, top, WIDTH - PAD * 2, bottom), radius=4, fill=CARD)
    pen.rectangle((PAD * 2, top, PAD * 2 + 4, bottom), fill=f"#{embed['color']:06x}")
    for x, y, text, face, colour in texts:
        pen.text((x, y), text, font=face, fill=colour)
    x = PAD * 2
    for label in buttons:
        width = 32 + int(font(14, True).getlength(label))
        fill = {"Resolve": "#248046", "Claim": "#5865f2"}.get(label, "#4e5058")
        pen.rounded_rectangle((x, bottom + 10, x + width, bottom + 44), radius=4, fill=fill)
        pen.text((x + 16, bottom + 18), label, font=font(14, True), fill="#ffffff")
        x += width + 8
    return image


def main() -> None:
    """Render the sample ticket post to docs/ticket-embed.png."""
    ticket, receipt = sample()
    buttons = [
        getattr(getattr(child, "item", child), "label", "") or ""
        for child in ticket_view(ticket).children
    ]
    render(ticket_embed(ticket, receipt).to_dict(), buttons).save(OUT)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
