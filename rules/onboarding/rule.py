"""Onboarding (SPEC §5): welcome each newcomer once, give them a mentor, celebrate the first merge.

Who is new is decided from the repository's history (the search API: the author's earlier
issues and pull requests there) together with what the bot remembers, never from
`author_association` alone (see `history`).

What "first" means:
- a first **issue** is the author's first contribution of any kind here: no earlier issue
  and no earlier pull request. Someone who already sent a pull request is not new any more;
- a first **pull request** is the author's first pull request here, even if they opened
  issues before: it is their first code contribution, so it gets the pull-request welcome
  (tests, CLA) and a mentor;
- the first **merged** pull request is the author's earliest merge here (by merge time).
"Earlier" is by issue number (numbers grow with time), so two deliveries that arrive out of
order still welcome the contribution that came first, and only that one.

Each greeting is claimed before it is sent and recorded once GitHub took the writes, per
contributor and repository (see `store`). The messages and their
placeholders are in `templates`.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from bot.context import EventContext
from bot.dashboard import Panel, Scope
from bot.rule import Comment, Outcome, Rule
from rules.onboarding import dashboard
from rules.onboarding.config import OnboardingConfig
from rules.onboarding.history import (
    Contribution,
    contribution_of,
    has_earlier,
    has_earlier_merge,
    message,
    part_of_project,
    skipped_author,
)
from rules.onboarding.store import (
    Greeting,
    Kind,
    assign_mentor,
    claim_greeting,
    first_merge_remembered,
    remember_first_merge,
    remember_welcome,
    remembered_kinds,
)

log = logging.getLogger(__name__)

WELCOME_MARKER = "<!-- governance-bot:welcome -->"
FIRST_MERGE_MARKER = "<!-- governance-bot:first-merge -->"
LABEL_COLOR = "c2e0c6"

OPEN_EVENTS = frozenset({"issues.opened", "pull_request.opened", "pull_request.reopened"})
CLOSED_EVENT = "pull_request.closed"


# -- the rule ---------------------------------------------------------------------------------

class OnboardingRule(Rule[OnboardingConfig]):
    name = "onboarding"
    config_model = OnboardingConfig
    events = OPEN_EVENTS | {CLOSED_EVENT}
    permissions = {"issues": "write", "pull_requests": "write", "contents": "read", "metadata": "read",
                   "members": "read"}
    webhook_events = ("issues", "pull_request")

    async def dashboard(self, scope: Scope) -> list[Panel]:
        return await dashboard.panels(scope)

    async def dashboard_export(self, scope: Scope, panel: str) -> list[dict[str, Any]] | None:
        return await dashboard.export(scope, panel)

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
            mentor = await assign_mentor(ctx.store, ctx.repo_full_name, item.number, candidates)
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
