"""The engine: one delivery in, rules evaluated, one combined outcome applied.

Order of work for a delivery: installation client → rules file (repository over org
defaults, default branch only) → which rules want this event → evaluate them (sharing
one EventContext) → check the pull request's head has not moved → apply.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import gidgethub

from bot import apply, pacing, rechecks, report, verdicts
from bot.commands import Command, new_commands, parse_commands
from bot.config import LoadedConfig, load
from bot.context import EventContext, is_bot
from bot.errors import PermanentFailure, RetryLater
from bot.offload import Budget, Offload, WorkBudgetExceeded
from bot.github import GitHubApp
from bot.markdown import bullets, code_span, escape_markdown
from bot.github_errors import explain_http, host_of
from bot.queue import DeliveryQueue
from bot.rule import CommandHelp, DetailRow, FixBlock, Outcome, ReportSection, Rule, StatusUpdate, VerdictDetails
from bot.rules_memory import RulesFileMemory
from bot.settings import Settings
from bot.store import Store
from bot.writewindow import WindowFull, writes_begin

log = logging.getLogger(__name__)

CONFIG_CONTEXT = "governance/config"
# Events whose head is usually new: with no verdict stored for it, its statuses are not read first.
NEW_HEAD_EVENTS = frozenset({"pull_request.opened", "pull_request.synchronize"})
PR_EVALUATION_ACTIONS = frozenset({"opened", "reopened", "synchronize", "edited", "ready_for_review"})
REEVALUATE_EVENT = "governance.reevaluate"
# Later events of a pull request that evaluate it when its head carries no governance status yet.
RECONCILE_EVENTS = frozenset({"pull_request", "issue_comment"})
# Webhook events the engine itself needs (the rules declare theirs): `push` keeps rules files fresh.
WEBHOOK_EVENTS = ("pull_request", "issue_comment", "push")
MAX_ERRORS_SHOWN = 20  # rules-file errors listed in the report; the rest are counted
MAX_ERROR_CHARS = 300
BUILTIN_COMMANDS = (
    CommandHelp("/recheck", "/recheck", "evaluate every rule on this pull request again", "anyone"),
    CommandHelp("/help", "/help", "list the commands this repository has on", "anyone"),
)


def webhook_events(rules: Iterable[Rule]) -> list[str]:
    """Every webhook event the App subscribes to: the engine's own and each rule's (README, App manifest)."""
    return sorted(set(WEBHOOK_EVENTS).union(*(rule.webhook_events for rule in rules)))


def active_rules(config: LoadedConfig, rules: Sequence[Rule]) -> list[Rule]:
    """The rules given whose section the rules file has, and has not turned off."""
    return [rule for rule in rules if config.section(rule.name) is not None]


def budget_message(exc: WorkBudgetExceeded) -> str:
    return (f"Checking this pull request needs more than the bot's {exc.budget:g} s of work, so it was not "
            "checked. Split or simplify the pull request.")


def help_text(active: Sequence[Rule]) -> str:
    lines = ["Commands this repository has on (write each at the start of a line of a comment):", ""]
    commands = list(BUILTIN_COMMANDS) + [c for rule in active for c in rule.commands]
    for command in commands:
        lines.append(f"- {code_span(command.usage)}: {escape_markdown(command.help)} ({escape_markdown(command.who)})")
    return "\n".join(lines)


class Engine:
    def __init__(self, *, rules: Sequence[Rule], github: GitHubApp, store: Store, settings: Settings,
                 queue: DeliveryQueue | None = None, config_override: LoadedConfig | None = None,
                 dry_run: bool = False, offload: Offload | None = None) -> None:
        self.offload = offload
        self.rules = tuple(rules)
        self.dry_run = dry_run
        self.github = github
        self.store = store
        self.settings = settings
        self.queue = queue
        self.config_override = config_override
        self.rules_files = RulesFileMemory(store)

    async def process(self, delivery_id: str, event: str, payload: dict[str, Any]) -> Outcome | None:
        """Handle one delivery. Raises RetryLater/PermanentFailure for the queue to act on."""
        if not isinstance(payload, dict):
            raise PermanentFailure("payload is not a JSON object")
        repository = payload.get("repository")
        installation = payload.get("installation") or {}
        if event == "ping" or not isinstance(repository, dict) or not installation.get("id"):
            return None  # installation-level events: nothing to govern
        if event == "push":  # only ever a rules-file change: no GitHub request, no rule runs
            await self.rules_files.note_push(payload)
            return None
        if not isinstance(repository.get("full_name"), str):
            raise PermanentFailure("payload.repository.full_name is missing")
        installation_id = int(installation["id"])
        gh = await self.github.client(installation_id)
        window = self.github.window(installation_id)
        try:
            await pacing.take_up(self.store, installation_id, window, save=not self.dry_run)
            return await self._process(delivery_id, event, payload, gh)
        except gidgethub.BadRequest as exc:
            why = explain_http(exc, host_of(self.github.api_url))
            if int(exc.status_code) in (403, 429):
                raise RetryLater(why) from None
            raise PermanentFailure(why) from None
        except gidgethub.GitHubBroken as exc:
            raise RetryLater(explain_http(exc, host_of(self.github.api_url))) from None
        finally:
            # Before the delivery is marked done: after that the installation may move to another replica.
            await pacing.hand_on(self.store, installation_id, window, save=not self.dry_run)

    async def _process(self, delivery_id: str, event: str, payload: dict[str, Any], gh) -> Outcome | None:
        ctx_config = self.config_override or await load(
            gh, (payload["repository"].get("owner") or {}).get("login") or payload["repository"]["full_name"].split("/")[0],
            payload["repository"]["full_name"], self.rules, memory=self.rules_files)
        if not ctx_config.exists:
            log.debug("no rules file; nothing to do")
            return None
        ctx = EventContext(delivery_id=delivery_id, event=event, payload=payload, gh=gh, store=self.store,
                           config=ctx_config, settings=self.settings, dry_run=self.dry_run,
                           offload=self.offload, budget=Budget(self.settings.rule_work_budget_seconds),
                           own_account=lambda: self.github.own_account(gh))
        ctx.commands = self._commands(ctx)
        by_event = ctx.is_pull_request and ctx.number is not None and (
            (event == "pull_request" and ctx.action in PR_EVALUATION_ACTIONS)
            or event == REEVALUATE_EVENT
            or (ctx_config.valid and any(rule.starts_evaluation(ctx, ctx_config.section(rule.name))
                                         for rule in active_rules(ctx_config, self.rules))))
        by_recheck = ctx.is_pull_request and ctx.number is not None and any(c.name == "/recheck" for c in ctx.commands)
        ctx.is_pr_evaluation = by_event or by_recheck
        if not ctx.is_pr_evaluation and await self._never_evaluated(ctx):
            log.info("the head of %s#%s has no governance status; evaluating it now", ctx.repo_full_name, ctx.number)
            ctx.is_pr_evaluation = by_event = True
        if ctx.is_pr_evaluation:
            pr = await ctx.pull_request()
            if pr.get("state") != "open":
                ctx.is_pr_evaluation = False
            elif not by_event and await rechecks.recently_rechecked(ctx, pr["head"]["sha"]):
                log.info("/recheck folded into the recheck of %s#%s at %s moments ago",
                         ctx.repo_full_name, ctx.number, pr["head"]["sha"][:7])
                ctx.is_pr_evaluation = False
        ctx.is_recheck = ctx.is_pr_evaluation and not by_event
        if ctx.is_pr_evaluation:
            # Its statuses are compared with the head's before they are posted: read that while the rules
            # run, unless the event brings a head never evaluated here (no status of ours can be on it).
            # Other events re-evaluate a head that may be older than the verdicts kept (14 days): read.
            sha = (await ctx.pull_request())["head"]["sha"]
            if ctx.event_key in NEW_HEAD_EVENTS and await verdicts.recorded(ctx, sha, CONFIG_CONTEXT) is False:
                ctx.assume_no_statuses_of_ours(sha)
            else:
                ctx.prefetch_combined_status(sha)
        if not ctx_config.valid:
            return await self._report_invalid_config(ctx)

        outcome = Outcome()
        active = active_rules(ctx_config, self.rules)
        rules = [rule for rule in active if rule.wants(ctx)]
        results = await asyncio.gather(*(rule.handle(ctx, ctx_config.section(rule.name)) for rule in rules),
                                       return_exceptions=True)
        window_full = next((r for r in results if isinstance(r, WindowFull)), None)
        if window_full is not None:  # the installation may not write now: the whole delivery waits, as is
            raise window_full
        sections: dict[str, ReportSection | None] = {}
        failures: list[BaseException] = []
        for rule, result in zip(rules, results):
            if isinstance(result, WorkBudgetExceeded):
                # Clear and final: the same input would exceed the budget again.
                log.warning("rule %s: %s", rule.name, result)
                if ctx.is_pr_evaluation and rule.status_context:
                    outcome.statuses.append(StatusUpdate(rule.status_context, "error", budget_message(result)))
                    sections[rule.name] = ReportSection(
                        f"{rule.status_context}: not checked", budget_message(result), needs_action=True)
                continue
            if isinstance(result, BaseException):
                failures.append(result)
                log.warning("rule %s could not finish: %s: %s", rule.name, type(result).__name__, result)
                if ctx.is_pr_evaluation and rule.status_context:
                    outcome.statuses.append(StatusUpdate(
                        rule.status_context, "error", "GitHub could not be read; retrying. Comment /recheck if this stays."))
                continue
            outcome.merge(result)
            if ctx.is_pr_evaluation and (result.report is not None or rule.evaluates_pull_requests):
                sections[rule.name] = result.report  # None: the rule has nothing to say any more
        if any(c.name == "/help" for c in ctx.commands) and ctx.number is not None:
            outcome.replies.append(help_text(active))
        if ctx.is_pr_evaluation:
            outcome.statuses.insert(0, StatusUpdate(CONFIG_CONTEXT, "success", "The rules file is valid."))
        writes_begin()
        head = await self._head_unchanged(ctx)
        await self._apply(ctx, outcome, head, sections, [r.name for r in active])
        if failures:
            first = failures[0]
            if isinstance(first, (RetryLater, PermanentFailure)):
                raise first
            if isinstance(first, gidgethub.HTTPException):
                raise first
            raise RetryLater(f"{type(first).__name__}: {first}")
        return outcome

    async def _never_evaluated(self, ctx: EventContext) -> bool:
        """Whether this later event of an open pull request finds its head without any `governance/*`
        status: its own events never reached the bot (down, and past GitHub's redelivery window),
        so this event evaluates it. Events sent by bots (ours included) do not check.
        """
        if ctx.event not in RECONCILE_EVENTS or not ctx.is_pull_request or ctx.number is None \
                or ctx.action == "closed" or is_bot(ctx.sender):
            return False
        pr = await ctx.pull_request()
        if pr.get("state") != "open":
            return False
        combined = await ctx.combined_status(pr["head"]["sha"])
        return not any(str(s.get("context", "")).startswith("governance/") for s in combined.get("statuses", []))

    def _commands(self, ctx: EventContext) -> list[Command]:
        if ctx.event != "issue_comment" or ctx.comment is None or is_bot(ctx.comment.get("user") or ctx.sender):
            return []
        body = ctx.comment.get("body")
        if ctx.action == "created":
            return parse_commands(body)
        if ctx.action == "edited":
            previous = ((ctx.payload.get("changes") or {}).get("body") or {}).get("from")
            return new_commands(body, previous)
        return []

    async def _head_unchanged(self, ctx: EventContext) -> str | None:
        """The evaluated head, after checking it is still the PR's head (else re-run later)."""
        if not ctx.is_pr_evaluation:
            return None
        evaluated = await ctx.head_sha()
        ctx.forget(("pr", ctx.number))
        current = await ctx.head_sha()
        if current != evaluated:
            raise RetryLater(f"head moved from {evaluated[:7]} to {current[:7]} during evaluation", delay=0.0)
        return current

    async def _report_invalid_config(self, ctx: EventContext) -> Outcome | None:
        if not ctx.is_pr_evaluation:
            log.info("rules file invalid; nothing runs until it is fixed: %s", "; ".join(ctx.config.errors))
            return None
        errors = "\n".join(bullets([code_span(e, limit=MAX_ERROR_CHARS) for e in ctx.config.errors], MAX_ERRORS_SHOWN))
        section = ReportSection(
            "Rules file", "The rules file `.github/governance.yml` (or the organisation's default in its `.github` "
            "repository) is invalid, so no other rule runs until it is fixed:\n\n" + errors, needs_action=True)
        count = len(ctx.config.errors)
        summary = f"The rules file has {count} error{'s' if count != 1 else ''}: {ctx.config.errors[0]}"
        details = VerdictDetails(
            summary=f"The rules file .github/governance.yml (or the organisation's default in its .github repository) "
                    f"has {count} error{'s' if count != 1 else ''}; no other rule runs until it is fixed.",
            rows=[DetailRow(kind="error", subject=error.split(": ", 1)[0], problem=error.split(": ", 1)[-1])
                  for error in ctx.config.errors],
            fixes=[FixBlock(title="Check the file locally before pushing it",
                            text="governance-bot config validate .github/governance.yml")])
        outcome = Outcome(statuses=[StatusUpdate(CONFIG_CONTEXT, "failure", summary[:139], details=details)])
        writes_begin()
        head = await self._head_unchanged(ctx)
        await self._apply(ctx, outcome, head, {report.CONFIG_SECTION: section}, [report.CONFIG_SECTION])
        return outcome

    async def _apply(self, ctx: EventContext, outcome: Outcome, head: str | None,
                     sections: dict[str, ReportSection | None], active: list[str]) -> None:
        default_sha = head or (await ctx.head_sha() if ctx.is_pull_request and ctx.number and any(
            s.sha is None for s in outcome.statuses) else None)
        # Stored before the statuses are posted, so a Details link works from the moment it appears.
        await verdicts.record(ctx, outcome.statuses, default_sha)
        await apply.apply_statuses(ctx, outcome.statuses, default_sha)
        await apply.apply_labels(ctx, outcome)
        await apply.apply_people(ctx, outcome)
        await apply.apply_comments(ctx, outcome)
        if ctx.is_pr_evaluation:
            stored: report.Stored | None = None
            if self.dry_run:  # state is not written in a dry run; render from what we have
                current = {**await report.load_sections(ctx, active), **sections}
                current = {name: section for name, section in current.items() if section is not None}
            else:
                current, stored = await report.update_sections(ctx, sections, head, active)
            body = report.render(current, head)
            await report.publish(ctx, body, needs_action=any(s.needs_action for s in current.values()),
                                 remember=not self.dry_run, stored=stored)
            if ctx.is_recheck:
                await rechecks.record(ctx, head)
        if self.dry_run:
            return
        # State first, so a re-evaluation (of this or another PR) sees what this event recorded.
        for callback in outcome.after_apply:
            await callback()
        for target in outcome.reevaluate:
            await self.enqueue_reevaluation(ctx, target.repository, target.number)

    async def enqueue_reevaluation(self, ctx: EventContext, repository: str, number: int) -> None:
        if self.queue is None:
            log.info("would re-evaluate %s#%s", repository, number)
            return
        await enqueue_reevaluation(self.queue, ctx.installation_id, repository, number, reason=ctx.delivery_id)


def reevaluation(installation_id: int | None, repository: str, number: int, *, reason: str) -> tuple[str, dict]:
    """A delivery id and payload that make the bot evaluate a pull request again.

    Queued through the durable queue, so whichever replica is free takes it, and a
    command-line tool with only the database (e.g. `cla revoke`) can ask the running bot
    to look again.
    """
    owner, name = repository.split("/", 1)
    payload = {"installation": {"id": installation_id},
               "repository": {"full_name": repository, "name": name, "owner": {"login": owner}},
               "number": number, "reason": reason}
    return f"reevaluate-{uuid.uuid4().hex}", payload


async def enqueue_reevaluation(queue: DeliveryQueue, installation_id: int | None, repository: str, number: int, *,
                               reason: str) -> None:
    """Queue an evaluation of a pull request as if GitHub had sent an event for it (`reevaluation`)."""
    delivery_id, payload = reevaluation(installation_id, repository, number, reason=reason)
    await queue.enqueue(delivery_id, REEVALUATE_EVENT, payload, json.dumps(payload))
