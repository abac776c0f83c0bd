"""GitHub's App-manifest flow, on top of the fake GitHub (web side and API side).

Modelled on GitHub's "Registering a GitHub App from a manifest":
1. the browser POSTs a form with `manifest` (JSON) to `/settings/apps/new?state=…` or
   `/organizations/ORG/settings/apps/new?state=…` on the web host;
2. GitHub shows "Create GitHub App" with the name editable; on confirmation it registers the App
   and redirects to the manifest's `redirect_url` with `code` and the same `state`;
3. `POST /app-manifests/{code}/conversions` on the API, unauthenticated, answers 201 with the
   App's `id`, `slug`, `html_url`, `pem`, `webhook_secret`, `client_id`, `client_secret`...
   A code works once, for an hour; otherwise 404.

The web side is its own small server (github.com and api.github.com are different hosts). It
checks the manifest it receives against what the test expects (permissions, events, URLs) and
refuses with a page listing each problem, as GitHub refuses an invalid manifest.
"""

from __future__ import annotations

import html
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from aiohttp import web

from tests.harness import new_app_key

ACCESS = {"read", "write", "admin"}
# Events GitHub accepts only with a permission that covers them (a subset of GitHub's table).
EVENT_PERMISSION = {"pull_request": ("pull_requests",), "issues": ("issues",),
                    "issue_comment": ("issues", "pull_requests"), "merge_group": ("merge_queues",),
                    "push": ("contents",)}


@dataclass
class ManifestFlow:
    """The fake's web pages for registering an App, and the conversion endpoint on the API."""

    fake: Any
    expected_permissions: dict[str, str] | None = None
    expected_events: list[str] | None = None
    expected_webhook_url: str | None = None
    app_id: int = 777001
    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)  # manifests posted, as parsed
    problems: list[str] = field(default_factory=list)
    created: dict[str, Any] | None = None
    conversions: int = 0
    _pending: dict[str, dict[str, Any]] = field(default_factory=dict)
    _codes: dict[str, tuple[float, dict[str, Any]]] = field(default_factory=dict)
    _runner: web.AppRunner | None = None

    async def start(self) -> "ManifestFlow":
        app = web.Application()
        app.router.add_post("/settings/apps/new", self._new)
        app.router.add_post("/organizations/{org}/settings/apps/new", self._new)
        app.router.add_post("/settings/apps/new/confirm", self._confirm)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        self.fake.override("POST", r"/app-manifests/(?P<code>[^/]+)/conversions", self._conversion, public=True)
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def check(self, manifest: Any) -> list[str]:
        """What GitHub (or this test's expectations) would refuse in a manifest."""
        if not isinstance(manifest, dict):
            return ["manifest: not a JSON object"]
        problems = []
        for key in ("url", "hook_attributes", "redirect_url"):
            if key not in manifest:
                problems.append(f"manifest.{key}: required")
        hook = manifest.get("hook_attributes") or {}
        if not str(hook.get("url", "")).startswith(("http://", "https://")):
            problems.append("manifest.hook_attributes.url: must be an http(s) URL")
        permissions = manifest.get("default_permissions") or {}
        for name, access in permissions.items():
            if access not in ACCESS:
                problems.append(f"manifest.default_permissions.{name}: {access!r} is not read, write or admin")
        for event in manifest.get("default_events") or []:
            needs = EVENT_PERMISSION.get(event)
            if needs and not any(permissions.get(p) for p in needs):
                problems.append(f"manifest.default_events: {event} needs one of the permissions {', '.join(needs)}")
        if self.expected_permissions is not None and permissions != self.expected_permissions:
            problems.append(f"permissions {permissions} != expected {self.expected_permissions}")
        if self.expected_events is not None and sorted(manifest.get("default_events") or []) != sorted(self.expected_events):
            problems.append(f"events {manifest.get('default_events')} != expected {self.expected_events}")
        if self.expected_webhook_url is not None and hook.get("url") != self.expected_webhook_url:
            problems.append(f"webhook URL {hook.get('url')!r} != expected {self.expected_webhook_url!r}")
        return problems

    async def _new(self, request: web.Request) -> web.Response:
        form = await request.post()
        try:
            manifest = json.loads(str(form.get("manifest", "")))
        except ValueError:
            manifest = None
        self.received.append(manifest if isinstance(manifest, dict) else {})
        problems = self.check(manifest)
        if problems:
            self.problems.extend(problems)
            items = "".join(f"<li>{html.escape(p)}</li>" for p in problems)
            return web.Response(status=422, content_type="text/html",
                                text=f"<h1>Invalid GitHub App configuration</h1><ul id='problems'>{items}</ul>")
        token = secrets.token_hex(8)
        self._pending[token] = {"manifest": manifest, "state": request.query.get("state", ""),
                                "owner": request.match_info.get("org") or "octocat",
                                "org": bool(request.match_info.get("org"))}
        owner = html.escape(self._pending[token]["owner"])
        return web.Response(content_type="text/html", text=(
            f"<title>Create GitHub App</title><h1>Create GitHub App for {owner}</h1>"
            f"<form method='post' action='/settings/apps/new/confirm'>"
            f"<input type='hidden' name='pending' value='{token}'>"
            f"<label>GitHub App name <input id='app-name' name='name' value='{html.escape(manifest.get('name') or '')}'></label>"
            f"<button type='submit' id='create-app'>Create GitHub App for {owner}</button></form>"))

    async def _confirm(self, request: web.Request) -> web.Response:
        form = await request.post()
        pending = self._pending.pop(str(form.get("pending", "")), None)
        if pending is None:
            return web.Response(status=404, text="Not Found")
        manifest = pending["manifest"]
        name = str(form.get("name") or manifest.get("name") or "app")
        private_pem, public_pem = new_app_key()
        slug = name.lower().replace(" ", "-")
        app = {
            "id": self.app_id, "slug": slug, "node_id": f"A_{self.app_id}", "name": name,
            "owner": {"login": pending["owner"], "type": "Organization" if pending["org"] else "User"},
            "description": manifest.get("description"), "external_url": manifest.get("url"),
            "html_url": f"https://github.com/apps/{slug}", "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z", "permissions": manifest.get("default_permissions") or {},
            "events": manifest.get("default_events") or [], "client_id": f"Iv1.{secrets.token_hex(8)}",
            "client_secret": secrets.token_hex(20), "webhook_secret": secrets.token_hex(20), "pem": private_pem,
        }
        self.created = app
        self.fake.public_key_pem = public_pem  # the fake now checks JWTs against the new App's key
        code = secrets.token_hex(10)
        self._codes[code] = (time.time(), app)
        target = manifest["redirect_url"]
        separator = "&" if urlsplit(target).query else "?"
        raise web.HTTPFound(f"{target}{separator}{urlencode({'code': code, 'state': pending['state']})}")

    async def _conversion(self, request: web.Request, match: Any, fake: Any) -> web.Response:
        entry = self._codes.pop(match["code"], None)
        if entry is None or time.time() - entry[0] > 3600:
            return web.json_response({"message": "Not Found",
                                      "documentation_url": "https://docs.github.com/rest/apps/apps"}, status=404)
        self.conversions += 1
        return web.json_response(entry[1], status=201)
