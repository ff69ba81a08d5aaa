"""Webhooks from the command line: settings, `check`, `webhooks retry`, and a killed process."""

from __future__ import annotations

import signal

from standardwebhooks import Webhook

from bot.store import Store
from fakes.openai_server import Call, Reply, ToolCalls
from fakes.process import clean_env, run_bot, start_bot
from fakes.webhook_receiver import HANG, WebhookReceiver
from tests.commands.helpers import llm_env
from tests.desk.seeded import open_ticket
from tests.desk.test_webhooks import SECRET, settings_for


def _env(llm, tmp_path, *urls, **extra):
    return llm_env(llm, tmp_path, webhook_urls=",".join(urls), webhook_secret=SECRET, **extra)


async def test_urls_without_a_secret_or_a_bad_secret_are_one_clear_line(tmp_path):
    """A receiver needs the secret to check what we send: missing or malformed, it is named."""
    env = clean_env(xai_api_key="k", webhook_urls="https://hooks.example.com/x")
    result = await run_bot("check", env=env, cwd=tmp_path)
    assert result.code == 2
    assert result.stderr.strip() == (
        "error: bad setting WEBHOOK_SECRET: Value error, is required when WEBHOOK_URLS is set"
        " (whsec_ followed by base64)"
    )
    env["WEBHOOK_SECRET"] = "not-a-whsec-secret"
    result = await run_bot("check", env=env, cwd=tmp_path)
    assert result.stderr.strip().startswith("error: bad setting WEBHOOK_SECRET: Value error, must")
    assert "not-a-whsec-secret" not in result.stderr
    env.update(WEBHOOK_SECRET=SECRET, WEBHOOK_URLS="ftp://hooks.example.com/token123")
    result = await run_bot("check", env=env, cwd=tmp_path)
    assert result.stderr.strip() == (
        "error: bad setting WEBHOOK_URLS: Value error, URL number 1 must start with http://"
        " or https://"
    )


async def test_check_sends_a_signed_test_event_to_each_url(tmp_path, llm):
    """`check` reports each receiver's answer; one refusing makes the exit code 1."""
    async with WebhookReceiver() as good, WebhookReceiver(default=500) as bad:
        env = _env(
            llm,
            tmp_path,
            good.url,
            bad.url,
            discord_token="t",
            support_channel_id=1,
            staff_channel_id=2,
        )
        result = await run_bot("check", env=env, cwd=tmp_path)
    assert result.code == 1, result.stdout
    lines = result.stdout.splitlines()
    port = good.url.split(":")[2].split("/")[0]
    assert (
        f"ok  webhook http://127.0.0.1:{port}/… accepted a signed webhook.test event (HTTP 200)"
        in lines
    )
    assert any(line.startswith("ERR webhook") and "HTTP 500" in line for line in lines)
    assert "secret-token-123" not in result.stdout
    (test_event,) = good.received
    event = Webhook(SECRET).verify(test_event.body, test_event.headers)
    assert event["type"] == "webhook.test"


async def test_webhooks_retry_requeues_dead_events(tmp_path):
    """`python -m bot webhooks retry` turns dead deliveries back into pending ones."""
    settings = settings_for(tmp_path, "http://127.0.0.1:9/hooks/x")
    async with Store.open(settings.database_path) as store:
        await store.register_destinations(["webhook:http://127.0.0.1:9/hooks/x"])
        conversation = await store.get_or_create_conversation("console:x")
        await open_ticket(store, conversation.id, "Omar", "late", user_id="1")
        ((event_id, *_),) = await store.outbox_events()
        await store.mark_dead(event_id, "webhook:http://127.0.0.1:9/hooks/x", 12, "HTTP 503")
    env = clean_env(xai_api_key="k", database_path=settings.database_path)
    result = await run_bot("webhooks", "retry", env=env, cwd=tmp_path)
    assert result.code == 0, result.stderr
    assert result.stdout.startswith("1 dead delivery(ies) re-queued, 0 disabled destination(s)")
    async with Store.open(settings.database_path) as store:
        assert await store.delivery_counts() == {"pending": 1, "delivered": 0, "dead": 0}


async def test_a_killed_chat_process_delivers_after_restart_with_the_same_id(tmp_path, llm):
    """SIGKILL while the receiver holds the request: the next start sends the same event
    (and answers the customer's message if the kill came before its answer was stored)."""
    llm.script(
        ToolCalls([Call("create_customer_ticket", {"name": "Omar", "issue": "Cannot log in"})]),
        Reply("Ticket #1 is open."),
        Reply("Ticket #1 is open."),
    )
    async with WebhookReceiver() as receiver:
        receiver.script = [HANG]
        env = _env(llm, tmp_path, receiver.url)
        process = await start_bot("chat", "--thread", "omar", env=env, cwd=tmp_path)
        assert process.stdin is not None
        process.stdin.write(b"I cannot log in\n")
        await process.stdin.drain()
        await receiver.wait_for(lambda: bool(receiver.received), timeout=20)
        process.send_signal(signal.SIGKILL)
        await process.communicate()
        assert process.returncode == -signal.SIGKILL

        restarted = await run_bot("chat", "--thread", "omar", env=env, cwd=tmp_path, stdin="exit\n")
        assert restarted.code == 0, restarted.stderr
    first, again = receiver.received
    assert (first.outcome, again.outcome) == (HANG, 200)
    assert first.webhook_id == again.webhook_id
    assert again.type == "ticket.created"
    assert Webhook(SECRET).verify(again.body, again.headers)["data"]["ticket"]["number"] == 1
