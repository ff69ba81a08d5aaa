"""Properties of the stream folder: any stream of any calls folds back to exactly those calls.

Calls are streamed in either wire style: OpenAI's (the first fragment of an index carries id
and name, later ones only pieces of the arguments, fragments of parallel calls interleaved)
or xAI's (each call whole in one chunk, under its own index or all under index 0), with text
chunks in between and, optionally, a final usage chunk with no choices.
"""

from __future__ import annotations

import itertools
import json
import string
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from openai.types.chat import ChatCompletionChunk

from bot.llm.stream import StreamFolder
from tests.llm.chunks import call_delta, chunk

Call = tuple[str, str, str]  # id, name, arguments

_SETTINGS = settings(max_examples=150, deadline=None)

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=8,
)


@st.composite
def _arguments(draw: st.DrawFn) -> str:
    """JSON arguments as models send them: objects with unicode, escapes, quotes."""
    value = draw(st.dictionaries(st.text(), _json_values, max_size=4))
    return json.dumps(value, ensure_ascii=draw(st.booleans()))


_calls = st.lists(
    st.tuples(
        st.text(string.ascii_letters + string.digits + "_-", min_size=1, max_size=24),
        st.from_regex(r"[a-z_][a-z0-9_]{0,20}", fullmatch=True),
        _arguments(),
    ),
    max_size=4,
    unique_by=lambda call: call[0],
)


def _fragments(draw: st.DrawFn, arguments: str) -> list[str | None]:
    """The arguments cut anywhere, empty fragments included (None: no arguments field)."""
    cuts = sorted(draw(st.lists(st.integers(0, len(arguments)), max_size=6)))
    bounds = [0, *cuts, len(arguments)]
    pieces: list[str | None] = [arguments[a:b] for a, b in itertools.pairwise(bounds)]
    return [None if piece == "" and draw(st.booleans()) else piece for piece in pieces]


@st.composite
def _openai_events(draw: st.DrawFn, calls: list[Call]) -> list[dict[str, Any]]:
    """Tool-call deltas by index, fragments of parallel calls interleaved; headers in order."""
    queues: list[list[dict[str, Any]]] = []
    for index, (call_id, name, arguments) in enumerate(calls):
        first, *rest = _fragments(draw, arguments)
        queue = [call_delta(index, id=call_id, name=name, args=first)]
        queue += [call_delta(index, args=piece) for piece in rest]
        queues.append(queue)
    events: list[dict[str, Any]] = []
    started = 0  # calls whose first fragment is out: the next may start only after them
    while any(queues):
        ready = [i for i, queue in enumerate(queues) if queue and i <= started]
        index = draw(st.sampled_from(ready))
        events.append(queues[index].pop(0))
        started = max(started, index + 1)
    return events


@st.composite
def _xai_events(draw: st.DrawFn, calls: list[Call]) -> list[dict[str, Any]]:
    """Whole calls, each under its own index or all under index 0."""
    same_index = draw(st.booleans())
    return [
        call_delta(0 if same_index else index, id=call_id, name=name, args=arguments)
        for index, (call_id, name, arguments) in enumerate(calls)
    ]


@st.composite
def _streams(draw: st.DrawFn) -> tuple[list[Call], str, list[ChatCompletionChunk], bool]:
    """Calls, text, the chunks that stream them, and whether usage comes at the end."""
    calls = draw(_calls)
    style = draw(st.sampled_from([_openai_events, _xai_events]))
    events = draw(style(calls))
    texts = draw(st.lists(st.text(max_size=12), max_size=6))
    # Several tool-call deltas may share a chunk; text chunks go anywhere between them.
    chunks: list[ChatCompletionChunk] = [chunk({"role": "assistant", "content": ""})]
    items: list[tuple[str, Any]] = [("tools", [event]) for event in events]
    slots = sorted(
        draw(st.lists(st.integers(0, len(events)), min_size=len(texts), max_size=len(texts)))
    )
    for placed, (slot, text) in enumerate(zip(slots, texts, strict=True)):
        items.insert(slot + placed, ("text", text))
    merged: list[tuple[str, Any]] = []
    for kind, payload in items:
        if kind == "tools" and merged and merged[-1][0] == "tools" and draw(st.booleans()):
            merged[-1] = ("tools", merged[-1][1] + payload)
        else:
            merged.append((kind, payload))
    for kind, payload in merged:
        chunks.append(chunk({"tool_calls": payload} if kind == "tools" else {"content": payload}))
    chunks.append(chunk({}, finish_reason="tool_calls" if calls else "stop"))
    with_usage = draw(st.booleans())
    if with_usage:
        chunks.append(chunk(usage={"prompt_tokens": 7, "completion_tokens": 5, "total_tokens": 12}))
    return calls, "".join(texts), chunks, with_usage


@_SETTINGS
@given(_streams())
def test_any_stream_folds_back_to_its_calls_and_text(
    stream: tuple[list[Call], str, list[ChatCompletionChunk], bool],
) -> None:
    """Ids, names, arguments and order of the calls, and the text, come back exactly."""
    calls, text, chunks, with_usage = stream
    folder = StreamFolder()
    added = "".join(folder.add(chunk) for chunk in chunks)
    assert [(c.id, c.name, c.arguments) for c in folder.tool_calls] == calls
    assert folder.text == text
    assert added == text
    assert folder.finish_reason == ("tool_calls" if calls else "stop")
    if with_usage:
        assert folder.usage is not None
        assert (folder.usage.prompt_tokens, folder.usage.total_tokens) == (7, 12)
    else:
        assert folder.usage is None
    for call in folder.tool_calls:
        assert call.to_chat()["id"] == call.id


@_SETTINGS
@given(_calls, st.data())
def test_calls_without_ids_get_distinct_ids(calls: list[Call], data: st.DataObject) -> None:
    """A server that omits ids (fragments by index) still yields one call per index."""
    folder = StreamFolder()
    for event in data.draw(_openai_events(calls)):
        event.pop("id", None)
        event.pop("type", None)
        folder.add(chunk({"tool_calls": [event]}))
    folded = folder.tool_calls
    assert [(c.name, c.arguments) for c in folded] == [(name, args) for _, name, args in calls]
    assert len({c.id for c in folded}) == len(folded)
    assert all(c.id for c in folded)
