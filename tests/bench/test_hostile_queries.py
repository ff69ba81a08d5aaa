"""`python -m bench.hostile_queries` prints a line per query (its timings are reported, not
tested)."""

from __future__ import annotations

import io

from bench.hostile_queries import queries, run


async def test_the_script_times_every_query_and_names_what_it_found():
    """A header, then each query with its search time, the loop's worst lag and the articles."""
    out = io.StringIO()
    await run(out)
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["query", "search", "loop", "lag", "found"]
    by_name = {line[:28].strip(): line[28:].split() for line in lines[1:]}
    assert list(by_name) == list(queries())
    assert all(fields[0].endswith("ms") and fields[1].endswith("ms") for fields in by_name.values())
    assert by_name["refund + 5,000-letter word"][2] == "refunds.md,"
    assert by_name["50k punctuation"][2:] == ["nothing"]
