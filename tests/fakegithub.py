"""In-memory fake of GitHub's REST + GraphQL API, served by aiohttp, for end-to-end tests.

The bot under test talks to this server exactly as it would to api.github.com (or a GitHub
Enterprise ``/api/v3`` base URL); tests build state with the ``add_*``/``set_*`` builders and
assert on what was recorded with the inspection helpers.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import http
import json
import math
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable
from urllib.parse import quote, unquote, urlencode

import jwt as pyjwt
from aiohttp import web

BOT_USER: dict[str, Any] = {"login": "governance-bot[bot]", "id": 99, "type": "Bot"}
DOCS_URL = "https://docs.github.com/rest"
ROLES = ("admin", "maintain", "write", "triage", "read")
LEGACY_PERMISSION = {"admin": "admin", "maintain": "write", "write": "write",
                     "triage": "read", "read": "read", "none": "none"}
STATUS_STATES = ("error", "failure", "pending", "success")
JSON_CT = "application/json; charset=utf-8"

OverrideHandler = Callable[[web.Request, "re.Match[str]", "FakeGitHub"], Awaitable[web.StreamResponse]]
GraphQLHandler = Callable[[str, dict, "FakeGitHub"], "dict | None"]


def _iso(ts: float | None = None) -> str:
    """ISO-8601 UTC timestamp with a trailing Z, like GitHub."""
    dt = datetime.now(timezone.utc) if ts is None else datetime.fromtimestamp(ts, timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _rand_sha() -> str:
    return secrets.token_hex(20)


def git_blob_sha(data: bytes) -> str:
    """The git object id of a blob with this content (what GitHub reports as a file's sha)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _to_bytes(content: str | bytes) -> bytes:
    return content.encode() if isinstance(content, str) else bytes(content)


def _b64(data: bytes) -> str:
    """Base64 wrapped at 60 columns with newlines, as GitHub serves file contents."""
    enc = base64.b64encode(data).decode()
    return "".join(enc[i:i + 60] + "\n" for i in range(0, len(enc), 60))


def _is_binary(data: bytes) -> bool:
    if b"\0" in data[:8000]:
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _error(status: int, message: str, **extra: Any) -> web.Response:
    """GitHub-shaped error body."""
    return _json({"message": message, **extra, "documentation_url": DOCS_URL, "status": str(status)}, status)


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, body=json.dumps(data).encode(), headers={"Content-Type": JSON_CT, **(headers or {})})


def _not_found(message: str = "Not Found") -> web.Response:
    return _error(404, message)


def _validation(resource: str, code: str, field_: str, message: str | None = None) -> web.Response:
    err: dict[str, Any] = {"resource": resource, "code": code, "field": field_}
    if message:
        err["message"] = message
    return _error(422, "Validation Failed", errors=[err])


@dataclass
class RecordedRequest:
    """One request the fake answered."""
    method: str
    path: str                 # without the API prefix, still URL-encoded as sent
    query: dict[str, str]
    body: Any                 # parsed JSON or None
    status: int
    headers: dict[str, str]   # lower-cased, Authorization removed
    at: float                 # time.monotonic() on arrival


@dataclass
class _Pull:
    data: dict[str, Any]
    files: list[dict[str, Any]]
    contents: dict[str, bytes | None]   # filename -> full new content when known
    commits: list[dict[str, Any]]


@dataclass
class _Repo:
    data: dict[str, Any]
    installation_id: int
    snapshots: dict[str, dict[str, bytes]]            # branch name or explicit ref -> path -> content
    branch_shas: dict[str, str]                        # branch -> head commit sha
    labels: dict[str, dict[str, Any]] = field(default_factory=dict)        # lower name -> label
    collaborators: dict[str, str] = field(default_factory=dict)            # lower login -> role
    assignable: set[str] = field(default_factory=set)
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    pulls: dict[int, _Pull] = field(default_factory=dict)
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    statuses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)
    commits: dict[str, dict[str, Any]] = field(default_factory=dict)      # sha -> commit object
    known_shas: set[str] = field(default_factory=set)


@dataclass
class _Ctx:
    request: web.Request
    match: "re.Match[str]"
    path: str
    query: dict[str, str]
    body: Any
    repo: _Repo | None


