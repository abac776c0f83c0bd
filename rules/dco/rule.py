"""DCO rule: every commit carries its author's `Signed-off-by:` (Developer Certificate of Origin).

On every evaluation of a pull request it reads every commit (beyond the 250 the PR commits
list gives, failing closed if GitHub cannot list them all), skips merge commits, commits by
`allowlist`ed accounts and, with `require_for_members: false`, by members of the owning
organisation, and sets `governance/dco`. Nothing is stored: the commits are the record.
Merge groups get the status on their head commit, computed over the commits the group adds,
so merge queues keep moving.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from bot.errors import IncompleteData
from bot.rule import Outcome, Rule
from rules.common.logins import allowlisted
from rules.common.merge_queue import MERGE_GROUP_EVENT, merge_group_range
from rules.common.noreply import noreply_host

from . import report as render
from .check import CommitFacts, Verdict, facts, judge
from .config import DcoConfig

if TYPE_CHECKING:
    from bot.context import EventContext

# Above this much commit text the parsing runs off the event loop.
INLINE_MESSAGE_CHARS = 256 * 1024


class DcoRule(Rule[DcoConfig]):
    name = "dco"
    config_model = DcoConfig
    status_context = render.STATUS_CONTEXT
    evaluates_pull_requests = True
    events = frozenset({MERGE_GROUP_EVENT})
    # GitHub App permission names, as in the App manifest.
    permissions = {
        "statuses": "write",  # governance/dco
        "pull_requests": "read",  # the PR and its commits
        "issues": "write",  # the report comment
        "contents": "read",  # the rules file; compare for PRs beyond 250 commits and merge groups
        "metadata": "read",
        "members": "read",  # require_for_members: false
        "merge_queues": "read",  # merge_group events
    }
    webhook_events = ("pull_request", "merge_group")

    async def handle(self, ctx: "EventContext", config: DcoConfig) -> Outcome:
        if ctx.event_key == MERGE_GROUP_EVENT:
            return await self._merge_group(ctx, config)
        if not ctx.is_pr_evaluation:
            return Outcome()
        try:
            commits = await ctx.pr_commits()
        except IncompleteData as exc:
            verdict = Verdict(incomplete=str(exc).split(";")[0])
        else:
            verdict = await assess(ctx, config, commits)
        return Outcome(statuses=[render.status(verdict, config)], report=render.report(verdict, config))

    async def _merge_group(self, ctx: "EventContext", config: DcoConfig) -> Outcome:
        found = merge_group_range(ctx.payload)
        if found is None:
            return Outcome()
        base, head = found
        try:
            commits = await ctx.compare_commits(base, head)
        except IncompleteData as exc:
            verdict = Verdict(incomplete=str(exc).split(";")[0])
        else:
            verdict = await assess(ctx, config, commits)
        return Outcome(statuses=[render.status(verdict, config, sha=head)])


async def assess(ctx: "EventContext", config: DcoConfig, commits: list[dict[str, Any]]) -> Verdict:
    """Read the commits, settle who is exempt (allowlist, membership), then judge them."""
    host = noreply_host(ctx.settings.github_api_url)
    size = sum(len(str((c.get("commit") or {}).get("message") or "")) for c in commits)
    if size > INLINE_MESSAGE_CHARS:
        found = await asyncio.to_thread(lambda: [facts(c, host) for c in commits])
    else:
        found = [facts(c, host) for c in commits]
    exempt = await exempt_commits(ctx, config, found)
    allowed = config.allow_remediation_commits
    if size > INLINE_MESSAGE_CHARS:
        return await asyncio.to_thread(judge, found, exempt, allowed, host)
    return judge(found, exempt, allowed, host)


async def exempt_commits(ctx: "EventContext", config: DcoConfig, commits: list[CommitFacts]) -> set[str]:
    """SHAs whose author needs no sign-off: allowlisted accounts, and organisation members when
    `require_for_members` is false. An author linked to no account is never exempt."""
    logins: dict[str, str] = {}  # lower-case login -> as GitHub spells it
    for commit in commits:
        if commit.account is not None and not commit.is_merge:
            logins.setdefault(commit.account[1].lower(), commit.account[1])
    exempt_logins = {key for key, login in logins.items() if allowlisted(login, config.allowlist) is not None}
    if not config.require_for_members:
        org = await owning_organisation(ctx)
        remaining = [login for key, login in logins.items() if key not in exempt_logins]
        if org is not None and remaining:
            members = await asyncio.gather(*(ctx.is_org_member(org, login) for login in remaining))
            exempt_logins.update(login.lower() for login, member in zip(remaining, members) if member)
    return {c.sha for c in commits if c.account is not None and c.account[1].lower() in exempt_logins}


async def owning_organisation(ctx: "EventContext") -> str | None:
    """The organisation that owns the repository, or None for a user's repository. Re-evaluation
    payloads carry only the owner's login, so the pull request's base tells then."""
    owner = ctx.repository.get("owner") or {}
    if "type" not in owner and ctx.number is not None and ctx.is_pull_request:
        pr = await ctx.pull_request()
        owner = ((pr.get("base") or {}).get("repo") or {}).get("owner") or {}
    if owner.get("type") == "Organization" and owner.get("login"):
        return str(owner["login"])
    return None


RULE = DcoRule()
