"""Commercial paths: guard the open-core boundary (SPEC §3 `commercial`, §4, §5, §6).

A pull request that touches `paths` gets the label; unless its author is a commercial
maintainer, `governance/commercial` fails with the licence link until a maintainer
comments `/approve-commercial`. With `forbid_imports`, added lines of open files that
import commercial code fail the status whoever wrote them, naming file and line.

Approvals are stored per pull request with a digest of the commercial paths the PR
touched when they were given: an approval holds until that set changes. A renamed file
counts under its old and new path, so moving code out of a commercial path is caught.
When GitHub gives no diff for a file (diff too large, PR over 3,000 files), the added
lines are rebuilt from the file's old and new contents; past a read budget the status
fails closed and says so.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import posixpath
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import gidgethub
from pydantic import Field, field_validator
from sqlalchemy import Column, Float, Index, Integer, String, Table, select

from bot.context import EventContext, IncompleteData
from bot.globs import validate_globs
from bot.labels import MAX_LABEL_LENGTH, label_length_ok
from bot.rule import CommandHelp, Outcome, ReportSection, Rule, RuleConfig, StatusUpdate
from bot.store import metadata
from rules.boundary import (
    CommercialPaths,
    ForbiddenImport,
    find_forbidden_imports,
    find_imports,
    language_for,
    normalize_repo_path,
    patch_from_contents,
)
from rules.boundary.paths import LANG_JS
from rules.boundary.tsconfig import tsconfig_aliases
from rules.markdown import bullets, code_span, link_target, plural

log = logging.getLogger(__name__)

APPROVE = "/approve-commercial"
CONTEXT = "governance/commercial"
SECTION_TITLE = "Commercial paths"
LABEL_COLOR = "5319e7"
LIST_CAP = 50  # files / imports listed in the report before "and N more"
# Files GitHub gives no patch for are read whole (two reads each); past this many the
# import check fails closed instead of spending the installation's rate limit.
MAX_UNPATCHED_FILES = 300
MAX_UNPATCHED_BYTES = 10 * 1024 * 1024
READ_CONCURRENCY = 8
REMOVED = "removed"

commercial_approvals = Table(
    "commercial_approvals",
    metadata,
    Column("repository", String(300), primary_key=True),
    Column("number", Integer, primary_key=True),
    # The approving comment; one row per approval, so the history stays auditable.
    Column("comment_url", String(500), primary_key=True),
    Column("approved_by", String(100), nullable=False),
    Column("approved_at", Float, nullable=False),
    Column("files_digest", String(64), nullable=False),
)
Index("ix_commercial_approvals_digest", commercial_approvals.c.repository, commercial_approvals.c.number,
      commercial_approvals.c.files_digest)


# -- configuration -------------------------------------------------------------------------------

_LOGIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}$")
_TEAM = re.compile(r"^([A-Za-z0-9][A-Za-z0-9-]{0,38})/([A-Za-z0-9][A-Za-z0-9_.-]{0,99})$")


class CommercialConfig(RuleConfig):
    """The `commercial` section of the rules file."""

    paths: list[str] = Field(description="gitignore-style globs of commercially licensed code")
    license_url: str = Field(description="the commercial licence, linked from the status and the report")
    maintainers: list[str] = Field(default_factory=list,
                                   description="users and teams (org/team-slug) who may approve; admins and "
                                               "maintainers of the repository always may")
    label: str = Field("commercial", description="added to every pull request touching a commercial path")
    forbid_imports: bool = Field(True, description="open code must not import commercial code")
    import_aliases: dict[str, str | list[str]] = Field(
        default_factory=dict,
        description="JavaScript/TypeScript import aliases to repository paths, as in tsconfig `paths` "
                    "(e.g. {'@/*': ['src/*'], '@acme/ee': 'packages/ee'})")
    python_roots: list[str] = Field(default_factory=lambda: [".", "src"],
                                    description="folders absolute Python imports resolve from")

    @field_validator("paths")
    @classmethod
    def _paths(cls, value: list[str]) -> list[str]:
        return validate_globs(value, allow_empty=False, require_positive=True, example="ee/**",
                              names="commercial paths")

    @field_validator("license_url")
    @classmethod
    def _license_url(cls, value: str) -> str:
        value = value.strip()
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() or c in '<>"`' for c in value):
            raise ValueError("must be an http(s) URL, e.g. https://example.org/ee-license")
        return value

    @field_validator("maintainers")
    @classmethod
    def _maintainers(cls, value: list[str]) -> list[str]:
        cleaned: list[str] = []
        for entry in value:
            name = entry.strip().removeprefix("@")
            if not (_LOGIN.match(name) or _TEAM.match(name)):
                raise ValueError(f"{entry!r} is neither a GitHub login nor a team written as org/team-slug")
            cleaned.append(name)
        return cleaned

    @field_validator("label")
    @classmethod
    def _label(cls, value: str) -> str:
        value = value.strip()
        if not label_length_ok(value):
            raise ValueError(f"must be 1 to {MAX_LABEL_LENGTH} characters (GitHub's limit for label names)")
        return value

    @field_validator("import_aliases")
    @classmethod
    def _aliases(cls, value: dict[str, str | list[str]]) -> dict[str, str | list[str]]:
        for key, target in value.items():
            targets = [target] if isinstance(target, str) else target
            if not key.strip():
                raise ValueError("an alias cannot be empty")
            if key.count("*") > 1 or any(t.count("*") > 1 for t in targets):
                raise ValueError(f"{key!r}: at most one `*` per alias and per target")
            if not targets:
                raise ValueError(f"{key!r}: needs at least one target path")
        return value

    @field_validator("python_roots")
    @classmethod
    def _roots(cls, value: list[str]) -> list[str]:
        for root in value:
            if normalize_repo_path(root) is None:
                raise ValueError(f"{root!r} leaves the repository")
        return value

    def users(self) -> set[str]:
        return {m.lower() for m in self.maintainers if "/" not in m}

    def teams(self) -> list[tuple[str, str]]:
        return [tuple(m.split("/", 1)) for m in self.maintainers if "/" in m]  # type: ignore[misc]


# -- what the rule works out --------------------------------------------------------------------


@dataclass(frozen=True)
class Touch:
    """A changed file that touches a commercial path (a rename may touch it on either side)."""

    path: str
    previous: str | None = None  # the old name of a renamed file

    def commercial_paths(self, commercial: CommercialPaths) -> list[str]:
        names = [self.path] + ([self.previous] if self.previous else [])
        return [n for n in names if commercial.matches(n)]


@dataclass(frozen=True)
class Approval:
    approved_by: str
    approved_at: float
    files_digest: str
    comment_url: str


@dataclass
class Evaluation:
    head_sha: str
    author: str
    touches: list[Touch] = field(default_factory=list)
    digest: str = ""
    imports: list[ForbiddenImport] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)  # files whose added lines could not be read
    incomplete: str | None = None  # GitHub could not list every changed file
    author_is_maintainer: bool = False
    approval: Approval | None = None

    @property
    def touched(self) -> bool:
        return bool(self.touches)

    @property
    def paths_ok(self) -> bool:
        return not self.touched or self.author_is_maintainer or self.approval is not None

    @property
    def passes(self) -> bool:
        return self.incomplete is None and self.paths_ok and not self.imports and not self.unreadable


def commercial_touches(files: Iterable[dict[str, Any]], commercial: CommercialPaths) -> list[Touch]:
    """Changed files in a commercial path, under their new or (renamed) old name."""
    touches: list[Touch] = []
    for f in files:
        name = f.get("filename") or ""
        previous = f.get("previous_filename") if f.get("status") in ("renamed", "copied") else None
        touch = Touch(name, previous or None)
        if touch.commercial_paths(commercial):
            touches.append(touch)
    return touches


def files_digest(touches: Iterable[Touch], commercial: CommercialPaths) -> str:
    """Digest of the sorted set of commercial paths touched: what an approval is bound to."""
    paths = sorted({p for t in touches for p in t.commercial_paths(commercial)})
    return hashlib.sha256(json.dumps(paths).encode()).hexdigest()


# -- Markdown ------------------------------------------------------------------------------------


def code(text: str) -> str:
    """`text` as an inline code span on one line, whatever backticks it holds (no mention, link or HTML)."""
    return code_span(" ".join(str(text).split("\n")).replace("\r", " "))


def who_may_approve(config: CommercialConfig) -> str:
    people = [code(m) for m in config.maintainers if "/" not in m]
    teams = [f"members of {code(m)}" for m in config.maintainers if "/" in m]
    tail = "anyone with admin or maintain permission on this repository"
    return ", ".join(people + teams) + ", or " + tail if people or teams else tail


def render_section(ev: Evaluation, config: CommercialConfig) -> ReportSection:
    lines: list[str] = []
    if ev.incomplete:
        lines += [f"GitHub could not list every file of this pull request ({ev.incomplete}), so the commercial "
                  "paths cannot be checked and this check fails. Split the pull request into smaller ones.", ""]
    if ev.touched:
        licence = f"[commercial licence]({link_target(config.license_url)})"
        lines += [f"This pull request touches {plural(len(ev.touches), 'file')} in commercial paths, which are "
                  f"licensed under the {licence}, not the project's open-source licence:", ""]
        lines += bullets([f"{code(t.previous)} → {code(t.path)}" if t.previous else code(t.path)
                          for t in ev.touches], LIST_CAP)
        lines.append("")
        if ev.author_is_maintainer:
            lines.append(f"✅ The author, {code(ev.author)}, is a commercial maintainer.")
        elif ev.approval is not None:
            lines.append(f"✅ Approved by {code(ev.approval.approved_by)}.")
        else:
            lines.append(f"A commercial maintainer must approve it by commenting `{APPROVE}` on this pull request.")
        lines += ["", f"Who may approve: {who_may_approve(config)}. An approval holds until the set of commercial "
                      "files in this pull request changes.", ""]
    if ev.imports:
        lines += ["Open-source code must not import commercial code. Remove these imports "
                  "(an approval does not cover them):", ""]
        lines += bullets([f"{code(f'{i.file}:{i.line}')}: {code(i.statement)} → {code(i.target)}"
                          for i in ev.imports], LIST_CAP)
        lines.append("")
    if ev.unreadable:
        lines += ["GitHub gave no diff for these files and they are too many or too large to read whole, so "
                  "their imports cannot be checked and this check fails. Split the pull request:", ""]
        lines += bullets([code(p) for p in ev.unreadable], LIST_CAP)
        lines.append("")
    if not lines:
        lines = ["No commercial path touched and no commercial code imported."]
    return ReportSection(SECTION_TITLE, "\n".join(lines).strip(), needs_action=not ev.passes)


def decide_status(ev: Evaluation, config: CommercialConfig) -> StatusUpdate:
    """The status: the first thing to fix comes first (approval cannot cover imports)."""
    link = config.license_url if ev.touched else None
    if ev.incomplete:
        return StatusUpdate(CONTEXT, "failure", "GitHub could not list every changed file, so this cannot be "
                            "checked. Split the pull request.", ev.head_sha)
    if ev.imports:
        first = ev.imports[0]
        more = f" (+{len(ev.imports) - 1} more)" if len(ev.imports) > 1 else ""
        return StatusUpdate(CONTEXT, "failure", f"Open code imports commercial code at {first.file}:{first.line}"
                            f"{more}. Remove the import.", ev.head_sha, link)
    if ev.unreadable:
        return StatusUpdate(CONTEXT, "failure", f"Imports in {plural(len(ev.unreadable), 'file')} without a diff "
                            "from GitHub cannot be checked. Split the pull request.", ev.head_sha, link)
    if not ev.touched:
        return StatusUpdate(CONTEXT, "success", "No commercial path touched.", ev.head_sha)
    if ev.author_is_maintainer:
        return StatusUpdate(CONTEXT, "success", "Touches commercial paths; the author is a commercial maintainer.",
                            ev.head_sha, link)
    if ev.approval is not None:
        return StatusUpdate(CONTEXT, "success", f"Commercial changes approved by @{ev.approval.approved_by}.",
                            ev.head_sha, link)
    return StatusUpdate(CONTEXT, "failure", f"Touches {plural(len(ev.touches), 'commercial file')}: a commercial "
                        f"maintainer must comment {APPROVE}. Details links the licence.", ev.head_sha, link)


# -- reading GitHub ------------------------------------------------------------------------------


async def is_maintainer(ctx: EventContext, config: CommercialConfig, login: str | None) -> bool:
    """A listed user, admin/maintain on the repository, or a member of a listed team."""
    if not login:
        return False
    if login.lower() in config.users():
        return True
    if await ctx.has_role(login, "maintain"):
        return True
    for org, slug in config.teams():
        if await ctx.is_team_member(org, slug, login):
            return True
    return False


def _decode(item: dict[str, Any]) -> str:
    raw = item.get("content") or ""
    data = base64.b64decode(raw) if item.get("encoding") == "base64" else raw.encode()
    return data.decode("utf-8", "replace")


async def blob_text(ctx: EventContext, sha: str) -> str | None:
    """A blob's text by its sha; None when GitHub cannot give it."""
    data = await ctx.blob(sha)
    return None if data is None else data.decode("utf-8", "replace")


