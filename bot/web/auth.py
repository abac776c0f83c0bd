"""Sign-in with GitHub (the App's OAuth web flow) and who may see what.

Flow (GitHub docs, "Generating a user access token for a GitHub App"): `/login` sends the
browser to `{GITHUB_WEB_URL}/login/oauth/authorize` with a random `state`, kept in a signed,
HttpOnly cookie; `/login/callback` checks that `state`, trades the one-time `code` at
`/login/oauth/access_token` for the person's own token and reads `/user`.

Sessions live in the database (`web_sessions`): the cookie holds a random id, the row holds its
hash, the login, a CSRF token and the person's GitHub token encrypted (Fernet, key derived from
the webhook secret). What a person may see is asked of GitHub with their token: the App's
installations they can reach, whether they own the organisation (`/user/memberships/orgs`), else
which repositories they administer or maintain. The answer is kept an hour, then asked again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import time
from dataclasses import asdict, dataclass, field
from urllib.parse import quote, urlencode

import aiohttp
import gidgethub
import gidgethub.aiohttp
from aiohttp import web
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import BigInteger, Column, Float, Index, String, Table, Text, select

from bot import keys
from bot.settings import Settings
from bot.store import Store, metadata
from bot.web import page
from bot.web.state import CSRF_KEY, VIEWER_KEY

log = logging.getLogger(__name__)

SESSION_COOKIE = "governance_session"
STATE_COOKIE = "governance_oauth"
SESSION_SECONDS = 8 * 3600  # GitHub's user tokens for Apps expire after 8 hours
RECHECK_SECONDS = 3600  # what a person may see is asked of GitHub again after this
STATE_SECONDS = 600
WEB_PATHS = ("/v/", "/dashboard", "/login", "/logout")
USER_AGENT = "governance-bot"

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id", String(64), primary_key=True),  # SHA-256 of the cookie's value
    Column("user_id", BigInteger, nullable=False),
    Column("login", String(100), nullable=False),
    Column("token", Text, nullable=False),  # the person's GitHub token, encrypted
    Column("csrf", String(64), nullable=False),
    Column("access", Text, nullable=False),  # JSON list of InstallationAccess
    Column("created_at", Float, nullable=False),
    Column("checked_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
)
Index("ix_web_sessions_expires", web_sessions.c.expires_at)


@dataclass
class InstallationAccess:
    """One installation a person may look at, and how much of it."""

    installation_id: int
    account: str
    account_id: int | None
    owner: bool  # owns the organisation (or is the user account): everything
    repositories: list[str] = field(default_factory=list)  # otherwise: these (admin or maintain)

    def allows(self, repository: str) -> bool:
        return self.owner or repository.lower() in {r.lower() for r in self.repositories}


@dataclass
class Viewer:
    session_id: str
    user_id: int
    login: str
    token: str
    csrf: str
    checked_at: float
    access: list[InstallationAccess]

    def installation(self, installation_id: int) -> InstallationAccess | None:
        return next((a for a in self.access if a.installation_id == installation_id), None)


class SignInRefused(Exception):
    """GitHub did not confirm who this is (bad code, wrong client secret, revoked token)."""


def safe_next(value: str | None) -> str:
    """Only a path on this site (`//host` and `/\\host` would leave it)."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/dashboard"
    return value


