"""Repository files that more than one rule reads from GitHub, read the same way for all.

`license_headers` and `triage` both skip files the root `.gitattributes` marks generated
(or vendored). They read it from the default branch, never from the pull request, so a
pull request cannot mark its own files generated to slip past a check or shrink its size.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.context import EventContext
from rules.common.gitattributes import GitAttributes, parse_gitattributes

__all__ = ["default_branch_gitattributes"]


async def default_branch_gitattributes(ctx: EventContext, pr: Mapping[str, Any]) -> GitAttributes | None:
    """The root `.gitattributes` of the default branch of the pull request's base repository;
    None when there is none (or no default branch is known)."""
    branch = ((pr.get("base") or {}).get("repo") or {}).get("default_branch") \
        or ctx.repository.get("default_branch")
    if not branch:
        return None
    text = await ctx.file_text(".gitattributes", branch)
    return parse_gitattributes(text) if text else None