async def text_at(ctx: EventContext, path: str, ref: str) -> str | None:
    """A file's text at `ref` (a commit sha); None when it does not exist there.

    Probing folders for go.mod or tsconfig.json meets mostly 404s, which carry no ETag;
    at a fixed commit the answer cannot change, so the installation's client remembers it.
    """
    url = f"/repos/{ctx.repo_full_name}/contents/{quote(path, safe='/')}?ref={ref}"
    absent = getattr(ctx.gh, "absent_files", None)

    async def read() -> dict[str, Any] | list | None:
        if absent is not None and url in absent:
            return None
        try:
            return await ctx.gh.getitem(url)
        except gidgethub.BadRequest as exc:
            if int(exc.status_code) == 404:
                if absent is not None:
                    absent[url] = True
                return None
            raise
    item = await ctx.memo(("commercial-contents", path, ref), read)
    if not isinstance(item, dict) or item.get("type", "file") != "file":
        return None
    if item.get("encoding") == "base64":
        return _decode(item)
    return await blob_text(ctx, item["sha"])  # too large for the contents API (None: unreadable)


_GO_MODULE = re.compile(r"^\s*module\s+\"?([^\s\"/][^\s\"]*)\"?", re.MULTILINE)


async def go_modules(ctx: EventContext, path: str, ref: str) -> list[tuple[str, str]]:
    """The Go modules enclosing `path` (nearest first), from the base branch's go.mod files,
    so a pull request cannot rename its module to slip an import past the check."""
    folder = posixpath.dirname(path)
    modules: list[tuple[str, str]] = []
    while True:
        text = await text_at(ctx, posixpath.join(folder, "go.mod") if folder else "go.mod", ref)
        match = _GO_MODULE.search(text or "")
        if match:
            modules.append((match.group(1), folder))
        if not folder:
            return modules
        folder = posixpath.dirname(folder)


