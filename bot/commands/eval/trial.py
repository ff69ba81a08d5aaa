"""One trial of a task: a blank conversation in a throwaway store, the real engine, tools
and help center against the configured endpoint; the customer scripted or simulated."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from bot.app.compose import build_engine
from bot.commands.eval.api import EXAMPLE_SPEC, ScriptedConfirmer, task_api
from bot.commands.eval.tasks import Task
from bot.commands.eval.transcript import Transcript, read_transcript
from bot.config import Settings
from bot.engine import EngineEvent, Incoming, Notice, SupportEngine, TurnEnded
from bot.frontends.console import LocalFiles, local_attachment
from bot.llm import Endpoint
from bot.llm.model import ChatModel, ModelReply
from bot.store import Store

CUSTOMER_ID = "eval-customer"
MAX_SIMULATED_TURNS = 8
DONE = "DONE"
SIMULATOR_PROMPT = """You play a customer of Dashly, a food-delivery company, writing to its \
support assistant in a chat. Your name is {name}. Your goal: {goal}
Write only your next message to the assistant: short, natural, in the first person, as a \
real customer would; give details (your name, your order) when asked. When your goal is met, \
or the assistant has handed you to a person, or it clearly cannot help, answer exactly \
{done} and nothing else."""


async def _shown(events: AsyncIterator[EngineEvent]) -> list[str]:
    """What the customer sees of one message: the replies and the notices."""
    shown: list[str] = []
    async for event in events:
        if isinstance(event, Notice):
            shown.append(event.text)
        elif isinstance(event, TurnEnded) and not event.replaced:
            shown.append(f"{event.text}\n{event.notice}".strip())
    return shown


async def _next_simulated(
    simulator: ChatModel, task: Task, sent: list[str], answers: list[list[str]]
) -> str | None:
    """The simulated customer's next message, or None when its goal is met."""
    prompt = SIMULATOR_PROMPT.format(name=task.customer.name, goal=task.goal, done=DONE)
    messages: list[dict[str, Any]] = [{"role": "system", "content": prompt}]
    for mine, theirs in zip(sent, answers, strict=True):
        messages.append({"role": "assistant", "content": mine})
        messages.append({"role": "user", "content": "\n".join(theirs) or "(no answer)"})
    if not sent:
        messages.append({"role": "user", "content": "(The support chat is open. Write first.)"})
    reply = ""
    async for piece in simulator.respond(messages, [], allow_tools=False):
        if isinstance(piece, ModelReply):
            reply = piece.text.strip()
    if not reply or reply.strip(" .!").upper() == DONE:
        return None
    return reply


async def run_trial(
    task: Task, settings: Settings, llm: Endpoint, simulator: ChatModel, number: int
) -> Transcript:
    """Run the task once from a blank conversation; what it left behind."""
    with tempfile.TemporaryDirectory(prefix="bot-eval-") as folder:
        database = Path(folder) / "eval.sqlite3"
        trial_settings = settings.model_copy(update={"database_url": None})
        async with contextlib.AsyncExitStack() as stack:
            if task.api is not None:
                spec = settings.actions_spec or EXAMPLE_SPEC
                url = await stack.enter_async_context(task_api(spec, task.api))
                trial_settings = trial_settings.model_copy(
                    update={"actions_spec": spec, "actions_base_url": url}
                )
            store = await stack.enter_async_context(Store.open(database))
            engine = build_engine(
                trial_settings,
                store=store,
                llm=llm,
                attachments=LocalFiles(),
                confirmer=ScriptedConfirmer(task.confirm),
            )
            await engine.prepare()
            key = f"eval:{task.name}:{number}"
            answers = await _converse(engine, task, key, simulator)
            conversation = await store.get_conversation(key)
            assert conversation is not None, "the first message opens the conversation"
            return await read_transcript(store, conversation, answers)


async def _converse(engine: SupportEngine, task: Task, key: str, simulator: ChatModel) -> list[str]:
    """The customer's side: scripted turns, or the simulated customer until done."""
    sent: list[str] = []
    answers: list[list[str]] = []

    async def say(text: str, images: list[str]) -> None:
        incoming = Incoming(
            key,
            CUSTOMER_ID,
            task.customer.name,
            text,
            attachments=[local_attachment(str(task.image(name))) for name in images],
            opens=not sent,
        )
        sent.append(text)
        answers.append(await _shown(engine.receive(incoming)))

    if task.turns:
        for turn in task.turns:
            await say(turn.text, turn.attach)
    else:
        while len(sent) < MAX_SIMULATED_TURNS:
            message = await _next_simulated(simulator, task, sent, answers)
            if message is None:
                break
            await say(message, [])
            if await engine.tickets(key):
                break  # handed to a person: staff take it from here
    return [text for shown in answers for text in shown]
