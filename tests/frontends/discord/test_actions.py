"""Actions through Discord: the question with Confirm and Cancel in the thread, who may
answer it, a request made exactly once, and the buttons after a restart."""

from __future__ import annotations

import json

import pytest

from bot.app.compose import action_tools
from bot.engine.copy import ALREADY_ANSWERED, CONFIRM, NOT_YOUR_CONFIRMATION
from fakes.openai_server import Call, Reply, ToolCalls
from fakes.orders_api import SPEC, TOKEN, FakeOrdersAPI
from tests.frontends.discord.helpers import bot_messages, open_thread
from tests.frontends.discord.test_process import bot_env, bot_process, stop
from tests.tools.actions.harness import model_saw, tool_results


@pytest.fixture
async def api():
    async with FakeOrdersAPI() as fake:
        yield fake


@pytest.fixture
def actions_runner(runner, api):
    """The bot runner with the example document's actions, against the fake orders API."""
    runner.settings = runner.settings.model_copy(
        update={"actions_spec": SPEC, "actions_base_url": api.base_url, "actions_token": None}
    )
    runner.make_actions = lambda settings: action_tools(
        settings.model_copy(update={"actions_token": _token()}), timeout=2.0
    )
    return runner


def _token():
    from pydantic import SecretStr

    return SecretStr(TOKEN)


def questions(fake, thread_id):
    """The bot's messages in the thread that carry Confirm and Cancel buttons (the
    confirmation questions; answers carry a "Talk to a person" button of their own)."""
    return [
        m
        for m in fake.messages(thread_id)
        if any(
            button.get("label") == CONFIRM
            for row in m.get("components") or []
            for button in row.get("components", [])
        )
    ]


async def ask_to_cancel(fake, llm, customer) -> tuple[int, dict]:
    """The customer asks to cancel A18; the question with its buttons shows in the thread."""
    llm.script(
        ToolCalls([Call("cancel_order", {"order_id": "A18"})]),
        Reply("Done: order A18 is cancelled."),
    )
    thread_id = await open_thread(fake, customer, "please cancel my order A18")
    await fake.wait_for(lambda: questions(fake, thread_id), timeout=10)
    (question,) = questions(fake, thread_id)
    return thread_id, question


async def test_confirm_makes_the_request_once_and_only_the_customer_counts(
    actions_runner, discord_fake, llm, api, caplog
):
    """A stranger's press is refused (ephemeral) and changes nothing; the customer's Confirm
    makes one request; a second press is refused; the model is told the result."""
    omar = discord_fake.add_user("omar")
    lena = discord_fake.add_user("lena")
    async with actions_runner.running():
        thread_id, question = await ask_to_cancel(discord_fake, llm, omar)
        assert question["content"].startswith(
            "Before I do this, please confirm:\n**Cancel an order**"
        )
        assert "• Order id: A18" in question["content"]
        stranger = await discord_fake.click_button(question, "action:confirm:1", lena)
        await stranger.wait_for_response()
        assert stranger.ephemeral
        assert stranger.content == NOT_YOUR_CONFIRMATION
        assert api.requests == []
        first = await discord_fake.click_button(question, "action:confirm:1", omar)
        second = await discord_fake.click_button(question, "action:confirm:1", omar)
        await first.wait_for_response()
        await second.wait_for_response()
        await discord_fake.wait_for(
            lambda: "Done: order A18 is cancelled." in bot_messages(discord_fake, thread_id)
        )
    refusals = [i for i in (first, second) if i.ephemeral]
    assert [i.content for i in refusals] == [ALREADY_ANSWERED]
    (request,) = api.seen("POST")
    assert request.raw_path == "/orders/A18/cancel"
    assert request.headers["X-Discord-User-Id"] == omar["id"]
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert json.loads(tool_results(llm)[0])["status"] == "cancelled"
    closed = discord_fake.messages(thread_id)
    assert any("✅ Confirmed: Cancel an order." in m["content"] for m in closed)
    assert questions(discord_fake, thread_id) == []
    assert TOKEN not in model_saw(llm)
    assert TOKEN not in caplog.text


async def test_cancel_makes_no_request(actions_runner, discord_fake, llm, api):
    """Cancel: no request; the model is told the customer cancelled."""
    omar = discord_fake.add_user("omar")
    llm_reply = "All right, your order stays as it is."
    async with actions_runner.running():
        llm.script(ToolCalls([Call("cancel_order", {"order_id": "A18"})]), Reply(llm_reply))
        thread_id = await open_thread(discord_fake, omar, "cancel A18")
        await discord_fake.wait_for(lambda: questions(discord_fake, thread_id), timeout=10)
        (question,) = questions(discord_fake, thread_id)
        press = await discord_fake.click_button(question, "action:cancel:1", omar)
        await press.wait_for_response()
        await discord_fake.wait_for(lambda: llm_reply in bot_messages(discord_fake, thread_id))
    assert api.requests == []
    assert tool_results(llm)[0].startswith("The customer pressed Cancel")


