"""What the bot remembers of rules files, and the pushes that make every replica forget it.

Reading `.github/governance.yml` (and the organisation's default) on every event cost one or
two requests per event, and a 404 cannot be revalidated for free, so an absent file used to be
believed for a minute: a maintainer who added one and opened a pull request at once saw nothing.

Instead the App subscribes to `push`: a push to a repository's default branch that touches the
rules file bumps that repository's version in `rules_file_versions`. Each replica remembers a
file's text (or its absence) together with the version it was read under, and checks the
versions (one primary-key read of the database, no GitHub request) before trusting it. The
organisation's defaults are the rules file of `OWNER/.github`, so one key covers both.

A time-to-live remains as a backstop for a push that was itself lost (GitHub's delivery log
sweep, `bot.sweep`, normally recovers those too).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import cachetools
from sqlalchemy import BigInteger, Column, Float, String, Table, bindparam, select

from bot.config import RULES_PATH
from bot.store import Store, metadata

log = logging.getLogger(__name__)

ABSENT_TTL = 3600.0  # a file that did not exist: a push creating it is what normally ends this
PRESENT_TTL = 6 * 3600.0  # backstop only: a push changing the file ends it at once
# GitHub lists at most this many commits in a push payload; a longer push may hide a touch.
PUSH_COMMITS_LISTED = 2048

rules_file_versions = Table(
    "rules_file_versions",
    metadata,
    Column("repository", String(300), primary_key=True),  # owner/name, lower case
    Column("version", BigInteger, nullable=False),
    Column("changed_at", Float, nullable=False),  # wall clock, for operators
)
# Built once; parameter: repositories (a list).
_READ_VERSIONS = select(rules_file_versions.c.repository, rules_file_versions.c.version).where(
    rules_file_versions.c.repository.in_(bindparam("repositories", expanding=True)))


@dataclass(frozen=True)
class _Remembered:
    text: str | None  # None: no rules file there
    version: int
    read_at: float  # monotonic


def push_touches_rules_file(payload: dict[str, Any]) -> bool:
    """Whether a `push` payload may have changed the rules file on the repository's default branch.

    Errs towards yes (a forced push, a branch created, a commit list GitHub cut short): the
    price of a needless yes is one request on the next event, of a wrong no a stale rules file.
    """
    repository = payload.get("repository") or {}
    default_branch = repository.get("default_branch") or repository.get("master_branch")
    if not isinstance(default_branch, str) or payload.get("ref") != f"refs/heads/{default_branch}":
        return False
    if payload.get("deleted"):
        return False
    commits = payload.get("commits")
    if payload.get("forced") or payload.get("created") or not isinstance(commits, list) \
            or len(commits) >= PUSH_COMMITS_LISTED:
        return True
    for commit in commits:
        if not isinstance(commit, dict):
            return True
        for key in ("added", "modified", "removed"):
            paths = commit.get(key)
            if isinstance(paths, list) and RULES_PATH in paths:
                return True
    return False


class RulesFileMemory:
    """Per-process memory of rules files, invalidated through the database by pushes."""

    def __init__(self, store: Store, *, absent_ttl: float = ABSENT_TTL, present_ttl: float = PRESENT_TTL,
                 maxsize: int = 10_000) -> None:
        self.store = store
        self.absent_ttl = absent_ttl
        self.present_ttl = present_ttl
        self._entries: cachetools.LRUCache[str, _Remembered] = cachetools.LRUCache(maxsize=maxsize)
        self._reading: dict[tuple[str, int], asyncio.Future[str | None]] = {}

    async def versions(self, repositories: Iterable[str]) -> dict[str, int] | None:
        """The current versions (0 when never pushed to); None when the database cannot say."""
        keys = sorted({name.lower() for name in repositories})
        try:
            rows = await self.store.read_unit(lambda conn: conn.execute(_READ_VERSIONS, {"repositories": keys}).all())
        except Exception as exc:  # the database is away: read GitHub rather than trust stale memory
            log.warning("cannot read rules-file versions (%s); reading the files", type(exc).__name__)
            return None
        found = {row.repository: int(row.version) for row in rows}
        return {key: found.get(key, 0) for key in keys}

    async def read(self, repository: str, versions: dict[str, int] | None,
                   fetch: Callable[[], Awaitable[str | None]]) -> str | None:
        """The rules file of `repository` (None if absent), from memory when still valid, else `fetch`."""
        key = repository.lower()
        if versions is None:
            return await fetch()
        version = versions.get(key, 0)
        entry = self._entries.get(key)
        now = time.monotonic()
        if entry is not None and entry.version == version:
            ttl = self.present_ttl if entry.text is not None else self.absent_ttl
            if now - entry.read_at < ttl:
                return entry.text
        # Events of one repository arriving together share one read (a burst of webhooks would
        # otherwise each ask GitHub before the first answer is remembered).
        reading = self._reading.get((key, version))
        if reading is None:
            reading = self._reading[(key, version)] = asyncio.ensure_future(fetch())
            reading.add_done_callback(lambda _: self._reading.pop((key, version), None))
            text = await asyncio.shield(reading)
            # The version was read before the file: a push landing in between leaves a newer version
            # in the database than in this entry, so the next event reads the file again.
            self._entries[key] = _Remembered(text, version, now)
            return text
        return await asyncio.shield(reading)

    async def forget(self, repository: str) -> None:
        """Every replica reads `repository`'s rules file again on its next event."""
        key = repository.lower()
        self._entries.pop(key, None)
        t = rules_file_versions
        now = time.time()
        stmt = self.store.insert(t).values(repository=key, version=1, changed_at=now).on_conflict_do_update(
            index_elements=["repository"], set_={"version": t.c.version + 1, "changed_at": now})
        async with self.store.transaction() as conn:
            await conn.execute(stmt)

    async def note_push(self, payload: dict[str, Any]) -> bool:
        """Handle a `push` delivery: forget the repository's rules file if the push touched it."""
        full_name = (payload.get("repository") or {}).get("full_name")
        if not isinstance(full_name, str) or not push_touches_rules_file(payload):
            return False
        await self.forget(full_name)
        log.info("rules file of %s changed on its default branch; every replica reads it again", full_name)
        return True