# -- the import check ----------------------------------------------------------------------------


@dataclass
class ImportScan:
    found: list[ForbiddenImport] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)


def _needs_import_check(f: dict[str, Any], commercial: CommercialPaths) -> bool:
    name = f.get("filename") or ""
    return f.get("status") != REMOVED and language_for(name) is not None and not commercial.matches(name)


def _has_patch(f: dict[str, Any]) -> bool:
    """Whether the file's added lines are known without reading it (a patch, or nothing added)."""
    return f.get("patch") is not None or f.get("additions") == 0


async def scan_imports(ctx: EventContext, config: CommercialConfig, files: list[dict[str, Any]],
                       commercial: CommercialPaths) -> ImportScan:
    scan = ImportScan()
    checked = [f for f in files if _needs_import_check(f, commercial)]
    unpatched = [f for f in checked if not _has_patch(f)]
    too_large = [f for f in unpatched if int(f.get("size") or 0) > MAX_UNPATCHED_BYTES]
    if len(unpatched) > MAX_UNPATCHED_FILES:
        scan.unreadable = sorted(f["filename"] for f in unpatched)
        unpatched = []
    elif too_large:
        scan.unreadable = sorted(f["filename"] for f in too_large)
        unpatched = [f for f in unpatched if f not in too_large]
    patches: dict[str, str] = {f["filename"]: f["patch"] for f in checked if f.get("patch") is not None}
    if unpatched:
        patches.update(await rebuild_patches(ctx, unpatched, scan))
    pr = await ctx.pull_request()
    for name in sorted(patches):
        scan.found.extend(await _forbidden_in(ctx, config, commercial, name, patches[name], pr["base"]["sha"]))
    scan.found.sort(key=lambda i: (i.file, i.line))
    return scan


