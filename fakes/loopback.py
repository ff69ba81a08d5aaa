"""Serving an aiohttp application on loopback, for the stand-ins tests start themselves."""

from __future__ import annotations

from typing import Any, ClassVar, Self

from aiohttp import web


async def serve(app: web.Application, **runner_options: Any) -> tuple[web.AppRunner, int]:
    """Serve `app` on a free port of 127.0.0.1; return its runner (clean it up) and the port.

    `runner_options` go to :class:`aiohttp.web.AppRunner` (``access_log``, ``shutdown_timeout``).
    """
    runner = web.AppRunner(app, **runner_options)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, runner.addresses[0][1]


class LoopbackServer:
    """A fake service on loopback: serves :meth:`_application` on a free port of 127.0.0.1
    from :meth:`start` (or entering ``async with``) to :meth:`stop` (or leaving it)."""

    port: int
    _runner: web.AppRunner | None
    #: Seconds :meth:`stop` leaves in-flight requests to finish (aiohttp's default: 60).
    _shutdown_timeout: ClassVar[float] = 60.0

    def _application(self) -> web.Application:
        """The aiohttp application to serve, with its routes."""
        raise NotImplementedError

    async def start(self) -> None:
        """Start serving on a free port of 127.0.0.1 (without access log)."""
        self._runner, self.port = await serve(
            self._application(), access_log=None, shutdown_timeout=self._shutdown_timeout
        )

    async def stop(self) -> None:
        """Stop serving (idempotent)."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        """Start serving."""
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Stop serving."""
        await self.stop()
