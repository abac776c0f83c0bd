"""EventContext: one delivery's view of GitHub, read lazily and at most once.

Every rule of an event shares one context, so the pull request, its commits and files,
permissions and memberships are each fetched once per event however many rules ask.
The pull request is always read from the API (its current head), never trusted from
the payload, because deliveries can arrive out of order.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

import gidgethub

from bot.commands import Command, role_at_least
from bot.errors import IncompleteData, RetryLater
from bot.github import get_if_present

if TYPE_CHECKING:
    from bot.config import LoadedConfig
    from bot.offload import Budget, Offload
    from bot.github import InstallationClient
    from bot.settings import Settings
    from bot.store import Store

log = logging.getLogger(__name__)

T = TypeVar("T")

PR_COMMITS_LIMIT = 250  # what GET /pulls/{n}/commits lists at most
PR_FILES_LIMIT = 3000  # what GET /pulls/{n}/files lists at most


def is_bot(user: dict[str, Any] | None) -> bool:
    if not user:
        return False
    return user.get("type") == "Bot" or str(user.get("login", "")).endswith("[bot]")


class EventContext:
    def __init__(self, *, delivery_id: str, event: str, payload: dict[str, Any], gh: "InstallationClient",
                 store: "Store", config: "LoadedConfig", settings: "Settings", dry_run: bool = False,
                 offload: "Offload | None" = None, budget: "Budget | None" = None,
                 own_account: Callable[[], Awaitable[dict[str, Any]]] | None = None) -> None:
        self.dry_run = dry_run  # `replay --dry-run`: the store and the client already write nothing
        self.delivery_id = delivery_id
        self.event = event
        self.payload = payload
        self.action: str | None = payload.get("action") if isinstance(payload.get("action"), str) else None
        self.event_key = f"{event}.{self.action}" if self.action else event
        self.gh = gh
        self.store = store
        self.config = config
        self.settings = settings
        repository = payload.get("repository") or {}
        self.repository: dict[str, Any] = repository
        self.repo_full_name: str = repository.get("full_name", "")
        self.owner: str = (repository.get("owner") or {}).get("login") or self.repo_full_name.split("/")[0]
        self.repo_name: str = repository.get("name") or self.repo_full_name.split("/")[-1]
        self.installation_id: int | None = (payload.get("installation") or {}).get("id")
        self.sender: dict[str, Any] = payload.get("sender") or {}
        self.comment: dict[str, Any] | None = payload.get("comment") if event == "issue_comment" else None
        self.commands: list[Command] = []
        self.is_pr_evaluation = False
        self.is_recheck = False  # this evaluation runs for a /recheck alone (bot/rechecks.py)
        issue = payload.get("pull_request") or payload.get("issue") or {}
        number = issue.get("number") if isinstance(issue, dict) else None
        if number is None and isinstance(payload.get("number"), int):
            number = payload["number"]
        self.number: int | None = number
        self.is_pull_request = "pull_request" in payload or bool((payload.get("issue") or {}).get("pull_request")) or (
            event == "governance.reevaluate")
        self._memo: dict[Any, asyncio.Future] = {}
        self._labels_changed = False
        self._offload = offload
        self._budget = budget
        self._own_account = own_account

    # -- memoisation ---------------------------------------------------------------------------

    async def memo(self, key: Any, factory: Callable[[], Awaitable[T]]) -> T:
        """Run `factory` once per key for this event; concurrent callers share the result.

        The first caller runs the read itself (no task of its own: a delivery makes a dozen of
        these); callers arriving meanwhile wait for its result, and later ones get the same
        result or error. A read cancelled with its caller is forgotten.
        """
        future = self._memo.get(key)
        if future is not None:
            if future.done():
                return future.result()
            return await asyncio.shield(future)
        future = self._memo[key] = asyncio.get_running_loop().create_future()
        try:
            result = await factory()
        except BaseException as exc:
            if isinstance(exc, asyncio.CancelledError):
                if self._memo.get(key) is future:
                    del self._memo[key]
                future.cancel()
            else:
                future.set_exception(exc)
                future.exception()  # retrieved: those waiting get it; nobody else need
            raise
        future.set_result(result)
        return result

    def prefetch(self, key: Any, factory: Callable[[], Awaitable[Any]]) -> None:
        """Start reading `key` now, for a later `memo` of the same key to find done. A failure is
        kept for that caller (and not reported as unretrieved when nobody asks)."""
        if key in self._memo:
            return
        future = self._memo[key] = asyncio.ensure_future(factory())
        future.add_done_callback(lambda f: None if f.cancelled() else f.exception())

    def forget(self, key: Any) -> None:
        self._memo.pop(key, None)

    def already_read(self, key: Any) -> Any | None:
        """What this event already read under `key`, or None: never starts a read."""
        future = self._memo.get(key)
        if future is None or not future.done() or future.cancelled() or future.exception() is not None:
            return None
        return future.result()

    # -- heavy work ----------------------------------------------------------------------------

    async def offload(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` (a pure, picklable, module-level function) in the framework's process pool,
        within this delivery's work budget (`bot.offload`); inline when there is no pool (CLI)."""
        if self._offload is None or self._budget is None:
            return fn(*args)
        return await self._offload.run(self._budget, fn, *args)

    # -- reads ---------------------------------------------------------------------------------

    async def pull_request(self) -> dict[str, Any]:
        return await self.memo(("pr", self.number), lambda: self.gh.getitem(
            f"/repos/{self.repo_full_name}/pulls/{self.number}"))

    async def head_sha(self) -> str:
        return (await self.pull_request())["head"]["sha"]

    async def issue(self) -> dict[str, Any]:
        return await self.memo(("issue", self.number), lambda: self.gh.getitem(
            f"/repos/{self.repo_full_name}/issues/{self.number}"))

    async def combined_status(self, sha: str) -> dict[str, Any]:
        """The commit's combined status (what the bot posts is compared with it)."""
        return await self.memo(("status", sha), lambda: self._read_status(sha))

    def prefetch_combined_status(self, sha: str) -> None:
        self.prefetch(("status", sha), lambda: self._read_status(sha))

    def assume_no_statuses_of_ours(self, sha: str) -> None:
        """The engine knows the head carries no status of this bot (`bot.verdicts.recorded`): what
        it posts is compared with nothing, and the head's statuses are not read."""
        if ("status", sha) not in self._memo:
            future = self._memo[("status", sha)] = asyncio.get_running_loop().create_future()
            future.set_result({"statuses": []})

    async def _read_status(self, sha: str) -> dict[str, Any]:
        return await self.gh.getitem(f"/repos/{self.repo_full_name}/commits/{sha}/status?per_page=100")

    async def labels(self) -> list[dict[str, Any]]:
        """The issue's or pull request's labels. A pull request read in this event carries them
        (GitHub's pull request object has `labels`), which spares reading its issue too."""
        pr = self.already_read(("pr", self.number)) if self.is_pull_request and not self._labels_changed else None
        if isinstance(pr, dict) and isinstance(pr.get("labels"), list):
            return pr["labels"]
        return (await self.issue()).get("labels", [])

    def labels_changed(self) -> None:
        """This event changed the labels: what was read before no longer says what they are."""
        self._labels_changed = True
        self.forget(("issue", self.number))

    def has_no_comments(self) -> bool:
        """Whether the pull request or issue, as already read in this event, has no comments at all
        (its `comments` count is 0), so there is no comment of ours to look for. Never reads:
        False when nothing says so."""
        for key in (("pr", self.number), ("issue", self.number)):
            item = self.already_read(key)
            if isinstance(item, dict) and item.get("comments") == 0:
                return True
        return False

    async def pr_commits(self) -> list[dict[str, Any]]:
        """Every commit of the pull request, beyond the 250 the PR commits list gives."""
        return await self.memo("commits", self._read_commits)

    async def _read_commits(self) -> list[dict[str, Any]]:
        pr = await self.pull_request()
        expected = int(pr.get("commits") or 0)
        if expected <= PR_COMMITS_LIMIT:
            commits = [c async for c in self.gh.getiter(
                f"/repos/{self.repo_full_name}/pulls/{self.number}/commits?per_page=100")]
            if len(commits) >= expected:
                return commits
        return await self.compare_commits(pr["base"]["sha"], pr["head"]["sha"], expected)

    async def compare_commits(self, base: str, head: str, expected: int | None = None) -> list[dict[str, Any]]:
        """Commits of base...head through the compare API, checked against its total."""
        commits: list[dict[str, Any]] = []
        total: int | None = None
        page = 1
        while True:
            data = await self.gh.getitem(
                f"/repos/{self.repo_full_name}/compare/{base}...{head}?per_page=100&page={page}")
            total = int(data.get("total_commits", 0))
            batch = data.get("commits") or []
            commits.extend(batch)
            if not batch or len(commits) >= total:
                break
            page += 1
            if page > 200:
                break
        if len(commits) < (total or 0) or (expected is not None and len(commits) < expected):
            raise IncompleteData(
                f"GitHub listed {len(commits)} of {max(total or 0, expected or 0)} commits; cannot check them all")
        return commits

    async def pr_files(self) -> list[dict[str, Any]]:
        """Every changed file (GitHub's PR files shape). Beyond 3,000 files the tree API is used,
        giving `filename`, `status` and `sha` without `patch`; if even that is incomplete,
        IncompleteData is raised so rules fail closed."""
        return await self.memo("files", self._read_files)

    async def _read_files(self) -> list[dict[str, Any]]:
        pr = await self.pull_request()
        expected = int(pr.get("changed_files") or 0)
        if expected <= PR_FILES_LIMIT:
            files = [f async for f in self.gh.getiter(
                f"/repos/{self.repo_full_name}/pulls/{self.number}/files?per_page=100")]
            if len(files) >= expected:
                return files
        return await self._files_from_trees(pr)

    async def merge_base(self) -> str:
        """Where the pull request branched off: the old side of its change (not the base tip)."""
        async def read() -> str:
            pr = await self.pull_request()
            compare = await self.gh.getitem(
                f"/repos/{self.repo_full_name}/compare/{pr['base']['sha']}...{pr['head']['sha']}?per_page=1")
            return (compare.get("merge_base_commit") or {}).get("sha") or pr["base"]["sha"]
        return await self.memo(("merge-base", self.number), read)

    async def _files_from_trees(self, pr: dict[str, Any]) -> list[dict[str, Any]]:
        base_tree, head_tree = await asyncio.gather(self._tree(await self.merge_base()), self._tree(pr["head"]["sha"]))
        files: list[dict[str, Any]] = []
        for path, (sha, size) in head_tree.items():
            old = base_tree.get(path)
            if old is None:
                files.append({"filename": path, "status": "added", "sha": sha, "size": size})
            elif old[0] != sha:
                files.append({"filename": path, "status": "modified", "sha": sha, "size": size})
        for path, (sha, size) in base_tree.items():
            if path not in head_tree:
                files.append({"filename": path, "status": "removed", "sha": sha, "size": size})
        return files

    async def _tree(self, sha: str) -> dict[str, tuple[str, int]]:
        data = await self.gh.getitem(f"/repos/{self.repo_full_name}/git/trees/{sha}?recursive=1")
        if data.get("truncated"):
            raise IncompleteData("the repository tree is too large for GitHub to list; cannot see every file")
        return {e["path"]: (e["sha"], int(e.get("size") or 0)) for e in data.get("tree", []) if e.get("type") == "blob"}

    async def file_bytes(self, path: str, ref: str) -> bytes | None:
        """A file's bytes at `ref` (None if absent there), read once per event.

        Rules probe folders for files that mostly do not exist (go.mod, tsconfig.json); a 404
        is remembered by the installation's client (`get_if_present`). Files over 1 MB come
        without content from the contents API and are read as a blob.
        """
        url = f"/repos/{self.repo_full_name}/contents/{quote(path, safe='/')}?ref={quote(ref, safe='')}"
        item = await self.memo(("contents", path, ref), lambda: get_if_present(self.gh, url))
        if not isinstance(item, dict) or item.get("type", "file") != "file":
            return None
        if item.get("encoding") == "base64":
            return base64.b64decode(item.get("content") or "")
        return await self.blob(item["sha"]) if item.get("sha") else None

    async def file_text(self, path: str, ref: str) -> str | None:
        """A file's text at `ref` (None if absent, or not UTF-8 text)."""
        data = await self.file_bytes(path, ref)
        try:
            return None if data is None else data.decode("utf-8")
        except UnicodeDecodeError:
            return None

    async def blob(self, sha: str) -> bytes | None:
        """A git blob's bytes by sha (None if GitHub has no such blob). The git API serves files
        up to 100 MB where the contents API stops at 1 MB."""
        async def read() -> bytes | None:
            try:
                item = await self.gh.getitem(f"/repos/{self.repo_full_name}/git/blobs/{sha}")
            except gidgethub.BadRequest as exc:
                if int(exc.status_code) in (404, 422):
                    return None
                raise
            content = (item or {}).get("content") or ""
            return base64.b64decode(content) if item.get("encoding", "base64") == "base64" else content.encode()
        return await self.memo(("blob", sha), read)

    async def permission(self, login: str) -> str:
        """The user's role on the repository: admin, maintain, write, triage, read or none."""
        async def read() -> str:
            try:
                data = await self.gh.getitem(f"/repos/{self.repo_full_name}/collaborators/{quote(login, safe='')}/permission")
            except gidgethub.BadRequest as exc:
                if int(exc.status_code) in (403, 404):
                    return "none"
                raise
            return data.get("role_name") or data.get("permission") or "none"
        return await self.memo(("permission", login.lower()), read)

    async def has_role(self, login: str, minimum: str) -> bool:
        return role_at_least(await self.permission(login), minimum)

    async def is_org_member(self, org: str, login: str) -> bool:
        async def read() -> bool:
            status = await self.gh.getstatus(f"/orgs/{quote(org, safe='')}/members/{quote(login, safe='')}")
            if status >= 500 or status == 429:
                # getstatus does not raise: never read "GitHub is down" as "not a member".
                raise RetryLater(f"organisation membership check answered {status}")
            return status == 204
        return await self.memo(("org-member", org.lower(), login.lower()), read)

    async def is_team_member(self, org: str, team_slug: str, login: str) -> bool:
        async def read() -> bool:
            try:
                data = await self.gh.getitem(f"/orgs/{quote(org, safe='')}/teams/{quote(team_slug, safe='')}/memberships/{quote(login, safe='')}")
            except gidgethub.BadRequest as exc:
                if int(exc.status_code) in (403, 404):
                    return False
                raise
            return data.get("state") == "active"
        return await self.memo(("team-member", org.lower(), team_slug.lower(), login.lower()), read)

    async def repo_labels(self, *, recent: bool = False) -> dict[str, str]:
        """The repository's labels, lower-cased name -> GitHub's spelling (read once per event).

        `recent=True`: a read from the last minute will do (`KNOWN_LABELS_TTL`), for a caller
        whom a stale answer costs nothing: creating a missing label before adding it (a label
        created meanwhile answers "already exists"; one deleted meanwhile is re-created by
        GitHub when added). Labels the bot creates are added to the same dict, which keeps up.
        Not for deciding whether a label may be used: one created a moment ago must count.
        """
        known = getattr(self.gh, "known_labels", None)

        async def read() -> dict[str, str]:
            labels = {label["name"].lower(): label["name"] async for label in self.gh.getiter(
                f"/repos/{self.repo_full_name}/labels?per_page=100")}
            if known is not None:
                known[self.repo_full_name] = labels
            return labels
        if recent and known is not None and "repo-labels" not in self._memo:
            remembered = known.get(self.repo_full_name)
            if remembered is not None:
                return remembered
        return await self.memo("repo-labels", read)

    async def is_own(self, comment: dict[str, Any]) -> bool:
        """Whether `comment` was written by this App's own bot account (by id, not by type Bot)."""
        if self._own_account is None:
            return False
        account = await self.memo("own-account", self._own_account)
        author = comment.get("user") or {}
        return isinstance(author, dict) and author.get("id") == account["id"]

    async def issue_comments(self) -> list[dict[str, Any]]:
        return await self.memo(("comments", self.number), lambda: self._list(
            f"/repos/{self.repo_full_name}/issues/{self.number}/comments?per_page=100"))

    async def _list(self, url: str) -> list[dict[str, Any]]:
        return [item async for item in self.gh.getiter(url)]