async def rebuild_patches(ctx: EventContext, files: list[dict[str, Any]], scan: ImportScan) -> dict[str, str]:
    """Patches rebuilt from old and new contents for files GitHub gave no patch for."""
    base = await ctx.merge_base()
    limit = asyncio.Semaphore(READ_CONCURRENCY)

    async def one(f: dict[str, Any]) -> tuple[str, str | None]:
        async with limit:
            head = await blob_text(ctx, f["sha"])
            if head is None or len(head) > MAX_UNPATCHED_BYTES:
                return f["filename"], None
            old = None
            if f.get("status") != "added":
                old = await text_at(ctx, f.get("previous_filename") or f["filename"], base)
            return f["filename"], patch_from_contents(old, head)

    patches: dict[str, str] = {}
    for name, patch in await asyncio.gather(*(one(f) for f in files)):
        if patch is None:
            scan.unreadable.append(name)
        else:
            patches[name] = patch
    scan.unreadable.sort()
    return patches


async def _forbidden_in(ctx: EventContext, config: CommercialConfig, commercial: CommercialPaths, path: str,
                        patch: str, base_ref: str) -> list[ForbiddenImport]:
    modules: list[tuple[str, str]] = []
    if language_for(path) == "go":
        if not find_imports(path, patch):
            return []  # no import added: no need to look for go.mod
        modules = await go_modules(ctx, path, base_ref)
    aliases: dict[str, Any] = dict(config.import_aliases)
    if language_for(path) == LANG_JS and _has_bare_js_import(path, patch):
        # The repository's own aliases first; the rules file's override them key by key.
        aliases = {**await js_aliases(ctx, path, base_ref), **aliases}
    return find_forbidden_imports(path, patch, commercial, aliases=aliases,
                                  python_roots=config.python_roots, go_modules=modules)


