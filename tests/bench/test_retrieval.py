"""`python -m bench.retrieval` prints its three figures (the targets are reported, not tested)."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from pathlib import Path

from bench.retrieval import QUESTIONS

ROOT = Path(__file__).resolve().parents[2]


def test_the_question_set_is_large_and_names_real_articles():
    """At least 60 questions, some without an answer, each expected article shipped."""
    questions = json.loads(QUESTIONS.read_text("utf-8"))
    articles = {p.name for p in (ROOT / "bot" / "helpcenter" / "knowledge").glob("*.md")}
    assert len(questions) >= 60
    assert sum(1 for q in questions if q["article"] is None) >= 10
    assert {q["article"] for q in questions if q["article"]} <= articles


async def test_the_script_prints_hit_rates_and_the_no_answer_share():
    """hit@1, hit@3 and the no-answer share, each as a percentage with its fraction."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.retrieval",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    text = out.decode()
    figure = r"\d+\.\d% \(\d+/\d+\)"
    assert re.search(rf"^hit@1: {figure}$", text, re.M), text
    assert re.search(rf"^hit@3: {figure}$", text, re.M), text
    assert re.search(rf"^no-answer questions returning nothing: {figure}$", text, re.M), text
