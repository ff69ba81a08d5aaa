"""Draw the eval's receipt photos (run once: `python evals/images/make_receipts.py`).

receipt-adds-up.png: the items add up to the printed total.
receipt-does-not-add-up.png: the printed total is 3.00 EUR more than the items.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent
WIDTH = 420


def draw(
    name: str, restaurant: str, date: str, items: list[tuple[int, str, int]], total: int
) -> None:
    """A plain till receipt: quantity, item, unit price; then the total (amounts in cents)."""
    font = ImageFont.load_default(size=20)
    bold = ImageFont.load_default(size=24)
    lines = 8 + len(items)
    image = Image.new("L", (WIDTH, 40 + 34 * lines), 255)
    pen = ImageDraw.Draw(image)
    y = 20

    def row(left: str, right: str = "", face: ImageFont.FreeTypeFont = font) -> None:
        nonlocal y
        pen.text((24, y), left, fill=0, font=face)
        if right:
            pen.text((WIDTH - 24, y), right, fill=0, font=face, anchor="ra")
        y += 34

    row(restaurant, face=bold)
    row("Delivered by Dashly")
    row(f"Date: {date}")
    row("-" * 40)
    for quantity, item, cents in items:
        row(f"{quantity} x {item}", f"{cents / 100:.2f}")
    row("-" * 40)
    row("TOTAL EUR", f"{total / 100:.2f}", face=bold)
    row("")
    row("Thank you for your order!")
    image.save(HERE / name, optimize=True)


# (file, shop, date, [(quantity, item, cents)], the total printed, in cents)
RECEIPTS = [
    ("receipt-adds-up.png", "Pizzeria Luna", "2025-03-14",
     [(1, "Pizza Margherita", 950), (1, "Tiramisu", 520), (1, "Cola 0.5 l", 280),
      (1, "Delivery fee", 199)], 1949),
    ("receipt-does-not-add-up.png", "Bangkok Garden", "2025-03-15",
     [(1, "Pad Thai", 1290), (1, "Green curry", 1150), (1, "Spring rolls", 450),
      (1, "Mango lassi", 350)], 3540),
]  # fmt: skip


if __name__ == "__main__":
    for receipt in RECEIPTS:
        draw(*receipt)
