"""Onboarding (SPEC §5): welcome each newcomer once, give them a mentor, celebrate the first merge.

Who is new is decided from the repository's history (the search API: the author's earlier
issues and pull requests there) together with what the bot remembers, never from
`author_association` alone: GitHub often says `NONE` for newcomers and returning people
alike. The association is used only to skip owners, members and collaborators early;
the API's permission and membership answers confirm it before anyone is welcomed.

What "first" means:
- a first **issue** is the author's first contribution of any kind here: no earlier issue
  and no earlier pull request. Someone who already sent a pull request is not new any more;
- a first **pull request** is the author's first pull request here, even if they opened
  issues before: it is their first code contribution, so it gets the pull-request welcome
  (tests, CLA) and a mentor;
- the first **merged** pull request is the author's earliest merge here (by merge time).
"Earlier" is by issue number (numbers grow with time), so two deliveries that arrive out of
order still welcome the contribution that came first, and only that one.

Each welcome and each first-merge message is recorded in the database after GitHub took
the writes (`after_apply`), keyed by repository and GitHub user id: once per contributor
and repository, whatever is closed, reopened or redelivered, and even while the search
index has not caught up with a contribution made seconds ago. Before anything is sent, the
contribution also claims its greeting (`claim_greeting`), so two contributions decided at
the same moment, which neither search nor the record can tell apart yet, greet only once.
"""

from __future__ import annotations

import functools
import logging
import re
import string
import time
import unicodedata
from collections.abc import Mapping
from string import Formatter
from typing import Any, Literal
from urllib.parse import quote, urlencode

import gidgethub
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import BigInteger, Column, Float, Integer, String, Table, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.context import EventContext, is_bot
from bot.labels import MAX_LABEL_LENGTH, label_length_ok
from bot.queue import RetryLater
from bot.rule import Comment, Outcome, Rule, RuleConfig
from bot.store import Store, metadata

log = logging.getLogger(__name__)

WELCOME_MARKER = "<!-- governance-bot:welcome -->"
FIRST_MERGE_MARKER = "<!-- governance-bot:first-merge -->"
PLACEHOLDERS = ("author", "repository", "contributing", "cla", "mentor")
LABEL_COLOR = "c2e0c6"
MAX_TEMPLATE_CHARS = 20_000  # GitHub takes 65,536 per comment; leave room for values

OPEN_EVENTS = frozenset({"issues.opened", "pull_request.opened", "pull_request.reopened"})
CLOSED_EVENT = "pull_request.closed"
#: Associations that mean "part of the project": never welcomed.
PROJECT_ASSOCIATIONS = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})
#: Placeholder accounts of imported history: not people to greet.
NOT_PEOPLE_ASSOCIATIONS = frozenset({"MANNEQUIN"})
#: Repository roles that mean "part of the project" (a public repository gives everyone `read`).
PROJECT_ROLES = frozenset({"triage", "write", "maintain", "admin"})
DELETED_USER = "ghost"  # GitHub's stand-in for deleted accounts
SEARCH_PAGE = 100
_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,38})$")
_SEARCHABLE_LOGIN = re.compile(r"^[A-Za-z0-9_-]+$")
_BLANK_LINES = re.compile(r"\n{3,}")

Kind = Literal["issue", "pull_request"]

DEFAULT_WELCOME_ISSUE = """\
Thanks for opening your first issue in {repository}, @{author}! :wave:

A maintainer will look at it soon. Meanwhile:
- If it is a bug, the version you use, the steps to reproduce it and what you expected help a lot; you can edit the issue to add them.
- The contributing guide explains how the project works and how to propose a fix yourself: {contributing}
- Questions are welcome right here, in a comment on this issue."""

