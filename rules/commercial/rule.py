"""Commercial paths: guard the open-core boundary (SPEC §3 `commercial`, §4, §5, §6).

A pull request that touches `paths` gets the label; unless its author is a commercial
maintainer, `governance/commercial` fails with the licence link until a maintainer
comments `/approve-commercial`. With `forbid_imports`, added lines of open files that
import commercial code fail the status whoever wrote them, naming file and line.

An approval holds while the set of commercial paths the pull request touches and their
contents (blob SHAs) stay what the maintainer approved (`approvals`), renamed files counting
under both names
(`evaluation`); files GitHub gives no diff for are read whole, within
a budget past which the status fails closed (`import_scan`). The
configuration is in `config`, the status and the report in
`report`, reading files from GitHub in `reads`.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from bot.context import EventContext
from bot.dashboard import Panel, Scope
from bot.errors import IncompleteData
from bot.rule import CommandHelp, Outcome, Rule
from rules.commercial import dashboard
from rules.commercial.approvals import record_approval, stored_approvals
from rules.commercial.boundary import CommercialPaths
from rules.commercial.config import CommercialConfig
from rules.commercial.evaluation import Approval, Evaluation, commercial_touches, content_digest, files_digest
from rules.commercial.import_scan import scan_imports
from rules.commercial.report import APPROVE, CONTEXT, decide_status, render_section, who_may_approve

log = logging.getLogger(__name__)

LABEL_COLOR = "5319e7"


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


# -- the rule ------------------------------------------------------------------------------------


class CommercialRule(Rule[CommercialConfig]):
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
        ev.content_digest = content_digest(ev.touches)
        if config.forbid_imports:
            scan = await scan_imports(ctx, config, files, commercial)
            ev.imports, ev.unreadable, ev.unusable_configs = scan.found, scan.unreadable, scan.unusable_configs
        if ev.touched:
            ev.author_is_maintainer = await is_maintainer(ctx, config, ev.author)
            if not ev.author_is_maintainer:
                ev.approval = await self._valid_approval(ctx, config, ev, new_approval)
        return ev

    async def _valid_approval(self, ctx: EventContext, config: CommercialConfig, ev: Evaluation,
                              new_approval: Approval | None) -> Approval | None:
        """The newest approval of exactly these commercial files with exactly these contents
        whose approver is still a maintainer."""
        candidates = await stored_approvals(ctx, ev.digest, ev.content_digest)
        if new_approval is not None and (new_approval.files_digest, new_approval.content_digest) == (
                ev.digest, ev.content_digest):
            candidates.insert(0, new_approval)
        for approval in candidates:
            if await is_maintainer(ctx, config, approval.approved_by):
                return approval
        return None

    async def dashboard(self, scope: Scope) -> list[Panel]:
        return await dashboard.panels(scope)

    async def dashboard_export(self, scope: Scope, panel: str) -> list[dict[str, Any]] | None:
        return await dashboard.export(scope, panel)

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
        paths = tuple(sorted({p for t in touches for p in t.commercial_paths(commercial)}))
        head = await ctx.head_sha()  # the files above were listed at this head
        return Approval(login, time.time(), files_digest(touches, commercial), url, paths, head,
                        content_digest(touches)), []


RULE = CommercialRule()
