"""The GitHub App manifest `setup` sends: permissions and events from the rules, nothing by hand.

Each rule declares the App permissions and webhook events it needs (`Rule.permissions`,
`Rule.webhook_events`); the framework adds its own (the rules file, `governance/config`, the
report comment, commands). The union is what the App is registered with, so a new rule's needs
reach the registration without anyone editing a list. Format: GitHub's "Registering a GitHub App
from a manifest" (`default_permissions`, `default_events`, `hook_attributes`, `redirect_url`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

if TYPE_CHECKING:
    from bot.rule import Rule

# What the engine itself needs whatever rules are on: the rules file (contents), the pull request,
# the `governance/config` status, the report comment and command replies (issues).
FRAMEWORK_PERMISSIONS = {"metadata": "read", "contents": "read", "pull_requests": "read", "issues": "write",
                         "statuses": "write"}
_ACCESS_ORDER = {"read": 1, "write": 2, "admin": 3}
# GitHub logins: alphanumerics and single hyphens, at most 39 characters.
_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}")


def permissions(rules: Sequence["Rule"]) -> dict[str, str]:
    """Every permission any rule (or the framework) needs, at the highest access any of them asks."""
    merged: dict[str, str] = dict(FRAMEWORK_PERMISSIONS)
    for rule in rules:
        for name, access in rule.permissions.items():
            if _ACCESS_ORDER[access] > _ACCESS_ORDER.get(merged.get(name, ""), 0):
                merged[name] = access
    return dict(sorted(merged.items()))


def events(rules: Sequence["Rule"]) -> list[str]:
    """The engine's own events (`push` keeps rules files fresh) and every rule's."""
    from bot.engine import webhook_events

    return webhook_events(rules)


def is_login(value: str) -> bool:
    return bool(_LOGIN.fullmatch(value))


def check_webhook_url(value: str) -> str | None:
    """Why a webhook URL cannot be used, or None. GitHub needs an absolute http(s) URL it can reach."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "the webhook URL must be an absolute https:// URL, e.g. https://bot.example.org/webhook"
    if len(value) > 2000:
        return "the webhook URL is too long"
    return None


def public_url(webhook_url: str) -> str:
    """The bot's own address, from the webhook URL GitHub will call (`https://host/webhook` -> `https://host`)."""
    parts = urlsplit(webhook_url)
    path = parts.path.rstrip("/").removesuffix("/webhook")
    return f"{parts.scheme}://{parts.netloc}{path}"


def build(rules: Sequence["Rule"], *, name: str, webhook_url: str, redirect_url: str,
          description: str = "Repository governance: CLA, licence headers, onboarding, triage, open core.") -> dict[str, Any]:
    """The manifest GitHub registers the App from."""
    parts = urlsplit(webhook_url)
    return {
        "name": name,
        "url": f"{parts.scheme}://{parts.netloc}",
        "description": description,
        "hook_attributes": {"url": webhook_url, "active": True},
        "redirect_url": redirect_url,
        # Sign-in to the bot's pages returns to the host that receives the webhooks (PUBLIC_URL).
        "callback_urls": [f"{public_url(webhook_url)}/login/callback"],
        "public": False,
        "default_permissions": permissions(rules),
        "default_events": events(rules),
    }


def registration_url(web_url: str, organization: str | None, state: str) -> str:
    """Where the manifest is POSTed: the user's or the organisation's "new GitHub App" page."""
    base = f"{web_url}/organizations/{quote(organization)}/settings/apps/new" if organization \
        else f"{web_url}/settings/apps/new"
    return f"{base}?state={quote(state)}"
