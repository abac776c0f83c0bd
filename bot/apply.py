"""Applying an event's combined Outcome to GitHub: diff first, write only what changed.

Every write is idempotent: statuses are compared with the head's combined status (none
of ours on the new head of an opened or synchronized pull request that was never evaluated
here: `bot.verdicts.recorded`, not read),
labels with the issue's labels, marked comments with the comments already there.
A replayed delivery therefore changes nothing.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from urllib.parse import quote

import gidgethub

from bot import replies
from bot.rule import Outcome, StatusUpdate

if TYPE_CHECKING:
    from bot.context import EventContext

log = logging.getLogger(__name__)

DEFAULT_LABEL_COLOR = "ededed"
PREFIX_COLORS = {"size/": "c5def5", "area/": "0e8a16", "kind/": "1d76db", "priority/": "d93f0b"}


def default_color(name: str) -> str:
    for prefix, color in PREFIX_COLORS.items():
        if name.lower().startswith(prefix):
            return color
    return DEFAULT_LABEL_COLOR


async def apply_statuses(ctx: "EventContext", statuses: list[StatusUpdate], default_sha: str | None) -> None:
    by_sha: dict[str, list[StatusUpdate]] = {}
    for status in statuses:
        sha = status.sha or default_sha
        if sha:
            by_sha.setdefault(sha, []).append(status)
    for sha, updates in by_sha.items():
        combined = await ctx.combined_status(sha)
        current = {s["context"]: s for s in combined.get("statuses", [])}
        for update in updates:
            existing = current.get(update.context)
            if existing and existing.get("state") == update.state and existing.get("description") == update.description \
                    and (existing.get("target_url") or None) == update.target_url:
                continue
            data = {"state": update.state, "context": update.context, "description": update.description}
            if update.target_url:
                data["target_url"] = update.target_url
            await ctx.gh.post(f"/repos/{ctx.repo_full_name}/statuses/{sha}", data=data)
            ctx.forget(("status", sha))  # what was read no longer says what the commit has


async def apply_labels(ctx: "EventContext", outcome: Outcome) -> None:
    if not (outcome.add_labels or outcome.remove_labels) or ctx.number is None:
        return
    labels = await ctx.labels()
    current = {label["name"].lower() for label in labels}
    to_add: list[str] = []
    for name in outcome.add_labels:
        if name.lower() not in current and name.lower() not in {n.lower() for n in to_add}:
            to_add.append(name)
    removing = {name.lower() for name in outcome.remove_labels} - {n.lower() for n in outcome.add_labels}
    to_remove = [label["name"] for label in labels if label["name"].lower() in removing]
    if to_add:
        await ensure_labels_exist(ctx, to_add, outcome.label_colors)
        await ctx.gh.post(f"/repos/{ctx.repo_full_name}/issues/{ctx.number}/labels", data={"labels": to_add})
    for name in to_remove:
        try:
            await ctx.gh.delete(f"/repos/{ctx.repo_full_name}/issues/{ctx.number}/labels/{quote(name, safe='')}")
        except gidgethub.BadRequest as exc:
            if int(exc.status_code) != 404:
                raise
    if to_add or to_remove:
        ctx.labels_changed()


async def ensure_labels_exist(ctx: "EventContext", names: list[str], colors: dict[str, str]) -> None:
    """Create labels that the repository does not have yet, with their configured colour."""
    existing = await ctx.repo_labels(recent=True)
    for name in names:
        if name.lower() in existing:
            continue
        color = (colors.get(name) or default_color(name)).lstrip("#").lower()
        try:
            await ctx.gh.post(f"/repos/{ctx.repo_full_name}/labels", data={"name": name, "color": color})
        except gidgethub.InvalidField:
            pass  # created meanwhile (already_exists)
        existing[name.lower()] = name


async def apply_comments(ctx: "EventContext", outcome: Outcome) -> None:
    if ctx.number is None:
        return
    if any(c.marker for c in outcome.comments) and not ctx.has_no_comments():
        ours = [e for e in await ctx.issue_comments() if await ctx.is_own(e)]
        present = {c.marker for c in outcome.comments
                   if c.marker and any((e.get("body") or "").startswith(c.marker) for e in ours)}
    else:
        present = set()
    for comment in outcome.comments:
        if comment.marker and comment.marker in present:
            continue
        body = comment.body if not comment.marker or comment.body.startswith(comment.marker) else (
            f"{comment.marker}\n{comment.body}")  # found again by its leading marker only
        await ctx.gh.post(f"/repos/{ctx.repo_full_name}/issues/{ctx.number}/comments", data={"body": body})
        if comment.marker:
            present.add(comment.marker)
    await replies.post_reply(ctx, outcome.replies)


async def apply_people(ctx: "EventContext", outcome: Outcome) -> None:
    if ctx.number is None:
        return
    if outcome.reviewers:
        reviewers = list(dict.fromkeys(outcome.reviewers))
        try:
            await ctx.gh.post(f"/repos/{ctx.repo_full_name}/pulls/{ctx.number}/requested_reviewers",
                              data={"reviewers": reviewers})
        except gidgethub.BadRequest as exc:
            # Not a collaborator, or the author: the rest of the outcome still applies.
            log.warning("GitHub refused reviewers %s: %s", reviewers, exc)
    if outcome.add_assignees:
        await ctx.gh.post(f"/repos/{ctx.repo_full_name}/issues/{ctx.number}/assignees",
                          data={"assignees": list(dict.fromkeys(outcome.add_assignees))})
    if outcome.remove_assignees:
        await ctx.gh.delete(f"/repos/{ctx.repo_full_name}/issues/{ctx.number}/assignees",
                            data={"assignees": list(dict.fromkeys(outcome.remove_assignees))})