def _has_bare_js_import(path: str, patch: str) -> bool:
    """An added import that is neither relative nor rooted: only those can go through an alias."""
    return any(not ref.specifier.startswith((".", "/"))
               for ref in find_imports(path, patch, aliases={"*": "*"}))  # `*`: keep bare ones


async def js_aliases(ctx: EventContext, path: str, ref: str) -> dict[str, list[str]]:
    """tsconfig aliases in effect for `path` on the base commit, read once per folder and event."""
    folder = posixpath.dirname(path)
    return await ctx.memo(("commercial-tsconfig", folder, ref), lambda: tsconfig_aliases(
        lambda config_path: text_at(ctx, config_path, ref), path))


# -- approvals -----------------------------------------------------------------------------------


async def stored_approvals(ctx: EventContext, digest: str) -> list[Approval]:
    """Approvals of this PR for exactly this set of commercial paths, newest first."""
    t = commercial_approvals
    async with ctx.store.engine.connect() as conn:
        rows = (await conn.execute(select(t).where(
            t.c.repository == ctx.repo_full_name, t.c.number == ctx.number, t.c.files_digest == digest,
        ).order_by(t.c.approved_at.desc()))).all()
    return [Approval(r.approved_by, r.approved_at, r.files_digest, r.comment_url) for r in rows]


async def record_approval(ctx: EventContext, approval: Approval) -> None:
    async with ctx.store.transaction() as conn:
        await ctx.store.upsert(conn, commercial_approvals, {
            "repository": ctx.repo_full_name, "number": ctx.number, "comment_url": approval.comment_url,
            "approved_by": approval.approved_by, "approved_at": approval.approved_at,
            "files_digest": approval.files_digest,
        }, keys=["repository", "number", "comment_url"])


# -- the rule ------------------------------------------------------------------------------------


