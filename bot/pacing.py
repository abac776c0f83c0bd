"""An installation's write window, shared through the database.

Two things leave the process:

- `ready_at` (SQLite and PostgreSQL): when an installation's window is full, or GitHub paused
  it, its row says until when; claims skip the installation's deliveries until then
  (`bot.queue`), so no worker is handed work that could only wait.
- the window itself (PostgreSQL): routing keeps one installation's deliveries on one replica
  at a time, so its writes are never concurrent and one in-memory `WriteWindow` counts them.
  When the installation moves, the next replica would otherwise start with an empty window
  (a second minute's worth) and know nothing of a pause GitHub had just imposed. So a replica
  taking up an installation it holds no delivery of merges in the saved window, and saves it
  after each delivery, before the delivery is marked done and the installation can move.
  With SQLite there is one process, and nothing more to share.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy import bindparam, select

from bot.store import Store, installation_writes
from bot.writewindow import WriteWindow

log = logging.getLogger(__name__)


async def take_up(store: Store, installation_id: int, window: WriteWindow, *, save: bool = True) -> None:
    """Before a delivery: continue from the saved window if no other delivery here holds it.

    Always pair with `hand_on` (in a `finally`), which undoes the hold even if this fails.
    A second delivery arriving while the first is still reading waits for that read, so it
    cannot write before the saved history is known.
    """
    window.holders += 1
    if not (store.is_postgres and save):
        return
    if window.holders > 1:  # the local window is current, or about to be
        if window.loading is not None and not window.loading.done():
            await asyncio.shield(window.loading)
        return
    window.loading = asyncio.get_running_loop().create_future()
    try:
        row = await _saved(store, installation_id)
        if row is not None:
            window.merge(row.stamps or b"", row.resume_at, row.as_of)
    finally:
        window.loading.set_result(None)


_t = installation_writes.c
# Built once (building a statement cost more CPU than running it); parameter: installation_id.
_SAVED = select(_t.stamps, _t.resume_at, _t.as_of).where(_t.installation_id == bindparam("installation_id"))
# The upserts `hand_on` runs, by (dialect is PostgreSQL, with the stamps): built once each.
_SAVES: dict[tuple[bool, bool], Any] = {}


def _save_statement(store: Store, with_stamps: bool) -> Any:
    """INSERT … ON CONFLICT DO UPDATE of a window, only over an older save (`as_of`); whole-row parameters."""
    key = (store.is_postgres, with_stamps)
    if key not in _SAVES:
        columns = ["installation_id", "ready_at", *(["stamps"] if with_stamps else []), "resume_at", "as_of"]
        insert = store.insert(installation_writes).values({c: bindparam(c) for c in columns})
        _SAVES[key] = insert.on_conflict_do_update(
            index_elements=["installation_id"], set_={c: insert.excluded[c] for c in columns[1:]},
            where=installation_writes.c.as_of <= insert.excluded.as_of)
    return _SAVES[key]


async def _saved(store: Store, installation_id: int) -> Any:
    try:
        return await store.read_unit(lambda conn: conn.execute(_SAVED, {"installation_id": installation_id}).first())
    except Exception as exc:  # the local window still paces this replica's writes
        log.warning("could not read installation %s's write window (%s)", installation_id, type(exc).__name__)
        return None


async def hand_on(store: Store, installation_id: int, window: WriteWindow, *, save: bool = True) -> None:
    """After a delivery: publish when the installation may write next, and (PostgreSQL) its window.

    On SQLite only a full window is written (claims need to know); on PostgreSQL the window is
    saved for whichever replica works for the installation next. A save only replaces an older
    one: two deliveries' saves committing out of order leave the newer state.
    """
    window.holders = max(0, window.holders - 1)
    if not save:
        return
    ready_at = window.ready_at()
    if not store.is_postgres and ready_at <= window.clock():
        return
    if not store.is_postgres:
        values: dict[str, Any] = {"installation_id": installation_id, "ready_at": ready_at,
                                  "resume_at": window.resume_at, "as_of": window.as_of}
    elif not window.touched:
        return  # nothing new to say (it wrote nothing here)
    else:
        values = {"installation_id": installation_id, "ready_at": ready_at, "stamps": window.pack(),
                  "resume_at": window.resume_at, "as_of": window.as_of}
    statement = _save_statement(store, "stamps" in values)
    try:
        await store.write_unit(lambda conn: conn.execute(statement, values))
    except Exception as exc:  # never turn a delivery's outcome into a failure over this
        log.warning("could not save installation %s's write window (%s)", installation_id, type(exc).__name__)
