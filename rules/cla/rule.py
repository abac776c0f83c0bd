"""CLA rule: everyone involved in a change signs the Contributor License Agreement once.

On every evaluation of a pull request it collects the people involved (see
`identities`), reads every commit (beyond the 250 the PR commits list gives,
failing closed if GitHub cannot list them all), and sets `governance/cla` to success or
failure, never leaving it pending. A contributor signs by commenting the sign phrase on
any pull request of the installation; that PR and every other open PR waiting for them
are evaluated again at once. Merge groups get the status on their head commit, computed
over the commits the group adds, so merge queues keep moving.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.context import is_bot
from bot.errors import IncompleteData
from bot.rule import Outcome, Reevaluate, Rule
from rules.cla import dashboard
from rules.cla import report as render
from rules.cla import store as signatures
from rules.cla.config import ClaConfig, signs
from rules.cla.identities import (
    Identity,
    Involvement,
    collect,
    resolve_co_authors,
    settle_pending,
)
from rules.cla.report import Verdict
from rules.common.logins import allowlisted
from rules.common.merge_queue import MERGE_GROUP_EVENT, merge_group_range
from rules.common.noreply import noreply_host

if TYPE_CHECKING:
    from bot.context import EventContext
    from bot.dashboard import ActionAnswer, Panel, Scope

log = logging.getLogger(__name__)

SIGNING_EVENTS = frozenset({"issue_comment.created", "issue_comment.edited"})
CLOSED_EVENT = "pull_request.closed"


@dataclass(frozen=True)
class Owner:
    """The account that owns the repository: signatures are scoped to it."""

    login: str
    id: int
    is_organization: bool


@dataclass(frozen=True)
class Signer:
    user_id: int
    login: str
    comment_url: str
    action: str  # "created" or "edited": how the comment came to hold the phrase
    actor_id: int  # who wrote (or edited) it: the signer, checked
    actor_login: str


class ClaRule(Rule[ClaConfig]):
    name = "cla"
    config_model = ClaConfig
    status_context = render.STATUS_CONTEXT
    evaluates_pull_requests = True
    events = SIGNING_EVENTS | {MERGE_GROUP_EVENT, CLOSED_EVENT}
    # GitHub App permission names, as in the App manifest.
    permissions = {
        "statuses": "write",  # governance/cla
        "pull_requests": "read",  # the PR and its commits
        "issues": "write",  # the report comment
        "contents": "read",  # the rules file, compare, commit authors (GraphQL)
        "metadata": "read",
        "members": "read",  # exempt_org_members, covered_organizations
        "merge_queues": "read",  # merge_group events
    }
    webhook_events = ("pull_request", "issue_comment", "merge_group")

    def starts_evaluation(self, ctx: "EventContext", config: ClaConfig) -> bool:
        """A signing comment evaluates its pull request at once (status and report)."""
        return signing_comment(ctx, config) is not None

    async def handle(self, ctx: "EventContext", config: ClaConfig) -> Outcome:
        if ctx.event_key == MERGE_GROUP_EVENT:
            return await self._merge_group(ctx, config)
        if ctx.event_key == CLOSED_EVENT and ctx.number is not None:
            await signatures.forget_pull_request(ctx.store, ctx.repo_full_name, ctx.number)
            return Outcome()
        outcome = Outcome()
        signer = signing_comment(ctx, config)
        if signer is not None:
            outcome.reevaluate.extend(await self._sign(ctx, config, signer))
        if ctx.is_pr_evaluation:
            evaluated = await self._evaluate_pull_request(ctx, config)
            outcome.statuses.extend(evaluated.statuses)
            outcome.report = evaluated.report
        return outcome

    # -- signing -------------------------------------------------------------------------------

    async def _sign(self, ctx: "EventContext", config: ClaConfig, signer: Signer) -> list[Reevaluate]:
        """Record the signature, then name every open PR that should look again."""
        owner = await owner_of(ctx)
        current = await signatures.active_signatures(ctx.store, owner.id, [signer.user_id], [config.version])
        if signer.user_id not in current:
            await signatures.record_signature(ctx.store, signatures.NewSignature(
                owner=owner.login, owner_id=owner.id, user_id=signer.user_id, login=signer.login,
                version=config.version, repository=ctx.repo_full_name, pull_request=int(ctx.number or 0),
                comment_url=signer.comment_url, action=signer.action, actor_id=signer.actor_id,
                actor_login=signer.actor_login))
            log.info("CLA version %s signed by %s (id %s) for %s", config.version, signer.login, signer.user_id,
                     owner.login)
        targets = await signatures.waiting_for(ctx.store, owner.id, signer.user_id)
        if not ctx.is_pr_evaluation:  # this PR is evaluated right now otherwise
            targets.insert(0, (ctx.repo_full_name, int(ctx.number or 0)))
        elif (ctx.repo_full_name, ctx.number) in targets:
            targets.remove((ctx.repo_full_name, ctx.number))
        return [Reevaluate(repository, number) for repository, number in dict.fromkeys(targets)]

    # -- pull requests -------------------------------------------------------------------------

    async def _evaluate_pull_request(self, ctx: "EventContext", config: ClaConfig) -> Outcome:
        pr = await ctx.pull_request()
        owner = await owner_of(ctx, pr)
        number = int(pr["number"])
        try:
            commits = await ctx.pr_commits()
        except IncompleteData as exc:
            verdict = Verdict(incomplete=str(exc).split(";")[0])
        else:
            async def before_reading_signatures(candidates: list[Identity]) -> None:
                # Written before signatures are read: a signature recorded meanwhile either is
                # seen below, or its signer finds this PR waiting and re-evaluates it.
                await signatures.mark_involved(ctx.store, owner.id, ctx.installation_id, ctx.repo_full_name, number,
                                               {i.user_id for i in candidates})

            verdict = await assess(ctx, config, owner, commits, pr_author=pr.get("user"),
                                   before_reading_signatures=before_reading_signatures)
            await signatures.record_verdict(ctx.store, owner.id, ctx.installation_id, ctx.repo_full_name, number,
                                            waiting={i.user_id for i in verdict.unsigned}, relying=verdict.signed)
        return Outcome(statuses=[render.status(verdict, config, owner_login=owner.login, web_host=web_host(ctx))],
                       report=render.report(verdict, config, owner.login, web_host(ctx)))

    # -- merge queues --------------------------------------------------------------------------

    async def _merge_group(self, ctx: "EventContext", config: ClaConfig) -> Outcome:
        found = merge_group_range(ctx.payload)
        if found is None:
            return Outcome()
        base, head = found
        owner = owner_from_account(ctx.repository.get("owner"))
        if owner is None:
            raise ValueError("merge_group payload has no repository owner id")
        try:
            commits = await ctx.compare_commits(base, head)
        except IncompleteData as exc:
            verdict = Verdict(incomplete=str(exc).split(";")[0])
        else:
            verdict = await assess(ctx, config, owner, commits, pr_author=None)
        return Outcome(statuses=[render.status(verdict, config, sha=head, owner_login=owner.login,
                                               web_host=web_host(ctx))])

    # -- command line --------------------------------------------------------------------------

    async def dashboard(self, scope: "Scope") -> list["Panel"]:
        return await dashboard.panels(scope)

    async def dashboard_export(self, scope: "Scope", panel: str) -> list[dict[str, Any]] | None:
        return await dashboard.export(scope, panel)

    async def dashboard_action(self, scope: "Scope", panel: str, action: str, key: str,
                               confirmed: bool) -> "ActionAnswer | None":
        return await dashboard.action(scope, panel, action, key, confirmed)

    def add_cli(self, subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
        from rules.cla.cli import add_cli

        add_cli(subparsers)


# -- the check itself ------------------------------------------------------------------------------

async def assess(ctx: "EventContext", config: ClaConfig, owner: Owner, commits: list[dict[str, Any]], *,
                 pr_author: dict[str, Any] | None,
                 before_reading_signatures: Callable[[list[Identity]], Awaitable[None]] | None = None) -> Verdict:
    """Who has not signed, and which commits nobody can sign for."""
    found = collect(pr_author, commits, co_authors=config.co_authors)
    await settle_co_authors(ctx, found)
    candidates = [i for i in found.identities.values() if allowlisted(i.login, config.allowlist) is None]
    if before_reading_signatures is not None:
        await before_reading_signatures(candidates)
    signed = await signatures.active_signatures(ctx.store, owner.id, [i.user_id for i in candidates],
                                                config.counted_versions())
    await signatures.remember_logins(ctx.store, {
        i.user_id: i.login for i in candidates
        if i.user_id in signed and signed[i.user_id]["login"].lower() != i.login.lower()})
    remaining = [i for i in candidates if i.user_id not in signed]
    covered = await asyncio.gather(*(covered_by_membership(ctx, config, owner, i.login) for i in remaining))
    unsigned = [i for i, is_covered in zip(remaining, covered) if not is_covered]
    return Verdict(unsigned=unsigned, unlinked=found.unlinked, signed=set(signed))


async def settle_co_authors(ctx: "EventContext", found: Involvement) -> None:
    if found.pending:
        resolved = await resolve_co_authors(ctx.gh, ctx.owner, ctx.repo_name, found.pending)
        settle_pending(found, resolved)


async def covered_by_membership(ctx: "EventContext", config: ClaConfig, owner: Owner, login: str) -> bool:
    """Exempt as a member of the owning organisation, or covered by a corporate CLA."""
    if config.exempt_org_members and owner.is_organization and await ctx.is_org_member(owner.login, login):
        return True
    for org in config.covered_organizations:
        if await ctx.is_org_member(org, login):
            return True
    return False


# -- reading the event -----------------------------------------------------------------------------

def signing_comment(ctx: "EventContext", config: ClaConfig) -> Signer | None:
    """The commenter, when this comment newly signs: on a PR, by a person, being the phrase,
    written (or edited) by that person."""
    if ctx.event_key not in SIGNING_EVENTS or ctx.comment is None or not ctx.is_pull_request or ctx.number is None:
        return None
    user = ctx.comment.get("user") or {}
    if is_bot(user) or not isinstance(user.get("id"), int) or not user.get("login"):
        return None
    actor = ctx.sender
    if actor.get("id") != user["id"]:
        # An edit by someone else (a collaborator may edit any comment) is not the author's consent.
        return None
    if not signs(ctx.comment.get("body"), config.sign_phrase):
        return None
    if ctx.action == "edited":
        previous = ((ctx.payload.get("changes") or {}).get("body") or {}).get("from")
        if isinstance(previous, str) and signs(previous, config.sign_phrase):
            return None  # it signed when it was written; an edit does not sign again
    url = ctx.comment.get("html_url") or f"https://github.com/{ctx.repo_full_name}/pull/{ctx.number}"
    return Signer(user["id"], user["login"], str(url), ctx.action or "created", actor["id"], str(actor.get("login")))


def owner_from_account(account: Any) -> Owner | None:
    if isinstance(account, dict) and isinstance(account.get("id"), int) and account.get("login"):
        return Owner(account["login"], account["id"], account.get("type") == "Organization")
    return None


async def owner_of(ctx: "EventContext", pr: dict[str, Any] | None = None) -> Owner:
    """The repository owner with its id: from the payload, else from the pull request's base
    (re-evaluation payloads carry only the owner's login)."""
    owner = owner_from_account(ctx.repository.get("owner"))
    if owner is not None:
        return owner
    pr = pr if pr is not None else await ctx.pull_request()
    owner = owner_from_account((((pr.get("base") or {}).get("repo") or {}).get("owner")))
    if owner is None:
        raise ValueError(f"cannot tell who owns {ctx.repo_full_name}: no owner id from GitHub")
    return owner


def web_host(ctx: "EventContext") -> str:
    return noreply_host(ctx.settings.github_api_url)


RULE = ClaRule()
