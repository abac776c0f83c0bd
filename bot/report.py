"""The sticky report comment: one per pull request, found by its marker, edited in place.

Each rule's latest section is stored per pull request, so an event that runs only some
rules still renders the whole report. Nothing is posted while every rule passes; once
posted, the comment is updated to say so. The comment is remembered once posted; without
that record the comments are searched for it (a lost database), except when a pull request
has just been opened and everything passes: there is nothing to find, and nothing to say.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import gidgethub
from sqlalchemy import bindparam, delete, select
from sqlalchemy.engine import Connection

from bot.markdown import code_span
from bot.rule import ReportSection
from bot.store import report_comments, report_sections

if TYPE_CHECKING:
    from bot.context import EventContext

log = logging.getLogger(__name__)

REPORT_MARKER = "<!-- governance-bot:report -->"
CONFIG_SECTION = "config"
NEW_PULL_REQUEST = "pull_request.opened"


def render(sections: dict[str, ReportSection], head_sha: str | None) -> str | None:
    """The comment body, or None when nothing needs action (nothing to post)."""
    pending = [s for s in sections.values() if s.needs_action]
    at = f" at {code_span(head_sha[:7])}" if head_sha else ""
    if not pending:
        # No head SHA here: a passing report then stays byte-identical across pushes (no PATCH).
        lines = [REPORT_MARKER, "## Governance report", "", "✅ Everything passes. Nothing more to do here."]
        return "\n".join(lines)
    lines = [REPORT_MARKER, "## Governance report", "",
             f"Some checks need your attention{at}. This comment is updated as you push or comment.", ""]
    for section in pending:
        lines += [f"### ❌ {section.title}", "", section.body.strip(), ""]  # titles are the rules' own words
    passing = [s.title for s in sections.values() if not s.needs_action]
    if passing:
        lines += ["---", "✅ Passing: " + ", ".join(passing)]
    return "\n".join(lines).rstrip() + "\n"


@dataclass
class Stored:
    """What `update_sections` read, and what it found changed: `publish` writes it with the comment."""

    comment: Any  # the report_comments row, or None
    writes: list[tuple[Any, Any]] = field(default_factory=list)  # (statement, parameters) for report_sections


# Built once (building a statement cost more CPU than running it); parameters: repository, number.
_READ_SECTIONS = select(report_sections).where(report_sections.c.repository == bindparam("repository"),
                                               report_sections.c.number == bindparam("number"))
_READ_COMMENT = select(report_comments).where(report_comments.c.repository == bindparam("repository"),
                                              report_comments.c.number == bindparam("number"))
_FORGET_SECTIONS = delete(report_sections).where(
    report_sections.c.repository == bindparam("repository"), report_sections.c.number == bindparam("number"),
    report_sections.c.rule.in_(bindparam("rules", expanding=True)))


async def update_sections(ctx: "EventContext", sections: dict[str, ReportSection | None], head_sha: str | None,
                          active: list[str]) -> tuple[dict[str, ReportSection], Stored]:
    """The PR's sections of the `active` rules, each rule's latest one (None forgets it; the
    rules-file section is forgotten once it is no longer active), and what `publish` stores.

    What is stored is read first and only what changed is written, in one transaction with the
    comment `publish` remembers: an evaluation that changes nothing costs one read unit and no
    write, one that changes the report one write. If publishing fails the delivery is retried
    and finds the same changes. Read-then-write is safe: one subject's deliveries never run at
    the same time.
    """
    subject = {"repository": ctx.repo_full_name, "number": ctx.number}

    def read(conn: Connection) -> tuple[list[Any], Any]:
        return conn.execute(_READ_SECTIONS, subject).all(), conn.execute(_READ_COMMENT, subject).first()

    stored, comment = await ctx.store.read_unit(read)
    rows = {r.rule: r for r in stored}
    forget = [rule for rule, section in sections.items() if section is None and rule in rows]
    if CONFIG_SECTION not in active and CONFIG_SECTION in rows:
        forget.append(CONFIG_SECTION)
    changed = {rule: section for rule, section in sections.items() if section is not None and (
        rule not in rows or (rows[rule].head_sha, rows[rule].needs_action, rows[rule].title, rows[rule].body)
        != (head_sha, section.needs_action, section.title, section.body))}
    if forget or changed:
        now = time.time()
        writes: list[tuple[Any, Any]] = [(_FORGET_SECTIONS, {**subject, "rules": forget})] if forget else []
        upsert = ctx.store.upsert_by_keys(report_sections, ("repository", "number", "rule"))
        writes += [(upsert, {**subject, "rule": rule, "head_sha": head_sha, "needs_action": section.needs_action,
                             "title": section.title, "body": section.body, "updated_at": now})
                   for rule, section in changed.items()]
    else:
        writes = []
    current = {rule: ReportSection(r.title, r.body, r.needs_action) for rule, r in rows.items() if rule not in forget}
    current.update((rule, section) for rule, section in sections.items() if section is not None)
    return {name: current[name] for name in active if name in current}, Stored(comment, writes)


async def load_sections(ctx: "EventContext", active: list[str]) -> dict[str, ReportSection]:
    subject = {"repository": ctx.repo_full_name, "number": ctx.number}
    return _active(await ctx.store.read_unit(lambda conn: conn.execute(_READ_SECTIONS, subject).all()), active)


def _active(rows: Any, active: list[str]) -> dict[str, ReportSection]:
    by_rule = {r.rule: ReportSection(r.title, r.body, r.needs_action) for r in rows}
    return {name: by_rule[name] for name in active if name in by_rule}


async def publish(ctx: "EventContext", body: str | None, needs_action: bool, remember: bool = True,
                  stored: Stored | None = None) -> None:
    """Create or edit the one report comment so that it reads `body`, then store the sections
    `update_sections` found changed and the comment, in one transaction.

    `stored`: what `update_sections` read and would write; None reads the comment here (a dry run).
    """
    if stored is None:
        subject = {"repository": ctx.repo_full_name, "number": ctx.number}
        stored = Stored(await ctx.store.read_unit(lambda conn: conn.execute(_READ_COMMENT, subject).first()))
    remembering = await _publish(ctx, body, needs_action, stored.comment)
    writes = list(stored.writes)
    if remember and remembering is not None:
        writes.append((ctx.store.upsert_by_keys(report_comments, ("repository", "number")), {
            "repository": ctx.repo_full_name, "number": ctx.number, "comment_id": remembering[0],
            "body": remembering[1]}))
    if writes:
        await ctx.store.write_unit(lambda conn: [conn.execute(statement, values) for statement, values in writes],
                                   redone_if_lost=True)


async def _publish(ctx: "EventContext", body: str | None, needs_action: bool, row: Any) -> tuple[int, str] | None:
    """The GitHub side of `publish`; returns the comment (id, body) to remember, if it changed."""
    comment_id, current = (row.comment_id, row.body) if row else (None, None)
    if comment_id is None and not needs_action and ctx.event_key == NEW_PULL_REQUEST:
        return None  # a pull request opened just now has no report to update, and this one would say all passes
    if comment_id is None and not ctx.has_no_comments():  # a pull request without comments has no report
        found = await find_existing(ctx)
        if found is not None:
            comment_id, current = found["id"], found.get("body")
    if body is None or (comment_id is None and not needs_action):
        return None
    if current == body and comment_id is not None:
        return (comment_id, body) if row is None else None  # found again: remembered from now on
    if comment_id is not None:
        try:
            await ctx.gh.patch(f"/repos/{ctx.repo_full_name}/issues/comments/{comment_id}", data={"body": body})
        except gidgethub.BadRequest as exc:
            if int(exc.status_code) != 404:
                raise
            comment_id = None  # somebody deleted it: post a new one
    if comment_id is None:
        created = await ctx.gh.post(f"/repos/{ctx.repo_full_name}/issues/{ctx.number}/comments", data={"body": body})
        comment_id = created.get("id") if isinstance(created, dict) else None
    return (comment_id, body) if comment_id is not None else None


async def find_existing(ctx: "EventContext") -> dict | None:
    """Our report comment (written by the App's own account), searched across every page of comments."""
    for comment in await ctx.issue_comments():
        if (comment.get("body") or "").startswith(REPORT_MARKER) and await ctx.is_own(comment):
            return comment
    return None
