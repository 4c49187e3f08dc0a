"""A session's summary, which every listing reads (`listing`).

`summary.json` holds what a listing shows and sorts by (status, family, recipe and data names, the
epochs, the last epoch's ranking figures, when it was made and updated, its sweep and parent), a
few hundred bytes, so that listing 20,000 sessions reads 20,000 small files and parses none of
their records. The writer rewrites it, whole (a temporary name renamed into place), each time it
writes `session.json` (`write`), and it says which `session.json` it summarises: that file's inode,
size and modification time (`of`). The record stays the truth: a summary that does not name the
record beside it as it is now (a session recorded before summaries, a record changed by someone
else, a copy, a kill between the two writes), or that is damaged, over its cap (`LIMIT`), a link,
a FIFO or anything but an aetui summary, is not trusted, and the record is read instead
(`sessions.read_meta`, every check it makes). Nothing here writes a session's files but the
writer's call: a listing writes nothing but the store's index (`listing`).
"""

from __future__ import annotations

import json
import os
import stat

from aetui.core.errors import AetuiError
from aetui.core.store import caps
from aetui.core.store.files import Folder, read_at
from aetui.core.store.meta import FORMAT, SessionMeta

SUMMARY = "summary.json"
KEYS = ("name", "format", "status", "epochs", "epochs_done", "best_val_loss", "last_epoch", "created", "updated",
        "parent", "sweep")
"""The record's keys a summary keeps as they are; of `recipe` its `name` and `kind`, of `dataset` its `name`."""
OF = "of"
"""The key naming the record summarised: [inode, size, modification time in ns] of `session.json`."""


def of(record: dict, info: os.stat_result) -> dict:
    """The summary of the record `record` (`SessionMeta.to_json()`), written as `info` (its file's `lstat`)."""
    found = {k: record[k] for k in KEYS if k in record}
    for part, keep in (("recipe", ("name", "kind")), ("dataset", ("name",))):
        value = record.get(part)
        if isinstance(value, dict):
            found[part] = {k: value[k] for k in keep if k in value}
    return {**found, OF: stamp(info)}


def stamp(info: os.stat_result) -> list[int]:
    return [info.st_ino, info.st_size, info.st_mtime_ns]


LIMIT = 2 * caps.indented_length(of(caps.largest_record(), os.stat_result((0,) * 10))) + 256
"""Twice the summary of the longest record (`caps.largest_record`), and room for its stamp."""


def write(folder: Folder, record: dict, meta_name: str) -> None:
    """Write the summary of `record`, just written as `meta_name` in the session `folder` (through its
    handle: a link or anything else at the summary's name is replaced, never followed). Not synced:
    one lost or cut short by a crash names no record as it is, and is not trusted."""
    info = folder.lstat(meta_name)
    folder.write(SUMMARY, json.dumps(of(record, info)).encode("utf-8"), sync=False)


def read(folder: Folder, meta_name: str) -> SessionMeta | None:
    """The session's record as its summary in `folder` keeps it, or None where the summary cannot be
    trusted (none, damaged, over `LIMIT`, a link or no regular file, foreign, or naming another
    record than the `meta_name` now there): the caller reads the record instead."""
    found = _raw(folder, meta_name)
    return None if found is None else checked(*found)


def _raw(folder: Folder, meta_name: str) -> tuple[dict, bool] | None:
    """The summary as parsed, if it names the record there now, and whether its text is all printable."""
    try:
        return raw_at(folder.fd, folder.lstat(meta_name))
    except OSError:
        return None


def raw_at(where: int, record: os.stat_result) -> tuple[dict, bool] | None:
    """`_raw` in the session folder open as `where`, whose record's `lstat` is `record`."""
    if not stat.S_ISREG(record.st_mode):
        return None
    try:
        text = read_at(where, SUMMARY, LIMIT, SUMMARY).decode("utf-8")
        data = json.loads(text)
    except (OSError, AetuiError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.pop(OF, None) != stamp(record):
        return None
    return data, "\\" not in text and text.isprintable()  # (no escape, nothing unprintable: no control character)


def checked(data: dict, shown: bool) -> SessionMeta | None:
    try:
        return SessionMeta.from_json(data, SUMMARY, printable=shown)
    except AetuiError:
        return None
