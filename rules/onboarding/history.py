"""What the onboarding rule reads about a contribution: who its author is (the payload, and
whether they are part of the project), what they did in the repository before (the search
API), and what the messages link to (the CONTRIBUTING file, the CLA).

Who is new is decided from the repository's history together with what the bot remembers
(`memory`), never from `author_association` alone: GitHub often says `NONE` for newcomers
and returning people alike. The association is used only to skip owners, members and
collaborators early (`skipped_author`); the API's permission and membership answers
(`part_of_project`) confirm it before anyone is welcomed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

import gidgethub
from pydantic import BaseModel, ConfigDict, ValidationError

from bot.context import EventContext, is_bot
from bot.errors import RetryLater
from bot.github import get_if_present
from bot.markdown import escape_markdown
from rules.common.logins import is_login
from rules.onboarding.store import Kind
from rules.onboarding.templates import render, template_fields

# The rule's own logger, so its log lines read as they did before the rule was split up.
log = logging.getLogger("rules.onboarding")

#: Associations that mean "part of the project": never welcomed.
PROJECT_ASSOCIATIONS = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})
#: Placeholder accounts of imported history: not people to greet.
NOT_PEOPLE_ASSOCIATIONS = frozenset({"MANNEQUIN"})
#: Repository roles that mean "part of the project" (a public repository gives everyone `read`).
PROJECT_ROLES = frozenset({"triage", "write", "maintain", "admin"})
DELETED_USER = "ghost"  # GitHub's stand-in for deleted accounts
SEARCH_PAGE = 100


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
    value = login if is_login(login) else '"' + login.replace('"', "") + '"'
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
    data = await get_if_present(ctx.gh, path, missing=frozenset({403, 404}), remember=False)
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
