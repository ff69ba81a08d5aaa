"""ActionTool: one operation of the company's API as a tool of the model.

A call is checked against the operation's JSON schema (no request on a mismatch), stored as
an action request keyed by its Idempotency-Key, confirmed by the customer when it is
consequential, sent once, and its outcome stored and told to the model.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator
from pydantic import RootModel

from bot.llm.tools import ArgumentsError, ToolError
from bot.store import ActionRequest, ActionStatus
from bot.tools.actions.breaker import CircuitBreaker
from bot.tools.actions.confirm import (
    CONFIRM_SECONDS,
    ConfirmationPrompt,
    Decision,
    Verdict,
)
from bot.tools.actions.http import ActionClient, Answer, NoAnswerError, cut
from bot.tools.actions.schema import describe, parameters_schema
from bot.tools.actions.spec import Operation
from bot.tools.context import SupportContext

MAX_ERROR_CHARS = 300


class ActionArguments(RootModel[dict[str, Any]]):
    """A call's arguments, checked against the operation's schema (keys in a fixed order, so
    the same call gives the same request key)."""


def idempotency_key(request_key: str) -> str:
    """The Idempotency-Key of a call: derived from its request key (the turn, the tool, the
    arguments), so a retried call, even after a crash, sends the same one."""
    return hashlib.sha256(f"action:{request_key}".encode()).hexdigest()[:32]


def _api_message(answer: Answer) -> str:
    """The API's own words for a failure: its JSON `error`/`message`/`detail`, or its text."""
    try:
        data = json.loads(answer.text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        for key in ("error", "message", "detail", "title"):
            value = data.get(key)
            if isinstance(value, str):
                return value[:MAX_ERROR_CHARS]
    return " ".join(answer.text.split())[:MAX_ERROR_CHARS] or "no details"


@dataclass
class ActionTool:
    """An operation the model may call (the registry's Tool protocol)."""

    operation: Operation
    client: ActionClient
    breaker: CircuitBreaker
    confirm_seconds: float = CONFIRM_SECONDS
    _parameters: dict[str, Any] = field(init=False)
    _validator: Draft202012Validator = field(init=False)

    def __post_init__(self) -> None:
        self._parameters = parameters_schema(self.operation)
        self._validator = Draft202012Validator(self._parameters)

    @property
    def name(self) -> str:
        """The operationId."""
        return self.operation.operation_id

    @property
    def consequential(self) -> bool:
        """Whether the customer confirms before it runs."""
        return self.operation.consequential

    def schema(self) -> dict[str, Any]:
        """The tool in the chat API's shape."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": describe(self.operation),
                "parameters": self._parameters,
            },
        }

    def offered(self) -> bool:
        """Not while its circuit breaker is open."""
        return self.breaker.closed()

    def check(self, raw: Any) -> ActionArguments:
        """The arguments, or ArgumentsError naming each mismatch with the schema."""
        if not isinstance(raw, dict):
            raise ArgumentsError("arguments: must be a JSON object")
        errors = sorted(self._validator.iter_errors(raw), key=lambda e: list(e.absolute_path))
        if errors:
            raise ArgumentsError(
                "; ".join(
                    f"{'.'.join(str(p) for p in e.absolute_path) or 'arguments'}: {e.message}"
                    for e in errors
                )
            )
        return ActionArguments(dict(sorted(raw.items())))

    async def run(self, arguments: Any, context: SupportContext, call_id: str) -> str:
        """Confirm when consequential, send once, tell the model how it went."""
        if not self.breaker.closed():
            raise ToolError(f"{self.name} is unavailable right now; nothing was done.")
        args: dict[str, Any] = arguments.root
        store = context.services.store
        record = await store.begin_action(
            context.conversation.id,
            operation=self.name,
            method=self.operation.method,
            arguments=args,
            consequential=self.consequential,
            idempotency_key=idempotency_key(context.request_key(self.name, arguments)),
        )
        if record.status is ActionStatus.AWAITING:
            record = await self._ask(context, record)
        if record.status is ActionStatus.DONE:
            return self._stored_outcome(record)
        if record.status in (ActionStatus.CANCELLED, ActionStatus.EXPIRED):
            return self._declined(record.status)
        if not await store.start_sending(record.id):
            raise ToolError(f"{self.name} could not be sent; nothing was done.")
        return await self._send(context, record)

    async def _ask(self, context: SupportContext, record: ActionRequest) -> ActionRequest:
        """The customer's decision, stored; the record as it stands afterwards."""
        store = context.services.store
        confirmer = context.services.confirmer
        age = (dt.datetime.now(dt.UTC) - record.created_at).total_seconds()
        left = self.confirm_seconds - max(age, 0.0)
        if confirmer is None:
            decision = Decision(Verdict.CANCELLED)
        elif left <= 0:
            decision = Decision(Verdict.EXPIRED)
        else:
            try:
                decision = await confirmer.confirm(
                    ConfirmationPrompt(
                        action_id=record.id,
                        conversation_key=context.conversation.key,
                        customer_id=context.customer.id,
                        operation=self.name,
                        title=self.operation.title,
                        arguments=record.arguments,
                        timeout=left,
                    )
                )
            except asyncio.CancelledError:
                # The bot stops while the customer decides: the question lapses (a clean
                # stop marks the turn interrupted, so nothing would act on a later press).
                await asyncio.shield(store.decide_action(record.id, ActionStatus.EXPIRED))
                raise
        # A no-op when a press stored the decision first: the stored one counts.
        await store.decide_action(record.id, ActionStatus(decision.verdict.value), decision.by)
        current = await store.get_action(record.id)
        assert current is not None
        return current

    def _declined(self, status: ActionStatus) -> str:
        if status is ActionStatus.CANCELLED:
            return (
                f"The customer pressed Cancel: {self.operation.title} was not done and no"
                " request was made."
            )
        return (
            f"The customer did not confirm within {self.confirm_seconds / 60:g} minutes:"
            f" {self.operation.title} was not done and no request was made."
        )

    def _stored_outcome(self, record: ActionRequest) -> str:
        """A call answered before (a second press, a retried turn): the same outcome, no
        second request."""
        result = record.result or ""
        if record.http_status is not None and not 200 <= record.http_status < 300:
            raise ToolError(result)
        return result

    async def _send(self, context: SupportContext, record: ActionRequest) -> str:
        store = context.services.store
        try:
            answer = await self.client.send(
                self.operation,
                record.arguments,
                customer_id=context.customer.id,
                idempotency_key=None if self.operation.method == "GET" else record.idempotency_key,
            )
        except NoAnswerError as exc:
            self.breaker.failed()
            text = (
                f"{self.name} failed: {exc.reason}. It is unknown whether it was done; the same"
                " call may be tried again."
            )
            await store.finish_action(
                record.id, ActionStatus.FAILED, result=text, duration_ms=exc.duration_ms
            )
            raise ToolError(text) from None
        if answer.status >= 500:
            self.breaker.failed()
        else:
            self.breaker.succeeded()
        if answer.ok:
            text = answer.text or f"{self.name} done (HTTP {answer.status}, no content)."
        else:
            text = cut(f"{self.name} failed: HTTP {answer.status}: {_api_message(answer)}")
        # A 5xx may be retried (with the same key); any other answer is final.
        status = ActionStatus.FAILED if answer.status >= 500 else ActionStatus.DONE
        await store.finish_action(
            record.id,
            status,
            result=text,
            http_status=answer.status,
            duration_ms=answer.duration_ms,
        )
        if not answer.ok:
            raise ToolError(text)
        return text
