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

import logging

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
    """
    pacer.holders += 1
    if not (store.is_postgres and save) or pacer.holders > 1:
        return  # the local bucket is current: this process has been writing for the installation
    t = installation_pacing.c
    try:
        async with store.engine.connect() as conn:
            row = (await conn.execute(select(t.tokens, t.as_of, t.resume_at).where(
                t.installation_id == installation_id))).first()
    except Exception as exc:  # pacing state is a refinement: the local bucket still paces
        log.warning("could not read installation %s's write pacing (%s)", installation_id, type(exc).__name__)
        return
    if row is not None:
        pacer.restore(row.tokens, row.as_of, row.resume_at)


async def hand_on(store: Store, installation_id: int, pacer: WritePacer, *, save: bool = True) -> None:
    """After a delivery: save the bucket for whichever replica works for the installation next."""
    pacer.holders = max(0, pacer.holders - 1)
    if not (store.is_postgres and save):
        return
    tokens, as_of, resume_at = pacer.snapshot()
    try:
        async with store.transaction() as conn:
            await store.upsert(conn, installation_pacing, {"installation_id": installation_id, "tokens": tokens,
                                                           "as_of": as_of, "resume_at": resume_at},
                               keys=["installation_id"])
    except Exception as exc:  # never turn a delivery's outcome into a failure over this
        log.warning("could not save installation %s's write pacing (%s)", installation_id, type(exc).__name__)
