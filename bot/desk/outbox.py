"""The outbox worker: delivers every ticket event to every destination, in order, with retries.

Events are written to the outbox by the store in the transaction of the change they report;
this worker only reads them. Each destination has its own loop, so a receiver that is down
delays nobody else; within a destination a ticket's events go one at a time, in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType

from bot.desk.destinations import (
    Destination,
    DestinationGoneError,
    OutgoingEvent,
)
from bot.desk.ticket_events import event_payload
from bot.store import OutboxEntry, Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter, up to a deadline counted from the event."""

    first_delay: float = 1.0
    max_delay: float = 300.0
    give_up_after: float = 24 * 3600.0
    jitter: float = 0.2
    # Another process (`python -m bot webhooks retry`) may re-queue entries without waking us.
    idle_poll: float = 30.0

    def delay(self, attempts: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds before the next try after `attempts` failed ones."""
        base = min(self.max_delay, self.first_delay * 2.0 ** min(attempts - 1, 60))
        # Jitter spreads the retries of many entries after an outage over time.
        return base * (1 - self.jitter + 2 * self.jitter * rand())


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class OutboxWorker:
    """Runs one delivery loop per destination while the `async with` block lasts."""

    def __init__(
        self,
        store: Store,
        destinations: Sequence[Destination],
        *,
        retry: RetryPolicy | None = None,
        batch: int = 16,
        clock: Callable[[], float] = time.time,
        stop_grace: float = 5.0,
    ) -> None:
        self.store = store
        self.destinations = list(destinations)
        self.retry = retry or RetryPolicy()
        self._batch = batch
        self._clock = clock
        self._stop_grace = stop_grace
        self._wakes = {d.name: asyncio.Event() for d in self.destinations}
        self._tasks: list[asyncio.Task[None]] = []
        self._not_ready: set[str] = set()
        self._stopping = False
        self._unsubscribe: Callable[[], None] | None = None

    async def __aenter__(self) -> OutboxWorker:
        states = await self.store.register_destinations([d.name for d in self.destinations])
        for state in states:
            if state.disabled_at:
                log.warning(
                    "%s is disabled since %s (%s); `python -m bot webhooks retry` enables it",
                    self._label(state.name),
                    state.disabled_at,
                    state.disabled_reason,
                )
        self._unsubscribe = self.store.on_outbox_write(self.wake)
        self._tasks = [
            asyncio.create_task(self._run(d), name=f"outbox:{d.label}") for d in self.destinations
        ]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        self._stopping = True
        self.wake()
        # What is due now gets its attempt within the grace period; a destination still waiting
        # to be ready (Discord not connected) has nothing to finish. A loop not started yet
        # gets its first step first, so that it can tell.
        await asyncio.sleep(0)
        for task, destination in zip(self._tasks, self.destinations, strict=True):
            if destination.name in self._not_ready:
                task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=self._stop_grace)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def wake(self) -> None:
        """New entries: every loop looks for due work now."""
        for event in self._wakes.values():
            event.set()

    def _label(self, name: str) -> str:
        return next((d.label for d in self.destinations if d.name == name), name)

    async def _run(self, destination: Destination) -> None:
        wake = self._wakes[destination.name]
        self._not_ready.add(destination.name)
        await destination.ready()
        self._not_ready.discard(destination.name)
        while True:
            wake.clear()
            try:
                wait = await self._deliver_due(destination)
            except Exception:
                # The store itself failed (disk full, locked): keep the loop, try again later.
                log.exception("outbox loop of %s failed; retrying", destination.label)
                wait = self.retry.max_delay
            if self._stopping and wait is not None:
                return  # nothing more is due now: the rest waits for the next start
            if wait is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), wait)

    async def _deliver_due(self, destination: Destination) -> float | None:
        """Attempt what is due; return how long to wait for more (None: look again now)."""
        due = await self.store.due_deliveries(destination.name, self._clock(), self._batch)
        if due:
            # Each due entry is the head of a different ticket: they may go together.
            await asyncio.gather(*(self._attempt(destination, e) for e in due))
            return None
        next_at = await self.store.next_delivery_at(destination.name)
        if next_at is None:
            return self.retry.idle_poll
        return min(self.retry.idle_poll, max(0.0, next_at - self._clock()))

    async def _attempt(self, destination: Destination, entry: OutboxEntry) -> None:
        attempts = entry.attempts + 1
        ticket = await self.store.get_ticket(entry.ticket_id)
        event = OutgoingEvent(
            webhook_id=entry.webhook_id,
            type=entry.type,
            payload=event_payload(entry, ticket.staff_post_url if ticket else None),
            ticket=entry.ticket(),
        )
        try:
            await destination.deliver(event)
        except DestinationGoneError as exc:
            reason = _describe(exc)
            await self.store.mark_dead(entry.id, destination.name, attempts, reason)
            parked = await self.store.disable_destination(destination.name, reason)
            log.warning(
                "%s is disabled (%s): ticket #%d %s and %d waiting event(s) are dead;"
                " `python -m bot webhooks retry` re-enables it",
                destination.label,
                reason,
                entry.ticket_id,
                entry.type,
                parked,
            )
            return
        except Exception as exc:  # any failure of a receiver is retried, never fatal
            await self._failed(destination, entry, attempts, _describe(exc))
            return
        await self.store.mark_delivered(entry.id, destination.name, attempts)
        log.debug("ticket #%d %s delivered to %s", entry.ticket_id, entry.type, destination.label)

    async def _failed(
        self, destination: Destination, entry: OutboxEntry, attempts: int, error: str
    ) -> None:
        now = self._clock()
        deadline = entry.created_at.timestamp() + self.retry.give_up_after
        if now >= deadline:
            await self.store.mark_dead(entry.id, destination.name, attempts, error)
            log.warning(
                "ticket #%d %s is dead for %s after %d attempt(s): %s",
                entry.ticket_id,
                entry.type,
                destination.label,
                attempts,
                error,
            )
            return
        at = min(now + self.retry.delay(attempts), deadline)
        await self.store.schedule_retry(entry.id, destination.name, attempts, at, error)
        log.info(
            "ticket #%d %s not delivered to %s (attempt %d: %s); next try in %.1fs",
            entry.ticket_id,
            entry.type,
            destination.label,
            attempts,
            error,
            at - now,
        )
