"""The stream folder assembles text, tool calls in either wire style, and usage."""

from __future__ import annotations

from typing import Any

from bot.llm.stream import StreamFolder
from tests.llm.chunks import call_delta, chunk


def _call(index: int, **fields: str) -> dict[str, Any]:
    """A delta carrying one tool-call fragment."""
    return {"tool_calls": [call_delta(index, **fields)]}


def test_text_and_final_usage_chunk_with_no_choices():
    """Content deltas concatenate; the empty-choices chunk carries usage."""
    folder = StreamFolder()
    assert folder.add(chunk({"role": "assistant", "content": ""})) == ""
    assert folder.add(chunk({"content": "Hel"})) == "Hel"
    folder.add(chunk({"content": "lo"}))
    folder.add(chunk(usage={"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}))
    assert folder.text == "Hello"
    assert folder.usage is not None
    assert folder.usage.total_tokens == 5


def test_openai_fragments_by_index_for_parallel_calls():
    """Id and name come once per index; argument fragments append to their index."""
    folder = StreamFolder()
    folder.add(chunk(_call(0, id="a", name="one", args="")))
    folder.add(chunk(_call(1, id="b", name="two", args="")))
    for fragment in ('{"x"', ": 1", "}"):
        folder.add(chunk(_call(0, args=fragment)))
    folder.add(chunk(_call(1, args='{"y": 2}')))
    calls = [(c.id, c.name, c.arguments) for c in folder.tool_calls]
    assert calls == [("a", "one", '{"x": 1}'), ("b", "two", '{"y": 2}')]


def test_xai_whole_calls_even_under_the_same_index():
    """A whole call per chunk, and a new id under a reused index, is a new call."""
    folder = StreamFolder()
    folder.add(chunk(_call(0, id="a", name="one", args='{"x": 1}')))
    folder.add(chunk(_call(0, id="b", name="two", args='{"y": 2}')))
    calls = [(c.id, c.name, c.arguments) for c in folder.tool_calls]
    assert calls == [("a", "one", '{"x": 1}'), ("b", "two", '{"y": 2}')]


def test_calls_without_ids_get_unique_ones():
    """Servers that omit the id still produce calls the history can answer, never `call_1`
    twice: ids are unique across responses, like the providers' own."""
    ids = []
    for _ in range(2):
        folder = StreamFolder()
        for index in range(2):
            folder.add(
                chunk(
                    {"tool_calls": [{"index": index, "function": {"name": "f", "arguments": "{}"}}]}
                )
            )
        ids += [call.id for call in folder.tool_calls]
    assert len(set(ids)) == 4
    assert all(call_id.startswith("call_") for call_id in ids)
