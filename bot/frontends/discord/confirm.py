"""The customer's confirmation of an action, in the thread: the question in plain words with
Confirm and Cancel buttons whose custom_id holds the action request's id, so a press works
after a restart too (the handler is registered by the actions cog, `pressable`).

The press stores the decision by compare-and-set (a second press finds it taken) and wakes the
tool waiting for it in this process, if one is; after a restart the retried turn finds the
decision stored.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import discord

from bot.engine.copy import (
    ALREADY_ANSWERED,
    CANCEL,
    CANCELLED_NOTE,
    CONFIRM,
    CONFIRM_DETAIL,
    CONFIRM_PROMPT,
    CONFIRMED_NOTE,
    EXPIRED_NOTE,
    NOT_YOUR_CONFIRMATION,
)
from bot.frontends.discord.bot import DISCORD_KEY_PREFIX, conversation_key
from bot.frontends.discord.views import PressHandler, pressable, shown
from bot.tools.actions import CONFIRM_SECONDS, ActionStore, Decision, Decisions, Press, Verdict
from bot.tools.actions.confirm import ConfirmationPrompt, plain_arguments, press

log = logging.getLogger(__name__)

ACTION_BUTTON = r"action:(?P<verdict>confirm|cancel):(?P<action_id>[0-9]+)"
MAX_VALUE_CHARS = 200
MAX_PROMPT_CHARS = 1800
NO_MENTIONS = discord.AllowedMentions.none()


def _minutes(seconds: float) -> str:
    return f"{max(seconds, 60.0) / 60:.0f}"


def prompt_text(title: str, arguments: dict[str, Any], seconds: float = CONFIRM_SECONDS) -> str:
    """The question: what is about to be done and with what, in plain words."""
    details = "\n".join(
        CONFIRM_DETAIL.format(
            label=label, value=discord.utils.escape_markdown(value)[:MAX_VALUE_CHARS]
        )
        for label, value in plain_arguments(arguments)
    )
    text = CONFIRM_PROMPT.format(
        title=discord.utils.escape_markdown(title), details=details, minutes=_minutes(seconds)
    )
    return text[:MAX_PROMPT_CHARS]


def confirm_view(action_id: int) -> discord.ui.View:
    """Confirm and Cancel for one action request."""
    return shown(
        discord.ui.Button(
            label=CONFIRM,
            style=discord.ButtonStyle.success,
            custom_id=f"action:confirm:{action_id}",
        ),
        discord.ui.Button(
            label=CANCEL,
            style=discord.ButtonStyle.secondary,
            custom_id=f"action:cancel:{action_id}",
        ),
    )


def _thread_id(key: str) -> int | None:
    rest = key.removeprefix(DISCORD_KEY_PREFIX)
    return int(rest) if key.startswith(DISCORD_KEY_PREFIX) and rest.isdigit() else None


class DiscordConfirmer:
    """Asks in the conversation's thread and waits for the customer's press (a Confirmer)."""

    def __init__(self, client: discord.Client) -> None:
        self.client = client
        self.decisions = Decisions()

    async def confirm(self, prompt: ConfirmationPrompt) -> Decision:
        """Post the question with its buttons; the press's decision, or EXPIRED."""
        thread_id = _thread_id(prompt.conversation_key)
        if thread_id is None:
            return Decision(Verdict.CANCELLED)
        waiting = self.decisions.expect(prompt.action_id)
        message: discord.Message | None = None
        text = prompt_text(prompt.title, prompt.arguments)
        try:
            channel = self.client.get_channel(thread_id) or await self.client.fetch_channel(
                thread_id
            )
            if not isinstance(channel, discord.abc.Messageable):
                return Decision(Verdict.CANCELLED)
            message = await channel.send(
                text, view=confirm_view(prompt.action_id), allowed_mentions=NO_MENTIONS
            )
            try:
                return await asyncio.wait_for(asyncio.shield(waiting), prompt.timeout)
            except TimeoutError:
                await _close_question(
                    message,
                    text,
                    EXPIRED_NOTE.format(title=prompt.title, minutes=_minutes(CONFIRM_SECONDS)),
                )
                return Decision(Verdict.EXPIRED)
        except asyncio.CancelledError:
            if message is not None:
                note = EXPIRED_NOTE.format(title=prompt.title, minutes=_minutes(CONFIRM_SECONDS))
                await asyncio.shield(_close_question(message, text, note))
            raise
        except discord.HTTPException:
            log.exception("could not ask for confirmation of action %d", prompt.action_id)
            return Decision(Verdict.CANCELLED)
        finally:
            self.decisions.forget(prompt.action_id)


async def _close_question(message: discord.Message, text: str, note: str) -> None:
    """The question without its buttons, and how it ended."""
    try:
        await message.edit(content=f"{text}\n\n{note}", view=None, allowed_mentions=NO_MENTIONS)
    except discord.HTTPException:
        log.warning("could not close the question of message %d", message.id)


def action_buttons(store: ActionStore, decisions: Decisions) -> PressHandler:
    """The handler of every Confirm and Cancel button, whichever process posted it."""

    async def pressed(interaction: discord.Interaction[Any], match: re.Match[str]) -> None:
        verdict = Verdict.CONFIRMED if match["verdict"] == "confirm" else Verdict.CANCELLED
        outcome = await press(
            store,
            decisions,
            action_id=int(match["action_id"]),
            conversation_key=conversation_key(interaction.channel_id or 0),
            presser_id=str(interaction.user.id),
            verdict=verdict,
        )
        if outcome is not Press.DECIDED:
            refusal = (
                NOT_YOUR_CONFIRMATION if outcome is Press.NOT_THE_CUSTOMER else ALREADY_ANSWERED
            )
            await interaction.response.send_message(refusal, ephemeral=True)
            return
        note = CONFIRMED_NOTE if verdict is Verdict.CONFIRMED else CANCELLED_NOTE
        title = _title(interaction)
        content = (interaction.message.content if interaction.message else "") or ""
        await interaction.response.edit_message(
            content=f"{content}\n\n{note.format(title=title)}".strip(), view=None
        )

    return pressable(ACTION_BUTTON, pressed)


def _title(interaction: discord.Interaction[Any]) -> str:
    """The operation's title as the question showed it (its bold line)."""
    content = (interaction.message.content if interaction.message else "") or ""
    found = re.search(r"\*\*(.+?)\*\*", content)
    return found[1] if found else "the request"
