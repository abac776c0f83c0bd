"""`governance-bot deliveries list/show/retry` against a running bot, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot import cli
from tests.harness import BotHarness, make_settings
from tests.payloads import pull_request_event
from tests.test_engine import REPO, report_comments, setup_repo

pytest_plugins = ["tests.pg"]


@pytest.fixture
async def running(fake, app_key, tmp_path, db_url):
    harness = BotHarness(make_settings(api_url=fake.url, private_key=app_key[0], db_path=tmp_path / "unused.db",
                                       database_url=db_url, max_attempts=2))
    await harness.start()
    yield harness
    await harness.close()


async def deliveries(monkeypatch, tmp_path, db_url, capsys, *argv: str) -> tuple[int, str, str]:
    """Run `governance-bot deliveries …` as an operator would, beside the running server."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", db_url)
    capsys.readouterr()
    code = await asyncio.to_thread(cli.main, ["deliveries", *argv])
    out, err = capsys.readouterr()
    return code, out, err


async def test_list_show_and_retry_a_failed_delivery_once(fake, running, monkeypatch, tmp_path, db_url, capsys,
                                                          caplog):
    setup_repo(fake)
    fake.add_pull_request(REPO, 2, author="dana", title="fix: other", head_sha=f"{2:040x}")
    fake.fail("GET", rf"/repos/{REPO}/pulls/1", status=404, body={"message": "Not Found"})
    await running.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1), delivery_id="bad-1")
    await running.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 2), delivery_id="good-2")
    assert (await running.delivery("bad-1"))["state"] == "failed"

    code, out, _ = await deliveries(monkeypatch, tmp_path, db_url, capsys, "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["ID", "RECEIVED", "(UTC)", "STATE"]
    assert [line.split()[0] for line in lines[1:]] == ["good-2", "bad-1"]  # newest first
    assert "pull_request.opened" in lines[2] and REPO in lines[2] and "answered 404" in lines[2]

    code, out, _ = await deliveries(monkeypatch, tmp_path, db_url, capsys, "list", "--state", "failed")
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["bad-1"]
    code, out, _ = await deliveries(monkeypatch, tmp_path, db_url, capsys, "list", "--repository", "other/repo")
    assert out.strip() == "(no deliveries)"

    code, out, _ = await deliveries(monkeypatch, tmp_path, db_url, capsys, "show", "bad-1")
    assert code == 0
    assert "state:        failed" in out and "last error:" in out and "Not Found" in out
    assert '"number": 1' in out  # the payload, pretty-printed
    code, _, err = await deliveries(monkeypatch, tmp_path, db_url, capsys, "show", "nope")
    assert code == 1 and "no delivery nope" in err

    code, _, err = await deliveries(monkeypatch, tmp_path, db_url, capsys, "retry", "good-2")
    assert code == 1 and "good-2 is done, not failed" in err

    before = len(report_comments(fake, 1))
    with caplog.at_level(logging.INFO, logger="bot"):
        code, out, _ = await deliveries(monkeypatch, tmp_path, db_url, capsys, "retry", "bad-1")
        assert code == 0 and "queued bad-1 again" in out
        await running.settle()
        await asyncio.sleep(0.5)  # time for a second run, if anything would start one
    row = await running.delivery("bad-1")
    assert row["state"] == "done" and row["attempts"] == 1
    assert before == 0 and len(report_comments(fake, 1)) == 1
    assert len([r for r in caplog.records if r.getMessage().startswith("delivery bad-1:")
                and "outcome=done" in r.getMessage()]) == 1

    code, out, _ = await deliveries(monkeypatch, tmp_path, db_url, capsys, "retry", "--failed")
    assert code == 0 and out.strip() == "no failed deliveries"


async def test_retry_failed_requeues_every_failed_delivery(fake, running, monkeypatch, tmp_path, db_url, capsys):
    setup_repo(fake)
    fake.add_pull_request(REPO, 2, author="dana", title="fix: other", head_sha=f"{2:040x}")
    fake.fail("GET", rf"/repos/{REPO}/pulls/\d+", status=404, body={"message": "Not Found"}, times=2)
    for number in (1, 2):
        await running.deliver_and_settle("pull_request", pull_request_event(fake, REPO, number), delivery_id=f"f-{number}")
    code, out, _ = await deliveries(monkeypatch, tmp_path, db_url, capsys, "retry", "--failed")
    assert code == 0 and out.strip() == "queued 2 failed deliveries again"
    await running.settle()
    assert {(await running.delivery(f"f-{n}"))["state"] for n in (1, 2)} == {"done"}


async def test_retry_needs_an_id_or_failed(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["deliveries", "retry"]) == 2
    assert "give one delivery ID, or --failed" in capsys.readouterr().err


async def test_no_database_here_is_said_and_nothing_is_created(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    for argv in (["deliveries", "list"], ["cla", "export"]):
        assert await asyncio.to_thread(cli.main, argv) == 2
        err = capsys.readouterr().err
        assert f"no database at {tmp_path / 'governance.db'} (nothing was created)" in err
    assert not (tmp_path / "governance.db").exists()
