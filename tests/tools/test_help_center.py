"""search_help_center through the real agent loop, against the fake OpenAI-compatible server."""

from __future__ import annotations

from bot.engine.events import ToolFinished
from bot.tools.help_center import NO_MATCH
from fakes.openai_server import Call, Reply, ToolCalls
from tests.engine.test_engine import run, shown_text, stored

ANSWER = (
    "From our help center, *Refunds*: refunds to your card take 3 to 5 business days;"
    " Dashly credit is instant."
)


async def test_a_policy_question_is_answered_from_the_article(harness, llm):
    """The model searches; the stored tool result holds the Refunds passage, title and path."""
    llm.script(
        ToolCalls([Call("search_help_center", {"query": "how long does a refund take"})]),
        Reply(ANSWER),
    )
    conversation, events = await run(harness, "console:refund", "when do i get my refund??")
    finished = [e for e in events if isinstance(e, ToolFinished)]
    assert [e.ok for e in finished] == [True]
    history = await stored(harness, conversation)
    assert [m["role"] for m in history] == ["system", "user", "assistant", "tool", "assistant"]
    result = history[3]["content"]
    assert "## Refunds (refunds.md) > How long a refund takes" in result
    assert "3 to 5 business days" in result
    assert "Dashly credit:** instant" in result
    assert len(result) <= 6000
    # The model got exactly what was stored, after its own call.
    sent = llm.requests[1]["messages"]
    assert sent[-1] == {"role": "tool", "tool_call_id": sent[-2]["tool_calls"][0]["id"]} | {
        "content": result
    }
    assert shown_text(events) == ANSWER
    assert await harness.store.recent_help_gaps(10) == []


async def test_a_question_without_an_article_says_so_and_is_kept_for_staff(harness, llm):
    """Nothing matches: the tool says so plainly and the question joins the gaps list."""
    llm.script(
        ToolCalls([Call("search_help_center", {"query": "who is the CEO of dashly?"})]),
        Reply("I couldn't find that in our help center. Shall I open a ticket?"),
    )
    conversation, _ = await run(harness, "console:alcohol", "who runs this company")
    history = await stored(harness, conversation)
    assert history[3] == {
        "role": "tool",
        "content": NO_MATCH,
        "tool_call_id": history[2]["tool_calls"][0]["id"],
    }
    gaps = await harness.store.recent_help_gaps(10)
    assert [(g.conversation_id, g.query) for g in gaps] == [
        (conversation.id, "who is the CEO of dashly?")
    ]


async def test_the_prompt_sends_policy_questions_to_the_help_center(harness, llm):
    """The policies left the system prompt; it tells the model to search and cite instead."""
    llm.script(Reply("Hi!"))
    await run(harness, "console:prompt", "hi")
    system = llm.requests[0]["messages"][0]["content"]
    assert "search_help_center" in system
    assert "From our help center, *Refunds*" in system
    assert "3–5 business days" not in system
    tools = {t["function"]["name"]: t["function"] for t in llm.requests[0]["tools"]}
    assert tools["search_help_center"]["parameters"]["required"] == ["query"]
