"""The fake's stand-in for GitHub's OAuth web flow for a GitHub App, and the user-token API
the dashboard asks (GitHub docs: "Generating a user access token for a GitHub App",
"Authorizing OAuth apps"; REST: /user, /user/installations, /user/memberships/orgs).

- `GET /login/oauth/authorize?client_id&redirect_uri&state` shows the page where the person
  GitHub has signed in (`sign_in_as`) authorizes the App; its button sends the browser to
  `redirect_uri?code=…&state=…` (state passed back untouched).
- `POST /login/oauth/access_token` (form, JSON or query; `Accept: application/json` for JSON)
  trades a one-time code (10 minutes) for a `ghu_` user token; a wrong secret or code answers
  200 with an `error`, as GitHub does.
- With a user token: `GET /user`; `GET /user/installations` (the App's installations the user
  can reach); `GET /user/installations/{id}/repositories` (with `permissions`);
  `GET /user/memberships/orgs/{org}` (role `admin` for owners; 404 for outsiders);
  `GET /repos/{owner}/{repo}` answers 404 for a private repository the user cannot read.
"""

from __future__ import annotations

import html
import secrets
import time
from urllib.parse import parse_qsl, urlencode

from aiohttp import web

from tests.fakegithub import FakeGitHub

ROLE_PERMISSIONS = ("pull", "triage", "push", "maintain", "admin")


