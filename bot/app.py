"""Composition: the engine wired from settings, shared by every frontend."""

from __future__ import annotations

import asyncio

from openai import AsyncOpenAI

from bot.config import Settings
from bot.llm.agent import Agent
from bot.llm.client import make_client
from bot.llm.model import OpenAIChatModel
from bot.llm.structured import StructuredModel
from bot.llm.tools import ToolRegistry
from bot.store import Store
from bot.support.context import AttachmentReader, Services, SupportContext
from bot.support.conversation import SupportEngine
from bot.support.desk import TicketDesk
from bot.support.prompt import load_system_prompt
from bot.support.receipts import analyze_receipt_image
from bot.support.tickets import create_customer_ticket, request_human

SUPPORT_TOOLS = (create_customer_ticket, analyze_receipt_image, request_human)


def llm_client(settings: Settings, *, max_retries: int | None = None) -> AsyncOpenAI:
    """The OpenAI-compatible client the settings describe."""
    return make_client(
        api_key=settings.xai_api_key.get_secret_value(),
        base_url=settings.xai_base_url,
        connect_timeout=settings.llm_connect_timeout,
        read_timeout=settings.llm_read_timeout,
        max_retries=settings.llm_max_retries if max_retries is None else max_retries,
    )


def build_engine(
    settings: Settings,
    *,
    store: Store,
    client: AsyncOpenAI,
    attachments: AttachmentReader,
) -> SupportEngine:
    """The support engine with its tools, models and store."""
    slots = asyncio.Semaphore(settings.max_concurrent_llm_calls)
    services = Services(
        store=store,
        desk=TicketDesk(store, tickets_per_hour=settings.tickets_per_conversation_per_hour),
        attachments=attachments,
        vision=StructuredModel(client, settings.vision_model, slots=slots),
    )
    agent: Agent[SupportContext] = Agent(
        model=OpenAIChatModel(client, settings.chat_model, slots=slots),
        tools=ToolRegistry(SUPPORT_TOOLS),
    )
    return SupportEngine(
        services, agent, load_system_prompt(), context_budget=settings.context_token_budget
    )
