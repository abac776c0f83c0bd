"""`serve` at start-up: one line saying what it runs, and every failure as one line with exit status 2."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys

from bot.settings import Settings
from tests.test_process import ROOT, ServeProcess, serve_env  # noqa: F401 (fixture)


async def run(*args: str, env: dict[str, str], cwd=ROOT) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", *args, cwd=cwd, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    return proc.returncode, out.decode(), err.decode()


async def test_start_up_line_names_address_database_app_and_rules(serve_env, tmp_path):
    serve_env.update(DATABASE_URL=serve_env["DATABASE_URL"], LOG_FORMAT="console", LOG_LEVEL="DEBUG")
    proc = ServeProcess(serve_env, tmp_path / "serve.log")
    await proc.start()
    await asyncio.sleep(0.3)
    assert await proc.stop() == 0
    text = (tmp_path / "serve.log").read_text()
    started = [line for line in text.splitlines() if "listening on" in line]
    assert len(started) == 1, text
    line = started[0]
    assert f"http://127.0.0.1:{serve_env['PORT']}" in line
    assert serve_env["DATABASE_URL"] in line and "App ID 12345" in line
    assert "rules: cla, license_headers, onboarding, triage, commercial" in line
    # LOG_LEVEL=DEBUG is the bot's: no library chatter (aiosqlite printed 1,286 lines in 2 s).
    assert not [l for l in text.splitlines() if " aiosqlite:" in l or " asyncio:" in l or " sqlalchemy" in l]


async def test_database_password_is_not_in_the_start_up_line():
    from bot.cli import redacted_url

    assert redacted_url("postgresql://gov:s3cret-pw@db.internal:5432/gov") == "postgresql://gov:***@db.internal:5432/gov"


def _env(serve_env: dict[str, str], **changes: str) -> dict[str, str]:
    env = dict(serve_env)
    env.update(changes)
    return env


async def test_port_in_use_is_one_line_and_exit_2(serve_env):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", int(serve_env["PORT"])))
        busy.listen()
        code, out, err = await run("serve", env=serve_env)
    assert code == 2
    assert err.strip().splitlines() == [
        f"governance-bot: PORT: {serve_env['PORT']} on 127.0.0.1 is already in use (another serve running? set PORT)"]


async def test_bad_host_is_one_line_and_exit_2(serve_env):
    code, out, err = await run("serve", env=_env(serve_env, HOST="no-such-host.invalid"))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("governance-bot: HOST: cannot listen on 'no-such-host.invalid'")


async def test_every_malformed_setting_is_reported_at_once(serve_env):
    env = _env(serve_env, PORT="eighty", WORKERS="0", LOG_FORMAT="xml")
    env.pop("GITHUB_WEBHOOK_SECRET")
    code, out, err = await run("serve", env=env)
    assert code == 2
    lines = err.strip().splitlines()
    assert [line.split(":")[1].strip() for line in lines] == ["PORT", "WORKERS", "LOG_FORMAT", "GITHUB_WEBHOOK_SECRET"]
    assert "Traceback" not in err


async def test_replay_with_a_missing_config_file_is_one_line(serve_env, tmp_path):
    payload = tmp_path / "p.json"
    payload.write_text(json.dumps({"action": "opened"}))
    code, out, err = await run("replay", str(payload), "--event", "issues", "--config", str(tmp_path / "nope.yml"),
                               env=serve_env)
    assert code == 2
    assert err.strip().splitlines() == [
        f"governance-bot: --config: cannot read {tmp_path / 'nope.yml'}: No such file or directory"]


async def test_serve_help_lists_every_setting():
    code, out, err = await run("serve", "--help", env=dict(os.environ))
    assert code == 0
    for name in Settings.model_fields:
        assert name.upper() in out, name
