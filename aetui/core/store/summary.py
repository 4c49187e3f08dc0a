"""A session's summary and the store's listing that reads it.

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
writer's call: a listing changes nothing on disk.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable

from aetui.core.errors import AetuiError
from aetui.core.store import caps
from aetui.core.store.files import Folder, open_dir, read_at
from aetui.core.store.meta import FORMAT, SessionMeta
from aetui.core.text import printable

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


LIMIT = 2 * len(json.dumps(of(caps.largest_record(), os.stat_result((0,) * 10)), indent=1)) + 256
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
    return None if found is None else _checked(*found)


def _raw(folder: Folder, meta_name: str) -> tuple[dict, bool] | None:
    """The summary as parsed, if it names the record there now, and whether its text is all printable."""
    try:
        return _raw_at(folder.fd, folder.lstat(meta_name))
    except OSError:
        return None


def _raw_at(where: int, record: os.stat_result) -> tuple[dict, bool] | None:
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


def _checked(data: dict, shown: bool) -> SessionMeta | None:
    try:
        return SessionMeta.from_json(data, SUMMARY, printable=shown)
    except AetuiError:
        return None


@dataclass
class Listing:
    """The sessions of a store that could be read, newest first, and those that could not, with why."""

    sessions: list = field(default_factory=list)
    damaged: list[tuple[str, str]] = field(default_factory=list)
    total: int = 0
    """Sessions there are (before `limit`, after the filters)."""


def list_store(store: Path, make: Callable, read_meta: Callable, meta_name: str, *, limit: int | None = None,
               since: datetime | None = None, family: str | None = None, status: str | None = None,
               status_of: Callable | None = None) -> Listing:
    """Every session of `store` from its summary (its record where the summary cannot be trusted; no
    history is read), and every folder that looks like a session but cannot be read, with the reason:
    one bad session hides no other. Newest first; only those made at or after `since`, of the family
    `family`, whose status is `status` (as `status_of(session)` says, default `Session.status`), and
    of those the `limit` newest. Each summary is parsed first, and checked whole (a `SessionMeta`)
    only where it is listed: the rest is only counted. `sessions` says what a record is called
    (`meta_name`), how one is read whole (`read_meta(path)`) and how a session is made of it
    (`make(path, meta)`)."""

    found = Listing()
    try:
        where = open_dir(store, follow=True)
    except (FileNotFoundError, NotADirectoryError):
        return found
    seen = []  # (created, name, a summary as parsed or a record read whole)
    try:
        for entry in list(os.scandir(where)):
            if entry.is_symlink() or not entry.is_dir(follow_symlinks=False):
                continue
            try:
                raw = _entry(where, entry.name, meta_name)
            except FileNotFoundError:
                continue  # (no record, not even a link or a FIFO in its place: no session)
            if printable(entry.name) != entry.name:
                found.damaged.append((printable(entry.name), "its name holds control characters: rename the folder"))
                continue
            if raw is None:
                try:
                    raw = read_meta(store / entry.name)
                except AetuiError as err:
                    found.damaged.append((entry.name, str(err)))
                    continue
            seen.append((_created(raw), entry.name, raw))
    finally:
        os.close(where)
    seen.sort(key=lambda item: item[0], reverse=True)
    if since is not None:
        seen = [item for item in seen if (made(item[0]) or since) >= since]
    if family is not None:
        seen = [item for item in seen if _kind(item[2]) == family]
    status_of = status_of or (lambda session: session.status)
    for created, name, raw in seen:
        path = store / name
        if limit is not None and len(found.sessions) >= limit and isinstance(raw, tuple) and \
                raw[0].get("status") != "running":  # (counted, not checked: a status but running is as recorded)
            found.total += status is None or raw[0].get("status") == status
            continue
        meta = raw if isinstance(raw, SessionMeta) else _checked(*raw)
        try:
            session = make(path, meta or read_meta(path))
        except AetuiError as err:
            found.damaged.append((path.name, str(err)))
            continue
        if session.stillborn or status is not None and status_of(session) != status:
            continue  # (stillborn: a kill while it was being made, not a session; its name is free)
        found.total += 1
        if limit is None or len(found.sessions) < limit:
            found.sessions.append(session)
    return found


def _entry(store: int, name: str, meta_name: str) -> tuple[dict, bool] | None:
    """The summary of the session folder `name` in the store open as `store`, as parsed (`_raw`);
    None where it cannot be trusted or the folder not opened (a link: never followed)."""
    try:
        folder = open_dir(name, store)
    except FileNotFoundError:
        raise
    except OSError:
        return None
    try:
        return _raw_at(folder, os.stat(meta_name, dir_fd=folder, follow_symlinks=False))
    finally:
        os.close(folder)


def _created(raw) -> str:
    created = raw.created if isinstance(raw, SessionMeta) else raw[0].get("created")
    return created if isinstance(created, str) else ""


def _kind(raw) -> str:
    if isinstance(raw, SessionMeta):
        return raw.kind
    recipe = raw[0].get("recipe")
    return str(recipe.get("kind", "ae")) if isinstance(recipe, dict) else "ae"


def made(created: str) -> datetime | None:
    """When a session was made, from its record's `created` (local time where it names no zone;
    None where it is no date: such a session is never left out by `--since`)."""
    try:
        when = datetime.fromisoformat(created)
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo is not None else when.astimezone()