DEFAULT_WELCOME_PULL_REQUEST = """\
Thanks for your first pull request to {repository}, @{author}! :tada:

Next steps:
- The contributing guide says how to set up the project and run the tests locally before you push: {contributing}
- {mentor} is asked to review this pull request and is your contact for questions; anyone else here is happy to help too, just comment.
- The Contributor License Agreement ({cla}) must be signed before this can be merged; if you have not signed it yet, the governance report on this pull request gives the exact phrase to comment.
- Checks run on every push. If one fails, its *Details* link says what to fix; `/recheck` runs the bot's checks again."""

DEFAULT_FIRST_MERGE = """\
Congratulations on your first merged pull request in {repository}, @{author}! :rocket:

Thank you for your contribution. If you want to keep going, issues labelled `good first issue` are a good next step, and the contributing guide has more: {contributing}"""


# -- database ---------------------------------------------------------------------------------

welcomed = Table(
    "onboarding_welcomed",
    metadata,
    Column("repository", String(300), primary_key=True),  # owner/name, lower case
    Column("user_id", BigInteger, primary_key=True),  # GitHub user id: a renamed account stays known
    Column("kind", String(16), primary_key=True),  # issue | pull_request
    Column("login", String(100), nullable=False),
    Column("number", Integer, nullable=False),
    Column("at", Float, nullable=False),
)

first_merges = Table(
    "onboarding_first_merge",
    metadata,
    Column("repository", String(300), primary_key=True),
    Column("user_id", BigInteger, primary_key=True),
    Column("login", String(100), nullable=False),
    Column("number", Integer, nullable=False),
    Column("at", Float, nullable=False),
)

# Which contribution each greeting went to, decided before it is sent: two first contributions
# processed at the same moment (while search has not indexed either) cannot both be greeted.
greeting_claims = Table(
    "onboarding_claims",
    metadata,
    Column("repository", String(300), primary_key=True),
    Column("user_id", BigInteger, primary_key=True),
    Column("issue", Integer),  # the number given the first-issue welcome
    Column("pull_request", Integer),  # the number given the first-pull-request welcome
    Column("first_merge", Integer),  # the number given the first-merge message
)

mentor_rotation = Table(
    "onboarding_mentor_rotation",
    metadata,
    Column("repository", String(300), primary_key=True),
    Column("next_index", BigInteger, nullable=False),  # turns taken so far
)

