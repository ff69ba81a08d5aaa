"""A TCP proxy on loopback that can freeze a connection: bytes stop both ways, nothing is
closed (a silent network drop), for tests of what notices one."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit


@dataclass
class Link:
    """One client connection through the proxy and its connection to the server."""

    upstream_port: int
    running: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


class FreezingProxy:
    """A TCP proxy on 127.0.0.1 in front of the server; `freeze()` silently drops a link."""

    def __init__(self, host: str, port: int) -> None:
        self._upstream = (host, port)
        self.links: list[Link] = []
        self._server: asyncio.Server | None = None
        self.port = 0

    async def __aenter__(self) -> FreezingProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for link in self.links:
            for task in link.tasks:
                task.cancel()
        await asyncio.gather(
            *(t for link in self.links for t in link.tasks), return_exceptions=True
        )

    def url(self, url: str) -> str:
        """`url` with the proxy in place of the server."""
        parts = urlsplit(url)
        user = parts.netloc.rpartition("@")[0]
        netloc = f"{user}@127.0.0.1:{self.port}" if user else f"127.0.0.1:{self.port}"
        return urlunsplit(parts._replace(netloc=netloc))

    def freeze(self, link: Link) -> None:
        """Stop forwarding bytes both ways, closing nothing."""
        link.running.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self._upstream)
        link = Link(up_writer.get_extra_info("sockname")[1])
        link.running.set()
        link.tasks = [
            asyncio.create_task(self._pump(reader, up_writer, link)),
            asyncio.create_task(self._pump(up_reader, writer, link)),
        ]
        self.links.append(link)

    @staticmethod
    async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, link: Link) -> None:
        try:
            while True:
                await link.running.wait()
                data = await reader.read(65536)
                if not data:
                    break
                await link.running.wait()
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            if link.running.is_set():
                writer.close()
