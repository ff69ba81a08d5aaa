"""A task's company API on loopback: each operation of the document answers what the task
file says (`api:`), an operation it does not list answers 404; and the customer's answer to
a confirmation (`confirm:`)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from bot.commands.eval.tasks import ApiAnswer
from bot.tools.actions import ConfirmationPrompt, Decision, Operation, Verdict
from bot.tools.actions.spec import load_document

# The shipped example, when ACTIONS_SPEC is unset.
EXAMPLE_SPEC = Path(__file__).resolve().parents[3] / "examples" / "orders_api" / "openapi.yaml"


def _route(operation: Operation) -> re.Pattern[str]:
    """The operation's path template as a pattern of one segment per parameter."""
    pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(operation.path))
    return re.compile(f"^{pattern}$")


@contextlib.asynccontextmanager
async def task_api(spec: Path, answers: dict[str, ApiAnswer]) -> AsyncIterator[str]:
    """Serve the task's answers for the document's operations; yields the base URL."""
    routes = [
        (operation.method, _route(operation), operation.operation_id)
        for operation in load_document(spec).operations
    ]

    async def answer(request: web.Request) -> web.StreamResponse:
        for method, pattern, operation_id in routes:
            if request.method == method and pattern.match(request.raw_path.split("?")[0]):
                given = answers.get(operation_id)
                if given is None:
                    break
                if given.text is not None:
                    return web.Response(status=given.status, text=given.text)
                return web.json_response(given.body, status=given.status)
        return web.json_response({"error": "not found"}, status=404)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


class ScriptedConfirmer:
    """The task's customer answers every confirmation the same way (`confirm:`)."""

    def __init__(self, confirm: bool) -> None:
        self._confirm = confirm

    async def confirm(self, prompt: ConfirmationPrompt) -> Decision:
        """Decide at once (the tool stores the decision)."""
        verdict = Verdict.CONFIRMED if self._confirm else Verdict.CANCELLED
        return Decision(verdict, prompt.customer_id)
