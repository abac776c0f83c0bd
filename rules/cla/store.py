"""What the CLA rule remembers: signatures (the evidence), who each open PR waits for,
whose signatures each open PR passes on, and the latest login seen for an account.

Signatures are scoped to the repository owner by its account id (an organisation that
renames keeps its signatures) and keyed by the signer's account id. A revoked signature
stays in the table with `revoked_at` set: it is evidence, and it no longer counts.
SQLAlchemy Core only, so SQLite and PostgreSQL behave the same.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    delete,
    func,
    select,
    update,
)

from bot.store import Store, metadata

cla_signatures = Table(
    "cla_signatures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("owner", String(100), nullable=False),  # owner login when signed (for people reading the export)
    Column("owner_id", BigInteger, nullable=False),  # what signatures are scoped by
    Column("user_id", BigInteger, nullable=False),
    Column("login", String(100), nullable=False),  # signer's login when signed
    Column("version", String(64), nullable=False),
    Column("signed_at", Float, nullable=False),
    Column("repository", String(300), nullable=False),
    Column("pull_request", Integer, nullable=False),
    Column("comment_url", String(500), nullable=False),
    # Who made the comment hold the phrase, and how ("created", "edited"): always the signer
    # (an edit by anyone else does not sign); NULL for signatures recorded before this was kept.
    Column("action", String(16)),
    Column("actor_id", BigInteger),
    Column("actor_login", String(100)),
    Column("revoked_at", Float),
    # One record per signing comment and version: a redelivered or edited comment adds nothing.
    UniqueConstraint("owner_id", "user_id", "version", "comment_url", name="uq_cla_signatures_comment"),
)
Index("ix_cla_signatures_signer", cla_signatures.c.owner_id, cla_signatures.c.user_id)

cla_waiting = Table(
    "cla_waiting",
    metadata,
    Column("owner_id", BigInteger, primary_key=True),
    Column("user_id", BigInteger, primary_key=True),
    Column("repository", String(300), primary_key=True),
    Column("number", Integer, primary_key=True),
)
Index("ix_cla_waiting_pull", cla_waiting.c.repository, cla_waiting.c.number)

# Open PRs whose check counted a signature: a revocation re-checks exactly these. The
# installation is kept because `cla revoke` runs without a webhook to take it from.
cla_relying = Table(
    "cla_relying",
    metadata,
    Column("owner_id", BigInteger, primary_key=True),
    Column("user_id", BigInteger, primary_key=True),
    Column("repository", String(300), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("installation_id", BigInteger),
)
Index("ix_cla_relying_pull", cla_relying.c.repository, cla_relying.c.number)

cla_accounts = Table(
    "cla_accounts",
    metadata,
    Column("user_id", BigInteger, primary_key=True),
    Column("login", String(100), nullable=False),
    Column("seen_at", Float, nullable=False),
)

EXPORT_FIELDS = ("user_id", "login", "owner", "version", "signed_at", "repository", "pull_request",
                 "comment_url", "action", "actor_id", "actor_login", "revoked_at")


@dataclass(frozen=True)
class NewSignature:
    owner: str
    owner_id: int
    user_id: int
    login: str
    version: str
    repository: str
    pull_request: int
    comment_url: str
    action: str | None = None
    actor_id: int | None = None
    actor_login: str | None = None


def iso(ts: float | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- signatures --------------------------------------------------------------------------------

async def active_signatures(store: Store, owner_id: int, user_ids: list[int],
                            versions: list[str]) -> dict[int, dict[str, Any]]:
    """user id → its most recent counting signature, for the ids that have one."""
    if not user_ids or not versions:
        return {}
    s = cla_signatures.c
    async with store.engine.connect() as conn:
        rows = (await conn.execute(select(cla_signatures).where(
            s.owner_id == owner_id, s.user_id.in_(user_ids), s.version.in_(versions), s.revoked_at.is_(None),
        ).order_by(s.signed_at))).mappings().all()
    return {row["user_id"]: dict(row) for row in rows}


async def record_signature(store: Store, signature: NewSignature, *, at: float | None = None) -> bool:
    """Store one signature; False when this comment already signed this version."""
    values = {**signature.__dict__, "signed_at": at if at is not None else time.time(), "revoked_at": None}
    stmt = store.insert(cla_signatures).values(**values).on_conflict_do_nothing(
        index_elements=["owner_id", "user_id", "version", "comment_url"])
    async with store.transaction() as conn:
        result = await conn.execute(stmt)
    return bool(result.rowcount)


async def export_rows(store: Store) -> list[dict[str, Any]]:
    """Every signature ever recorded, oldest first, with ISO-8601 UTC times."""
    s = cla_signatures.c
    async with store.engine.connect() as conn:
        rows = (await conn.execute(select(cla_signatures).order_by(s.signed_at, s.id))).mappings().all()
    out = []
    for row in rows:
        record = {name: row[name] for name in EXPORT_FIELDS}
        record["signed_at"], record["revoked_at"] = iso(row["signed_at"]), iso(row["revoked_at"])
        out.append(record)
    return out


async def revoke(store: Store, login: str, owner: str | None = None, *, at: float | None = None,
                 then: Callable[[Any, list[dict[str, Any]]], Awaitable[None]] | None = None) -> list[dict[str, Any]]:
    """End every counting signature of the account now called (or last seen as) `login`.

    An account is found by the login the bot last saw for it, falling back to the login it
    signed with; so after a rename the new login works, and the old one no longer does
    once the bot has seen the account under its new name. `then(conn, revoked)` runs in the
    same transaction (queueing re-checks): both happen, or neither.
    """
    wanted = login.strip().lstrip("@").lower()
    s, a = cla_signatures.c, cla_accounts.c
    async with store.transaction() as conn:
        candidates = {r.user_id for r in (await conn.execute(
            select(a.user_id).where(func.lower(a.login) == wanted))).all()}
        candidates |= {r.user_id for r in (await conn.execute(
            select(s.user_id).where(func.lower(s.login) == wanted))).all()}
        user_ids = {uid for uid in candidates if (await _current_login(conn, uid)).lower() == wanted}
        if not user_ids:
            return []
        conditions = [s.user_id.in_(user_ids), s.revoked_at.is_(None)]
        if owner:
            conditions.append(func.lower(s.owner) == owner.strip().lower())
        rows = (await conn.execute(select(cla_signatures).where(*conditions))).mappings().all()
        if rows:
            await conn.execute(update(cla_signatures).where(s.id.in_([r["id"] for r in rows])).values(
                revoked_at=at if at is not None else time.time()))
            if then is not None:
                await then(conn, [dict(r) for r in rows])
    return [dict(r) for r in rows]


async def _current_login(conn: Any, user_id: int) -> str:
    """The login last seen for an account, else the one it most recently signed with."""
    a, s = cla_accounts.c, cla_signatures.c
    seen = (await conn.execute(select(a.login).where(a.user_id == user_id))).scalar()
    if seen:
        return seen
    latest = (await conn.execute(select(s.login).where(s.user_id == user_id).order_by(
        s.signed_at.desc(), s.id.desc()).limit(1))).scalar()
    return latest or ""


async def remember_logins(store: Store, logins: dict[int, str]) -> None:
    """Note the current login of accounts whose signature carries an older one (renames).

    Written only when it changed, so a renamed signer does not cost a write per evaluation."""
    if not logins:
        return
    a = cla_accounts.c
    async with store.transaction() as conn:
        known = {r.user_id: r.login for r in (await conn.execute(
            select(a.user_id, a.login).where(a.user_id.in_(list(logins))))).all()}
        for user_id, login in logins.items():
            if known.get(user_id) != login:
                await store.upsert(conn, cla_accounts, {"user_id": user_id, "login": login, "seen_at": time.time()},
                                   keys=["user_id"])


# -- which pull requests wait for whom ---------------------------------------------------------

async def mark_involved(store: Store, owner_id: int, installation_id: int | None, repository: str, number: int,
                        user_ids: set[int]) -> None:
    """Before a check reads signatures: this PR may wait for, or rely on, each of these accounts.

    Written first, so a signature or a revocation committed while the check runs either is
    seen by it, or finds this PR here and queues it again (`record_verdict` then narrows both).
    """
    async with store.transaction() as conn:
        for user_id in sorted(user_ids):
            key = {"owner_id": owner_id, "user_id": user_id, "repository": repository, "number": number}
            await store.upsert(conn, cla_waiting, key, keys=list(key))
            await store.upsert(conn, cla_relying, {**key, "installation_id": installation_id}, keys=list(key))


async def record_verdict(store: Store, owner_id: int, installation_id: int | None, repository: str, number: int, *,
                         waiting: set[int], relying: set[int]) -> None:
    """After a complete check of a PR: whom it waits for, and whose signatures it passes on."""
    w, r = cla_waiting.c, cla_relying.c
    async with store.transaction() as conn:
        await conn.execute(delete(cla_waiting).where(w.repository == repository, w.number == number))
        await conn.execute(delete(cla_relying).where(r.repository == repository, r.number == number))
        for user_id in sorted(waiting):
            await conn.execute(cla_waiting.insert().values(owner_id=owner_id, user_id=user_id,
                                                           repository=repository, number=number))
        for user_id in sorted(relying):
            await conn.execute(cla_relying.insert().values(owner_id=owner_id, user_id=user_id, repository=repository,
                                                           number=number, installation_id=installation_id))


async def relying_on(conn: Any, pairs: set[tuple[int, int]]) -> list[tuple[int, str, int]]:
    """(installation, repository, number) of every open PR that counted, or is being checked
    and may count, a signature of one of these (owner id, user id) pairs, each once."""
    r = cla_relying.c
    found: set[tuple[int, str, int]] = set()
    for owner_id, user_id in sorted(pairs):
        rows = (await conn.execute(select(r.installation_id, r.repository, r.number).where(
            r.owner_id == owner_id, r.user_id == user_id))).all()
        found.update((row.installation_id, row.repository, row.number) for row in rows
                     if row.installation_id is not None)
    return sorted(found, key=lambda item: (item[1], item[2]))


async def waiting_for(store: Store, owner_id: int, user_id: int) -> list[tuple[str, int]]:
    """(repository, number) of every PR of this owner that waits for this account."""
    w = cla_waiting.c
    async with store.engine.connect() as conn:
        rows = (await conn.execute(select(w.repository, w.number).where(
            w.owner_id == owner_id, w.user_id == user_id).order_by(w.repository, w.number))).all()
    return [(r.repository, r.number) for r in rows]


async def forget_pull_request(store: Store, repository: str, number: int) -> None:
    """A closed PR waits for nobody and relies on nobody."""
    w, r = cla_waiting.c, cla_relying.c
    async with store.transaction() as conn:
        await conn.execute(delete(cla_waiting).where(w.repository == repository, w.number == number))
        await conn.execute(delete(cla_relying).where(r.repository == repository, r.number == number))
