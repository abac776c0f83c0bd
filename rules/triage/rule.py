"""Triage (SPEC §5, §6): label issues and pull requests without fighting people.

New issues get `issue_labels` and keyword labels (RE2 patterns on title and body, so no
pattern can stall the bot); pull requests get path labels, kept in step with the files a
push leaves in the PR (`sync_path_labels`), and one size label. Keyword labels are a
classification at intake: a later edit adds ones that now match and takes none away. Every label
the bot adds is remembered, and so is every label a person adds or removes: the bot never
re-adds a label a person removed and never removes a label a person added (see
`store`). `/label`, `/remove-label`, `/assign` and `/unassign` let people
triage from a comment, with GitHub's own permission model.

All label additions of one event go out together (the engine sends one request), labels
that do not exist yet are created with their configured colour, and every refused command
gets one short reply saying why, with nothing changed.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from bot.commands import Command
from bot.context import EventContext, is_bot
from bot.dashboard import Panel, Scope
from bot.errors import IncompleteData, RetryLater
from bot.globs import compile_globs
from bot.rule import CommandHelp, Outcome, Rule
from rules.common.repo_files import default_branch_gitattributes
from rules.triage import dashboard
from rules.triage import replies as text
from rules.triage import store as memory
from rules.triage.config import TriageConfig
from rules.triage.keywords import issue_text, keyword_labels
from rules.triage.paths import changed_paths, path_labels
from rules.triage.size import counted_lines, size_color, size_label
from rules.triage.store import Change, LabelState, plan_additions, plan_paths, plan_size

log = logging.getLogger(__name__)

#: Label changes made by someone else: learnt, so the bot does not undo them.
LEARN_EVENTS = frozenset({"issues.labeled", "issues.unlabeled", "pull_request.labeled", "pull_request.unlabeled"})
ISSUE_EVENTS = frozenset({"issues.opened", "issues.edited"})
LABEL_COMMANDS = frozenset({"/label", "/remove-label"})
ASSIGN_COMMANDS = frozenset({"/assign", "/unassign"})


@dataclass
class _Work:
    """What one event decides, before it becomes an Outcome."""

    add: list[str] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)
    changes: list[tuple[Change, str]] = field(default_factory=list)
    person_decided: set[str] = field(default_factory=set)  # lower label names a person set in this event
    replies: list[str] = field(default_factory=list)
    add_assignees: list[str] = field(default_factory=list)
    remove_assignees: list[str] = field(default_factory=list)

    def _adding(self, label: str) -> bool:
        return label.lower() in {name.lower() for name in self.add}

    def bot_add(self, labels: list[str]) -> None:
        for label in labels:
            if label.lower() not in self.person_decided and not self._adding(label):
                self.add.append(label)
                self.changes.append((Change.BOT_ADDED, label))

    def bot_remove(self, labels: list[str]) -> None:
        for label in labels:
            if label.lower() not in self.person_decided:
                self.remove.append(label)
                self.changes.append((Change.BOT_REMOVED, label))

    def person_add(self, labels: list[str]) -> None:
        for label in labels:
            self.person_decided.add(label.lower())
            self.remove = [name for name in self.remove if name.lower() != label.lower()]
            if not self._adding(label):
                self.add.append(label)
            self.changes.append((Change.PERSON_ADDED, label))

    def person_remove(self, labels: list[str]) -> None:
        for label in labels:
            self.person_decided.add(label.lower())
            self.add = [name for name in self.add if name.lower() != label.lower()]
            self.remove.append(label)
            self.changes.append((Change.PERSON_REMOVED, label))


class TriageRule(Rule[TriageConfig]):
    name = "triage"
    config_model = TriageConfig
    evaluates_pull_requests = True  # opened, reopened, synchronize, edited, ready_for_review, /recheck
    events = ISSUE_EVENTS | LEARN_EVENTS
    commands = (
        CommandHelp("/label", "/label NAME…", "add labels; quote names with spaces: /label \"good first issue\"",
                    "triage permission, or anyone for anyone_may_apply labels"),
        CommandHelp("/remove-label", "/remove-label NAME…", "remove labels",
                    "triage permission, or anyone for anyone_may_apply labels"),
        CommandHelp("/assign", "/assign [@user…]", "assign people (yourself without a name)",
                    "triage permission; anyone for themselves"),
        CommandHelp("/unassign", "/unassign [@user…]", "unassign people (yourself without a name)",
                    "triage permission; anyone for themselves"),
    )
    permissions = {"issues": "write", "pull_requests": "write", "contents": "read", "metadata": "read"}
    webhook_events = ("issues", "issue_comment", "pull_request")

    async def dashboard(self, scope: Scope) -> list[Panel]:
        return await dashboard.panels(scope)

    async def dashboard_export(self, scope: Scope, panel: str) -> list[dict[str, Any]] | None:
        return await dashboard.export(scope, panel)

    async def handle(self, ctx: EventContext, config: TriageConfig) -> Outcome:
        if ctx.number is None:
            return Outcome()
        if ctx.event_key in LEARN_EVENTS:
            return self._learn(ctx)
        work = _Work()
        # A person's command in this event outranks what the bot would do on its own, so
        # commands are read first and automatic labels then leave their labels alone.
        for command in ctx.commands:
            if command.name in LABEL_COMMANDS | ASSIGN_COMMANDS:
                await self._run_command(ctx, config, command, work)
        if ctx.event_key in ISSUE_EVENTS:
            await self._label_issue(ctx, config, await self._label_state(ctx), work)
        elif ctx.is_pr_evaluation:
            await self._label_pull_request(ctx, config, await self._label_state(ctx), work)
        return self._outcome(ctx, config, work)

    # -- learning what people did ------------------------------------------------------------

    def _learn(self, ctx: EventContext) -> Outcome:
        """Remember a label a person added or removed; changes by bots (ours too) are not decisions."""
        label = ctx.payload.get("label")
        name = label.get("name") if isinstance(label, dict) else None
        if not isinstance(name, str) or not name or is_bot(ctx.sender):
            return Outcome()
        change = Change.PERSON_ADDED if ctx.action == "labeled" else Change.PERSON_REMOVED
        return Outcome(after_apply=[functools.partial(
            memory.record, ctx.store, ctx.repo_full_name, ctx.number, [(change, name)])])

    async def _label_state(self, ctx: EventContext) -> LabelState:
        issue = await ctx.issue()
        current = [label["name"] for label in issue.get("labels") or [] if isinstance(label, dict)]
        return await memory.load(ctx.store, ctx.repo_full_name, ctx.number, current)

    # -- automatic labels ----------------------------------------------------------------------

    async def _label_issue(self, ctx: EventContext, config: TriageConfig, state: LabelState, work: _Work) -> None:
        issue = await ctx.issue()  # current text, whatever order deliveries arrived in
        if issue.get("state") != "open" or issue.get("pull_request"):
            return
        wanted = list(config.issue_labels) if ctx.action == "opened" else []
        if config.keywords:
            # Every pattern over up to 2 MiB of text: in the framework's worker processes.
            wanted += await ctx.offload(keyword_labels, dict(config.keywords),
                                        issue_text(issue.get("title"), issue.get("body")))
        work.bot_add(plan_additions(state, wanted))

    async def _label_pull_request(self, ctx: EventContext, config: TriageConfig, state: LabelState,
                                  work: _Work) -> None:
        pr = await ctx.pull_request()
        if not config.paths and not config.size_labels:
            return
        try:
            files: list[dict[str, Any]] | None = await ctx.pr_files()
        except IncompleteData as exc:
            log.warning("triage: %s; path labels skipped, size from the pull request's totals", exc)
            files = None
        if config.paths and files is not None:  # a partial file list must not take labels away
            plan = plan_paths(state, config.paths, path_labels(config.paths, changed_paths(files)),
                              sync=config.sync_path_labels)
            work.bot_add(plan.add)
            work.bot_remove(plan.remove)
        if config.size_labels:
            lines = await self._counted_lines(ctx, config, pr, files or [])
            plan = plan_size(state, size_label(lines, config.size_thresholds.limits()))
            work.bot_add(plan.add)
            work.bot_remove(plan.remove)

    async def _counted_lines(self, ctx: EventContext, config: TriageConfig, pr: dict[str, Any],
                             files: list[dict[str, Any]]) -> int:
        total = int(pr.get("additions") or 0) + int(pr.get("deletions") or 0)
        if not files:
            return total
        attributes = await default_branch_gitattributes(ctx, pr)
        exclude = compile_globs(config.size_exclude) if config.size_exclude else None
        return counted_lines(total, files, attributes, exclude)

    # -- commands ------------------------------------------------------------------------------

    async def _run_command(self, ctx: EventContext, config: TriageConfig, command: Command, work: _Work) -> None:
        sender = self._commenter(ctx)
        if not sender:
            return
        if command.name in LABEL_COMMANDS:
            await self._label_command(ctx, config, command, sender, work)
        else:
            await self._assign_command(ctx, command, sender, work)

    @staticmethod
    def _commenter(ctx: EventContext) -> str:
        """Who wrote the command: the comment's author (the engine already skipped bots)."""
        user = (ctx.comment or {}).get("user") or ctx.sender
        return str(user.get("login") or "")

    async def _label_command(self, ctx: EventContext, config: TriageConfig, command: Command, sender: str,
                             work: _Work) -> None:
        args = text.parse_labels(command.args)
        if args.invalid:
            work.replies.append(text.invalid_labels_reply(sender, command.name, args.invalid))
            return
        if not args.names:
            work.replies.append(text.usage_reply(sender, f"{command.name} NAME…"))
            return
        restricted = [name for name in args.names if not config.anyone_may_apply(name)]
        if restricted and not await ctx.has_role(sender, "triage"):
            work.replies.append(text.label_permission_reply(
                sender, command.name, restricted, config.commands.anyone_may_apply))
            return
        if command.name == "/remove-label":
            work.person_remove(args.names)
            return
        configured = config.configured_labels()
        existing = {name: await self._existing_label(ctx, name) for name in args.names}
        unknown = [name for name in args.names if existing[name] is None and name.lower() not in configured]
        if unknown:
            work.replies.append(text.unknown_labels_reply(sender, unknown))
            return
        work.person_add([existing[name] or configured[name.lower()] for name in args.names])

    async def _existing_label(self, ctx: EventContext, name: str) -> str | None:
        """The repository's spelling of label `name`, or None if it has no such label."""
        return (await ctx.repo_labels()).get(name.lower())

    async def _assign_command(self, ctx: EventContext, command: Command, sender: str, work: _Work) -> None:
        users = text.parse_users(command.args, sender)
        if users.invalid:
            work.replies.append(text.invalid_users_reply(sender, command.name, users.invalid))
            return
        others = [login for login in users.logins if not text.same_login(login, sender)]
        if others and not await ctx.has_role(sender, "triage"):
            work.replies.append(text.assign_others_reply(sender, command.name))
            return
        issue = await ctx.issue()
        assigned = {user["login"].lower() for user in issue.get("assignees") or [] if isinstance(user, dict)}
        assigned |= {login.lower() for login in work.add_assignees}
        assigned -= {login.lower() for login in work.remove_assignees}
        if command.name == "/unassign":
            work.remove_assignees += [login for login in users.logins if login.lower() in assigned]
            return
        new = [login for login in users.logins if login.lower() not in assigned]
        if not new:
            return
        if len(assigned) + len(new) > text.MAX_ASSIGNEES:
            work.replies.append(text.too_many_assignees_reply(sender, len(assigned)))
            return
        refused = [login for login in new if not await self._assignable(ctx, login)]
        if refused:
            work.replies.append(text.not_assignable_reply(sender, refused))
            return
        work.add_assignees += new

    async def _assignable(self, ctx: EventContext, login: str) -> bool:
        """Whether GitHub will accept `login` as an assignee of this issue/PR.

        The issue-level check also accepts people who took part in the conversation; the
        repository-level one (collaborators) is asked too, for GitHub Enterprise Server
        versions that predate the issue-level endpoint.
        """
        async def read() -> bool:
            user = quote(login, safe="")
            for url in (f"/repos/{ctx.repo_full_name}/issues/{ctx.number}/assignees/{user}",
                        f"/repos/{ctx.repo_full_name}/assignees/{user}"):
                status = int(await ctx.gh.getstatus(url))
                if status == 204:
                    return True
                if status != 404:
                    raise RetryLater(f"GitHub answered {status} on the assignee check")
            return False
        return await ctx.memo(("triage-assignable", ctx.number, login.lower()), read)

    # -- the outcome ---------------------------------------------------------------------------

    def _outcome(self, ctx: EventContext, config: TriageConfig, work: _Work) -> Outcome:
        colors: dict[str, str] = {}
        for label in work.add:
            color = config.color_of(label) or size_color(label)
            if color:
                colors[label] = color
        outcome = Outcome(add_labels=list(work.add), remove_labels=list(work.remove), label_colors=colors,
                          replies=list(work.replies), add_assignees=list(work.add_assignees),
                          remove_assignees=list(work.remove_assignees))
        if work.changes:
            outcome.after_apply.append(functools.partial(
                memory.record, ctx.store, ctx.repo_full_name, ctx.number, list(work.changes)))
        return outcome


RULE = TriageRule()