class Auth:
    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self._cookie_key = keys.derive(settings, keys.SESSIONS)
        token_key = keys.derive(settings, keys.USER_TOKENS)
        self._fernet = Fernet(base64.urlsafe_b64encode(token_key)) if token_key else None
        self._http: aiohttp.ClientSession | None = None

    # -- plumbing -----------------------------------------------------------------------------
    @property
    def configured(self) -> bool:
        return self.settings.oauth_configured and self._cookie_key is not None and self._fernet is not None

    def http(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20))
        return self._http

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()

    def github(self, token: str) -> gidgethub.aiohttp.GitHubAPI:
        return gidgethub.aiohttp.GitHubAPI(self.http(), USER_AGENT, oauth_token=token,
                                           base_url=self.settings.github_api_url)

    def _secure(self, request: web.Request) -> bool:
        return request.secure or (self.settings.public_url or "").startswith("https://")

    def _sign(self, value: str) -> str:
        assert self._cookie_key is not None
        mac = hmac.new(self._cookie_key, value.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(value.encode()).decode() + "." + base64.urlsafe_b64encode(mac).decode()

    def _unsign(self, cookie: str | None) -> str | None:
        if not cookie or self._cookie_key is None or "." not in cookie:
            return None
        body, _, mac = cookie.partition(".")
        try:
            value = base64.urlsafe_b64decode(body.encode()).decode()
            given = base64.urlsafe_b64decode(mac.encode())
        except (ValueError, UnicodeDecodeError):
            return None
        wanted = hmac.new(self._cookie_key, value.encode(), hashlib.sha256).digest()
        return value if hmac.compare_digest(given, wanted) else None

    def sign_in_url(self, next_path: str) -> str | None:
        if not self.configured:
            return None
        return "/login?" + urlencode({"next": next_path})

    # -- sessions -----------------------------------------------------------------------------
    @web.middleware
    async def middleware(self, request: web.Request, handler) -> web.StreamResponse:
        """Who is looking, for the web pages only (the webhook path never reads a session)."""
        if request.path.startswith(WEB_PATHS) or request.path == "/":
            viewer = await self.load(request)
            request[VIEWER_KEY] = viewer
            request[CSRF_KEY] = viewer.csrf if viewer else ""
        return await handler(request)

    async def load(self, request: web.Request) -> Viewer | None:
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie or not self.configured or len(cookie) > 100:
            return None
        session_id = hashlib.sha256(cookie.encode()).hexdigest()
        async with self.store.engine.connect() as conn:
            row = (await conn.execute(select(web_sessions).where(web_sessions.c.id == session_id))).mappings().first()
        if row is None or row["expires_at"] < time.time():
            return None
        try:
            token = self._fernet.decrypt(row["token"].encode()).decode()  # type: ignore[union-attr]
        except InvalidToken:  # the webhook secret was rotated: sign in again
            return None
        return Viewer(session_id, row["user_id"], row["login"], token, row["csrf"], row["checked_at"],
                      [InstallationAccess(**a) for a in json.loads(row["access"])])

    async def _save(self, viewer: Viewer, *, created: bool) -> None:
        now = time.time()
        values = {"id": viewer.session_id, "user_id": viewer.user_id, "login": viewer.login,
                  "token": self._fernet.encrypt(viewer.token.encode()).decode(),  # type: ignore[union-attr]
                  "csrf": viewer.csrf, "access": json.dumps([asdict(a) for a in viewer.access]),
                  "checked_at": viewer.checked_at}
        if created:
            values.update(created_at=now, expires_at=now + SESSION_SECONDS)
        async with self.store.transaction() as conn:
            if created:
                await conn.execute(web_sessions.delete().where(web_sessions.c.expires_at < now))
                await conn.execute(web_sessions.insert().values(**values))
            else:
                await conn.execute(web_sessions.update().where(web_sessions.c.id == viewer.session_id).values(**values))

    async def _end(self, session_id: str) -> None:
        async with self.store.transaction() as conn:
            await conn.execute(web_sessions.delete().where(web_sessions.c.id == session_id))

    async def require(self, request: web.Request) -> Viewer:
        """The signed-in viewer, with access re-checked if the last check is over an hour old.

        Raises a redirect to sign-in when there is none (or GitHub no longer accepts the token).
        """
        viewer: Viewer | None = request.get(VIEWER_KEY)
        sign_in = web.HTTPFound(self.sign_in_url(request.path_qs) or "/login")
        if viewer is None:
            raise sign_in
        if time.time() - viewer.checked_at > RECHECK_SECONDS:
            try:
                viewer.access = await self.fetch_access(viewer.token, viewer.login)
            except SignInRefused:
                await self._end(viewer.session_id)
                raise sign_in from None
            viewer.checked_at = time.time()
            await self._save(viewer, created=False)
        return viewer

    async def check_csrf(self, request: web.Request) -> tuple[Viewer, dict[str, str]]:
        """The viewer and the posted form, or 403 when the form lacks this session's CSRF token."""
        form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        viewer: Viewer | None = request.get(VIEWER_KEY)
        given = form.get("csrf", "")
        if viewer is None or not given or not hmac.compare_digest(given.encode(), viewer.csrf.encode()):
            raise web.HTTPForbidden(text=page.render_text(
                request, "message.html", title="Refused",
                message="This form has expired or did not come from this site. Go back, reload the page and "
                        "try again."), content_type="text/html")
        return viewer, form

    # -- what GitHub says this person may see -------------------------------------------------
    async def fetch_access(self, token: str, login: str) -> list[InstallationAccess]:
        gh = self.github(token)
        found: list[InstallationAccess] = []
        try:
            installations = [i async for i in gh.getiter("/user/installations?per_page=100",
                                                         iterable_key="installations")]
            for installation in installations[:100]:
                account = installation.get("account") or {}
                account_login = str(account.get("login") or "")
                owner = False
                if account.get("type") == "Organization":
                    try:
                        membership = await gh.getitem(f"/user/memberships/orgs/{quote(account_login)}")
                        owner = membership.get("state") == "active" and membership.get("role") == "admin"
                    except gidgethub.BadRequest as exc:
                        if int(exc.status_code) not in (403, 404):
                            raise
                else:
                    owner = account_login.lower() == login.lower()
                repositories: list[str] = []
                if not owner:
                    async for repo in gh.getiter(f"/user/installations/{int(installation['id'])}/repositories"
                                                 "?per_page=100", iterable_key="repositories"):
                        permissions = repo.get("permissions") or {}
                        if permissions.get("admin") or permissions.get("maintain"):
                            repositories.append(repo["full_name"])
                if owner or repositories:
                    found.append(InstallationAccess(int(installation["id"]), account_login, account.get("id"),
                                                    owner, repositories))
        except gidgethub.BadRequest as exc:
            if int(exc.status_code) == 401:
                raise SignInRefused("GitHub no longer accepts this sign-in") from None
            raise
        return found

    async def can_read(self, request: web.Request, repository: str) -> bool:
        """Whether the signed-in viewer's own token can read `repository` (private verdict pages)."""
        viewer: Viewer | None = request.get(VIEWER_KEY)
        if viewer is None:
            return False
        try:
            await self.github(viewer.token).getitem(f"/repos/{quote(repository)}")
            return True
        except gidgethub.HTTPException:
            return False

    # -- the OAuth web flow -------------------------------------------------------------------
    def _redirect_uri(self) -> str:
        return f"{self.settings.public_url}/login/callback"

    async def login(self, request: web.Request) -> web.StreamResponse:
        if not self.configured:
            return page.render(request, "message.html", status=404, title="Sign-in is not set up",
                               message="Sign-in needs GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET and PUBLIC_URL "
                                       "(governance-bot setup writes the first two).")
        state = secrets.token_urlsafe(32)
        next_path = safe_next(request.query.get("next"))
        query = urlencode({"client_id": self.settings.github_client_id, "redirect_uri": self._redirect_uri(),
                           "state": state, "allow_signup": "false"})
        response = page.redirect(f"{self.settings.web_url}/login/oauth/authorize?{query}")
        response.set_cookie(STATE_COOKIE, self._sign(json.dumps([state, time.time() + STATE_SECONDS, next_path])),
                            max_age=STATE_SECONDS, path="/login", httponly=True, secure=self._secure(request),
                            samesite="Lax")
        return response

    async def callback(self, request: web.Request) -> web.StreamResponse:
        if not self.configured:
            return page.not_found(request)
        stored = self._unsign(request.cookies.get(STATE_COOKIE))
        refused = page.render(request, "message.html", status=400, title="Sign-in not confirmed",
                              message="This sign-in could not be confirmed (it expired, or it did not start "
                                      "here). Sign in again.", sign_in_url="/login")
        try:
            state, expires, next_path = json.loads(stored) if stored else (None, 0, "/")
        except (ValueError, TypeError):
            return refused
        given = request.query.get("state", "")
        if not state or expires < time.time() or not hmac.compare_digest(given.encode(), str(state).encode()):
            return refused
        code = request.query.get("code")
        if not code:
            return page.render(request, "message.html", status=400, title="Sign-in cancelled",
                               message="GitHub did not authorize the sign-in.", sign_in_url="/login")
        try:
            token = await self._exchange(code)
            user = await self.github(token).getitem("/user")
            access = await self.fetch_access(token, user["login"])
        except (SignInRefused, gidgethub.HTTPException, aiohttp.ClientError) as exc:
            log.warning("sign-in failed: %s", type(exc).__name__ if not isinstance(exc, SignInRefused) else exc)
            return page.render(request, "message.html", status=502, title="Sign-in failed",
                               message="GitHub did not confirm the sign-in. Try again.", sign_in_url="/login")
        cookie = secrets.token_urlsafe(32)
        viewer = Viewer(hashlib.sha256(cookie.encode()).hexdigest(), int(user["id"]), str(user["login"]), token,
                        secrets.token_urlsafe(32), time.time(), access)
        await self._save(viewer, created=True)
        response = page.redirect(safe_next(next_path))
        response.set_cookie(SESSION_COOKIE, cookie, max_age=SESSION_SECONDS, path="/", httponly=True,
                            secure=self._secure(request), samesite="Lax")
        response.del_cookie(STATE_COOKIE, path="/login")
        log.info("signed in: %s", user["login"])
        return response

    async def _exchange(self, code: str) -> str:
        assert self.settings.github_client_secret is not None
        data = {"client_id": self.settings.github_client_id,
                "client_secret": self.settings.github_client_secret.get_secret_value(),
                "code": code, "redirect_uri": self._redirect_uri()}
        async with self.http().post(f"{self.settings.web_url}/login/oauth/access_token", data=data,
                                    headers={"Accept": "application/json", "User-Agent": USER_AGENT}) as response:
            if response.status != 200:
                raise SignInRefused(f"token exchange answered {response.status}")
            answer = await response.json(content_type=None)
        token = answer.get("access_token") if isinstance(answer, dict) else None
        if not token:
            raise SignInRefused(f"token exchange refused: {answer.get('error') if isinstance(answer, dict) else '?'}")
        return str(token)

    async def logout(self, request: web.Request) -> web.StreamResponse:
        viewer, _form = await self.check_csrf(request)
        await self._end(viewer.session_id)
        response = page.redirect("/", status=303)
        response.del_cookie(SESSION_COOKIE, path="/")
        return response


def add_routes(app: web.Application, auth: Auth) -> None:
    app.middlewares.append(auth.middleware)
    app.router.add_get("/login", auth.login)
    app.router.add_get("/login/callback", auth.callback)
    app.router.add_post("/logout", auth.logout)

    async def close(_app: web.Application) -> None:
        await auth.close()

    app.on_cleanup.append(close)
