"""Write pacing that follows an installation from replica to replica (PostgreSQL).

Routing keeps one installation's deliveries on one replica at a time, so its writes are
never concurrent and one in-memory token bucket paces them. When the installation moves
to another replica, that replica's bucket would start full (a second burst) and would not
know of a secondary-rate-limit pause GitHub had just imposed. So the bucket travels with
the work: a replica taking up an installation it holds no delivery of loads the last
saved state, and saves it after each delivery, before the delivery is marked done and the
installation can move. With SQLite there is one process, and nothing to share.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy import BigInteger, Column, Float, Table, select

from bot.github import WritePacer
from bot.store import Store, metadata

log = logging.getLogger(__name__)

installation_pacing = Table(
    "installation_pacing",
    metadata,
    Column("installation_id", BigInteger, primary_key=True),
    Column("tokens", Float, nullable=False),
    Column("as_of", Float, nullable=False),  # wall clock
    Column("resume_at", Float, nullable=False),  # wall clock; 0: not paused
)


async def take_up(store: Store, installation_id: int, pacer: WritePacer, *, save: bool = True) -> None:
    """Before a delivery: continue from the saved bucket if no other delivery here holds it.

    Always pair with `hand_on` (in a `finally`), which undoes the hold even if this fails.
    A second delivery arriving while the first is still reading waits for that read, so it
    cannot spend tokens that the read then overwrites.
    """
    pacer.holders += 1
    if not (store.is_postgres and save):
        return
    if pacer.holders > 1:  # the local bucket is current, or about to be
        if pacer.loading is not None and not pacer.loading.done():
            await asyncio.shield(pacer.loading)
        return
    pacer.loading = asyncio.get_running_loop().create_future()
    try:
        row = await _saved(store, installation_id)
        # A local bucket newer than the saved one (its save failed, or arrived late) is kept.
        if row is not None and (not pacer.touched or row.as_of > pacer.snapshot()[1]):
            pacer.restore(row.tokens, row.as_of, row.resume_at)
    finally:
        pacer.loading.set_result(None)


async def _saved(store: Store, installation_id: int) -> Any:
    t = installation_pacing.c
    try:
        async with store.engine.connect() as conn:
            return (await conn.execute(select(t.tokens, t.as_of, t.resume_at).where(
                t.installation_id == installation_id))).first()
    except Exception as exc:  # pacing state is a refinement: the local bucket still paces
        log.warning("could not read installation %s's write pacing (%s)", installation_id, type(exc).__name__)
        return None


async def hand_on(store: Store, installation_id: int, pacer: WritePacer, *, save: bool = True) -> None:
    """After a delivery: save the bucket for whichever replica works for the installation next.

    The save only replaces an older one: two deliveries' saves committing out of order
    leave the newer state.
    """
    pacer.holders = max(0, pacer.holders - 1)
    if not (store.is_postgres and save):
        return
    tokens, as_of, resume_at = pacer.snapshot()
    values = {"installation_id": installation_id, "tokens": tokens, "as_of": as_of, "resume_at": resume_at}
    insert = store.insert(installation_pacing).values(**values)
    stmt = insert.on_conflict_do_update(
        index_elements=["installation_id"], set_={k: v for k, v in values.items() if k != "installation_id"},
        where=installation_pacing.c.as_of <= insert.excluded.as_of)
    try:
        async with store.transaction() as conn:
            await conn.execute(stmt)
    except Exception as exc:  # never turn a delivery's outcome into a failure over this
        log.warning("could not save installation %s's write pacing (%s)", installation_id, type(exc).__name__)
