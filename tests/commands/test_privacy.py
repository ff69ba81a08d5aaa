"""`python -m bot export|forget USER_ID` as an operator runs them: only DATABASE_PATH needed."""

from __future__ import annotations

import asyncio
import contextlib
import json

from bot.engine.retention import run_retention
from bot.store import Store
from fakes.process import clean_env, run_bot
from tests.store.helpers import ANA, OMAR, store_conversation


async def _two_customers(database):
    async with Store.open(database) as store:
        await store_conversation(store, OMAR, "Omar", 500)
        await store_conversation(store, ANA, "Ana", 600)


async def test_export_then_forget_as_processes(tmp_path):
    """No XAI_API_KEY and no Discord settings: export prints JSON, forget deletes, export
    then finds nothing of Omar while Ana's data stays."""
    database = tmp_path / "bot.sqlite3"
    await _two_customers(database)
    env = clean_env(database_path=database)

    exported = await run_bot("export", OMAR, env=env, cwd=tmp_path)
    assert exported.code == 0, exported.stderr
    data = json.loads(exported.stdout)
    assert data["customer_id"] == OMAR
    [conversation] = data["conversations"]
    assert conversation["key"] == "discord:500"
    assert conversation["messages"][0]["content"].startswith("I'm Omar")
    assert conversation["tickets"][0]["issue"] == "Two pizzas missing"
    assert conversation["receipts"][0]["data"]["total_cents"] == 2724
    assert conversation["attachments"][0]["filename"] == "receipt.png"

    forgotten = await run_bot("forget", OMAR, env=env, cwd=tmp_path)
    assert forgotten.code == 0, forgotten.stderr
    assert forgotten.stdout.startswith(f"forgot {OMAR}: deleted 1 conversation(s) with 5 message")

    again = await run_bot("export", OMAR, env=env, cwd=tmp_path)
    assert json.loads(again.stdout)["conversations"] == []
    nothing = await run_bot("forget", OMAR, env=env, cwd=tmp_path)
    assert nothing.stdout.strip() == f"nothing stored about {OMAR}"
    ana = json.loads((await run_bot("export", ANA, env=env, cwd=tmp_path)).stdout)
    assert [c["key"] for c in ana["conversations"]] == ["discord:600"]


async def test_a_missing_database_is_one_clear_line_and_not_created(tmp_path):
    """Forgetting in a database that is not there says so instead of making an empty one."""
    database = tmp_path / "nowhere.sqlite3"
    result = await run_bot("forget", OMAR, env=clean_env(database_path=database), cwd=tmp_path)
    assert result.code == 2
    assert result.stderr.strip() == (f"error: bad setting DATABASE_PATH: no database at {database}")
    assert not database.exists()


async def test_a_blank_user_id_is_refused(tmp_path):
    """A blank id would match nothing: it is an error, not a silent no-op."""
    database = tmp_path / "bot.sqlite3"
    await _two_customers(database)
    result = await run_bot("export", " ", env=clean_env(database_path=database), cwd=tmp_path)
    assert result.code == 2
    assert "USER_ID is empty" in result.stderr
    assert result.stdout == ""


async def test_retention_purges_at_start_and_then_periodically(tmp_path, caplog):
    """run_retention purges at once and after each interval; a failed purge is logged and the
    next one still runs; with 0 days it does nothing."""
    async with Store.open(tmp_path / "bot.sqlite3") as store:
        calls: list[int] = []

        async def flaky(days, **kwargs):
            calls.append(days)
            if len(calls) == 1:
                raise RuntimeError("database is locked")
            return 0

        store.purge_idle = flaky  # type: ignore[method-assign]
        await run_retention(store, 0)
        assert calls == []

        async def three_purges():
            while len(calls) < 3:
                await asyncio.sleep(0.01)

        task = asyncio.create_task(run_retention(store, 30, every=0.01))
        await asyncio.wait_for(three_purges(), timeout=10)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert calls[:3] == [30, 30, 30]
    assert "retention purge failed" in caplog.text
