"""The command line (SPEC §1): config validate/schema and replay --dry-run."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import rules
from bot.cli import main
from tests.harness import rules_with_probe
from tests.payloads import pull_request_event
from tests.test_engine import REPO, setup_repo

ROOT = Path(__file__).resolve().parent.parent


def test_config_validate_accepts_a_valid_file(tmp_path, capsys):
    path = tmp_path / "governance.yml"
    path.write_text("extends: true\n")
    assert main(["config", "validate", str(path)]) == 0


def test_config_validate_lists_each_error_as_field_path(tmp_path, capsys):
    path = tmp_path / "governance.yml"
    path.write_text("extends: maybe\nprobe:\n  title_prefix: 3\n  colour: red\nnot_a_rule: {}\n")
    assert main(["config", "validate", str(path)], rules=rules_with_probe()) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    assert "extends: Input should be a valid boolean, unable to interpret input" in lines
    assert "probe.title_prefix: Input should be a valid string" in lines
    assert "probe.colour: unknown key" in lines
    assert "not_a_rule: unknown key" in lines
    assert len(lines) == 4


def test_config_validate_reports_bad_yaml_with_position(tmp_path, capsys):
    path = tmp_path / "governance.yml"
    path.write_text("a: [1, 2\n")
    assert main(["config", "validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("yaml: line ")


def test_config_schema_is_json_schema_with_defaults(capsys):
    assert main(["config", "schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    assert schema["properties"]["extends"]["default"] is True
    for rule in rules.RULES:
        assert rule.name in schema["properties"]


async def test_replay_dry_run_prints_writes_and_sends_none(fake, app_key, tmp_path):
    pr = setup_repo(fake, rules_text=None)
    payload_path = tmp_path / "payload.json"
    payload_path.write_text(json.dumps(pull_request_event(fake, REPO, 1)))
    config_path = tmp_path / "rules.yml"
    config_path.write_text("probe:\n  title_prefix: feat\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "DATABASE_URL"))}
    env.update(GITHUB_APP_ID="12345", GITHUB_PRIVATE_KEY=app_key[0], GITHUB_API_URL=fake.url,
               DATABASE_URL=f"sqlite:///{tmp_path / 'replay.db'}", PYTHONPATH=str(ROOT), LOG_LEVEL="WARNING")
    launch = ("import sys; from tests.harness import rules_with_probe; "
              "from bot.cli import main; sys.exit(main(sys.argv[1:], rules=rules_with_probe()))")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", launch, "replay", str(payload_path), "--event", "pull_request",
        "--config", str(config_path), "--dry-run", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    lines = out.decode().splitlines()
    sha = pr["head"]["sha"]
    assert f'POST /repos/{REPO}/statuses/{sha} {{"context": "governance/config", "description": "The rules file is valid.", "state": "success"}}' in lines
    assert any(line.startswith(f"POST /repos/{REPO}/statuses/{sha} ") and '"governance/probe"' in line for line in lines)
    assert any(line.startswith(f"POST /repos/{REPO}/issues/1/comments ") and "governance-bot:report" in line
               for line in lines)
    assert fake.writes() == []
    assert fake.tokens_issued == 1