class FakeOAuth:
    def __init__(self, fake: FakeGitHub, *, client_id: str = "Iv1.fakeclient", client_secret: str = "fake-secret",
                 token_ttl: float = 8 * 3600) -> None:
        self.fake = fake
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_ttl = token_ttl
        self.signed_in: str | None = None  # who is signed in to "github.com" in the browser
        self.owners: dict[str, set[str]] = {}  # org -> owner logins
        self._codes: dict[str, tuple[str, str, float]] = {}  # code -> (login, redirect_uri, expiry)
        self.user_tokens: dict[str, str] = {}  # token -> login
        self.exchanges: list[dict] = []  # what each token request sent (secrets included: tests only)
        for method, pattern, handler in (
            ("GET", r"/login/oauth/authorize", self._authorize),
            ("POST", r"/login/oauth/authorize", self._grant),
            ("POST", r"/login/oauth/access_token", self._access_token),
        ):
            fake.override(method, pattern, handler, public=True)
        for method, pattern, handler in (
            ("GET", r"/user", self._user),
            ("GET", r"/user/installations", self._installations),
            ("GET", r"/user/installations/(?P<id>\d+)/repositories", self._installation_repos),
            ("GET", r"/user/memberships/orgs/(?P<org>[^/]+)", self._membership),
            ("GET", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)", self._repo),
        ):
            fake.override(method, pattern, handler)

    # -- builders -------------------------------------------------------------------------------
    def sign_in_as(self, login: str) -> None:
        self.fake.add_user(login)
        self.signed_in = login

    def add_owner(self, org: str, login: str) -> None:
        self.fake.add_org_member(org, login)
        self.owners.setdefault(org.lower(), set()).add(login.lower())

    def revoke_tokens(self) -> None:
        for token in self.user_tokens:
            self.fake._tokens.pop(token, None)

    # -- helpers --------------------------------------------------------------------------------
    def _token_user(self, request: web.Request) -> str | None:
        cred = request.headers.get("Authorization", "").partition(" ")[2].strip()
        return self.user_tokens.get(cred)

    def _role(self, login: str, repo) -> str | None:
        owner = repo.data["owner"]["login"].lower()
        if login.lower() in self.owners.get(owner, set()) or login.lower() == owner:
            return "admin"
        return repo.collaborators.get(login.lower())

    def _permissions(self, role: str | None) -> dict[str, bool]:
        rank = ROLE_PERMISSIONS.index(role) if role in ROLE_PERMISSIONS else -1
        return {name: rank >= i for i, name in enumerate(ROLE_PERMISSIONS)}

    def _reachable(self, login: str) -> dict[int, list]:
        """Installation id -> repositories this user can reach through it (explicit access only)."""
        found: dict[int, list] = {}
        for repo in self.fake._repos.values():
            if self._role(login, repo) is not None:
                found.setdefault(repo.installation_id, []).append(repo)
        return found

    # -- the web flow ---------------------------------------------------------------------------
    async def _authorize(self, request: web.Request, _match, _fake) -> web.StreamResponse:
        query = request.query
        if query.get("client_id") != self.client_id:
            return web.Response(status=404, text="Not Found")
        if self.signed_in is None:
            return web.Response(status=200, content_type="text/html", text="<p>Sign in to GitHub first.</p>")
        fields = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                         for k, v in query.items())
        page = (f"<!doctype html><title>Authorize governance-bot</title><h1>Authorize governance-bot</h1>"
                f"<p id='who'>Signed in as {html.escape(self.signed_in)}</p>"
                f"<form method='post' action='/login/oauth/authorize'>{fields}"
                f"<button id='authorize' type='submit'>Authorize governance-bot</button></form>")
        return web.Response(text=page, content_type="text/html")

    async def _grant(self, request: web.Request, _match, _fake) -> web.StreamResponse:
        form = dict(parse_qsl((await request.read()).decode()))
        if form.get("client_id") != self.client_id or self.signed_in is None:
            return web.Response(status=404, text="Not Found")
        code = secrets.token_hex(10)
        redirect_uri = form.get("redirect_uri", "")
        self._codes[code] = (self.signed_in, redirect_uri, time.time() + 600)
        params = {"code": code}
        if "state" in form:
            params["state"] = form["state"]
        return web.Response(status=302, headers={"Location": f"{redirect_uri}?{urlencode(params)}"})

    async def _access_token(self, request: web.Request, _match, _fake) -> web.StreamResponse:
        raw = (await request.read()).decode()
        params = dict(request.query)
        if raw.lstrip().startswith("{"):
            import json

            params.update(json.loads(raw))
        else:
            params.update(parse_qsl(raw))
        self.exchanges.append(params)
        as_json = "application/json" in request.headers.get("Accept", "")

        def answer(data: dict) -> web.Response:
            if as_json:
                return web.json_response(data)
            return web.Response(text=urlencode(data), content_type="application/x-www-form-urlencoded")

        if params.get("client_id") != self.client_id or params.get("client_secret") != self.client_secret:
            return answer({"error": "incorrect_client_credentials",
                           "error_description": "The client_id and/or client_secret passed are incorrect."})
        grant = self._codes.pop(params.get("code", ""), None)
        if grant is None or grant[2] < time.time() or (params.get("redirect_uri") and params["redirect_uri"] != grant[1]):
            return answer({"error": "bad_verification_code",
                           "error_description": "The code passed is incorrect or expired."})
        token = "ghu_" + secrets.token_urlsafe(27)
        self.fake._tokens[token] = time.time() + self.token_ttl
        self.user_tokens[token] = grant[0]
        return answer({"access_token": token, "expires_in": int(self.token_ttl), "refresh_token": "ghr_" + secrets.token_urlsafe(40),
                       "refresh_token_expires_in": 15897600, "scope": "", "token_type": "bearer"})

    # -- the user-token API ---------------------------------------------------------------------
    async def _user(self, request: web.Request, _match, fake) -> web.StreamResponse:
        login = self._token_user(request)
        if login is None:
            return web.json_response({"message": "Resource not accessible by integration"}, status=403)
        return web.json_response(fake.user(login))

    async def _installations(self, request: web.Request, _match, fake) -> web.StreamResponse:
        login = self._token_user(request)
        if login is None:
            return web.json_response({"message": "Resource not accessible by integration"}, status=403)
        found = self._reachable(login)
        installations = [{"id": iid, "account": repos[0].data["owner"], "app_slug": "governance-bot",
                          "target_type": repos[0].data["owner"]["type"], "repository_selection": "all"}
                         for iid, repos in sorted(found.items())]
        return web.json_response({"total_count": len(installations), "installations": installations})

    async def _installation_repos(self, request: web.Request, match, fake) -> web.StreamResponse:
        login = self._token_user(request)
        if login is None:
            return web.json_response({"message": "Resource not accessible by integration"}, status=403)
        repos = self._reachable(login).get(int(match["id"]))
        if repos is None:
            return web.json_response({"message": "Not Found"}, status=404)
        items = [{**repo.data, "permissions": self._permissions(self._role(login, repo))} for repo in repos]
        return web.json_response({"total_count": len(items), "repositories": items})

    async def _membership(self, request: web.Request, match, fake) -> web.StreamResponse:
        login = self._token_user(request)
        org = match["org"].lower()
        if login is None or login.lower() not in fake._orgs.get(org, set()):
            return web.json_response({"message": "Not Found"}, status=404)
        role = "admin" if login.lower() in self.owners.get(org, set()) else "member"
        return web.json_response({"state": "active", "role": role, "organization": fake.user(match["org"]),
                                  "user": fake.user(login)})

    async def _repo(self, request: web.Request, match, fake) -> web.StreamResponse:
        full_name = f"{match['o']}/{match['r']}".lower()
        repo = fake._repos.get(full_name)
        login = self._token_user(request)
        if repo is None or (login is not None and repo.data["private"] and self._role(login, repo) is None):
            return web.json_response({"message": "Not Found"}, status=404)
        return web.json_response(repo.data)