async def test_a_clean_stop_closes_the_question(actions_runner, discord_fake, llm, api):
    """The bot stops cleanly while the question waits: the question lapses (its buttons go),
    and a press of it after the restart makes no request."""
    omar = discord_fake.add_user("omar")
    llm.script(ToolCalls([Call("cancel_order", {"order_id": "A18"})]))
    async with actions_runner.running(shutdown_grace=0.2):
        thread_id = await open_thread(discord_fake, omar, "cancel A18")
        await discord_fake.wait_for(lambda: questions(discord_fake, thread_id), timeout=10)
        (question,) = questions(discord_fake, thread_id)
    assert questions(discord_fake, thread_id) == []
    assert any("⌛ No answer" in m["content"] for m in discord_fake.messages(thread_id))
    async with actions_runner.running():
        with pytest.raises(ValueError, match="no button"):
            await discord_fake.click_button(question, "action:confirm:1", omar)
    assert api.requests == []


async def test_the_buttons_work_after_a_crash(discord_fake, llm, api, tmp_path):
    """`python -m bot` is killed (SIGKILL) while the question waits; the next start answers
    the cut turn, asks again, and a press of the first question's Confirm makes the one
    request. The token is in no log line."""
    env = bot_env(
        discord_fake,
        llm,
        tmp_path,
        actions_spec=str(SPEC),
        actions_base_url=api.base_url,
        actions_token=TOKEN,
        log_level="DEBUG",
    )
    log_path = tmp_path / "bot.log"
    llm.script(ToolCalls([Call("cancel_order", {"order_id": "A18"})]))
    async with bot_process(env, tmp_path, log_path) as first:
        await discord_fake.wait_until_identified(timeout=20)
        omar = discord_fake.add_user("omar")
        thread_id = await open_thread(discord_fake, omar, "cancel A18")
        await discord_fake.wait_for(lambda: questions(discord_fake, thread_id), timeout=10)
        first.kill()
        await first.wait()
    (question,) = questions(discord_fake, thread_id)
    llm.script(
        ToolCalls([Call("cancel_order", {"order_id": "A18"})]),
        Reply("Done: order A18 is cancelled."),
    )
    async with bot_process(env, tmp_path, log_path) as second:
        await discord_fake.wait_for(
            lambda: len(questions(discord_fake, thread_id)) == 2, timeout=20
        )
        press = await discord_fake.click_button(question, "action:confirm:1", omar)
        await press.wait_for_response()
        await discord_fake.wait_for(
            lambda: "Done: order A18 is cancelled." in bot_messages(discord_fake, thread_id),
            timeout=20,
        )
        assert await stop(second) == 0
    (request,) = api.seen("POST")
    assert request.raw_path == "/orders/A18/cancel"
    assert TOKEN not in log_path.read_text()
    assert TOKEN not in model_saw(llm)


async def test_the_ticket_post_shows_the_actions_taken(actions_runner, discord_fake, llm, api):
    """A ticket opened after a cancellation: staff see it on the post without asking."""
    omar = discord_fake.add_user("omar")
    llm.script(
        ToolCalls([Call("cancel_order", {"order_id": "A18"})]),
        ToolCalls([Call("create_customer_ticket", {"name": "Omar", "issue": "refund check"})]),
        Reply("Cancelled, and a person will check your refund."),
    )
    async with actions_runner.running():
        thread_id = await open_thread(discord_fake, omar, "cancel A18 and check my refund")
        await discord_fake.wait_for(lambda: questions(discord_fake, thread_id), timeout=10)
        (question,) = questions(discord_fake, thread_id)
        press = await discord_fake.click_button(question, "action:confirm:1", omar)
        await press.wait_for_response()
        await discord_fake.wait_for(
            lambda: discord_fake.messages(discord_fake.staff_channel_id), timeout=10
        )
    (post,) = discord_fake.messages(discord_fake.staff_channel_id)
    fields = {f["name"]: f["value"] for f in post["embeds"][0]["fields"]}
    assert fields["Actions"] == (
        "• cancel\\_order (Order id: A18): done, HTTP 200, confirmed by the customer"
    )
