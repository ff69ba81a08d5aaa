"""The model's tools: one module each, all offered through the registry in bot.llm.tools."""

from bot.tools.handoff import request_human
from bot.tools.help_center import search_help_center
from bot.tools.receipts import analyze_receipt_image
from bot.tools.tickets import create_customer_ticket

SUPPORT_TOOLS = (create_customer_ticket, analyze_receipt_image, request_human, search_help_center)

__all__ = ["SUPPORT_TOOLS"]
