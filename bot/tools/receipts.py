"""Receipts: the structured result, its summary, and the analyze_receipt_image tool."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated, Any

from pydantic import BaseModel, Field

from bot.llm.errors import LLMError
from bot.llm.stream import TokenUsage
from bot.llm.tools import ToolError, text, tool
from bot.store import Attachment, Usage
from bot.tools.context import SupportContext
from bot.tools.images import ImageRejectedError, to_data_url_off_loop

log = logging.getLogger(__name__)

EXTRACTION_PROMPT = (
    "You are an expert at extracting information from food-delivery and restaurant receipts."
    " You pay great attention to detail. Amounts are integers in cents (12.50 -> 1250)."
    " Use the ISO 4217 currency code. If the image is not a receipt, return no items and a"
    " total of 0."
)


class ReceiptItem(BaseModel):
    """One line of a receipt."""

    name: str = Field(description="The item as printed on the receipt")
    quantity: int = Field(ge=0, description="How many were ordered")
    price_in_cents: int = Field(description="Price of one unit, in cents")


class Receipt(BaseModel):
    """What the vision model reads off a receipt."""

    date: dt.date | None = Field(description="The receipt's date (YYYY-MM-DD), if printed")
    items: list[ReceiptItem]
    currency: str = Field(description="ISO 4217 code, e.g. EUR")
    total_in_cents: int = Field(description="The total paid, in cents")

    def items_total_in_cents(self) -> int:
        """The sum of quantity times unit price over the items."""
        return sum(item.quantity * item.price_in_cents for item in self.items)


def money(cents: int, currency: str) -> str:
    """Cents as a readable amount: 2724, EUR -> 27.24 EUR."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d} {currency}"


def summarize(receipt: Receipt) -> str:
    """A few lines for staff: date, items, total, and a warning when they disagree."""
    lines = [f"Date: {receipt.date.isoformat() if receipt.date else 'not printed'}"]
    lines += [
        f"{item.quantity} × {item.name} @ {money(item.price_in_cents, receipt.currency)}"
        for item in receipt.items
    ]
    lines.append(f"Total: {money(receipt.total_in_cents, receipt.currency)}")
    items_total = receipt.items_total_in_cents()
    if receipt.items and items_total != receipt.total_in_cents:
        lines.append(f"⚠ Items add up to {money(items_total, receipt.currency)}, not the total.")
    return "\n".join(lines)


@tool
async def analyze_receipt_image(
    context: SupportContext,
    call_id: str,
    image_url: Annotated[
        str, text(2048, "The image's URL, exactly as in the 'Attached image:' line")
    ],
) -> str:
    """Read a receipt image the customer sent: date, items (quantity, unit price in cents), currency and total in cents."""  # noqa: E501
    delivered = await context.services.store.find_attachment(context.conversation.id, image_url)
    image = await _image_for_vision(image_url, delivered, context)
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": EXTRACTION_PROMPT},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Extract the information contained in this receipt."},
                {"type": "image_url", "image_url": {"url": image, "detail": "high"}},
            ],
        },
    ]
    try:
        receipt = await context.services.vision.parse(
            messages, Receipt, on_usage=lambda usage: _record_usage(context, usage)
        )
    except LLMError as exc:
        log.warning("receipt analysis failed: %s", exc)
        raise ToolError(f"the receipt could not be read ({exc.user_message})") from exc
    if delivered is not None:
        # Only a photo the customer attached here becomes the conversation's receipt (and
        # so a ticket's): a typed link proves nothing about the customer's order.
        await context.services.store.add_receipt(
            context.conversation.id,
            tool_call_id=call_id,
            image_url=image_url,
            data=receipt.model_dump(mode="json"),
        )
    result = receipt.model_dump_json()
    items_total = receipt.items_total_in_cents()
    if receipt.items and items_total != receipt.total_in_cents:
        # Said outright: a model adding up cents in its head gets it wrong too often.
        result += (
            f"\nNote: the items add up to {money(items_total, receipt.currency)}, but the"
            f" receipt's total is {money(receipt.total_in_cents, receipt.currency)}."
        )
    return result


async def _record_usage(context: SupportContext, usage: TokenUsage) -> None:
    """The vision request's tokens, stored with the conversation's usage: they count in the
    customer's daily budget and in the cost figures like the chat model's."""
    await context.services.store.record_usage(
        context.conversation.id,
        Usage(
            context.services.vision.name,
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.total_tokens,
            1,
            usage.cached_tokens,
        ),
    )


async def _image_for_vision(
    url: str, attachment: Attachment | None, context: SupportContext
) -> str:
    """A delivered attachment goes as a data URL of its bytes, read through the platform.

    A URL the customer typed is refused, and fetched by nobody, unless ALLOW_IMAGE_URLS is
    on; then the vision model gets the https link (the bot never downloads it).
    """
    if attachment is None:
        if not context.services.allow_image_urls:
            raise ToolError(
                "that image was not attached in this conversation, and links are not opened."
                " Ask the customer to attach the photo to a message here."
            )
        if not url.startswith("https://"):
            raise ToolError(
                "that is neither an image attached in this conversation nor an https link"
            )
        return url
    try:
        data = await context.services.attachments.read(attachment.url)
    except Exception as exc:
        log.warning("could not read attachment %s: %r", attachment.filename, exc)
        raise ToolError(
            "the image could not be downloaded; ask the customer to send it again"
        ) from exc
    try:
        return await to_data_url_off_loop(data)
    except ImageRejectedError as exc:
        raise ToolError(f"the image cannot be read: {exc}") from exc
