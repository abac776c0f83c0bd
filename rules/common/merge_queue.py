"""Merge queues: what a `merge_group.checks_requested` event asks to be checked.

GitHub builds a temporary branch for the group and wants the required statuses on its head
commit; the commits to check are those of `base_sha...head_sha`.
"""

from __future__ import annotations

import logging
from typing import Any

__all__ = ["MERGE_GROUP_EVENT", "merge_group_range"]

MERGE_GROUP_EVENT = "merge_group.checks_requested"

log = logging.getLogger(__name__)


def merge_group_range(payload: dict[str, Any]) -> tuple[str, str] | None:
    """(base_sha, head_sha) of the event's merge group, or None (logged) when the payload lacks them."""
    group = payload.get("merge_group") or {}
    head, base = group.get("head_sha"), group.get("base_sha")
    if isinstance(head, str) and isinstance(base, str) and head and base:
        return base, head
    log.warning("merge_group event without head_sha/base_sha; nothing to check")
    return None
