"""Composition: the engine wired from settings, shared by every frontend."""

from __future__ import annotations

from bot.config import Settings
from bot.desk.archive import Archive
from bot.desk.desk import TicketDesk
from bot.desk.operations import Operations
from bot.desk.outcomes import Prices
from bot.desk.ratings import Ratings
from bot.engine.copy import EMPTY_ANSWER
from bot.engine.engine import SupportEngine
from bot.engine.limits import CustomerLimits
from bot.engine.prompt import load_system_prompt
from bot.engine.voices import unforgeable
from bot.helpcenter.index import HelpCenter
from bot.llm import Endpoint
from bot.llm.agent import Agent
from bot.llm.tools import ToolRegistry
from bot.store import Store
from bot.tools import SUPPORT_TOOLS
from bot.tools.actions import ActionTool, Confirmer, load_action_tools
from bot.tools.context import AttachmentReader, Services, SupportContext


def endpoint(settings: Settings) -> Endpoint:
    """The OpenAI-compatible endpoint the settings describe."""
    return Endpoint(
        api_key=settings.require_llm(),
        base_url=settings.xai_base_url,
        connect_timeout=settings.llm_connect_timeout,
        read_timeout=settings.llm_read_timeout,
        max_retries=settings.llm_max_retries,
        max_concurrent_calls=settings.max_concurrent_llm_calls,
    )


def action_tools(settings: Settings, **options: float) -> list[ActionTool]:
    """The tools of ACTIONS_SPEC (none when unset); ConfigError when it cannot be used.
    `options` (timeout, confirm_seconds) are for tests only: the defaults are the contract."""
    if settings.actions_spec is None:
        return []
    token = settings.actions_token.get_secret_value() if settings.actions_token else None
    return load_action_tools(
        settings.actions_spec,
        base_url=settings.actions_base_url,
        token=token,
        builtin=[t.name for t in SUPPORT_TOOLS],
        **options,
    )


def build_engine(
    settings: Settings,
    *,
    store: Store,
    llm: Endpoint,
    attachments: AttachmentReader,
    confirmer: Confirmer | None = None,
    actions: list[ActionTool] | None = None,
) -> SupportEngine:
    """The support engine with its tools (the built-in ones and those of ACTIONS_SPEC, or
    `actions` when given), models, limits and store; `confirmer` asks the customer before a
    consequential action."""
    if actions is None:
        actions = action_tools(settings)
    services = Services(
        store=store,
        desk=TicketDesk(
            store,
            tickets_per_hour=settings.tickets_per_conversation_per_hour,
            hours=settings.hours(),
        ),
        attachments=attachments,
        vision=llm.structured_model(
            settings.vision_model, max_output_tokens=settings.max_output_tokens
        ),
        help_center=HelpCenter(store, settings.knowledge_dir),
        allow_image_urls=settings.allow_image_urls,
        confirmer=confirmer,
    )
    agent: Agent[SupportContext] = Agent(
        model=llm.chat_model(
            settings.chat_model,
            reasoning_effort=settings.reasoning_effort,
            max_output_tokens=settings.max_output_tokens,
        ),
        tools=ToolRegistry([*SUPPORT_TOOLS, *actions], clean=unforgeable),
        empty_reply=EMPTY_ANSWER,
    )
    return SupportEngine(
        services,
        agent,
        load_system_prompt(),
        context_budget=settings.context_token_budget,
        limits=CustomerLimits(
            turns_per_minute=settings.turns_per_minute,
            daily_tokens=settings.daily_tokens_per_customer,
            max_message_chars=settings.max_message_chars,
            max_images=settings.max_attachments_per_message,
        ),
        operations=Operations(
            ratings=Ratings(store, after_minutes=settings.csat_after_minutes),
            prices=prices(settings),
            archive=Archive(store, after_days=settings.archive_after_days),
        ),
    )


def prices(settings: Settings) -> Prices:
    """The token prices of the cost figures."""
    return Prices(settings.price_input, settings.price_cached_input, settings.price_output)
