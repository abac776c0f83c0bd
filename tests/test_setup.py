"""`governance-bot setup`: the App-manifest round trip in a real browser, then `serve` with what it wrote."""

from __future__ import annotations

import asyncio
import json
import os
import re
import stat
import sys
import time
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from dotenv import dotenv_values

from bot.settings import Settings
from bot.web.setup import create_setup_app
from rules import RULES
from tests.browser import browser  # noqa: F401 (fixture)
from tests.fake_ext_manifest import ManifestFlow
from tests.harness import sign
from tests.test_process import ROOT, free_port

# What the README's registration table lists, written out independently of the code that builds the manifest.
EXPECTED_PERMISSIONS = {"contents": "read", "issues": "write", "members": "read", "merge_queues": "read",
                        "metadata": "read", "pull_requests": "write", "statuses": "write"}
EXPECTED_EVENTS = ["issue_comment", "issues", "merge_group", "pull_request", "push"]


def clean_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "DATABASE_URL", "PORT", "HOST"))}
    env.update(PYTHONPATH=str(ROOT), **values)
    return env


async def wait_until_up(url: str, proc: asyncio.subprocess.Process, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if proc.returncode is not None:
                raise AssertionError(f"exited with {proc.returncode}")
            try:
                async with session.get(url) as response:
                    if response.status < 500:
                        return
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)
    raise AssertionError(f"{url} did not come up")


@pytest.fixture
async def flow(fake):
    manifest_flow = await ManifestFlow(fake, expected_permissions=EXPECTED_PERMISSIONS,
                                       expected_events=EXPECTED_EVENTS).start()
    yield manifest_flow
    await manifest_flow.close()


