"""Command replies (SPEC §6): one combined reply per comment, never twice, and not a flood.

Every reply of one delivery goes out as one comment carrying a hidden marker of the delivery
(hashed: the id comes from a header) and of the person answered. Before posting, the bot's own
comments on the issue are read: a marker already there means an earlier attempt of this
delivery posted the reply (a retried delivery never posts it twice), and the markers addressed
to the same person within `REPLY_WINDOW` seconds cap how often one person is answered on one
issue. The state lives in the comments themselves, so it holds across replicas.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.context import EventContext

log = logging.getLogger(__name__)

REPLY_LIMIT = 5  # replies to one person on one issue ...
REPLY_WINDOW = 600.0  # ... within this many seconds
# Anchored at the end of the comment, where post_reply puts it: a marker quoted in the reply's text is not one.
_MARKER = re.compile(r"<!-- governance-bot:reply ([0-9a-f]{20}) to:([a-z0-9\[\]-]{1,64}) -->\Z")


def _recipient(sender: dict[str, Any]) -> str:
    login = str(sender.get("login") or "")
    return re.sub(r"[^a-z0-9\[\]-]", "", login.lower())[:64] or "unknown"


def reply_marker(delivery_id: str, sender: dict[str, Any]) -> str:
    digest = hashlib.sha256(delivery_id.encode("utf-8", "replace")).hexdigest()[:20]
    return f"<!-- governance-bot:reply {digest} to:{_recipient(sender)} -->"


def _created(comment: dict[str, Any]) -> float:
    try:
        return dt.datetime.fromisoformat(str(comment.get("created_at")).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


async def post_reply(ctx: "EventContext", replies: list[str]) -> None:
    """Post `replies` as one comment, unless already posted for this delivery or the person's budget is spent."""
    texts = list(dict.fromkeys(text.strip() for text in replies if text.strip()))
    if not texts or ctx.number is None:
        return
    marker = reply_marker(ctx.delivery_id, ctx.sender)
    delivery, recipient = _MARKER.match(marker).groups()  # type: ignore[union-attr]
    recent = 0
    since = time.time() - REPLY_WINDOW
    for comment in await ctx.issue_comments():
        found = _MARKER.search(comment.get("body") or "")
        if found is None or not await ctx.is_own(comment):
            continue
        if found.group(1) == delivery:
            log.info("reply for this delivery already posted; not posting it again")
            return
        if found.group(2) == recipient and _created(comment) >= since:
            recent += 1
    if recent >= REPLY_LIMIT:
        log.warning("not replying to %s on %s#%s: %d replies in the last %d s", recipient, ctx.repo_full_name,
                    ctx.number, recent, int(REPLY_WINDOW))
        return
    body = "\n\n".join(texts) + "\n\n" + marker
    await ctx.gh.post(f"/repos/{ctx.repo_full_name}/issues/{ctx.number}/comments", data={"body": body})
