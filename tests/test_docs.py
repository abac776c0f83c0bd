"""The traps a new user fell into (issue 14): each one fixed, and the docs saying what the code does."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import load_text, merge, validate
from bot.settings import Settings
from bot.web.setup import env_text
from rules import RULES

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
DEPLOY = (ROOT / "docs" / "deploy.md").read_text()


def test_readme_requires_only_the_statuses_of_configured_rules():
    advice = README[README.index("**Branch protection / rulesets**"):]
    advice = " ".join(advice[:advice.index("\n\n")].split())
    assert "only the statuses of the rules your rules file switches on" in advice and "waiting forever" in advice
    assert "require the status checks `governance/cla`" not in README


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.name)
def test_enabled_false_is_valid_alone_in_every_section(rule):
    loaded = load_text(f"{rule.name}:\n  enabled: false\n", RULES)
    assert loaded.errors == [] and loaded.valid
    assert loaded.section(rule.name) is None


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.name)
def test_a_switched_off_section_still_reports_unknown_keys(rule):
    assert load_text(f"{rule.name}:\n  enabled: false\n  no_such_key: 1\n", RULES).errors == [
        f"{rule.name}.no_such_key: unknown key"]


def test_the_readme_example_of_org_defaults_and_extends_holds():
    section = README[README.index("### Organisation defaults and `extends`"):]
    for phrase in ("key by key within each section", "a list is replaced", "`extends: false`", "{enabled: false}"):
        assert phrase in section
    org = {"cla": {"document": "https://acme.org/cla", "version": "2"}}
    model, errors = validate(merge(org, {"cla": {"version": "3"}}), RULES)
    assert errors == [] and model.cla.version == "3" and str(model.cla.document) == "https://acme.org/cla"
    model, errors = validate(merge(org, {"extends": False}), RULES)
    assert errors == [] and model.cla is None
    model, errors = validate(merge(org, {"cla": {"enabled": False}}), RULES)
    assert errors == [] and not model.cla.enabled


def test_cla_docs_say_revoke_rechecks_by_itself():
    text = (ROOT / "docs" / "rules" / "cla.md").read_text()
    assert "does not re-run open pull" not in text
    assert "re-checks, by itself, every open pull" in text


def test_the_env_file_is_described_with_what_setup_writes():
    section = README[README.index("### The `.env` file"):]
    section = section[:section.index("\n## ")]
    written = env_text({"id": 1, "pem": "-----BEGIN KEY-----\nx\n-----END KEY-----\n", "webhook_secret": "w",
                        "client_id": "c", "client_secret": "s"}, Settings(_env_file=None), "https://h/webhook")
    for name in re.findall(r"^([A-Z_]+)=", written, re.M):
        assert f"{name}=" in section, name
    assert "0600" in section and "--force" in section and "serve --help" in section
    assert "described below" not in README


def test_the_readme_first_screen_points_to_setup():
    first_screen = "\n".join(README.splitlines()[:25])
    assert "governance-bot setup" in first_screen and "docs/deploy.md" in first_screen


def test_headers_check_does_not_flag_the_rules_file(tmp_path, monkeypatch, capsys):
    root = tmp_path / "checkout"
    (root / ".github").mkdir(parents=True)
    (root / ".github" / "governance.yml").write_text("license_headers:\n  license: Apache-2.0\n")
    (root / "a.py").write_text("# SPDX-License-Identifier: Apache-2.0\nx = 1\n")
    (root / "b.yml").write_text("key: value\n")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    monkeypatch.chdir(root)
    assert main(["headers", "check"]) == 1
    out = capsys.readouterr().out
    assert out.splitlines() == ["b.yml: missing header (SPDX-License-Identifier: Apache-2.0)"]


# -- docs/deploy.md -------------------------------------------------------------------------------

def _block(language: str) -> str:
    return re.search(rf"```{language}\n(.*?)```", DEPLOY, re.S).group(1)


def test_deploy_covers_what_an_organisation_needs():
    for heading in ("## First-run checklist", "## TLS through a reverse proxy", "## Storage",
                    "### Backups", "## systemd", "## A container", "## Local development"):
        assert heading in DEPLOY
    assert "Recent Deliveries" in DEPLOY and "answered\n   **200**" in DEPLOY
    assert "legal evidence" in DEPLOY.lower() or "evidence" in DEPLOY
    assert ".backup" in DEPLOY and "pg_dump" in DEPLOY and "cla export" in DEPLOY


def test_the_proxies_accept_githubs_largest_payloads():
    nginx = _block("nginx")
    assert "proxy_pass http://127.0.0.1:8080;" in nginx
    size = int(re.search(r"client_max_body_size (\d+)m;", nginx).group(1))
    assert size > 25
    caddy = re.search(r"```\n(bot\.example\.org \{.*?)```", DEPLOY, re.S).group(1)
    assert "reverse_proxy 127.0.0.1:8080" in caddy and int(re.search(r"max_size (\d+)MB", caddy).group(1)) > 25


def test_the_container_is_built_only_from_the_readme_commands():
    install = re.search(r"python3 -m venv \.venv && \.venv/bin/pip install -e \.", README).group(0)
    dockerfile = _block("dockerfile")
    runs = [line.removeprefix("RUN ").strip() for line in dockerfile.splitlines() if line.startswith("RUN ")]
    assert runs[0] == install
    assert 'CMD ["/opt/governance-bot/.venv/bin/governance-bot", "serve"]' in dockerfile
    assert "sqlite:////data/governance.db" in dockerfile and "VOLUME /data" in dockerfile


def test_the_systemd_unit_runs_serve_and_does_not_restart_on_bad_settings():
    unit = _block("ini")
    assert "ExecStart=/opt/governance-bot/.venv/bin/governance-bot serve" in unit
    assert "RestartPreventExitStatus=2" in unit  # serve exits 2 on a setting it cannot use
    stop = int(re.search(r"TimeoutStopSec=(\d+)", unit).group(1))
    assert stop > Settings.model_fields["shutdown_grace_seconds"].default
    assert "EnvironmentFile=" not in unit  # the bot reads .env itself; systemd would mangle the quoted key


def test_every_setting_in_the_readme_table_exists():
    names = set(re.findall(r"^\| `([A-Z_]+)`", README, re.M))
    names |= {n for pair in re.findall(r"^\| `([A-Z_]+)` / `([A-Z_]+)`", README, re.M) for n in pair}
    assert {"GITHUB_WEB_URL", "GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET"} <= names
    assert names <= {field.upper() for field in Settings.model_fields} | {"SWEEP_INTERVAL_SECONDS", "WRITES_PER_HOUR"}

