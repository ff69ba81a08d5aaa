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
from bot.support.conversation import EMPTY_ANSWER, SupportEngine
from bot.support.desk import TicketDesk, TicketNotifier
from bot.support.help_center import HelpCenter
from bot.support.help_tool import search_help_center
from bot.support.prompt import load_system_prompt
from bot.support.receipts import analyze_receipt_image
from bot.support.tickets import create_customer_ticket, request_human

SUPPORT_TOOLS = (create_customer_ticket, analyze_receipt_image, request_human, search_help_center)


def llm_client(settings: Settings, *, max_retries: int | None = None) -> AsyncOpenAI:
    """The OpenAI-compatible client the settings describe."""
    return make_client(
        api_key=settings.require_llm(),
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
    notifier: TicketNotifier,
    attachments: AttachmentReader,
) -> SupportEngine:
    """The support engine with its tools, models and store."""
    cap = settings.max_concurrent_llm_calls
    slots = asyncio.Semaphore(cap) if cap else None
    services = Services(
        store=store,
        desk=TicketDesk(
            store, notifier, tickets_per_hour=settings.tickets_per_conversation_per_hour
        ),
        attachments=attachments,
        vision=StructuredModel(client, settings.vision_model, slots=slots),
        help_center=HelpCenter(store, settings.knowledge_dir),
    )
    agent: Agent[SupportContext] = Agent(
        model=OpenAIChatModel(
            client, settings.chat_model, slots=slots, reasoning_effort=settings.reasoning_effort
        ),
        tools=ToolRegistry(SUPPORT_TOOLS),
        empty_reply=EMPTY_ANSWER,
    )
    return SupportEngine(
        services, agent, load_system_prompt(), context_budget=settings.context_token_budget
    )
