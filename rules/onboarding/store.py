"""What the onboarding rule remembers: welcomes, first merges, greeting claims and mentor turns.

Each welcome and each first-merge message is recorded in the database after GitHub took
the writes (`after_apply`), keyed by repository and GitHub user id: once per contributor
and repository, whatever is closed, reopened or redelivered, and even while the search
index has not caught up with a contribution made seconds ago. Before anything is sent, the
contribution also claims its greeting (`claim_greeting`), so two contributions decided at
the same moment, which neither search nor the record can tell apart yet, greet only once.
"""

from __future__ import annotations

import time
from typing import Any, Literal

from sqlalchemy import BigInteger, Column, Float, Integer, String, Table, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store import Store, metadata

Kind = Literal["issue", "pull_request"]

welcomed = Table(
    "onboarding_welcomed",
    metadata,
    Column("repository", String(300), primary_key=True),  # owner/name, lower case
    Column("user_id", BigInteger, primary_key=True),  # GitHub user id: a renamed account stays known
    Column("kind", String(16), primary_key=True),  # issue | pull_request
    Column("login", String(100), nullable=False),
    Column("number", Integer, nullable=False),
    Column("at", Float, nullable=False),
)

first_merges = Table(
    "onboarding_first_merge",
    metadata,
    Column("repository", String(300), primary_key=True),
    Column("user_id", BigInteger, primary_key=True),
    Column("login", String(100), nullable=False),
    Column("number", Integer, nullable=False),
    Column("at", Float, nullable=False),
)

# Which contribution each greeting went to, decided before it is sent: two first contributions
# processed at the same moment (while search has not indexed either) cannot both be greeted.
greeting_claims = Table(
    "onboarding_claims",
    metadata,
    Column("repository", String(300), primary_key=True),
    Column("user_id", BigInteger, primary_key=True),
    Column("issue", Integer),  # the number given the first-issue welcome
    Column("pull_request", Integer),  # the number given the first-pull-request welcome
    Column("first_merge", Integer),  # the number given the first-merge message
)

mentor_rotation = Table(
    "onboarding_mentor_rotation",
    metadata,
    Column("repository", String(300), primary_key=True),
    Column("next_index", BigInteger, nullable=False),  # turns taken so far
)

mentor_assignments = Table(
    "onboarding_mentor_assignments",
    metadata,
    Column("repository", String(300), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("mentor", String(100), nullable=False),
    Column("at", Float, nullable=False),
)


def repository_key(full_name: str) -> str:
    return full_name.lower()


async def insert_first(store: Store, conn: AsyncConnection, table: Table, **values: Any) -> None:
    """Insert a row unless one with the same primary key exists: the first record wins, so a
    concurrent or redelivered event cannot overwrite it."""
    keys = [column.name for column in table.primary_key]
    await conn.execute(store.insert(table).values(**values).on_conflict_do_nothing(index_elements=keys))


async def remembered_kinds(store: Store, repository: str, user_id: int) -> set[str]:
    """The welcome kinds this contributor already got in this repository."""
    async with store.transaction() as conn:
        rows = await conn.execute(select(welcomed.c.kind).where(
            welcomed.c.repository == repository_key(repository), welcomed.c.user_id == user_id))
        return {row.kind for row in rows}


async def remember_welcome(store: Store, repository: str, user_id: int, login: str, kind: Kind, number: int) -> None:
    """Record a welcome; the first record wins, so a concurrent one cannot overwrite it."""
    async with store.transaction() as conn:
        await insert_first(store, conn, welcomed, repository=repository_key(repository), user_id=user_id, kind=kind,
                           login=login, number=number, at=time.time())


Greeting = Literal["issue", "pull_request", "first_merge"]


async def claim_greeting(store: Store, repository: str, user_id: int, greeting: Greeting, number: int) -> bool:
    """Decide once, for everyone, which contribution gets this greeting: True for `number`.

    One row per contributor and repository, locked while deciding (SQLite's single writer,
    PostgreSQL's row lock), so an issue and a pull request decided at the same moment see
    each other. A retry of the same contribution finds its own claim and goes on; an issue
    welcome is not due to someone whose pull request was welcomed.
    """
    key = (greeting_claims.c.repository == repository_key(repository), greeting_claims.c.user_id == user_id)
    async with store.transaction() as conn:
        await insert_first(store, conn, greeting_claims, repository=repository_key(repository), user_id=user_id)
        row = (await conn.execute(select(greeting_claims).where(*key).with_for_update())).mappings().one()
        if row[greeting] is not None:
            return row[greeting] == number
        if greeting == "issue" and row["pull_request"] is not None:
            return False
        await conn.execute(update(greeting_claims).where(*key).values({greeting: number}))
        return True


async def first_merge_remembered(store: Store, repository: str, user_id: int) -> bool:
    async with store.transaction() as conn:
        row = (await conn.execute(select(first_merges.c.number).where(
            first_merges.c.repository == repository_key(repository), first_merges.c.user_id == user_id))).first()
        return row is not None


async def remember_first_merge(store: Store, repository: str, user_id: int, login: str, number: int) -> None:
    async with store.transaction() as conn:
        await insert_first(store, conn, first_merges, repository=repository_key(repository), user_id=user_id,
                           login=login, number=number, at=time.time())


async def take_turn(store: Store, conn: AsyncConnection, repository: str) -> int:
    """Atomically take the repository's next mentor turn (0, 1, 2...), fair across replicas.

    One INSERT ... ON CONFLICT DO UPDATE ... RETURNING statement: the database serialises
    concurrent callers, so no two of them get the same turn.
    """
    stmt = store.insert(mentor_rotation).values(repository=repository_key(repository), next_index=1)
    stmt = stmt.on_conflict_do_update(index_elements=["repository"],
                                      set_={"next_index": mentor_rotation.c.next_index + 1})
    taken = (await conn.execute(stmt.returning(mentor_rotation.c.next_index))).scalar_one()
    return int(taken) - 1


async def assign_mentor(store: Store, repository: str, number: int, mentors: list[str]) -> str | None:
    """The mentor of this pull request: the one chosen before (a retried delivery keeps its
    mentor and does not take another turn), else the next in turn."""
    if not mentors:
        return None
    key = repository_key(repository)
    by_lower = {m.lower(): m for m in mentors}
    async with store.transaction() as conn:
        chosen = (await conn.execute(select(mentor_assignments.c.mentor).where(
            mentor_assignments.c.repository == key, mentor_assignments.c.number == number))).scalar()
    if chosen is not None and chosen.lower() in by_lower:
        return by_lower[chosen.lower()]
    async with store.transaction() as conn:
        mentor = mentors[await take_turn(store, conn, repository) % len(mentors)]
        values = dict(repository=key, number=number, mentor=mentor, at=time.time())
        if chosen is None:
            await insert_first(store, conn, mentor_assignments, **values)
        else:  # the mentor chosen before left the list: the new one replaces them
            await store.upsert(conn, mentor_assignments, values, ["repository", "number"])
        return mentor