class FakeGitHub:
    """An aiohttp server imitating the parts of GitHub the bot relies on."""

    def __init__(self, *, api_prefix: str = "", public_key_pem: bytes | None = None, token_ttl: float = 3600.0) -> None:
        self.api_prefix = api_prefix.rstrip("/")
        self.public_key_pem = public_key_pem
        self.token_ttl = token_ttl
        self.latency: float = 0.0
        self.requests: list[RecordedRequest] = []
        self.tokens_issued: int = 0
        self.graphql_handlers: list[GraphQLHandler] = []
        self.ratelimit_limit: int = 5000
        self.ratelimit_used: int = 0
        self.ratelimit_reset: int = int(time.time()) + 3600
        self.url: str = ""
        self.graphql_url: str = ""
        self._graphql_path = "/api/graphql" if self.api_prefix else "/graphql"
        self._tokens: dict[str, float] = {}
        self._all_tokens: list[str] = []
        self._users: dict[str, dict[str, Any]] = {}
        self._emails: dict[str, str] = {}
        self._repos: dict[str, _Repo] = {}
        self._orgs: dict[str, set[str]] = {}
        self._teams: dict[tuple[str, str], set[str]] = {}
        self._faults: list[dict[str, Any]] = []
        self._overrides: list[tuple[str, re.Pattern[str], OverrideHandler]] = []
        self._public: set[tuple[str, str]] = set()
        self._next_user_id = 1000
        self._next_id = 5000
        self._runner: web.AppRunner | None = None
        bot = self.add_user(BOT_USER["login"], id=BOT_USER["id"], type="Bot")
        bot["html_url"] = "https://github.com/apps/governance-bot"
        self._routes = self._build_routes()

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Listen on 127.0.0.1 on a random free port."""
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}{self.api_prefix}"
        self.graphql_url = f"http://127.0.0.1:{port}{self._graphql_path}"

    @property
    def _api(self) -> str:
        """API root for URL fields: this server once started (responses rewrite older canonical URLs too)."""
        return self.url or "https://api.github.com"

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeGitHub:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ------------------------------------------------------------------ recording
    def writes(self) -> list[RecordedRequest]:
        """Mutating requests, excluding GraphQL POSTs and installation-token creation."""
        return [r for r in self.requests if r.method in ("POST", "PATCH", "PUT", "DELETE")
                and not (r.method == "POST" and (r.path == "/graphql" or re.fullmatch(r"/app/installations/[^/]+/access_tokens", r.path)))]

    def clear_requests(self) -> None:
        self.requests.clear()

    def issue_token(self) -> str:
        """Mint a valid installation token directly (not counted in tokens_issued)."""
        token = "ghs_" + secrets.token_urlsafe(27)
        self._tokens[token] = time.time() + self.token_ttl
        self._all_tokens.append(token)
        return token

    def issued_tokens(self) -> list[str]:
        """Every token minted so far (API and issue_token), expired ones included."""
        return list(self._all_tokens)

    def expire_tokens(self) -> None:
        """Make every token issued so far invalid (401 Bad credentials)."""
        self._tokens.clear()

    # ------------------------------------------------------------------ builders
    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def add_user(self, login: str, *, id: int | None = None, type: str = "User", emails: list[str] = ()) -> dict:  # noqa: A002
        """Create (or return the existing) account; emails link commit authors to it."""
        user = self._users.get(login.lower())
        if user is None:
            used = {u["id"] for u in self._users.values()}
            if id is None:
                while self._next_user_id in used:
                    self._next_user_id += 1
                id = self._next_user_id  # noqa: A001
                self._next_user_id += 1
            user = {"login": login, "id": id, "node_id": f"U_{id}",
                    "avatar_url": f"https://avatars.githubusercontent.com/u/{id}?v=4", "gravatar_id": "",
                    "url": f"{self._api}/users/{login}", "html_url": f"https://github.com/{login}",
                    "type": type, "site_admin": False}
            self._users[login.lower()] = user
        for email in emails:
            self._emails[email.lower()] = login.lower()
        return user

    def _user(self, login: str) -> dict:
        return self._users.get(login.lower()) or self.add_user(login)

    def add_repo(self, full_name: str, *, default_branch: str = "main", private: bool = False,
                 owner_type: str = "Organization", installation_id: int = 1) -> dict:
        """Create a repository (and its owner account); returns the GitHub-shaped repository dict."""
        owner_login, name = full_name.split("/", 1)
        owner = self.add_user(owner_login, type=owner_type)
        if owner_type == "Organization":
            self._orgs.setdefault(owner_login.lower(), set())
        rid = self._new_id()
        data = {"id": rid, "node_id": f"R_{rid}", "name": name, "full_name": full_name, "owner": owner,
                "private": private, "visibility": "private" if private else "public", "fork": False,
                "archived": False, "disabled": False, "default_branch": default_branch,
                "html_url": f"https://github.com/{full_name}", "url": f"{self._api}/repos/{full_name}",
                "description": None}
        sha = _rand_sha()
        repo = _Repo(data=data, installation_id=installation_id, snapshots={default_branch: {}},
                     branch_shas={default_branch: sha}, known_shas={sha})
        self._repos[full_name.lower()] = repo
        return data

    def _repo(self, full_name: str) -> _Repo:
        return self._repos[full_name.lower()]

    def set_file(self, full_name: str, path: str, content: str | bytes | None, *, ref: str | None = None) -> None:
        """Write (or with None delete) a file on the default branch or an explicit ref."""
        repo = self._repo(full_name)
        ref = ref or repo.data["default_branch"]
        if ref not in repo.snapshots:
            repo.snapshots[ref] = dict(self._files_at(repo, ref) or {})
            repo.known_shas.add(ref)
            if not re.fullmatch(r"[0-9a-f]{40}", ref) and ref not in repo.branch_shas:
                repo.branch_shas[ref] = _rand_sha()   # a new branch gets a head commit
                repo.known_shas.add(repo.branch_shas[ref])
        files = repo.snapshots[ref]
        if content is None:
            files.pop(path, None)
        else:
            files[path] = _to_bytes(content)
            repo.blobs[git_blob_sha(files[path])] = files[path]

    def add_label(self, full_name: str, name: str, color: str = "ededed", description: str | None = None) -> dict:
        repo = self._repo(full_name)
        existing = repo.labels.get(name.lower())
        if existing:
            existing["color"] = color
            return existing
        lid = self._new_id()
        label = {"id": lid, "node_id": f"LA_{lid}", "url": f"{self._api}/repos/{full_name}/labels/{quote(name)}",
                 "name": name, "color": color.lstrip("#"), "default": False, "description": description}
        repo.labels[name.lower()] = label
        return label

    def set_permission(self, full_name: str, login: str, role: str) -> None:
        """Make a user a collaborator with this role ("none" removes them)."""
        repo = self._repo(full_name)
        self._user(login)
        if role == "none":
            repo.collaborators.pop(login.lower(), None)
        elif role in ROLES:
            repo.collaborators[login.lower()] = role
        else:
            raise ValueError(f"unknown role {role!r}")

    def set_assignable(self, full_name: str, login: str) -> None:
        self._user(login)
        self._repo(full_name).assignable.add(login.lower())

    def add_org_member(self, org: str, login: str) -> None:
        self.add_user(org, type="Organization")
        self._user(login)
        self._orgs.setdefault(org.lower(), set()).add(login.lower())

    def add_team_member(self, org: str, team_slug: str, login: str) -> None:
        self.add_org_member(org, login)
        self._teams.setdefault((org.lower(), team_slug.lower()), set()).add(login.lower())

    def _make_issue(self, full_name: str, number: int, *, author: str, title: str, body: str | None,
                    labels: list[str], state: str, author_association: str) -> dict:
        repo = self._repo(full_name)
        api = f"{self._api}/repos/{full_name}/issues/{number}"
        iid = self._new_id()
        issue = {"id": iid, "node_id": f"I_{iid}", "url": api, "repository_url": f"{self._api}/repos/{full_name}",
                 "labels_url": api + "/labels{/name}", "comments_url": api + "/comments", "events_url": api + "/events",
                 "html_url": f"https://github.com/{full_name}/issues/{number}", "number": number, "state": state,
                 "state_reason": "completed" if state == "closed" else None, "title": title, "body": body,
                 "user": self._user(author), "labels": [self._ensure_label(repo, n) for n in labels],
                 "assignee": None, "assignees": [], "milestone": None, "locked": False, "comments": 0,
                 "created_at": _iso(), "updated_at": _iso(), "closed_at": _iso() if state == "closed" else None,
                 "author_association": author_association}
        repo.issues[number] = issue
        repo.comments.setdefault(number, [])
        return issue

    def add_issue(self, full_name: str, number: int, *, author: str, title: str = "An issue", body: str | None = "",
                  labels: list[str] = (), state: str = "open", author_association: str = "NONE") -> dict:
        return self._make_issue(full_name, number, author=author, title=title, body=body, labels=list(labels),
                                state=state, author_association=author_association)

    def add_pull_request(self, full_name: str, number: int, *, author: str, title: str = "A change", body: str | None = "",
                         head_sha: str | None = None, base_sha: str | None = None, base_ref: str = "main",
                         head_ref: str = "feature", files: list[dict] = (), commits: list[dict] = (), state: str = "open",
                         draft: bool = False, merged: bool = False, author_association: str = "NONE",
                         labels: list[str] = ()) -> dict:
        """Register a pull request (also visible as an issue with the same number); returns the PR dict."""
        repo = self._repo(full_name)
        if merged:
            state = "closed"
        issue = self._make_issue(full_name, number, author=author, title=title, body=body, labels=list(labels),
                                 state=state, author_association=author_association)
        api = f"{self._api}/repos/{full_name}"
        issue["pull_request"] = {"url": f"{api}/pulls/{number}", "html_url": f"https://github.com/{full_name}/pull/{number}",
                                 "diff_url": f"https://github.com/{full_name}/pull/{number}.diff",
                                 "patch_url": f"https://github.com/{full_name}/pull/{number}.patch", "merged_at": None}
        issue["draft"] = draft
        base_sha = base_sha or repo.branch_shas.get(base_ref) or _rand_sha()
        if head_sha is None:
            head_sha = commits[-1]["sha"] if commits and commits[-1].get("sha") else _rand_sha()
        owner = repo.data["owner"]
        pr = {"url": f"{api}/pulls/{number}", "id": self._new_id(), "node_id": f"PR_{issue['id']}",
              "html_url": f"https://github.com/{full_name}/pull/{number}", "diff_url": issue["pull_request"]["diff_url"],
              "patch_url": issue["pull_request"]["patch_url"], "issue_url": issue["url"], "number": number,
              "state": state, "locked": False, "title": title, "user": issue["user"], "body": body,
              "labels": issue["labels"], "milestone": None, "active_lock_reason": None, "created_at": issue["created_at"],
              "updated_at": issue["updated_at"], "closed_at": issue["closed_at"], "merged_at": _iso() if merged else None,
              "merge_commit_sha": _rand_sha() if merged else None, "assignee": None, "assignees": issue["assignees"],
              "requested_reviewers": [], "requested_teams": [],
              "head": {"label": f"{owner['login']}:{head_ref}", "ref": head_ref, "sha": head_sha, "user": owner, "repo": repo.data},
              "base": {"label": f"{owner['login']}:{base_ref}", "ref": base_ref, "sha": base_sha, "user": owner, "repo": repo.data},
              "author_association": author_association, "auto_merge": None, "draft": draft, "merged": merged,
              "mergeable": True, "rebaseable": True, "mergeable_state": "clean", "merged_by": None, "comments": 0,
              "review_comments": 0, "maintainer_can_modify": False, "commits": 0, "additions": 0, "deletions": 0,
              "changed_files": 0, "commits_url": f"{api}/pulls/{number}/commits",
              "review_comments_url": f"{api}/pulls/{number}/comments", "statuses_url": f"{api}/statuses/{head_sha}"}
        pull = _Pull(data=pr, files=[], contents={}, commits=[])
        repo.pulls[number] = pull
        repo.known_shas.update({head_sha, base_sha})
        self._set_pull_files(repo, pull, list(files))
        self._set_pull_commits(repo, pull, list(commits), base_sha, head_sha)
        self._sync_pull(repo, number)
        return pr

    def push(self, full_name: str, number: int, *, head_sha: str, files: list[dict] | None = None,
             commits: list[dict] | None = None) -> dict:
        """Move the PR head; replace its files/commits when given (else one commit is appended)."""
        repo = self._repo(full_name)
        pull = repo.pulls[number]
        pr = pull.data
        pr["head"]["sha"] = head_sha
        pr["statuses_url"] = re.sub(r"[^/]+$", head_sha, pr["statuses_url"])
        pr["updated_at"] = _iso()
        repo.known_shas.add(head_sha)
        if files is not None:
            self._set_pull_files(repo, pull, list(files))
        if commits is not None:
            self._set_pull_commits(repo, pull, list(commits), pr["base"]["sha"], head_sha)
        else:
            parent = pull.commits[-1]["sha"] if pull.commits else pr["base"]["sha"]
            pull.commits.append(self._commit_obj(repo, self._default_commit(pr, head_sha), parent))
        self._sync_pull(repo, number)
        return pr

    def add_comment(self, full_name: str, number: int, *, author: str, body: str) -> dict:
        """A comment written by a person (not through the API)."""
        repo = self._repo(full_name)
        return self._new_comment(repo, number, self._user(author), body, self._association(repo, author))

    # ------------------------------------------------------------------ fault injection
    def fail(self, method: str, path_regex: str, *, status: int = 502, times: int = 1,
             headers: dict | None = None, body: dict | None = None) -> None:
        """Answer the next `times` matching requests (method or "*", full-match on the un-prefixed path) with an error.

        times <= 0 cancels pending faults registered for the same method and regex.
        """
        if times <= 0:
            self._faults = [f for f in self._faults if (f["method"], f["re"].pattern) != (method.upper(), path_regex)]
            return
        self._faults.append({"method": method.upper(), "re": re.compile(path_regex), "status": status, "times": times,
                             "headers": dict(headers or {}), "body": body})

    def clear_faults(self) -> None:
        """Drop all pending injected failures."""
        self._faults.clear()

    def override(self, method: str, path_regex: str, handler: OverrideHandler, *, public: bool = False) -> None:
        """Serve matching requests with `handler(request, match, fake)`; newest overrides win.

        `public`: served without credentials (GitHub's web pages, e.g. the OAuth flow)."""
        self._overrides.insert(0, (method.upper(), re.compile(path_regex), handler))
        if public:
            self._public.add((method.upper(), path_regex))

    # ------------------------------------------------------------------ inspection
    def user(self, login: str) -> dict:
        return self._users[login.lower()]

    def repo(self, full_name: str) -> dict:
        return self._repo(full_name).data

    def pull_request(self, full_name: str, number: int) -> dict:
        """The stored PR dict, derived fields refreshed."""
        repo = self._repo(full_name)
        self._sync_pull(repo, number)
        return repo.pulls[number].data

    def issue(self, full_name: str, number: int) -> dict:
        """The stored issue dict (PRs included, with their "pull_request" key), derived fields refreshed."""
        return self._issue_view(self._repo(full_name), number)

    def statuses(self, full_name: str, sha: str) -> list[dict]:
        return list(self._repo(full_name).statuses.get(sha, []))

    def latest_status(self, full_name: str, sha: str, context: str) -> dict | None:
        found = [s for s in self.statuses(full_name, sha) if s["context"] == context]
        return found[-1] if found else None

    def comments(self, full_name: str, number: int) -> list[dict]:
        return list(self._repo(full_name).comments.get(number, []))

    def issue_labels(self, full_name: str, number: int) -> list[str]:
        return [lab["name"] for lab in self._repo(full_name).issues[number]["labels"]]

    def repo_labels(self, full_name: str) -> dict[str, str]:
        return {lab["name"]: lab["color"] for lab in self._repo(full_name).labels.values()}

    def requested_reviewers(self, full_name: str, number: int) -> list[str]:
        return [u["login"] for u in self._repo(full_name).pulls[number].data["requested_reviewers"]]

    def assignees(self, full_name: str, number: int) -> list[str]:
        return [u["login"] for u in self._repo(full_name).issues[number]["assignees"]]

    # ------------------------------------------------------------------ model helpers
    def _ensure_label(self, repo: _Repo, name: str) -> dict:
        return repo.labels.get(name.lower()) or self.add_label(repo.data["full_name"], name)

    def _association(self, repo: _Repo, login: str) -> str:
        key = login.lower()
        if repo.data["owner"]["login"].lower() == key:
            return "OWNER"
        if key in self._orgs.get(repo.data["owner"]["login"].lower(), set()):
            return "MEMBER"
        return "COLLABORATOR" if key in repo.collaborators else "NONE"

    def _role(self, repo: _Repo, login: str) -> str | None:
        """Explicit role: collaborator role, or admin for the owner of a user-owned repository."""
        owner = repo.data["owner"]
        if owner["type"] == "User" and owner["login"].lower() == login.lower():
            return "admin"
        return repo.collaborators.get(login.lower())

    def _user_by_email(self, email: str) -> dict | None:
        key = self._emails.get(email.lower())
        if key:
            return self._users.get(key)
        m = re.fullmatch(r"(?:(\d+)\+)?([A-Za-z0-9-]+(?:\[bot\])?)@users\.noreply\.github\.com", email, re.I)
        if m:
            user = self._users.get(m.group(2).lower())
            if user and (m.group(1) is None or int(m.group(1)) == user["id"]):
                return user
        return None

    def _link_identity(self, ident: dict) -> dict | None:
        if ident.get("login"):
            return self._users.get(ident["login"].lower())
        return self._user_by_email(ident.get("email", ""))

    def _default_commit(self, pr: dict, sha: str) -> dict:
        user = pr["user"]
        ident = {"name": user["login"], "email": f"{user['id']}+{user['login']}@users.noreply.github.com"}
        return {"sha": sha, "message": pr["title"], "author": ident}

    def _commit_obj(self, repo: _Repo, spec: dict, parent: str | None) -> dict:
        sha = spec.get("sha") or _rand_sha()
        full = repo.data["full_name"]
        author = dict(spec.get("author") or {"name": "Unknown", "email": "unknown@example.com"})
        committer = dict(spec.get("committer") or author)
        date = _iso()
        git_author = {"name": author.get("name", ""), "email": author.get("email", ""), "date": author.get("date", date)}
        git_committer = {"name": committer.get("name", ""), "email": committer.get("email", ""), "date": committer.get("date", date)}
        obj = {"sha": sha, "node_id": f"C_{sha[:12]}", "url": f"{self._api}/repos/{full}/commits/{sha}",
               "html_url": f"https://github.com/{full}/commit/{sha}",
               "commit": {"author": git_author, "committer": git_committer, "message": spec.get("message", ""),
                          "tree": {"sha": _rand_sha()}, "url": f"{self._api}/repos/{full}/git/commits/{sha}",
                          "comment_count": 0,
                          "verification": {"verified": False, "reason": "unsigned", "signature": None, "payload": None}},
               "author": self._link_identity(author), "committer": self._link_identity(committer),
               "parents": [{"sha": parent, "url": f"{self._api}/repos/{full}/commits/{parent}",
                            "html_url": f"https://github.com/{full}/commit/{parent}"}] if parent else []}
        repo.commits[sha] = obj
        repo.known_shas.add(sha)
        return obj

    def _set_pull_commits(self, repo: _Repo, pull: _Pull, specs: list[dict], base_sha: str, head_sha: str) -> None:
        if not specs:
            specs = [self._default_commit(pull.data, head_sha)]
        pull.commits = []
        parent: str | None = base_sha
        if not specs[-1].get("sha"):
            specs[-1] = {**specs[-1], "sha": head_sha}   # the last commit is the head
        for spec in specs:
            obj = self._commit_obj(repo, spec, parent)
            pull.commits.append(obj)
            parent = obj["sha"]

    def _set_pull_files(self, repo: _Repo, pull: _Pull, specs: list[dict]) -> None:
        full, head = repo.data["full_name"], pull.data["head"]["sha"]
        pull.files, pull.contents = [], {}
        for spec in specs:
            content = _to_bytes(spec["content"]) if spec.get("content") is not None else None
            sha = spec.get("sha") or (git_blob_sha(content) if content is not None else _rand_sha())
            if content is not None:
                repo.blobs[sha] = content
            name = spec["filename"]
            f = {"sha": sha, "filename": name, "status": spec.get("status", "modified"),
                 "additions": spec.get("additions", 0), "deletions": spec.get("deletions", 0),
                 "changes": spec.get("additions", 0) + spec.get("deletions", 0),
                 "blob_url": f"https://github.com/{full}/blob/{head}/{quote(name)}",
                 "raw_url": f"https://github.com/{full}/raw/{head}/{quote(name)}",
                 "contents_url": f"{self._api}/repos/{full}/contents/{quote(name)}?ref={head}"}
            if spec.get("patch") is not None:
                f["patch"] = spec["patch"]
            if spec.get("previous_filename"):
                f["previous_filename"] = spec["previous_filename"]
            pull.files.append(f)
            pull.contents[name] = content

    def _sync_pull(self, repo: _Repo, number: int) -> None:
        """Recompute derived PR fields and mirror PR fields onto its issue."""
        pull, issue = repo.pulls[number], repo.issues[number]
        pr = pull.data
        if pr["merged"]:
            pr["state"] = "closed"
            pr["merged_at"] = pr["merged_at"] or _iso()
        pr["closed_at"] = (pr["closed_at"] or _iso()) if pr["state"] == "closed" else None
        pr.update(commits=len(pull.commits), changed_files=len(pull.files),
                  additions=sum(f["additions"] for f in pull.files), deletions=sum(f["deletions"] for f in pull.files),
                  assignee=pr["assignees"][0] if pr["assignees"] else None, comments=len(repo.comments.get(number, [])))
        for key in ("title", "body", "state", "user", "draft", "locked", "author_association", "closed_at", "updated_at"):
            issue[key] = pr[key]
        issue["pull_request"]["merged_at"] = pr["merged_at"]

    def _issue_view(self, repo: _Repo, number: int) -> dict:
        if number in repo.pulls:
            self._sync_pull(repo, number)
        issue = repo.issues[number]
        issue["assignee"] = issue["assignees"][0] if issue["assignees"] else None
        issue["comments"] = len(repo.comments.get(number, []))
        return issue

    def _new_comment(self, repo: _Repo, number: int, user: dict, body: str, association: str) -> dict:
        full, cid = repo.data["full_name"], self._new_id()
        kind = "pull" if number in repo.pulls else "issues"
        comment = {"id": cid, "node_id": f"IC_{cid}", "url": f"{self._api}/repos/{full}/issues/comments/{cid}",
                   "html_url": f"https://github.com/{full}/{kind}/{number}#issuecomment-{cid}",
                   "issue_url": f"{self._api}/repos/{full}/issues/{number}", "body": body, "user": user,
                   "created_at": _iso(), "updated_at": _iso(), "author_association": association}
        repo.comments.setdefault(number, []).append(comment)
        return comment

    def _find_comment(self, repo: _Repo, cid: int) -> tuple[int, dict] | None:
        for number, items in repo.comments.items():
            for c in items:
                if c["id"] == cid:
                    return number, c
        return None

    def _pull_for_ref(self, repo: _Repo, ref: str) -> tuple[_Pull, str] | None:
        """('head'|'base') side of the PR whose head/base sha or branch is `ref`."""
        for pull in repo.pulls.values():
            if ref in (pull.data["head"]["sha"], pull.data["head"]["ref"]):
                return pull, "head"
        for pull in repo.pulls.values():
            if ref == pull.data["base"]["sha"]:
                return pull, "base"
        return None

    def _branch_files(self, repo: _Repo, branch: str) -> dict[str, bytes]:
        return repo.snapshots[branch] if branch in repo.snapshots else repo.snapshots[repo.data["default_branch"]]

    def _files_at(self, repo: _Repo, ref: str | None) -> dict[str, bytes] | None:
        """The file tree (path -> content) at a branch, sha or PR ref; None if unknown."""
        ref = ref or repo.data["default_branch"]
        if ref in repo.snapshots:
            return repo.snapshots[ref]
        for branch, sha in repo.branch_shas.items():
            if ref == sha:
                return self._branch_files(repo, branch)
        found = self._pull_for_ref(repo, ref)
        if found is None:
            return None
        pull, side = found
        base = dict(self._branch_files(repo, pull.data["base"]["ref"]))
        if side == "base":
            return base
        for f in pull.files:
            name, content = f["filename"], pull.contents.get(f["filename"])
            if f["status"] == "removed":
                base.pop(name, None)
                continue
            old = base.pop(f["previous_filename"], None) if f["status"] == "renamed" and f.get("previous_filename") else None
            if content is None:
                content = base.get(name, old if old is not None else b"")
                repo.blobs.setdefault(f["sha"], content)
            base[name] = content
        return base

    def _blob_sha_at(self, repo: _Repo, ref: str | None, path: str, content: bytes) -> str:
        """Blob sha of `path` at `ref`: a PR file's declared sha when its content was not given, else the git hash."""
        found = self._pull_for_ref(repo, ref) if ref and ref not in repo.snapshots else None
        if found and found[1] == "head":
            for f in found[0].files:
                if f["filename"] == path and found[0].contents.get(path) is None:
                    return f["sha"]
        sha = git_blob_sha(content)
        repo.blobs.setdefault(sha, content)
        return sha

    def _resolve_sha(self, repo: _Repo, ref: str) -> str | None:
        if ref in repo.branch_shas:
            return repo.branch_shas[ref]
        for pull in repo.pulls.values():
            if ref == pull.data["head"]["ref"]:
                return pull.data["head"]["sha"]
        return ref if ref in repo.known_shas else None

    # ------------------------------------------------------------------ HTTP plumbing
    def _build_routes(self) -> list[tuple[str, re.Pattern[str], Callable[[_Ctx], Awaitable[web.Response]], str]]:
        r = r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)"
        n = r"(?P<n>\d+)"
        table = [
            ("POST", r"/app/installations/(?P<id>\d+)/access_tokens", self._r_access_token, "jwt"),
            ("GET", r"/app", self._r_app, "jwt"),
            ("GET", r"/app/installations/(?P<id>\d+)", self._r_installation, "jwt"),
            ("GET", r + r"/installation", self._r_installation, "jwt"),
            ("GET", r, self._r_repo, "token"),
            ("GET", r + r"/contents(?:/(?P<path>.*))?", self._r_contents, "token"),
            ("GET", r + r"/pulls", self._r_pulls, "token"),
            ("GET", r + rf"/pulls/{n}", self._r_pull, "token"),
            ("GET", r + rf"/pulls/{n}/commits", self._r_pull_commits, "token"),
            ("GET", r + rf"/pulls/{n}/files", self._r_pull_files, "token"),
            ("*", r + rf"/pulls/{n}/requested_reviewers", self._r_reviewers, "token"),
            ("GET", r + r"/compare/(?P<basehead>.+)", self._r_compare, "token"),
            ("GET", r + r"/git/trees/(?P<sha>.+)", self._r_tree, "token"),
            ("GET", r + r"/git/blobs/(?P<sha>[^/]+)", self._r_blob, "token"),
            ("*", r + rf"/issues/{n}", self._r_issue, "token"),
            ("*", r + rf"/issues/{n}/comments", self._r_issue_comments, "token"),
            ("*", r + r"/issues/comments/(?P<id>\d+)", self._r_comment, "token"),
            ("GET", r + r"/commits/(?P<ref>.+)/status", self._r_combined_status, "token"),
            ("GET", r + r"/commits/(?P<ref>.+)/statuses", self._r_status_list, "token"),
            ("POST", r + r"/statuses/(?P<sha>[^/]+)", self._r_create_status, "token"),
            ("*", r + rf"/issues/{n}/labels", self._r_issue_labels, "token"),
            ("DELETE", r + rf"/issues/{n}/labels/(?P<name>[^/]+)", self._r_issue_label_delete, "token"),
            ("*", r + r"/labels", self._r_labels, "token"),
            ("GET", r + r"/labels/(?P<name>[^/]+)", self._r_label, "token"),
            ("GET", r + r"/collaborators/(?P<user>[^/]+)/permission", self._r_permission, "token"),
            ("GET", r + r"/collaborators/(?P<user>[^/]+)", self._r_is_collaborator, "token"),
            ("GET", r + r"/assignees", self._r_assignee_list, "token"),
            ("GET", r + r"/assignees/(?P<user>[^/]+)", self._r_assignee_check, "token"),
            ("*", r + rf"/issues/{n}/assignees", self._r_issue_assignees, "token"),
            ("GET", r"/orgs/(?P<org>[^/]+)/members/(?P<user>[^/]+)", self._r_org_member, "token"),
            ("GET", r"/orgs/(?P<org>[^/]+)/teams/(?P<team>[^/]+)/memberships/(?P<user>[^/]+)", self._r_team_membership, "token"),
            ("GET", r"/search/issues", self._r_search_issues, "token"),
            ("GET", r"/users/(?P<user>[^/]+)", self._r_user, "token"),
            ("POST", r"/graphql", self._r_graphql, "token"),
        ]
        return [(m, re.compile(p), h, a) for m, p, h, a in table]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        at = time.monotonic()
        raw = await request.read()
        body: Any = None
        bad_json = False
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                bad_json = True
        raw_path = request.rel_url.raw_path
        if raw_path == self._graphql_path:
            path, in_api = "/graphql", True
        elif self.api_prefix:
            in_api = raw_path.startswith(self.api_prefix + "/")
            path = raw_path[len(self.api_prefix):] if in_api else raw_path
            in_api = in_api and path != "/graphql"   # GHE serves GraphQL at /api/graphql only
        else:
            path, in_api = raw_path, True
        query = {k: v for k, v in request.query.items()}
        if self.latency:
            await asyncio.sleep(self.latency)
        method = request.method.upper()
        if not in_api:
            resp: web.StreamResponse = _not_found()
        elif bad_json and method != "GET" and not self._is_public(method, path):
            resp = _error(400, "Problems parsing JSON")
        else:
            resp = await self._dispatch(request, method, path, query, body)
        resp = self._finalize(request, method, resp)
        headers = {k.lower(): v for k, v in request.headers.items() if k.lower() != "authorization"}
        self.requests.append(RecordedRequest(method, path, query, body, resp.status, headers, at))
        return resp

    async def _dispatch(self, request: web.Request, method: str, path: str, query: dict[str, str], body: Any) -> web.StreamResponse:
        for fault in self._faults:
            if fault["method"] in (method, "*") and fault["re"].fullmatch(path):
                fault["times"] -= 1
                if fault["times"] <= 0:
                    self._faults.remove(fault)
                payload = fault["body"] if fault["body"] is not None else {"message": http.HTTPStatus(fault["status"]).phrase}
                return _json(payload, fault["status"], fault["headers"])
        if self.ratelimit_used >= self.ratelimit_limit and time.time() < self.ratelimit_reset:
            return _error(403, "API rate limit exceeded for installation ID 1.")
        route = next(((p.fullmatch(path), h, a) for m, p, h, a in self._routes if m in (method, "*") and p.fullmatch(path)), None)
        kind = route[2] if route else ("jwt" if path == "/app" or path.startswith("/app/") else "token")
        denied = None if self._is_public(method, path) else self._check_auth(request, kind)
        if denied is not None:
            return denied
        for m, pattern, handler in self._overrides:
            om = pattern.fullmatch(path)
            if om and m in (method, "*"):
                return await handler(request, om, self)
        if route is None:
            return _not_found()
        match, handler_fn, _ = route
        repo = None
        if "o" in match.groupdict():
            repo = self._repos.get(f"{unquote(match['o'])}/{unquote(match['r'])}".lower())
            if repo is None:
                return _not_found()
        ctx = _Ctx(request, match, path, query, body, repo)
        return await handler_fn(ctx)

    def _is_public(self, method: str, path: str) -> bool:
        return any(m in (method, "*") and re.fullmatch(p, path) for m, p in self._public)

    def _check_auth(self, request: web.Request, kind: str) -> web.Response | None:
        header = request.headers.get("Authorization", "")
        scheme, _, cred = header.partition(" ")
        cred = cred.strip()
        if kind == "jwt":
            if scheme.lower() != "bearer" or not cred:
                return _error(401, "A JSON web token could not be decoded")
            if self.public_key_pem is None:
                return None
            try:
                claims = pyjwt.decode(cred, self.public_key_pem, algorithms=["RS256"], leeway=60,
                                      options={"require": ["iat", "exp", "iss"]})
            except pyjwt.PyJWTError:
                return _error(401, "A JSON web token could not be decoded")
            if claims["exp"] - claims["iat"] > 660:
                return _error(401, "'Expiration time' claim ('exp') is too far in the future")
            return None
        if not header:
            return _error(401, "Requires authentication")
        expiry = self._tokens.get(cred) if scheme.lower() in ("token", "bearer") else None
        if expiry is None or time.time() >= expiry:
            return _error(401, "Bad credentials")
        return None

    def _finalize(self, request: web.Request, method: str, resp: web.StreamResponse) -> web.StreamResponse:
        """ETag / If-None-Match and rate-limit headers, shared by every answer."""
        now = time.time()
        if now >= self.ratelimit_reset:
            self.ratelimit_used, self.ratelimit_reset = 0, int(now) + 3600
        body = resp.body if isinstance(resp, web.Response) else None
        if isinstance(body, bytes) and b"https://api.github.com" in body:
            body = resp.body = body.replace(b"https://api.github.com", self.url.encode())   # API links point here
        if method == "GET" and 200 <= resp.status < 300 and isinstance(body, bytes) and body:
            etag = f'W/"{hashlib.sha256(body).hexdigest()}"'
            wanted = [t.strip().removeprefix("W/") for t in request.headers.get("If-None-Match", "").split(",")]
            if etag.removeprefix("W/") in wanted or "*" in wanted:
                resp = web.Response(status=304, headers={"ETag": etag})
            else:
                resp.headers["ETag"] = etag
        if resp.status != 304:
            self.ratelimit_used += 1
        defaults = {"x-ratelimit-limit": str(self.ratelimit_limit),
                    "x-ratelimit-remaining": str(max(0, self.ratelimit_limit - self.ratelimit_used)),
                    "x-ratelimit-reset": str(self.ratelimit_reset), "x-ratelimit-used": str(self.ratelimit_used),
                    "x-ratelimit-resource": "core", "x-github-media-type": "github.v3; format=json",
                    "x-github-request-id": secrets.token_hex(8).upper()}
        for key, value in defaults.items():
            if key not in resp.headers:
                resp.headers[key] = value
        return resp

    def _paginate(self, c: _Ctx, items: list, *, default: int = 30, cap: int | None = None) -> tuple[list, dict[str, str]]:
        """Slice `items` by per_page/page and build GitHub's Link header."""
        if cap is not None:
            items = items[:cap]
        try:
            per_page = int(c.query.get("per_page", default))
        except ValueError:
            per_page = default
        per_page = default if per_page < 1 else min(per_page, 100)
        try:
            page = max(1, int(c.query.get("page", 1)))
        except ValueError:
            page = 1
        last = max(1, math.ceil(len(items) / per_page))

        def link(p: int, rel: str) -> str:
            return f'<{self.url}{c.path}?{urlencode({**c.query, "page": p})}>; rel="{rel}"'

        links = []
        if page > 1:
            links.append(link(page - 1, "prev"))
        if page < last:
            links += [link(page + 1, "next"), link(last, "last")]
        if page > 1:
            links.append(link(1, "first"))
        return items[(page - 1) * per_page: page * per_page], ({"Link": ", ".join(links)} if links else {})

    def _user_view(self, login: str) -> dict | None:
        return self._users.get(login.lower())

    # ------------------------------------------------------------------ /app
    async def _r_access_token(self, c: _Ctx) -> web.Response:
        token = self.issue_token()
        self.tokens_issued += 1
        return _json({"token": token, "expires_at": _iso(time.time() + self.token_ttl), "permissions": {},
                      "repository_selection": "all"}, 201)

    async def _r_app(self, c: _Ctx) -> web.Response:
        return _json({"id": 1, "slug": "governance-bot", "name": "governance-bot", "owner": None,
                      "html_url": "https://github.com/apps/governance-bot", "permissions": {}, "events": []})

    async def _r_installation(self, c: _Ctx) -> web.Response:
        inst_id = c.repo.installation_id if c.repo else int(c.match["id"])
        account = c.repo.data["owner"] if c.repo else None
        return _json({"id": inst_id, "account": account, "app_id": 1, "app_slug": "governance-bot",
                      "target_type": account["type"] if account else "Organization", "repository_selection": "all",
                      "permissions": {}, "events": [],
                      "access_tokens_url": f"{self.url}/app/installations/{inst_id}/access_tokens"})

    # ------------------------------------------------------------------ repos, contents, git
    async def _r_repo(self, c: _Ctx) -> web.Response:
        return _json(c.repo.data)

    async def _r_contents(self, c: _Ctx) -> web.Response:
        repo, ref = c.repo, c.query.get("ref") or None
        path = unquote(c.match["path"] or "").strip("/")
        files = self._files_at(repo, ref)
        if files is None:
            return _not_found(f"No commit found for the ref {ref}")
        full = repo.data["full_name"]

        def entry(p: str, kind: str, content: bytes | None) -> dict:
            sha = (self._blob_sha_at(repo, ref, p, content) if content is not None
                   else hashlib.sha1(f"{ref}:{p}".encode()).hexdigest())
            return {"type": kind, "size": len(content) if content is not None else 0, "name": p.rsplit("/", 1)[-1],
                    "path": p, "sha": sha, "url": f"{self.url}/repos/{full}/contents/{quote(p)}",
                    "git_url": f"{self.url}/repos/{full}/git/blobs/{sha}",
                    "html_url": f"https://github.com/{full}/blob/{ref or repo.data['default_branch']}/{quote(p)}",
                    "download_url": f"https://raw.githubusercontent.com/{full}/{ref or repo.data['default_branch']}/{quote(p)}" if kind == "file" else None}

        if path in files:
            content = files[path]
            out = entry(path, "file", content)
            large = len(content) > 1024 * 1024
            out.update(encoding="none" if large else "base64", content="" if large else _b64(content))
            return _json(out)
        prefix = path + "/" if path else ""
        children: dict[str, dict] = {}
        for p, content in sorted(files.items()):
            if p.startswith(prefix):
                head, _, rest = p[len(prefix):].partition("/")
                if head not in children:
                    children[head] = entry(prefix + head, "dir", None) if rest else entry(prefix + head, "file", content)
        return _json(list(children.values())) if children else _not_found()

    async def _r_tree(self, c: _Ctx) -> web.Response:
        repo, ref = c.repo, unquote(c.match["sha"])
        files = self._files_at(repo, ref)
        if files is None:
            return _not_found()
        recursive = c.query.get("recursive") not in (None, "", "0", "false")
        entries: dict[str, dict] = {}
        for p, content in sorted(files.items()):
            parts = p.split("/")
            for i in range(1, len(parts)):
                d = "/".join(parts[:i])
                if d not in entries and (recursive or i == 1):
                    entries[d] = {"path": d, "mode": "040000", "type": "tree",
                                  "sha": hashlib.sha1(f"{ref}:{d}".encode()).hexdigest()}
            if recursive or len(parts) == 1:
                sha = self._blob_sha_at(repo, ref, p, content)
                entries[p] = {"path": p, "mode": "100644", "type": "blob", "sha": sha, "size": len(content),
                              "url": f"{self.url}/repos/{repo.data['full_name']}/git/blobs/{sha}"}
        tree_sha = hashlib.sha1(json.dumps(sorted(entries)).encode() + ref.encode()).hexdigest()
        tree = sorted(entries.values(), key=lambda e: e["path"])
        return _json({"sha": tree_sha, "url": f"{self.url}/repos/{repo.data['full_name']}/git/trees/{tree_sha}",
                      "tree": tree, "truncated": False})

    async def _r_blob(self, c: _Ctx) -> web.Response:
        sha = c.match["sha"]
        content = c.repo.blobs.get(sha)
        if content is None:
            return _not_found()
        return _json({"sha": sha, "node_id": f"B_{sha[:12]}", "size": len(content), "encoding": "base64",
                      "url": f"{self.url}/repos/{c.repo.data['full_name']}/git/blobs/{sha}", "content": _b64(content)})

    # ------------------------------------------------------------------ pulls
    def _pull(self, c: _Ctx) -> _Pull | None:
        number = int(c.match["n"])
        if number not in c.repo.pulls:
            return None
        self._sync_pull(c.repo, number)
        return c.repo.pulls[number]

    async def _r_pull(self, c: _Ctx) -> web.Response:
        pull = self._pull(c)
        return _json(pull.data) if pull else _not_found()

    async def _r_pulls(self, c: _Ctx) -> web.Response:
        state = c.query.get("state", "open")
        simple_drop = {"merged", "mergeable", "rebaseable", "mergeable_state", "merged_by", "comments", "review_comments",
                       "maintainer_can_modify", "commits", "additions", "deletions", "changed_files"}
        items = []
        for number in sorted(c.repo.pulls, reverse=True):
            self._sync_pull(c.repo, number)
            pr = c.repo.pulls[number].data
            if (state == "all" or pr["state"] == state) and c.query.get("base", pr["base"]["ref"]) == pr["base"]["ref"] \
                    and c.query.get("head", pr["head"]["label"]) == pr["head"]["label"]:
                items.append({k: v for k, v in pr.items() if k not in simple_drop})
        page, headers = self._paginate(c, items)
        return _json(page, headers=headers)

    async def _r_pull_commits(self, c: _Ctx) -> web.Response:
        pull = self._pull(c)
        if not pull:
            return _not_found()
        page, headers = self._paginate(c, pull.commits, cap=250)
        return _json(page, headers=headers)

    async def _r_pull_files(self, c: _Ctx) -> web.Response:
        pull = self._pull(c)
        if not pull:
            return _not_found()
        page, headers = self._paginate(c, pull.files, cap=3000)
        return _json(page, headers=headers)

    async def _r_reviewers(self, c: _Ctx) -> web.Response:
        pull = self._pull(c)
        if not pull:
            return _not_found()
        pr, method = pull.data, c.request.method
        if method == "GET":
            return _json({"users": pr["requested_reviewers"], "teams": pr["requested_teams"]})
        body = c.body if isinstance(c.body, dict) else {}
        logins, teams = list(body.get("reviewers") or []), list(body.get("team_reviewers") or [])
        if method == "DELETE":
            drop = {x.lower() for x in logins}
            pr["requested_reviewers"][:] = [u for u in pr["requested_reviewers"] if u["login"].lower() not in drop]
            pr["requested_teams"][:] = [t for t in pr["requested_teams"] if t["slug"] not in set(teams)]
            return _json(pr)
        if method != "POST":
            return _not_found()
        if not logins and not teams:
            return _error(422, "Invalid request.\n\nNo subschema in \"anyOf\" matched.")
        for login in logins:
            if login.lower() == pr["user"]["login"].lower():
                return _error(422, "Review cannot be requested from pull request author.")
            if login.lower() not in self._users or self._role(c.repo, login) is None:
                full = c.repo.data["full_name"]
                return _error(422, "Reviews may only be requested from collaborators. One or more of the users or teams "
                                   f"you specified is not a collaborator of the {full} repository.")
        for login in logins:
            if all(u["login"].lower() != login.lower() for u in pr["requested_reviewers"]):
                pr["requested_reviewers"].append(self._users[login.lower()])
        for slug in teams:
            if all(t["slug"] != slug for t in pr["requested_teams"]):
                pr["requested_teams"].append({"name": slug, "slug": slug, "id": self._new_id()})
        return _json(pr, 201)

    async def _r_compare(self, c: _Ctx) -> web.Response:
        repo = c.repo
        base, sep, head = unquote(c.match["basehead"]).partition("...")
        if not sep:
            return _not_found()
        base_sha, head_sha = self._resolve_sha(repo, base), self._resolve_sha(repo, head)
        pull = next((p for p in repo.pulls.values() if p.data["head"]["sha"] == head_sha
                     and (p.data["base"]["sha"] == base_sha or p.data["base"]["ref"] == base)), None)
        if pull is None and (base_sha is None or base_sha != head_sha):
            return _not_found()
        commits, files = (pull.commits, pull.files) if pull else ([], [])
        full = repo.data["full_name"]
        base_commit = repo.commits.get(base_sha) or self._commit_obj(
            repo, {"sha": base_sha, "message": "Base commit", "author": {"name": "base", "email": "base@example.com"}}, None)
        headers: dict[str, str] = {}
        if "page" in c.query or "per_page" in c.query:
            page_commits, headers = self._paginate(c, commits)
            page_files = files[:300] if c.query.get("page", "1").strip() in ("", "0", "1") else []
        else:
            page_commits, page_files = commits[-250:], files[:300]
        ahead = len(commits)
        return _json({"url": f"{self._api}/repos/{full}/compare/{base}...{head}",
                      "html_url": f"https://github.com/{full}/compare/{base}...{head}",
                      "permalink_url": f"https://github.com/{full}/compare/{base_sha}...{head_sha}",
                      "diff_url": f"https://github.com/{full}/compare/{base}...{head}.diff",
                      "patch_url": f"https://github.com/{full}/compare/{base}...{head}.patch",
                      "base_commit": base_commit, "merge_base_commit": base_commit,
                      "status": "ahead" if ahead else "identical", "ahead_by": ahead, "behind_by": 0,
                      "total_commits": ahead, "commits": page_commits, "files": page_files}, headers=headers)

    # ------------------------------------------------------------------ issues & comments
    async def _r_issue(self, c: _Ctx) -> web.Response:
        number = int(c.match["n"])
        if number not in c.repo.issues:
            return _not_found()
        method = c.request.method
        if method == "PATCH":
            body = c.body if isinstance(c.body, dict) else {}
            target = c.repo.pulls[number].data if number in c.repo.pulls else c.repo.issues[number]
            for key in ("title", "body"):
                if key in body:
                    target[key] = body[key]
            if body.get("state") in ("open", "closed"):
                target["state"] = body["state"]
                target["closed_at"] = _iso() if body["state"] == "closed" else None
            if "labels" in body:
                c.repo.issues[number]["labels"][:] = [self._ensure_label(c.repo, self._label_name(x)) for x in body["labels"]]
            if "assignees" in body:
                self._set_assignees(c.repo, number, body["assignees"], replace=True)
            target["updated_at"] = _iso()
        elif method != "GET":
            return _not_found()
        return _json(self._issue_view(c.repo, number))

    async def _r_issue_comments(self, c: _Ctx) -> web.Response:
        number = int(c.match["n"])
        if number not in c.repo.issues:
            return _not_found()
        if c.request.method == "GET":
            page, headers = self._paginate(c, c.repo.comments.get(number, []))
            return _json(page, headers=headers)
        if c.request.method != "POST":
            return _not_found()
        body = c.body.get("body") if isinstance(c.body, dict) else None
        if not isinstance(body, str) or not body:
            return _validation("IssueComment", "missing_field", "body")
        return _json(self._new_comment(c.repo, number, self._users[BOT_USER["login"].lower()], body, "NONE"), 201)

    async def _r_comment(self, c: _Ctx) -> web.Response:
        found = self._find_comment(c.repo, int(c.match["id"]))
        if found is None:
            return _not_found()
        number, comment = found
        if c.request.method == "GET":
            return _json(comment)
        if c.request.method == "DELETE":
            c.repo.comments[number].remove(comment)
            return web.Response(status=204)
        if c.request.method != "PATCH":
            return _not_found()
        body = c.body.get("body") if isinstance(c.body, dict) else None
        if not isinstance(body, str) or not body:
            return _validation("IssueComment", "missing_field", "body")
        comment["body"], comment["updated_at"] = body, _iso()
        return _json(comment)

    # ------------------------------------------------------------------ statuses
    def _combined(self, repo: _Repo, sha: str) -> dict:
        latest: dict[str, dict] = {}
        for s in repo.statuses.get(sha, []):
            latest.pop(s["context"], None)
            latest[s["context"]] = s
        states = [s["state"] for s in latest.values()]
        if any(s in ("error", "failure") for s in states):
            state = "failure"
        elif not states or "pending" in states:
            state = "pending"
        else:
            state = "success"
        full = repo.data["full_name"]
        return {"state": state, "statuses": list(reversed(latest.values())), "sha": sha, "total_count": len(latest),
                "repository": repo.data, "commit_url": f"{self._api}/repos/{full}/commits/{sha}",
                "url": f"{self._api}/repos/{full}/commits/{sha}/status"}

    async def _r_combined_status(self, c: _Ctx) -> web.Response:
        sha = self._resolve_sha(c.repo, unquote(c.match["ref"]))
        return _json(self._combined(c.repo, sha)) if sha else _error(422, f"No commit found for SHA: {c.match['ref']}")

    async def _r_status_list(self, c: _Ctx) -> web.Response:
        sha = self._resolve_sha(c.repo, unquote(c.match["ref"]))
        if sha is None:
            return _not_found()
        page, headers = self._paginate(c, list(reversed(c.repo.statuses.get(sha, []))))
        return _json(page, headers=headers)

    async def _r_create_status(self, c: _Ctx) -> web.Response:
        sha, body = c.match["sha"], c.body if isinstance(c.body, dict) else {}
        if sha not in c.repo.known_shas:
            return _error(422, f"No commit found for SHA: {sha}")
        if body.get("state") not in STATUS_STATES:
            return _validation("Status", "custom", "state", "state is not included in the list")
        desc = body.get("description")
        if desc is not None and len(desc) > 140:
            return _validation("Status", "custom", "description", "description is too long (maximum is 140 characters)")
        sid, full = self._new_id(), c.repo.data["full_name"]
        status = {"url": f"{self._api}/repos/{full}/statuses/{sha}", "avatar_url": None, "id": sid,
                  "node_id": f"SC_{sid}", "state": body["state"], "description": desc,
                  "target_url": body.get("target_url"), "context": body.get("context") or "default",
                  "created_at": _iso(), "updated_at": _iso(), "creator": self._users[BOT_USER["login"].lower()]}
        c.repo.statuses.setdefault(sha, []).append(status)
        return _json(status, 201)

    # ------------------------------------------------------------------ labels
    @staticmethod
    def _label_name(x: Any) -> str:
        return x["name"] if isinstance(x, dict) else str(x)

    async def _r_issue_labels(self, c: _Ctx) -> web.Response:
        number = int(c.match["n"])
        if number not in c.repo.issues:
            return _not_found()
        labels = c.repo.issues[number]["labels"]
        method = c.request.method
        if method == "GET":
            page, headers = self._paginate(c, labels)
            return _json(page, headers=headers)
        if method == "DELETE":
            labels.clear()
            return web.Response(status=204)
        if method not in ("POST", "PUT"):
            return _not_found()
        wanted = c.body.get("labels") if isinstance(c.body, dict) else c.body
        if not isinstance(wanted, list):
            return _validation("Label", "missing_field", "labels")
        new = [self._ensure_label(c.repo, self._label_name(x)) for x in wanted]
        if method == "PUT":
            labels.clear()
        for lab in new:
            if lab not in labels:
                labels.append(lab)
        return _json(labels)

    async def _r_issue_label_delete(self, c: _Ctx) -> web.Response:
        number = int(c.match["n"])
        if number not in c.repo.issues:
            return _not_found()
        name, labels = unquote(c.match["name"]).lower(), c.repo.issues[number]["labels"]
        hit = next((lab for lab in labels if lab["name"].lower() == name), None)
        if hit is None:
            return _not_found("Label does not exist")
        labels.remove(hit)
        return _json(labels)

    async def _r_labels(self, c: _Ctx) -> web.Response:
        if c.request.method == "GET":
            page, headers = self._paginate(c, list(c.repo.labels.values()))
            return _json(page, headers=headers)
        if c.request.method != "POST":
            return _not_found()
        body = c.body if isinstance(c.body, dict) else {}
        name, color = body.get("name"), str(body.get("color") or "ededed").lstrip("#")
        if not name:
            return _validation("Label", "missing_field", "name")
        if not re.fullmatch(r"[0-9a-fA-F]{6}", color):
            return _validation("Label", "invalid", "color")
        if name.lower() in c.repo.labels:
            return _validation("Label", "already_exists", "name")
        return _json(self.add_label(c.repo.data["full_name"], name, color, body.get("description")), 201)

    async def _r_label(self, c: _Ctx) -> web.Response:
        label = c.repo.labels.get(unquote(c.match["name"]).lower())
        return _json(label) if label else _not_found()

    # ------------------------------------------------------------------ people
    async def _r_permission(self, c: _Ctx) -> web.Response:
        user = self._user_view(unquote(c.match["user"]))
        if user is None:
            return _not_found()
        role = self._role(c.repo, user["login"]) or ("none" if c.repo.data["private"] else "read")
        rank = ROLES.index(role) if role in ROLES else len(ROLES)
        perms = {"admin": rank <= 0, "maintain": rank <= 1, "push": rank <= 2, "triage": rank <= 3, "pull": rank <= 4}
        return _json({"permission": LEGACY_PERMISSION[role], "role_name": role,
                      "user": {**user, "permissions": perms, "role_name": role}})

    async def _r_is_collaborator(self, c: _Ctx) -> web.Response:
        return web.Response(status=204 if self._role(c.repo, unquote(c.match["user"])) else 404)

    def _is_assignable(self, repo: _Repo, login: str) -> bool:
        return login.lower() in self._users and (self._role(repo, login) is not None or login.lower() in repo.assignable)

    async def _r_assignee_list(self, c: _Ctx) -> web.Response:
        users = [u for key, u in sorted(self._users.items()) if self._is_assignable(c.repo, key)]
        page, headers = self._paginate(c, users)
        return _json(page, headers=headers)

    async def _r_assignee_check(self, c: _Ctx) -> web.Response:
        if self._is_assignable(c.repo, unquote(c.match["user"])):
            return web.Response(status=204)
        return _not_found()

    def _set_assignees(self, repo: _Repo, number: int, logins: list[str], *, replace: bool = False) -> None:
        current = repo.issues[number]["assignees"]
        if replace:
            current.clear()
        for login in logins:
            if self._is_assignable(repo, login) and len(current) < 10 \
                    and all(u["login"].lower() != login.lower() for u in current):
                current.append(self._users[login.lower()])

    async def _r_issue_assignees(self, c: _Ctx) -> web.Response:
        number = int(c.match["n"])
        if number not in c.repo.issues:
            return _not_found()
        logins = c.body.get("assignees") if isinstance(c.body, dict) else None
        if not isinstance(logins, list):
            logins = []
        if c.request.method == "POST":
            self._set_assignees(c.repo, number, logins)
            return _json(self._issue_view(c.repo, number), 201)
        if c.request.method == "DELETE":
            drop = {x.lower() for x in logins}
            current = c.repo.issues[number]["assignees"]
            current[:] = [u for u in current if u["login"].lower() not in drop]
            return _json(self._issue_view(c.repo, number))
        return _not_found()

    async def _r_org_member(self, c: _Ctx) -> web.Response:
        members = self._orgs.get(unquote(c.match["org"]).lower())
        if members is not None and unquote(c.match["user"]).lower() in members:
            return web.Response(status=204)
        return _not_found("User does not exist or is not a member of the organization")

    async def _r_team_membership(self, c: _Ctx) -> web.Response:
        org, team, login = (unquote(c.match[k]) for k in ("org", "team", "user"))
        members = self._teams.get((org.lower(), team.lower()))
        if members is None or login.lower() not in members:
            return _not_found()
        return _json({"url": f"{self.url}/orgs/{org}/teams/{team}/memberships/{login}", "role": "member", "state": "active"})

    async def _r_user(self, c: _Ctx) -> web.Response:
        user = self._user_view(unquote(c.match["user"]))
        return _json({**user, "name": None, "company": None, "email": None}) if user else _not_found()

    # ------------------------------------------------------------------ search
    async def _r_search_issues(self, c: _Ctx) -> web.Response:
        q = c.query.get("q", "")
        if not q.strip():
            return _validation("Search", "missing", "q")
        terms = re.findall(r'(-?)(\w+):("[^"]*"|\S+)|"([^"]*)"|(\S+)', q)
        results = []
        for repo in self._repos.values():
            for number in repo.issues:
                issue = self._issue_view(repo, number)
                if all(self._search_term_ok(repo, issue, t) for t in terms):
                    results.append((repo, issue))
        key = "updated_at" if c.query.get("sort") == "updated" else "created_at"
        results.sort(key=lambda ri: (ri[1][key], ri[1]["number"]), reverse=c.query.get("order", "desc") != "asc")
        items = [{**issue, "score": 1.0} for _, issue in results][:1000]
        page, headers = self._paginate(c, items)
        return _json({"total_count": len(results), "incomplete_results": False, "items": page}, headers=headers)

    def _search_term_ok(self, repo: _Repo, issue: dict, term: tuple[str, ...]) -> bool:
        neg, qual, value, quoted, word = term
        if not qual:
            text = (quoted or word).lower()
            return text in f"{issue['title']}\n{issue['body'] or ''}".lower()
        value = value.strip('"').lower()
        is_pr = "pull_request" in issue
        pull = repo.pulls.get(issue["number"])
        checks = {
            "repo": lambda: repo.data["full_name"].lower() == value,
            "user": lambda: repo.data["owner"]["login"].lower() == value,
            "org": lambda: repo.data["owner"]["login"].lower() == value,
            "author": lambda: issue["user"]["login"].lower() == value,
            "assignee": lambda: any(u["login"].lower() == value for u in issue["assignees"]),
            "label": lambda: any(lab["name"].lower() == value for lab in issue["labels"]),
            "state": lambda: issue["state"] == value,
            "type": lambda: is_pr if value == "pr" else not is_pr,
            "is": lambda: {"pr": is_pr, "issue": not is_pr, "open": issue["state"] == "open",
                           "closed": issue["state"] == "closed", "merged": bool(pull and pull.data["merged"]),
                           "unmerged": bool(pull and not pull.data["merged"] and pull.data["state"] == "closed"),
                           "draft": bool(pull and pull.data["draft"])}.get(value, True),
            "in": lambda: True,
        }
        ok = checks.get(qual.lower(), lambda: True)()
        return not ok if neg else ok

    # ------------------------------------------------------------------ GraphQL
    async def _r_graphql(self, c: _Ctx) -> web.Response:
        body = c.body if isinstance(c.body, dict) else {}
        query, variables = body.get("query"), body.get("variables") or {}
        if not isinstance(query, str):
            return _json({"errors": [{"message": "A query attribute must be specified and must be a string."}]})
        for handler in self.graphql_handlers:
            data = handler(query, variables, self)
            if data is not None:
                return _json({"data": data})
        answer = self._graphql_builtin(query, variables)
        return _json(answer if answer is not None else {"errors": [{"message": "unsupported query"}]})

    @staticmethod
    def _block(text: str, open_idx: int) -> tuple[str, int]:
        """Contents of the {...} starting at text[open_idx] and the index just past it."""
        depth, i, in_str = 0, open_idx, False
        while i < len(text):
            ch = text[i]
            if in_str:
                if ch == "\\":
                    i += 1
                elif ch == '"':
                    in_str = False
            elif ch == '"':
                in_str = True
            elif ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    return text[open_idx + 1:i], i + 1
            i += 1
        return text[open_idx + 1:], len(text)

    def _graphql_builtin(self, query: str, variables: dict) -> dict | None:
        start = query.find("{")
        if start < 0:
            return None
        q = re.sub(r"\$(\w+)", lambda m: json.dumps(variables[m[1]]) if m[1] in variables else m[0], query[start:])
        rm = re.search(r"\brepository\s*\(([^)]*)\)\s*\{", q)
        if not rm:
            return None
        args = {k: json.loads(f'"{v}"') for k, v in re.findall(r'(\w+)\s*:\s*"((?:[^"\\]|\\.)*)"', rm[1])}
        repo = self._repos.get(f"{args.get('owner', '')}/{args.get('name', '')}".lower())
        if repo is None:
            full = f"{args.get('owner', '')}/{args.get('name', '')}"
            return {"data": {"repository": None}, "errors": [
                {"type": "NOT_FOUND", "path": ["repository"], "locations": [{"line": 1, "column": 1}],
                 "message": f"Could not resolve to a Repository with the name '{full}'."}]}
        body, _ = self._block(q, rm.end() - 1)
        out: dict[str, Any] = {}
        obj_re = re.compile(r'(?:(\w+)\s*:\s*)?\bobject\s*\(\s*(expression|oid)\s*:\s*"((?:[^"\\]|\\.)*)"\s*\)\s*\{')
        pos = 0
        while (m := obj_re.search(body, pos)) is not None:
            selection, pos = self._block(body, m.end() - 1)
            out[m[1] or "object"] = self._graphql_object(repo, m[2], json.loads(f'"{m[3]}"'), selection)
        if not out:
            return None
        return {"data": {"repository": out}}

    def _graphql_object(self, repo: _Repo, kind: str, arg: str, selection: str) -> dict | None:
        fragments = {fm[1]: self._block(selection, fm.end() - 1)[0]
                     for fm in re.finditer(r"\.\.\.\s*on\s+(\w+)\s*\{", selection)}
        if kind == "expression" and ":" in arg:
            rev, _, path = arg.partition(":")
            files = self._files_at(repo, rev)
            if files is None or path not in files:
                return None
            content = files[path]
            binary = _is_binary(content)
            sha = self._blob_sha_at(repo, rev, path, content)
            full = {"__typename": "Blob", "oid": sha, "abbreviatedOid": sha[:7], "byteSize": len(content),
                    "isBinary": binary, "isTruncated": False, "text": None if binary else content.decode("utf-8")}
            wanted = set(re.findall(r"\w+", fragments.get("Blob", "") + " " + re.sub(r"\.\.\.\s*on\s+\w+\s*\{[^}]*\}", "", selection)))
            return {k: v for k, v in full.items() if k in wanted}
        sha = self._resolve_sha(repo, arg) or arg
        commit = repo.commits.get(sha)
        if commit is None:
            return None
        sel = fragments.get("Commit", "") + " " + selection
        out: dict[str, Any] = {}
        names = set(re.findall(r"\w+", sel))
        simple = {"__typename": "Commit", "oid": sha, "abbreviatedOid": sha[:7], "message": commit["commit"]["message"],
                  "messageHeadline": commit["commit"]["message"].split("\n", 1)[0],
                  "committedDate": commit["commit"]["committer"]["date"], "authoredDate": commit["commit"]["author"]["date"]}
        out.update({k: v for k, v in simple.items() if k in names})
        am = re.search(r"\bauthors\s*(?:\(([^)]*)\))?\s*\{", sel)
        if am:
            fm = re.search(r"first\s*:\s*(\d+)", am[1] or "")
            authors = self._commit_authors(commit)
            block = self._block(sel, am.end() - 1)[0]
            out["authors"] = {"nodes": authors[: int(fm[1]) if fm else 100]}
            if "totalCount" in block:
                out["authors"]["totalCount"] = len(authors)
        if re.search(r"\bauthor\s*\{", sel):
            out["author"] = self._commit_authors(commit)[0]
        return out

    def _commit_authors(self, commit: dict) -> list[dict]:
        """Commit author plus Co-authored-by trailer identities, as GraphQL GitActor nodes."""
        def gql_user(u: dict | None) -> dict | None:
            return {"login": u["login"], "databaseId": u["id"]} if u else None

        git_author = commit["commit"]["author"]
        nodes = [{"name": git_author["name"], "email": git_author["email"], "user": gql_user(commit["author"])}]
        seen = {git_author["email"].lower()}
        for name, email in re.findall(r"^[ \t]*co-authored-by:[ \t]*(.*?)[ \t]*<([^>]+)>[ \t]*$",
                                      commit["commit"]["message"], re.I | re.M):
            if email.lower() not in seen:
                seen.add(email.lower())
                nodes.append({"name": name, "email": email, "user": gql_user(self._user_by_email(email))})
        return nodes
