"""Ticket events through the outbox to real HTTP receivers on loopback."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import jsonschema
import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from bot.config import Settings
from bot.desk.delivery import ticket_delivery
from bot.desk.desk import Person, TicketDesk
from bot.desk.outbox import OutboxWorker, RetryPolicy
from bot.desk.webhooks import webhook_destinations
from bot.frontends.console import ConsoleTickets
from bot.store import Store
from fakes.webhook_receiver import DROP, HANG, WebhookReceiver
from tests.conftest import outbox_drained
from tests.engine.test_engine import RECEIPT

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
OMAR = Person(id="1001", display_name="omar_k")
SAM = Person(id="2001", display_name="sam")
FAST = RetryPolicy(first_delay=0.02, max_delay=0.1, idle_poll=0.2)
DOCS = Path(__file__).parents[2] / "docs" / "webhooks.md"


def payload_schema() -> dict:
    """The JSON Schema published in docs/webhooks.md."""
    block = re.search(r"```json schema\n(.*?)```", DOCS.read_text(), re.S)
    assert block is not None
    return json.loads(block[1])


def settings_for(tmp_path: Path, *urls: str, timeout: float = 5.0) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        xai_api_key="k",
        database_path=tmp_path / "bot.sqlite3",
        webhook_urls=",".join(urls),
        webhook_secret=SECRET,
        webhook_timeout=timeout,
    )


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    async with WebhookReceiver() as running:
        yield running


class Running:
    """A store, a desk and the outbox worker, as the entry point wires them."""

    def __init__(self, store: Store, staff: io.StringIO) -> None:
        self.store = store
        self.desk = TicketDesk(store, tickets_per_hour=3)
        self.staff = staff

    async def ticket(self, key: str = "console:omar", *, receipt: bool = False) -> int:
        conversation = await self.store.get_or_create_conversation(
            key, customer_id=OMAR.id, customer_name=OMAR.display_name
        )
        if receipt:
            await self.store.add_receipt(
                conversation.id, tool_call_id="r", image_url="u", data=RECEIPT
            )
        ticket, _ = await self.desk.open_ticket(
            conversation,
            OMAR,
            name="Omar",
            issue="Cold food",
            request_id=f"req-{key}",
            thread_url="https://discord.com/channels/1/2",
        )
        return ticket.id


@contextlib.asynccontextmanager
async def running(settings: Settings, retry: RetryPolicy = FAST) -> AsyncIterator[Running]:
    staff = io.StringIO()
    async with (
        Store.open(settings.database_path) as store,
        ticket_delivery(settings, store, ConsoleTickets(staff), retry=retry),
    ):
        yield Running(store, staff)


async def delivery_of(store: Store, ticket_id: int, url: str) -> tuple[str, int, str | None]:
    (event_id, *_), *_ = await store.outbox_events(ticket_id)
    return (await store.deliveries_of(event_id))[f"webhook:{url}"]


async def test_delivered_through_drops_timeouts_and_errors(tmp_path, receiver):
    """Dropped, timed out, 500, then 200: delivered, every try with the same id and signature."""
    receiver.script = [DROP, HANG, 500, 200]
    async with running(settings_for(tmp_path, receiver.url, timeout=0.3)) as bot:
        number = await bot.ticket(receipt=True)
        await outbox_drained(bot.store)
        state = await delivery_of(bot.store, number, receiver.url)
    assert [r.outcome for r in receiver.received] == [DROP, HANG, 500, 200]
    assert state == ("delivered", 4, None)
    assert len({r.webhook_id for r in receiver.received}) == 1
    verifier = Webhook(SECRET)
    for request in receiver.received:
        assert verifier.verify(request.body, request.headers) == request.json
    event = receiver.received[-1].json
    jsonschema.validate(event, payload_schema())
    ticket = event["data"]["ticket"]
    assert event["type"] == "ticket.created"
    assert (ticket["number"], ticket["status"], ticket["name_given"]) == (number, "open", "Omar")
    assert ticket["customer"] == {"discord_id": "1001", "name": "omar_k"}
    assert ticket["thread_url"] == "https://discord.com/channels/1/2"
    assert ticket["receipt"] == RECEIPT
    assert event["data"]["actor"] == {"discord_id": "1001", "name": "omar_k"}
    assert "=== Ticket #1 for staff ===" in bot.staff.getvalue()


async def test_a_tampered_body_or_another_secret_fails_verification(tmp_path, receiver):
    """The signature covers the body and depends on the secret."""
    async with running(settings_for(tmp_path, receiver.url)) as bot:
        await bot.ticket()
        await outbox_drained(bot.store)
    (request,) = receiver.received
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(request.body.replace("Cold", "Warm"), request.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 32).verify(request.body, request.headers)


async def test_a_tickets_events_arrive_in_order(tmp_path, receiver):
    """Claim, resolve and reopen wait until the receiver accepted the creation."""
    receiver.script = [500, 500]
    async with running(settings_for(tmp_path, receiver.url)) as bot:
        first = await bot.ticket("console:a")
        await bot.desk.claim(first, SAM)
        await bot.desk.resolve(first, SAM)
        await bot.desk.reopen(first, SAM)
        second = await bot.ticket("console:b")
        await bot.desk.claim(second, SAM)
        await outbox_drained(bot.store)
    schema = payload_schema()
    for request in receiver.received:
        jsonschema.validate(request.json, schema)
    ones = [(r.type, r.outcome) for r in receiver.received if r.ticket == first]
    assert ones[-4:] == [
        ("ticket.created", 200),
        ("ticket.claimed", 200),
        ("ticket.resolved", 200),
        ("ticket.reopened", 200),
    ]
    assert all(kind == "ticket.created" for kind, _ in ones[:-4])
    twos = [r.type for r in receiver.accepted() if r.ticket == second]
    assert twos == ["ticket.created", "ticket.claimed"]
    resolved = next(r.json for r in receiver.received if r.type == "ticket.resolved")
    assert resolved["data"]["ticket"]["status"] == "resolved"
    assert resolved["data"]["ticket"]["resolved_by"] == {"discord_id": "2001", "name": "sam"}
    assert resolved["data"]["ticket"]["claimed_by"] == {"discord_id": "2001", "name": "sam"}
    assert resolved["data"]["actor"] == {"discord_id": "2001", "name": "sam"}
    ids = [r.webhook_id for r in receiver.accepted()]
    assert len(set(ids)) == len(ids) == 6
    printed = bot.staff.getvalue()
    assert printed.index("is now claimed") < printed.index("is now resolved")


async def test_gone_disables_one_receiver_and_retry_enables_it(tmp_path, receiver, caplog):
    """410 parks that URL (logged, persisted); the other receiver goes on; retry re-enables."""
    async with WebhookReceiver() as other:
        receiver.script = [410]
        settings = settings_for(tmp_path, receiver.url, other.url)
        with caplog.at_level(logging.WARNING):
            async with running(settings) as bot:
                first = await bot.ticket("console:a")
                await outbox_drained(bot.store)
                second = await bot.ticket("console:b")
                await outbox_drained(bot.store)
                assert await delivery_of(bot.store, first, receiver.url) == (
                    "dead",
                    1,
                    "DestinationGoneError: answered 410 Gone",
                )
                assert (await bot.desk.stats()).undelivered == 1
        assert [r.ticket for r in receiver.received] == [first]
        assert [r.ticket for r in other.accepted()] == [first, second]
        assert "webhook http://127.0.0.1" in caplog.text
        assert "is disabled" in caplog.text
        assert "secret-token-123" not in caplog.text

        caplog.clear()
        with caplog.at_level(logging.WARNING):
            async with running(settings) as bot:
                assert "is disabled since" in caplog.text
                await bot.ticket("console:c")
                await outbox_drained(bot.store)
                assert [r.ticket for r in receiver.received] == [first]
                assert await bot.store.requeue_dead() == (1, 1)
                await receiver.wait_for(lambda: len(receiver.received) == 2)
                third = await bot.ticket("console:d")
                await receiver.wait_for(lambda: len(receiver.received) == 3)
                await outbox_drained(bot.store)
        assert [r.ticket for r in receiver.accepted()] == [first, third]


async def test_an_event_is_dead_after_the_deadline(tmp_path, receiver, caplog):
    """Still refused when its time is up: parked as dead, counted and logged; retry revives it."""
    receiver.default = 503
    settings = settings_for(tmp_path, receiver.url)
    short = RetryPolicy(first_delay=0.01, max_delay=0.05, give_up_after=0.3, idle_poll=0.1)
    with caplog.at_level(logging.WARNING):
        async with running(settings, short) as bot:
            number = await bot.ticket()
            await outbox_drained(bot.store)
            state, attempts, error = await delivery_of(bot.store, number, receiver.url)
            assert (state, error) == ("dead", "DeliveryError: answered HTTP 503")
            assert attempts == len(receiver.received) >= 2
            assert (await bot.desk.stats()).undelivered == 1
            dead_lines = [r for r in caplog.records if "is dead" in r.getMessage()]
            assert len(dead_lines) == 1
            assert dead_lines[0].levelno == logging.WARNING

            receiver.default = 200
            # As `python -m bot webhooks retry` does it: another connection, no wake-up call.
            async with Store.open(settings.database_path) as other_process:
                assert await other_process.requeue_dead() == (1, 0)
            await outbox_drained(bot.store)
            assert (await delivery_of(bot.store, number, receiver.url))[0] == "delivered"
            assert (await bot.desk.stats()).undelivered == 0
    assert len({r.webhook_id for r in receiver.received}) == 1


async def test_a_delivery_cut_by_a_crash_is_sent_again_with_the_same_id(tmp_path, receiver):
    """Killed while the receiver holds the request: after the restart the event goes again."""
    receiver.script = [HANG]
    settings = settings_for(tmp_path, receiver.url)
    async with Store.open(settings.database_path) as store, aiohttp.ClientSession() as session:
        bot = Running(store, io.StringIO())
        destinations = webhook_destinations([receiver.url], SECRET, session, timeout=5)
        # No grace at the end: the request in flight is cut off as a killed process cuts it.
        async with OutboxWorker(store, destinations, retry=FAST, stop_grace=0):
            number = await bot.ticket()
            await receiver.wait_for(lambda: bool(receiver.received))
    async with running(settings) as bot:
        await outbox_drained(bot.store)
        assert (await delivery_of(bot.store, number, receiver.url))[0] == "delivered"
    first, again = receiver.received
    assert (first.outcome, again.outcome) == (HANG, 200)
    assert first.webhook_id == again.webhook_id
    assert first.json == again.json


def test_backoff_doubles_from_a_second_to_a_cap_with_jitter():
    """1 s, 2 s, 4 s ... capped at 5 min; jitter keeps each within ±20 %."""
    policy = RetryPolicy()
    assert [policy.delay(n, lambda: 0.5) for n in (1, 2, 3, 9, 10, 40)] == [
        1.0,
        2.0,
        4.0,
        256.0,
        300.0,
        300.0,
    ]
    assert policy.delay(1, lambda: 0.0) == pytest.approx(0.8)
    assert policy.delay(3, lambda: 1.0) == pytest.approx(4.8)
    assert policy.give_up_after == 24 * 3600