async def test_manifest_round_trip_in_a_browser_then_serve_accepts_a_ping(fake, flow, browser, tmp_path):
    setup_port, serve_port = free_port(), free_port()
    webhook_url = f"http://127.0.0.1:{serve_port}/webhook"
    flow.expected_webhook_url = webhook_url
    env = clean_env(GITHUB_API_URL=fake.url, GITHUB_WEB_URL=flow.url)
    setup = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "setup", "--port", str(setup_port), "--webhook-url", webhook_url, "--org", "acme",
        cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    page_url = f"http://127.0.0.1:{setup_port}/"
    try:
        await wait_until_up(page_url, setup)
        await browser.get(page_url)
        await browser.screenshot("setup-page")
        body = await browser.text()
        assert "Create the GitHub App" in body and "merge_queues" in body and webhook_url in body
        assert await browser.console_errors() == []  # the CSP lets the form post to GitHub

        await browser.click("#create")  # the one button: to GitHub
        await browser.wait_for("#create-app")
        assert await browser.title() == "Create GitHub App", flow.problems
        assert "Create GitHub App for acme" in await browser.text("h1")
        await browser.click("#create-app")  # confirm on "GitHub": it redirects back to the set-up page
        install = await asyncio.to_thread((await browser.wait_for("#install")).get_attribute, "href")
        done = await browser.text()
        assert "The App is registered" in done, done
        await browser.screenshot("setup-done")
        out, err = await asyncio.wait_for(setup.communicate(), 20)
    finally:
        if setup.returncode is None:
            setup.kill()
            await setup.wait()
    assert setup.returncode == 0, err.decode()
    assert flow.problems == [] and len(flow.received) == 1 and flow.conversions == 1
    manifest = flow.received[0]
    assert manifest["redirect_url"] == f"http://127.0.0.1:{setup_port}/callback"
    assert manifest["hook_attributes"] == {"url": webhook_url, "active": True}
    assert manifest["callback_urls"] == [f"http://127.0.0.1:{serve_port}/login/callback"]
    app = flow.created
    assert install == f"{app['html_url']}/installations/new" and install in out.decode()

    env_file = tmp_path / ".env"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    values = dotenv_values(env_file)
    assert values["GITHUB_APP_ID"] == str(app["id"])
    assert values["GITHUB_WEBHOOK_SECRET"] == app["webhook_secret"]
    assert values["GITHUB_CLIENT_ID"] == app["client_id"] and values["GITHUB_CLIENT_SECRET"] == app["client_secret"]
    assert values["GITHUB_API_URL"] == fake.url and values["GITHUB_WEB_URL"] == flow.url
    assert values["PUBLIC_URL"] == f"http://127.0.0.1:{serve_port}"  # the host GitHub posts webhooks to
    settings = Settings(_env_file=env_file)
    settings.require_app()
    assert settings.private_key_pem().strip() == app["pem"].strip()
    for secret in (app["webhook_secret"], app["client_secret"], app["pem"].splitlines()[1]):
        assert secret not in out.decode() + err.decode()  # the terminal shows where, never what

    serve = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve", cwd=tmp_path,
        env=clean_env(HOST="127.0.0.1", PORT=str(serve_port), DATABASE_URL=f"sqlite:///{tmp_path / 'g.db'}"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        await wait_until_up(f"http://127.0.0.1:{serve_port}/healthz", serve)
        ping = json.dumps({"zen": "Keep it logically awesome.", "hook_id": 1, "hook": {}}).encode()
        headers = {"Content-Type": "application/json", "X-GitHub-Event": "ping", "X-GitHub-Delivery": "ping-1"}
        async with aiohttp.ClientSession() as session:
            async with session.post(webhook_url, data=ping,
                                    headers={**headers, "X-Hub-Signature-256": sign(ping, app["webhook_secret"])}) as r:
                assert r.status == 200
            async with session.post(webhook_url, data=ping,
                                    headers={**headers, "X-Hub-Signature-256": sign(ping, "another-secret")}) as r:
                assert r.status == 401
    finally:
        serve.terminate()
        log = (await asyncio.wait_for(serve.communicate(), 30))[0].decode()
    assert f"App ID {app['id']}" in log and "ping from GitHub answered" in log
    assert app["webhook_secret"] not in log


@pytest.fixture
async def setup_page(fake, flow, tmp_path):
    """The set-up app in-process, for the paths a browser is not needed for."""
    settings = Settings(_env_file=None, github_api_url=fake.url, github_web_url=flow.url)
    server = TestServer(create_setup_app(settings, RULES, env_path=tmp_path / ".env", base_url="http://unused",
                                         webhook_url="https://bot.example.org/webhook"), host="127.0.0.1")
    await server.start_server()
    yield server
    await server.close()


async def _to_github(session: aiohttp.ClientSession, server: TestServer) -> str:
    """Load the page, post its form to the fake GitHub, confirm; return GitHub's redirect back (path + query)."""
    async with session.get(server.make_url("/")) as response:
        text = await response.text()
    action = re.search(r'<form method="post" action="([^"]+)" id="register">', text).group(1).replace("&amp;", "&")
    manifest = re.search(r'name="manifest" value="([^"]+)"', text).group(1)
    import html

    async with session.post(action, data={"manifest": html.unescape(manifest)}) as response:
        assert response.status == 200, await response.text()
        pending = re.search(r"name='pending' value='([^']+)'", await response.text()).group(1)
    async with session.post(action.split("/settings/")[0].split("/organizations/")[0] + "/settings/apps/new/confirm",
                            data={"pending": pending, "name": "gov"}, allow_redirects=False) as response:
        location = response.headers["Location"]
    parts = urlsplit(location)
    return f"{parts.path}?{parts.query}"


async def test_a_replayed_or_forged_state_is_refused(flow, setup_page, tmp_path):
    async with aiohttp.ClientSession() as session:
        back = await _to_github(session, setup_page)
        query = parse_qs(urlsplit(back).query)
        async with session.get(setup_page.make_url(f"/callback?code={query['code'][0]}&state=forged")) as response:
            assert response.status == 400 and "Nothing was exchanged" in await response.text()
        assert flow.conversions == 0 and not (tmp_path / ".env").exists()
        async with session.get(setup_page.make_url(back)) as response:
            assert response.status == 200
            assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
        async with session.get(setup_page.make_url(back)) as response:  # the same link again
            assert response.status == 400
    assert flow.conversions == 1
    assert stat.S_IMODE((tmp_path / ".env").stat().st_mode) == 0o600


async def test_an_existing_env_file_is_never_overwritten(flow, setup_page, tmp_path):
    (tmp_path / ".env").write_text("KEEP=1\n")
    async with aiohttp.ClientSession() as session:
        async with session.get(setup_page.make_url("/")) as response:
            text = await response.text()
    assert "exists already" in text and 'id="create"' not in text
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "setup", cwd=tmp_path, env=clean_env(),
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    assert proc.returncode == 2
    assert err.decode().strip() == (f"governance-bot: {tmp_path / '.env'} exists already: move it away, or run "
                                    "`governance-bot setup --force` to replace it")
    assert (tmp_path / ".env").read_text() == "KEEP=1\n"


async def test_the_page_escapes_what_is_typed_and_checks_it(setup_page):
    async with aiohttp.ClientSession() as session:
        url = setup_page.make_url("/").with_query(name='<script>alert(1)</script>', webhook_url="ftp://x",
                                                  organization="no/such org")
        async with session.get(url) as response:
            text = await response.text()
    assert "<script>alert(1)</script>" not in text and "&lt;script&gt;" in text
    assert "absolute https:// URL" in text and "must be a GitHub login" in text
    assert 'id="create"' not in text
