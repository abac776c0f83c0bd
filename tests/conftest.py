"""Shared fixtures: an RSA key for the App, the fake GitHub, and the running bot."""

from __future__ import annotations

import pytest

from tests.fake_ext_oauth import FakeOAuth
from tests.fakegithub import FakeGitHub
from tests.harness import BotHarness, free_port, make_settings, new_app_key


@pytest.fixture(scope="session")
def app_key() -> tuple[str, bytes]:
    """A throwaway App private key (PEM) and its public key for the fake to verify JWTs."""
    return new_app_key()


@pytest.fixture
async def fake(app_key):
    github = FakeGitHub(public_key_pem=app_key[1])
    await github.start()
    yield github
    await github.close()


@pytest.fixture
def bot_settings(fake, app_key, tmp_path):
    return make_settings(api_url=fake.url, private_key=app_key[0], db_path=tmp_path / "governance.db")


@pytest.fixture
async def bot(bot_settings):
    harness = BotHarness(bot_settings)
    await harness.start()
    yield harness
    await harness.close()


async def _web_harness(fake, app_key, tmp_path, **settings_extra):
    port = free_port()
    settings = make_settings(api_url=fake.url, private_key=app_key[0], db_path=tmp_path / "governance.db",
                             public_url=f"http://127.0.0.1:{port}", github_web_url=fake.url, **settings_extra)
    harness = BotHarness(settings, port=port)
    await harness.start()
    return harness


@pytest.fixture
async def web_bot(fake, app_key, tmp_path):
    """The bot with its web pages reachable: PUBLIC_URL is its own address, GitHub's web is the fake."""
    harness = await _web_harness(fake, app_key, tmp_path)
    yield harness
    await harness.close()


@pytest.fixture
def oauth(fake) -> FakeOAuth:
    """The fake's stand-in for GitHub's OAuth pages and user-token API."""
    return FakeOAuth(fake)


@pytest.fixture
async def site(fake, app_key, tmp_path, oauth):
    """`web_bot` with sign-in configured against the fake's OAuth pages."""
    harness = await _web_harness(fake, app_key, tmp_path, github_client_id=oauth.client_id,
                                 github_client_secret=oauth.client_secret)
    yield harness
    await harness.close()
