"""Issue 17, Low: a rules file nested hundreds deep is a rules-file error, not a crash."""

from __future__ import annotations

from bot.cli import main
from bot.config import MAX_YAML_DEPTH
from tests.payloads import pull_request_event

REPO = "acme/widgets"
DEEP = "probe:\n  note: " + "[" * 600 + "]" * 600 + "\n"


async def test_a_rules_file_nested_600_deep_fails_governance_config_with_a_clear_error(fake, bot):
    fake.add_user("dana")
    fake.add_repo(REPO)
    fake.set_file(REPO, ".github/governance.yml", DEEP)
    pr = fake.add_pull_request(REPO, 1, author="dana", title="feat: x", head_sha="1" * 40)
    response = await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    assert response.status == 202
    status = fake.latest_status(REPO, pr["head"]["sha"], "governance/config")
    assert status["state"] == "failure"
    assert f"nested deeper than {MAX_YAML_DEPTH} levels" in status["description"]
    [report] = [c["body"] for c in fake.comments(REPO, 1) if c["body"].startswith("<!-- governance-bot:report -->")]
    assert "line 2, column" in report and "nested deeper" in report


def test_config_validate_prints_the_error_for_a_deeply_nested_file(tmp_path, capsys):
    path = tmp_path / "governance.yml"
    path.write_text(DEEP)
    assert main(["config", "validate", str(path)]) == 1
    out = capsys.readouterr().out
    # The file and `probe` are two levels; the 31st bracket (column 8 + 31) is one too many.
    assert f"yaml: line 2, column 39: nested deeper than {MAX_YAML_DEPTH} levels" in out
