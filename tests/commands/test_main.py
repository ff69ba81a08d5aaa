"""The command line: clear one-line config errors, `check`, and the terminal chat."""

from __future__ import annotations

import pytest

from fakes.openai_server import Call, Reply, ToolCalls
from fakes.process import clean_env, run_bot
from tests.commands.helpers import llm_env
from tests.conftest import API_KEY, CHAT_MODEL, VISION_MODEL


@pytest.mark.parametrize("command", [[], ["chat"], ["check"]])
async def test_missing_api_key_is_one_clear_line(tmp_path, command):
    """Without XAI_API_KEY every command stops with one line naming it, no traceback."""
    result = await run_bot(*command, env=clean_env(), cwd=tmp_path)
    assert result.code == 2
    assert result.stderr.strip() == "error: missing setting XAI_API_KEY: it is required"


async def test_malformed_setting_is_named(tmp_path):
    """A channel id that is not a number is reported by name."""
    env = clean_env(xai_api_key="k", discord_token="t", support_channel_id="general")
    result = await run_bot(env=env, cwd=tmp_path)
    assert result.code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: bad setting SUPPORT_CHANNEL_ID:")


async def test_running_the_bot_needs_the_discord_settings(tmp_path):
    """`python -m bot` names every missing Discord setting."""
    result = await run_bot(env=clean_env(xai_api_key="k"), cwd=tmp_path)
    assert result.code == 2
    assert result.stderr.strip() == (
        "error: missing setting DISCORD_TOKEN, SUPPORT_CHANNEL_ID, STAFF_CHANNEL_ID:"
        " required to run the bot"
    )


async def test_settings_are_read_from_dotenv(tmp_path, llm):
    """A .env file in the working directory configures the bot like the environment."""
    (tmp_path / ".env").write_text(
        f"XAI_API_KEY={API_KEY}\nXAI_BASE_URL={llm.base_url}\nCHAT_MODEL={CHAT_MODEL}\n"
        f"VISION_MODEL={VISION_MODEL}\nDISCORD_TOKEN=t\nSUPPORT_CHANNEL_ID=1\nSTAFF_CHANNEL_ID=2\n"
    )
    result = await run_bot("check", env=clean_env(), cwd=tmp_path)
    assert result.code == 0, result.stdout + result.stderr


async def test_check_passes_when_all_is_well(tmp_path, llm):
    """`check` reaches GET /models, finds both models and exits 0."""
    env = llm_env(llm, tmp_path, discord_token="t", support_channel_id=1, staff_channel_id=2)
    result = await run_bot("check", env=env, cwd=tmp_path)
    assert result.code == 0, result.stdout
    assert f"CHAT_MODEL {CHAT_MODEL} exists" in result.stdout
    assert f"VISION_MODEL {VISION_MODEL} exists" in result.stdout
    assert llm.models_requests == 1
    assert "ERR" not in result.stdout


async def test_check_names_a_missing_model_and_a_refused_key(tmp_path, llm):
    """An unknown model, or a key the endpoint refuses, fails the check with its name."""
    env = llm_env(llm, tmp_path, discord_token="t", support_channel_id=1, staff_channel_id=2)
    env["CHAT_MODEL"] = "grok-4-1-fast-non-reasoning"  # retired by xAI on 15 May 2026
    result = await run_bot("check", env=env, cwd=tmp_path)
    assert result.code == 1
    line = next(line for line in result.stdout.splitlines() if "CHAT_MODEL" in line)
    assert line.startswith("ERR CHAT_MODEL grok-4-1-fast-non-reasoning is not offered")
    assert line.endswith(f"it offers: {CHAT_MODEL}, {VISION_MODEL}")
    env["XAI_API_KEY"] = "wrong-key"
    result = await run_bot("check", env=env, cwd=tmp_path)
    assert result.code == 1
    assert "XAI_API_KEY was refused" in result.stdout
    assert "wrong-key" not in result.stdout + result.stderr


async def test_defaults_are_current_models_and_no_reasoning(tmp_path, llm):
    """With nothing set, the bot asks for grok-4.3 with reasoning effort "none"; an empty
    REASONING_EFFORT leaves the parameter out, for endpoints that do not know it."""
    llm.models = ["grok-4.3"]
    env = llm_env(llm, tmp_path, discord_token="t", support_channel_id=1, staff_channel_id=2)
    del env["CHAT_MODEL"], env["VISION_MODEL"]
    result = await run_bot("check", env=env, cwd=tmp_path)
    assert result.code == 0, result.stdout
    assert "CHAT_MODEL grok-4.3 exists" in result.stdout
    assert "REASONING_EFFORT none" in result.stdout
    env["REASONING_EFFORT"] = ""
    result = await run_bot("check", env=env, cwd=tmp_path)
    assert "REASONING_EFFORT not sent" in result.stdout


async def test_check_reports_missing_discord_settings(tmp_path, llm):
    """`check` fails while the bot could not run, saying which setting is missing."""
    result = await run_bot("check", env=llm_env(llm, tmp_path), cwd=tmp_path)
    assert result.code == 1
    assert "ERR missing setting DISCORD_TOKEN, SUPPORT_CHANNEL_ID, STAFF_CHANNEL_ID" in (
        result.stdout
    )


async def test_chat_streams_prints_tickets_and_resumes_a_thread(tmp_path, llm):
    """The terminal chat answers, prints tickets, and `--thread` resumes the stored history."""
    llm.script(
        Reply("Hi! What went wrong?"),
        ToolCalls([Call("create_customer_ticket", {"name": "Omar", "issue": "Cannot log in"})]),
        Reply("Ticket #1 is open."),
    )
    env = llm_env(llm, tmp_path)
    first = await run_bot(
        "chat", "--thread", "omar", env=env, cwd=tmp_path, stdin="Hello\nI cannot log in\nexit\n"
    )
    assert first.code == 0, first.stderr
    assert "Hi! What went wrong?" in first.stdout
    assert "=== Ticket #1 for staff ===" in first.stdout
    assert "Issue:      Cannot log in" in first.stdout
    assert "Ticket #1 is open." in first.stdout

    llm.script(Reply("Welcome back, Omar."))
    second = await run_bot("chat", "--thread", "omar", env=env, cwd=tmp_path, stdin="Any news?\n")
    assert second.code == 0, second.stderr
    assert "resumed, 2 earlier message(s)" in second.stdout
    assert "Welcome back, Omar." in second.stdout
    roles = [m["role"] for m in llm.last_messages()]
    assert roles == [
        "system",
        "user",
        "assistant",
        "user",
        "assistant",
        "tool",
        "assistant",
        "user",
    ]


async def test_the_terminal_chat_keeps_the_same_rules(tmp_path, llm):
    """The terminal chat goes through the engine's one entry: a message over the length limit
    is kept and explained without a model request, and the cost cap speaks the same words."""
    from bot.engine.copy import OVER_DAILY_BUDGET

    llm.script(Reply("Hello!"))
    env = llm_env(llm, tmp_path, max_message_chars=100, daily_tokens_per_customer=25)
    long_line = "x" * 150
    result = await run_bot(
        "chat", "--thread", "rules", env=env, cwd=tmp_path, stdin=f"hi\n{long_line}\nmore?\n"
    )
    assert result.code == 0, result.stderr
    assert "That message is 150 characters long; I can read up to 100." in result.stdout
    assert OVER_DAILY_BUDGET in result.stdout
    assert len(llm.requests) == 1