mentor_assignments = Table(
    "onboarding_mentor_assignments",
    metadata,
    Column("repository", String(300), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("mentor", String(100), nullable=False),
    Column("at", Float, nullable=False),
)


def repository_key(full_name: str) -> str:
    return full_name.lower()


async def insert_first(store: Store, conn: AsyncConnection, table: Table, **values: Any) -> None:
    """Insert a row unless one with the same primary key exists: the first record wins, so a
    concurrent or redelivered event cannot overwrite it."""
    keys = [column.name for column in table.primary_key]
    await conn.execute(store.insert(table).values(**values).on_conflict_do_nothing(index_elements=keys))


async def remembered_kinds(store: Store, repository: str, user_id: int) -> set[str]:
    """The welcome kinds this contributor already got in this repository."""
    async with store.transaction() as conn:
        rows = await conn.execute(select(welcomed.c.kind).where(
            welcomed.c.repository == repository_key(repository), welcomed.c.user_id == user_id))
        return {row.kind for row in rows}


async def remember_welcome(store: Store, repository: str, user_id: int, login: str, kind: Kind, number: int) -> None:
    """Record a welcome; the first record wins, so a concurrent one cannot overwrite it."""
    async with store.transaction() as conn:
        await insert_first(store, conn, welcomed, repository=repository_key(repository), user_id=user_id, kind=kind,
                           login=login, number=number, at=time.time())


Greeting = Literal["issue", "pull_request", "first_merge"]


async def claim_greeting(store: Store, repository: str, user_id: int, greeting: Greeting, number: int) -> bool:
    """Decide once, for everyone, which contribution gets this greeting: True for `number`.

    One row per contributor and repository, locked while deciding (SQLite's single writer,
    PostgreSQL's row lock), so an issue and a pull request decided at the same moment see
    each other. A retry of the same contribution finds its own claim and goes on; an issue
    welcome is not due to someone whose pull request was welcomed.
    """
    key = (greeting_claims.c.repository == repository_key(repository), greeting_claims.c.user_id == user_id)
    async with store.transaction() as conn:
        await insert_first(store, conn, greeting_claims, repository=repository_key(repository), user_id=user_id)
        row = (await conn.execute(select(greeting_claims).where(*key).with_for_update())).mappings().one()
        if row[greeting] is not None:
            return row[greeting] == number
        if greeting == "issue" and row["pull_request"] is not None:
            return False
        await conn.execute(update(greeting_claims).where(*key).values({greeting: number}))
        return True


async def first_merge_remembered(store: Store, repository: str, user_id: int) -> bool:
    async with store.transaction() as conn:
        row = (await conn.execute(select(first_merges.c.number).where(
            first_merges.c.repository == repository_key(repository), first_merges.c.user_id == user_id))).first()
        return row is not None


async def remember_first_merge(store: Store, repository: str, user_id: int, login: str, number: int) -> None:
    async with store.transaction() as conn:
        await insert_first(store, conn, first_merges, repository=repository_key(repository), user_id=user_id,
                           login=login, number=number, at=time.time())


async def take_turn(store: Store, conn: AsyncConnection, repository: str) -> int:
    """Atomically take the repository's next mentor turn (0, 1, 2...), fair across replicas.

    One INSERT ... ON CONFLICT DO UPDATE ... RETURNING statement: the database serialises
    concurrent callers, so no two of them get the same turn.
    """
    stmt = store.insert(mentor_rotation).values(repository=repository_key(repository), next_index=1)
    stmt = stmt.on_conflict_do_update(index_elements=["repository"],
                                      set_={"next_index": mentor_rotation.c.next_index + 1})
    taken = (await conn.execute(stmt.returning(mentor_rotation.c.next_index))).scalar_one()
    return int(taken) - 1


async def peek_turn(store: Store, repository: str) -> int:
    """The next turn without taking it (dry runs write nothing)."""
    async with store.transaction() as conn:
        value = (await conn.execute(select(mentor_rotation.c.next_index).where(
            mentor_rotation.c.repository == repository_key(repository)))).scalar()
        return int(value or 0)


async def assign_mentor(store: Store, repository: str, number: int, mentors: list[str], *,
                        dry_run: bool = False) -> str | None:
    """The mentor of this pull request: the one chosen before (a retried delivery keeps its
    mentor and does not take another turn), else the next in turn."""
    if not mentors:
        return None
    key = repository_key(repository)
    by_lower = {m.lower(): m for m in mentors}
    async with store.transaction() as conn:
        chosen = (await conn.execute(select(mentor_assignments.c.mentor).where(
            mentor_assignments.c.repository == key, mentor_assignments.c.number == number))).scalar()
    if chosen is not None and chosen.lower() in by_lower:
        return by_lower[chosen.lower()]
    if dry_run:
        return mentors[await peek_turn(store, repository) % len(mentors)]
    async with store.transaction() as conn:
        mentor = mentors[await take_turn(store, conn, repository) % len(mentors)]
        values = dict(repository=key, number=number, mentor=mentor, at=time.time())
        if chosen is None:
            await insert_first(store, conn, mentor_assignments, **values)
        else:  # the mentor chosen before left the list: the new one replaces them
            await store.upsert(conn, mentor_assignments, values, ["repository", "number"])
        return mentor


# -- templates and escaping -------------------------------------------------------------------

def template_fields(template: str) -> list[str]:
    """The placeholders a template uses; ValueError with a message for the rules file if malformed."""
    allowed = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
    try:
        parsed = list(Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"{exc}; write {{{{ or }}}} for a literal brace") from None
    names: list[str] = []
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in PLACEHOLDERS:
            shown = "{" + name + "}"
            raise ValueError(f"unknown placeholder {shown}; use {allowed} (write {{{{ or }}}} for a literal brace)")
        if spec or conversion:
            raise ValueError(f"placeholder {{{name}}} takes no format or conversion")
        names.append(name)
    return names


def render(template: str, values: Mapping[str, str | None]) -> str:
    """Fill the placeholders. A line that uses a placeholder without a value (no CLA, no
    mentor) is left out, so templates can say "sign the CLA: {cla}" and read well either way."""
    lines: list[str] = []
    for line in template.split("\n"):
        parts: list[str] = []
        for literal, name, _spec, _conversion in Formatter().parse(line):
            parts.append(literal)
            if name is None:
                continue
            value = values.get(name)
            if value is None:
                break
            parts.append(value)
        else:
            lines.append("".join(parts))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def escape_markdown(text: str, keep: str = "-") -> str:
    """User-controlled text as literal Markdown: every ASCII punctuation mark is
    backslash-escaped (no emphasis, links, HTML, entities or hidden markers can form), an
    `@` cannot start a mention, and line breaks and invisible format characters are gone,
    so the text cannot leave its line. Letters, digits, `keep` and intraword `_` stay as
    they are, so an ordinary login still renders, and mentions, exactly as typed."""
    cleaned = "".join(" " if ch.isspace() or unicodedata.category(ch) == "Cc" else ch
                      for ch in text if unicodedata.category(ch) != "Cf")
    cleaned = " ".join(cleaned.split())
    out: list[str] = []
    for i, ch in enumerate(cleaned):
        if ch.isalnum() or ch == " " or ch in keep:
            out.append(ch)
        elif ch == "_" and 0 < i < len(cleaned) - 1 and cleaned[i - 1].isalnum() and cleaned[i + 1].isalnum():
            out.append(ch)  # intraword underscores never make emphasis
        elif ch == "@":
            out.append("@\u2060")  # a word joiner after @: nothing GitHub reads as a mention
        elif ch in string.punctuation:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


# -- configuration ----------------------------------------------------------------------------

def _check_template(value: str | None) -> str | None:
    if value is None:
        return None
    if len(value) > MAX_TEMPLATE_CHARS:
        raise ValueError(f"longer than {MAX_TEMPLATE_CHARS} characters")
    template_fields(value)
    return value if value.strip() else None


class OnboardingConfig(RuleConfig):
    """`onboarding:` in `.github/governance.yml`. `onboarding: {}` gives a complete, friendly setup."""

    welcome_issue: str | None = Field(
        default=DEFAULT_WELCOME_ISSUE,
        description="Comment on a contributor's first issue. Placeholders: {author}, {repository}, {contributing}, "
                    "{cla}, {mentor}; a line whose placeholder has no value is left out. Empty: no comment.")
    welcome_pull_request: str | None = Field(
        default=DEFAULT_WELCOME_PULL_REQUEST,
        description="Comment on a contributor's first pull request (same placeholders). Empty: no comment.")
    first_merge: str | None = Field(
        default=DEFAULT_FIRST_MERGE,
        description="Comment on a contributor's first merged pull request (same placeholders). Empty: no comment.")
    label: str | None = Field(default="first-time-contributor",
                              description="Label added to a first issue or pull request. Empty: no label.")
    mentors: list[str] = Field(default_factory=list,
                               description="Logins asked, in turn, to review each first pull request.")

    @field_validator("welcome_issue", "welcome_pull_request", "first_merge")
    @classmethod
    def _templates(cls, value: str | None) -> str | None:
        return _check_template(value)

    @field_validator("label")
    @classmethod
    def _label(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if not label_length_ok(value):
            raise ValueError(f"a label name has at most {MAX_LABEL_LENGTH} characters")
        return value

    @field_validator("mentors")
    @classmethod
    def _mentors(cls, value: list[str]) -> list[str]:
        seen: dict[str, str] = {}
        for raw in value:
            login = raw.strip().removeprefix("@")
            if "/" in login:
                raise ValueError(f"{raw!r}: mentors are people (GitHub logins), not teams")
            if not _LOGIN.fullmatch(login):
                raise ValueError(f"{raw!r} is not a GitHub login")
            seen.setdefault(login.lower(), login)
        return list(seen.values())


# -- payload ----------------------------------------------------------------------------------

class Author(BaseModel):
    model_config = ConfigDict(extra="ignore")
    login: str
    id: int
    type: str = "User"


class Contribution(BaseModel):
    """The part of an issue or pull request payload this rule reads."""

    model_config = ConfigDict(extra="ignore")
    number: int
    user: Author
    author_association: str = "NONE"
    merged: bool = False
    merged_at: str | None = None


def contribution_of(ctx: EventContext) -> Contribution | None:
    raw = ctx.payload.get("pull_request") if ctx.event == "pull_request" else ctx.payload.get("issue")
    try:
        return Contribution.model_validate(raw)
    except ValidationError:
        log.info("onboarding: the payload has no usable issue or pull request author")
        return None


# -- reading the repository's history ---------------------------------------------------------

async def search(ctx: EventContext, query: str) -> dict[str, Any]:
    """One page of the issue search, oldest first. An incomplete answer (GitHub's search
    timed out) is retried later rather than read as "no history"."""
    params = {"q": query, "sort": "created", "order": "asc", "per_page": str(SEARCH_PAGE)}
    data = await ctx.gh.getitem("/search/issues?" + urlencode(params, quote_via=quote))
    if data.get("incomplete_results"):
        raise RetryLater("the search API gave incomplete results; the newcomer check is retried")
    return data


def author_query(repository: str, login: str) -> str:
    value = login if _SEARCHABLE_LOGIN.fullmatch(login) else '"' + login.replace('"', "") + '"'
    return f"repo:{repository} author:{value}"


async def has_earlier(ctx: EventContext, item: Contribution, kind: Kind) -> bool:
    """Whether the author opened something here before this one: a pull request for a PR,
    anything for an issue. Only lower numbers count, so the delivery order does not matter."""
    query = author_query(ctx.repo_full_name, item.user.login)
    if kind == "pull_request":
        query += " is:pr"
    # Oldest first: if the first page holds nothing older than this one, nothing is older.
    data = await search(ctx, query)
    return any(int(found.get("number", 0)) < item.number for found in data.get("items") or [])


def _merge_key(found: Mapping[str, Any]) -> tuple[str, int]:
    merged_at = ((found.get("pull_request") or {}).get("merged_at")) or ""
    return merged_at, int(found.get("number", 0))


async def has_earlier_merge(ctx: EventContext, item: Contribution) -> bool:
    """Whether another of the author's pull requests here was merged before this one."""
    data = await search(ctx, author_query(ctx.repo_full_name, item.user.login) + " is:pr is:merged")
    others = [found for found in data.get("items") or [] if int(found.get("number", 0)) != item.number]
    if int(data.get("total_count") or 0) > len(data.get("items") or []):
        return True  # more merged pull requests than a page: not the first
    mine = (item.merged_at or "9999", item.number)
    # A result without merged_at (older GitHub Enterprise) counts as earlier: never celebrate twice.
    return any(not _merge_key(found)[0] or _merge_key(found) < mine for found in others)


async def part_of_project(ctx: EventContext, login: str) -> bool:
    """The API's word, since `author_association` can lag or hide private membership."""
    if await ctx.permission(login) in PROJECT_ROLES:
        return True
    owner = ctx.repository.get("owner") or {}
    if owner.get("type") == "Organization":
        try:
            return await ctx.is_org_member(ctx.owner, login)
        except gidgethub.HTTPException:
            return False
    return False


def skipped_author(item: Contribution) -> str | None:
    """Why this author is never greeted, if so (cheap checks, before any API call)."""
    if is_bot(item.user.model_dump()):
        return "a bot"
    if item.user.login.lower() == DELETED_USER:
        return "a deleted account"
    association = item.author_association.upper()
    if association in PROJECT_ASSOCIATIONS:
        return f"{association.lower()} of the repository"
    if association in NOT_PEOPLE_ASSOCIATIONS:
        return "a placeholder account"
    return None


# -- what the messages link to ----------------------------------------------------------------

_CONTRIBUTING = re.compile(r"^contributing(\.(md|markdown|mdown|rst|txt|adoc|asciidoc|org))?$", re.IGNORECASE)
CONTRIBUTING_FOLDERS = (".github", "", "docs")  # where GitHub looks, in its order


async def _listing(ctx: EventContext, repository: str, folder: str) -> list[dict[str, Any]]:
    path = f"/repos/{repository}/contents/{quote(folder)}" if folder else f"/repos/{repository}/contents/"
    try:
        data = await ctx.gh.getitem(path)
    except gidgethub.BadRequest as exc:
        if int(exc.status_code) in (403, 404):
            return []
        raise
    return data if isinstance(data, list) else []


def _pick_contributing(entries: list[dict[str, Any]]) -> str | None:
    files = [e for e in entries if e.get("type") in ("file", "symlink") and _CONTRIBUTING.fullmatch(str(e.get("name")))]
    files.sort(key=lambda e: (not str(e["name"]).lower().endswith(".md"), str(e["name"])))
    return files[0].get("html_url") if files else None


async def _contributing_in(ctx: EventContext, repository: str) -> str | None:
    for folder in CONTRIBUTING_FOLDERS:
        url = _pick_contributing(await _listing(ctx, repository, folder))
        if url:
            return url
    return None


async def _org_default_public(ctx: EventContext, repository: str) -> bool:
    """GitHub shows an organisation's default CONTRIBUTING only from a public `.github` repository."""
    try:
        data = await ctx.gh.getitem(f"/repos/{repository}")
    except gidgethub.BadRequest:
        return False
    return isinstance(data, dict) and not data.get("private", True)


async def contributing_url(ctx: EventContext) -> str:
    """The repository's CONTRIBUTING file on its default branch (or the organisation's default
    one, as GitHub shows it), else the repository itself."""
    async def find() -> str:
        url = await _contributing_in(ctx, ctx.repo_full_name)
        org_defaults = f"{ctx.owner}/.github"
        if url is None and org_defaults.lower() != ctx.repo_full_name.lower() \
                and await _org_default_public(ctx, org_defaults):
            url = await _contributing_in(ctx, org_defaults)
        return url or ctx.repository.get("html_url") or f"https://github.com/{ctx.repo_full_name}"
    return await ctx.memo("onboarding-contributing", find)


def cla_document(ctx: EventContext) -> str | None:
    """The CLA link when the `cla` rule is on in this repository (read defensively: it is
    another rule's section)."""
    section = ctx.config.section("cla")
    document = getattr(section, "document", None)
    return document if isinstance(document, str) and document.strip() else None


async def message(ctx: EventContext, template: str, item: Contribution, mentor: str | None) -> str:
    used = set(template_fields(template))
    values: dict[str, str | None] = {
        "author": escape_markdown(item.user.login),
        "repository": escape_markdown(ctx.repo_full_name, keep="-./"),
        "contributing": await contributing_url(ctx) if "contributing" in used else None,
        "cla": cla_document(ctx),
        "mentor": f"@{mentor}" if mentor else None,
    }
    return render(template, values)


# -- the rule ---------------------------------------------------------------------------------

def is_dry_run(ctx: EventContext) -> bool:
    return ctx.dry_run


class OnboardingRule(Rule):
    name = "onboarding"
    config_model = OnboardingConfig
    events = OPEN_EVENTS | {CLOSED_EVENT}
    permissions = {"issues": "write", "pull_requests": "write", "contents": "read", "metadata": "read",
                   "members": "read"}
    webhook_events = ("issues", "pull_request")

    async def handle(self, ctx: EventContext, config: OnboardingConfig) -> Outcome:
        item = contribution_of(ctx)
        if item is None or ctx.number is None:
            return Outcome()
        reason = skipped_author(item)
        if reason is not None:
            log.debug("onboarding: %s is %s; not greeted", item.user.login, reason)
            return Outcome()
        if ctx.event_key in OPEN_EVENTS:
            return await self._welcome(ctx, config, item, "pull_request" if ctx.event == "pull_request" else "issue")
        if ctx.event_key == CLOSED_EVENT and item.merged:
            return await self._first_merge(ctx, config, item)
        return Outcome()

    async def _welcome(self, ctx: EventContext, config: OnboardingConfig, item: Contribution, kind: Kind) -> Outcome:
        known = await remembered_kinds(ctx.store, ctx.repo_full_name, item.user.id)
        # A pull request welcome is due once; an issue welcome only to someone never welcomed.
        if (kind == "pull_request" and "pull_request" in known) or (kind == "issue" and known):
            return Outcome()
        if await has_earlier(ctx, item, kind) or await part_of_project(ctx, item.user.login):
            return Outcome()
        if not await self._claim(ctx, item, kind):
            return Outcome()
        mentor = None
        if kind == "pull_request":
            candidates = [m for m in config.mentors if m.lower() != item.user.login.lower()]
            mentor = await assign_mentor(ctx.store, ctx.repo_full_name, item.number, candidates,
                                         dry_run=is_dry_run(ctx))
        template = config.welcome_pull_request if kind == "pull_request" else config.welcome_issue
        outcome = Outcome(after_apply=[functools.partial(
            remember_welcome, ctx.store, ctx.repo_full_name, item.user.id, item.user.login, kind, item.number)])
        if template:
            body = await message(ctx, template, item, mentor)
            if body:
                outcome.comments.append(Comment(f"{WELCOME_MARKER}\n{body}", marker=WELCOME_MARKER))
        if config.label:
            outcome.add_labels.append(config.label)
            outcome.label_colors[config.label] = LABEL_COLOR
        if mentor:
            outcome.reviewers.append(mentor)
        log.info("onboarding: welcoming %s on %s#%s (%s)", item.user.login, ctx.repo_full_name, item.number, kind)
        return outcome

    @staticmethod
    async def _claim(ctx: EventContext, item: Contribution, greeting: Greeting) -> bool:
        if is_dry_run(ctx):  # a replay decides nothing for the real run
            return True
        if await claim_greeting(ctx.store, ctx.repo_full_name, item.user.id, greeting, item.number):
            return True
        log.info("onboarding: %s of %s went to another contribution of theirs; nothing on %s#%s",
                 greeting, item.user.login, ctx.repo_full_name, item.number)
        return False

    async def _first_merge(self, ctx: EventContext, config: OnboardingConfig, item: Contribution) -> Outcome:
        if await first_merge_remembered(ctx.store, ctx.repo_full_name, item.user.id):
            return Outcome()
        if await has_earlier_merge(ctx, item) or await part_of_project(ctx, item.user.login):
            return Outcome()
        if not await self._claim(ctx, item, "first_merge"):
            return Outcome()
        outcome = Outcome(after_apply=[functools.partial(
            remember_first_merge, ctx.store, ctx.repo_full_name, item.user.id, item.user.login, item.number)])
        if config.first_merge:
            body = await message(ctx, config.first_merge, item, None)
            if body:
                outcome.comments.append(Comment(f"{FIRST_MERGE_MARKER}\n{body}", marker=FIRST_MERGE_MARKER))
        log.info("onboarding: first merge of %s on %s#%s", item.user.login, ctx.repo_full_name, item.number)
        return outcome


RULE = OnboardingRule()