class CommercialRule(Rule):
    name = "commercial"
    config_model = CommercialConfig
    status_context = CONTEXT
    evaluates_pull_requests = True
    commands = (CommandHelp(APPROVE, APPROVE, "approve this pull request's changes to commercial paths",
                            "commercial maintainers"),)
    permissions = {
        "statuses": "write",  # governance/commercial
        "pull_requests": "read",  # the PR and its changed files
        "issues": "write",  # the label, the report, replies to /approve-commercial
        "contents": "read",  # trees of PRs over 3,000 files, contents of files without a diff, go.mod
        "metadata": "read",
        "members": "read",  # maintainers given as org/team-slug
    }
    webhook_events = ("pull_request", "issue_comment")

    def starts_evaluation(self, ctx: EventContext, config: CommercialConfig) -> bool:
        """`/approve-commercial` evaluates the pull request at once, so status and report agree."""
        return any(c.name == APPROVE for c in ctx.commands)

    async def handle(self, ctx: EventContext, config: CommercialConfig) -> Outcome:
        outcome = Outcome()
        approval: Approval | None = None
        if any(c.name == APPROVE for c in ctx.commands):
            approval, replies = await self.approve(ctx, config)
            outcome.replies.extend(replies)
        if ctx.is_pr_evaluation or approval is not None:
            pr = await ctx.pull_request()
            if pr.get("state") == "open":
                ev = await self.evaluate(ctx, config, approval)
                self._fill(outcome, ev, config)
                if approval is not None and not ev.passes:
                    outcome.replies.append(f"Approval recorded, but `{CONTEXT}` still fails: see the report.")
        if approval is not None:
            recorded = approval
            outcome.after_apply.append(lambda: record_approval(ctx, recorded))
        return outcome

    def _fill(self, outcome: Outcome, ev: Evaluation, config: CommercialConfig) -> None:
        outcome.statuses.append(decide_status(ev, config))
        outcome.report = render_section(ev, config)
        if ev.touched:
            outcome.add_labels.append(config.label)
            outcome.label_colors[config.label] = LABEL_COLOR

    async def evaluate(self, ctx: EventContext, config: CommercialConfig,
                       new_approval: Approval | None = None) -> Evaluation:
        pr = await ctx.pull_request()
        ev = Evaluation(head_sha=pr["head"]["sha"], author=(pr.get("user") or {}).get("login") or "")
        commercial = CommercialPaths(config.paths)
        try:
            files = await ctx.pr_files()
        except IncompleteData as exc:
            log.info("commercial check fails closed on %s#%s: %s", ctx.repo_full_name, ctx.number, exc)
            ev.incomplete = str(exc)
            return ev
        ev.touches = commercial_touches(files, commercial)
        ev.digest = files_digest(ev.touches, commercial)
        if config.forbid_imports:
            scan = await scan_imports(ctx, config, files, commercial)
            ev.imports, ev.unreadable = scan.found, scan.unreadable
        if ev.touched:
            ev.author_is_maintainer = await is_maintainer(ctx, config, ev.author)
            if not ev.author_is_maintainer:
                ev.approval = await self._valid_approval(ctx, config, ev.digest, new_approval)
        return ev

    async def _valid_approval(self, ctx: EventContext, config: CommercialConfig, digest: str,
                              new_approval: Approval | None) -> Approval | None:
        """The newest approval for this exact set of commercial paths whose approver is still a maintainer."""
        candidates = await stored_approvals(ctx, digest)
        if new_approval is not None and new_approval.files_digest == digest:
            candidates.insert(0, new_approval)
        for approval in candidates:
            if await is_maintainer(ctx, config, approval.approved_by):
                return approval
        return None

    async def approve(self, ctx: EventContext, config: CommercialConfig) -> tuple[Approval | None, list[str]]:
        """`/approve-commercial`: an Approval to record, or a short reply saying why not."""
        login = ctx.sender.get("login") or ""
        if not ctx.is_pull_request:
            return None, [f"`{APPROVE}` works on pull requests only."]
        if not await is_maintainer(ctx, config, login):
            return None, [f"@{login} `{APPROVE}` is for commercial maintainers ({who_may_approve(config)}); "
                          "nothing changed."]
        commercial = CommercialPaths(config.paths)
        try:
            files = await ctx.pr_files()
        except IncompleteData:
            return None, ["GitHub could not list every file of this pull request, so there is no definite set of "
                          "commercial files to approve; nothing was recorded."]
        touches = commercial_touches(files, commercial)
        if not touches:
            return None, ["This pull request touches no commercial path; there is nothing to approve."]
        comment = ctx.comment or {}
        url = comment.get("html_url") or f"{ctx.repo_full_name}#{ctx.number}/comment-{comment.get('id')}"
        return Approval(login, time.time(), files_digest(touches, commercial), url), []


RULE = CommercialRule()
