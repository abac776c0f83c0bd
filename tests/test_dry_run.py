"""`replay --dry-run` is dry by construction: the framework, not each rule, keeps the
database and GitHub untouched (issue 11). Rules write their tables as in a real run."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sqlite3
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, text

from bot.store import Store, deliveries
from tests.fake_ext_cla import sha
from tests.payloads import issue_comment_event, pull_request_event

pytest_plugins = ["tests.pg"]

ROOT = Path(__file__).resolve().parent.parent
REPO = "acme/widgets"
PHRASE = "I have read the CLA Document and I hereby sign the CLA"


def table_rows(database: Path) -> dict[str, list[tuple]]:
    """Every row of every table: what a dry run must leave exactly as it was."""
    with sqlite3.connect(database) as conn:
        names = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {name: sorted(map(repr, conn.execute(f'SELECT * FROM "{name}"'))) for name in names}


async def replay(fake, app_key, tmp_path: Path, database: Path, event: str, payload: dict) -> list[str]:
    payload_path = tmp_path / f"{event}.json"
    payload_path.write_text(json.dumps(payload))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "DATABASE_URL"))}
    env.update(GITHUB_APP_ID="12345", GITHUB_PRIVATE_KEY=app_key[0], GITHUB_API_URL=fake.url,
               DATABASE_URL=f"sqlite:///{database}", PYTHONPATH=str(ROOT), LOG_LEVEL="WARNING")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "replay", str(payload_path), "--event", event, "--dry-run",
        cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    return out.decode().splitlines()


async def test_a_dry_run_of_cla_evaluation_and_signing_changes_no_row(fake, app_key, tmp_path):
    fake.add_repo(REPO)
    fake.set_file(REPO, ".github/governance.yml", "cla:\n  document: https://example.org/cla.md\n")
    fake.add_user("dana")
    pr = fake.add_pull_request(REPO, 1, author="dana", head_sha=sha("dry-run"))
    database = tmp_path / "governance.db"
    existing = Store(f"sqlite:///{database}")  # the database a running bot keeps
    await existing.create_schema()
    await existing.close()
    before = table_rows(database)
    digest = hashlib.sha256(database.read_bytes()).hexdigest()

    evaluated = await replay(fake, app_key, tmp_path, database, "pull_request", pull_request_event(fake, REPO, 1))
    assert any(line.startswith(f"POST /repos/{REPO}/statuses/{pr['head']['sha']} ") and '"failure"' in line
               for line in evaluated)  # dana has not signed: what the real run would post
    signing = fake.add_comment(REPO, 1, author="dana", body=PHRASE)
    signed = await replay(fake, app_key, tmp_path, database, "issue_comment",
                          issue_comment_event(fake, REPO, 1, signing))
    assert any('"success"' in line and "governance/cla" in line for line in signed)  # the signature counted

    assert table_rows(database) == before  # no cla_waiting, no cla_relying, no signature, no delivery
    assert hashlib.sha256(database.read_bytes()).hexdigest() == digest
    assert fake.writes() == []
    assert not list(tmp_path.glob("governance-dry-run-*"))


async def test_a_dry_run_store_on_sqlite_reads_the_real_state_and_keeps_its_writes_apart(tmp_path):
    database = tmp_path / "governance.db"
    real = Store(f"sqlite:///{database}")
    await real.create_schema()
    async with real.transaction() as conn:
        await conn.execute(deliveries.insert().values(id="kept", event="push", payload="{}", received_at=1.0, state="done",
                                                       available_at=1.0))
    await real.close()

    dry = Store(f"sqlite:///{database}", dry_run=True)
    await dry.create_schema()
    async with dry.engine.connect() as conn:
        assert (await conn.execute(select(deliveries.c.id))).scalars().all() == ["kept"]
    async with dry.transaction() as conn:
        await conn.execute(deliveries.insert().values(id="dry", event="push", payload="{}", received_at=2.0, state="done",
                                                       available_at=2.0))
    async with dry.engine.connect() as conn:  # the dry run itself sees what it wrote
        assert sorted((await conn.execute(select(deliveries.c.id))).scalars().all()) == ["dry", "kept"]
    scratch = Path(dry.url.split("///", 1)[1])
    await dry.close()

    assert not scratch.exists()
    with sqlite3.connect(database) as conn:
        assert [row[0] for row in conn.execute("SELECT id FROM deliveries")] == ["kept"]


async def test_a_dry_run_store_on_postgresql_rolls_back_and_refuses_commits(pg_url):
    real = Store(pg_url)
    await real.create_schema()
    dry = Store(pg_url, dry_run=True)
    try:
        await dry.create_schema()  # creates nothing, and is allowed
        async with dry.transaction() as conn:
            await conn.execute(deliveries.insert().values(id="dry", event="push", payload="{}", received_at=2.0, state="done",
                                                       available_at=2.0))
            assert (await conn.execute(select(deliveries.c.id))).scalars().all() == ["dry"]
        async with real.engine.connect() as conn:
            assert (await conn.execute(select(deliveries.c.id))).scalars().all() == []
        with pytest.raises(RuntimeError, match="dry run"):
            async with dry.engine.begin() as conn:  # code that goes around the store's transaction
                await conn.execute(text("SELECT 1"))
    finally:
        await dry.close()
        await real.close()
