"""Standard Webhooks over HTTP: signed POSTs to the configured URLs, and nowhere else."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from standardwebhooks import Webhook

from bot.desk.destinations import DeliveryError, DestinationGoneError, OutgoingEvent
from bot.desk.ticket_events import probe_payload

USER_AGENT = "dashly-support-bot-webhooks/1"
GONE = 410


def safe_label(url: str) -> str:
    """The URL as logs may show it: scheme and host only (paths often carry a token)."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    path = "/…" if parts.path.strip("/") or parts.query else ""
    return f"webhook {parts.scheme}://{host}{port}{path}"


def body_of(payload: dict[str, Any]) -> str:
    """The exact text that is signed and sent."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class Answer:
    """A receiver's HTTP status and the start of its body."""

    status: int
    text: str


async def post_signed(
    session: aiohttp.ClientSession,
    url: str,
    *,
    signer: Webhook,
    webhook_id: str,
    payload: dict[str, Any],
    time_limit: float,
) -> Answer:
    """POST the payload signed as Standard Webhooks prescribes; raise on network errors."""
    body = body_of(payload)
    # Signed now, not when the event happened: receivers reject timestamps older than minutes.
    now = dt.datetime.now(dt.UTC)
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signer.sign(webhook_id, now, body),
    }
    # No redirects: only the configured URL is ever requested.
    async with session.post(
        url,
        data=body.encode(),
        headers=headers,
        allow_redirects=False,
        timeout=aiohttp.ClientTimeout(total=time_limit),
    ) as response:
        text = await response.text(errors="replace")
        return Answer(response.status, text[:200])


class WebhookDestination:
    """One WEBHOOK_URLS entry as an outbox destination."""

    def __init__(
        self, url: str, signer: Webhook, session: aiohttp.ClientSession, *, timeout: float
    ) -> None:
        self.url = url
        self.name = f"webhook:{url}"
        self.label = safe_label(url)
        self._signer = signer
        self._session = session
        self._timeout = timeout

    async def ready(self) -> None:
        """Nothing to wait for."""

    async def deliver(self, event: OutgoingEvent) -> None:
        """2xx is accepted; 410 Gone disables this destination; anything else is retried."""
        try:
            answer = await post_signed(
                self._session,
                self.url,
                signer=self._signer,
                webhook_id=event.webhook_id,
                payload=event.payload,
                time_limit=self._timeout,
            )
        except TimeoutError:
            raise DeliveryError(f"no answer within {self._timeout:g}s") from None
        except aiohttp.ClientError as exc:
            raise DeliveryError(f"cannot reach it ({type(exc).__name__})") from None
        if answer.status == GONE:
            raise DestinationGoneError("answered 410 Gone")
        if not 200 <= answer.status < 300:
            raise DeliveryError(f"answered HTTP {answer.status}")


def webhook_destinations(
    urls: list[str], secret: str, session: aiohttp.ClientSession, *, timeout: float
) -> list[WebhookDestination]:
    """A destination per configured URL, all signed with the one secret."""
    signer = Webhook(secret)
    return [WebhookDestination(url, signer, session, timeout=timeout) for url in urls]


async def probe(url: str, secret: str, *, time_limit: float) -> tuple[bool, str]:
    """Send a signed `webhook.test` event; whether the receiver accepted it, and what it said."""
    webhook_id = f"msg_test_{secrets.token_hex(8)}"
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    label = safe_label(url)
    try:
        async with aiohttp.ClientSession() as session:
            answer = await post_signed(
                session,
                url,
                signer=Webhook(secret),
                webhook_id=webhook_id,
                payload=probe_payload(stamp),
                time_limit=time_limit,
            )
    except TimeoutError:
        return False, f"{label} did not answer within {time_limit:g}s"
    except aiohttp.ClientError as exc:
        return False, f"cannot reach {label} ({type(exc).__name__})"
    if answer.status == GONE:
        return False, f"{label} answered 410 Gone: events to it would be disabled"
    if 200 <= answer.status < 300:
        return True, f"{label} accepted a signed webhook.test event (HTTP {answer.status})"
    return False, f"{label} answered HTTP {answer.status} to a signed webhook.test event"
