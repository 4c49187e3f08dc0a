"""The store's listing, and the store index that makes it quick.

A listing shows each session as its summary says (`summary`; its record where the summary cannot
be trusted). To find the 50 newest of 20,000 sessions without reading 20,000 summaries, the store
keeps an index, `INDEX`: for each session folder, what orders and filters a listing (when it was
made, its family, status, parent and ranking figures) and the stamps (`stamp`) of the two files
that say so, `summary.json` and `session.json`, each a `stat` through the folder's descriptor,
never through a link. The summaries stay the truth:

- an entry is used only for a folder of its name in the store now (not a link) whose two files'
  stamps are the entry's. Any write to either changes them (the writer's renames, an edit in place
  that puts the old time back): a session added, finished or edited since is read anew; an entry
  of a session gone, or whose name is no folder of the store (`../x`), is never used;
- what is shown of a session is read from its own summary (or record) as it is shown, checked as
  any summary is; where that disagrees with its entry (a lie, or a race with a writer), the
  listing is made again without the index;
- an index missing, damaged, of another format, over its cap (`LIMIT_PER_ENTRY` a folder), a link
  or no regular file is passed over, as is each entry of a wrong shape;
- a listing that read any session anew writes the index again, whole, best effort and unsynced (a
  temporary name renamed into place through the store's descriptor: a link at its name is
  replaced, never followed); one lost to a crash is written again, a store the user cannot write
  is listed all the same.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from aetui.core import ranking
from aetui.core.errors import AetuiError
from aetui.core.store import summary
from aetui.core.store.files import Folder, open_dir, read_at
from aetui.core.store.meta import STATUSES, SessionMeta
from aetui.core.text import printable

INDEX = ".aetui-index.json"  # (in the store folder: no session's name starts with a dot)
FORMAT = "aetui-index-1"
NAME_MAX = 255  # (the longest folder name, and so the longest parent's name an entry keeps)
TEXT_MAX = 64  # (what an entry keeps of a session's `created` and family: enough to order and filter)
LIMIT_PER_ENTRY = len(json.dumps(["\x00" * NAME_MAX, *[[2**64 - 1] * 4] * 2, "\x00" * TEXT_MAX, "\x00" * TEXT_MAX,
                                  max(STATUSES, key=len), "\x00" * NAME_MAX, -1.7976931348623157e308,
                                  -1.7976931348623157e308])) + 2
"""The longest entry the index can hold (every character escaped, every number at its longest)."""
ROW = 7 + len(ranking.CHOICES)
"""The length of an entry's row: name, two stamps, created, family, status, parent, the figures."""


@dataclass(eq=False, slots=True)
class Entry:
    """One session as a listing orders and filters it: from the index, or from its files read now
    (then `meta` holds the record they gave, checked)."""

    name: str
    created: str
    kind: str
    status: str
    parent: str | None
    figures: tuple | None  # (of its last epoch, one for each of `ranking.CHOICES`; None: from `meta` when asked)
    stamps: tuple
    """(its summary's `stamp`, None where it has none; its record's `stamp`)."""
    meta: SessionMeta | None = None
    session: object = None
    """The session, made when it is shown (`Listing.session`)."""

    def figure(self, by: str = ranking.DEFAULT) -> float | None:
        if self.figures is None:
            self.figures = tuple(ranking.of_record(self.meta.last_epoch, self.meta.epochs_done, choice)
                                 for choice in ranking.CHOICES)
        return self.figures[ranking.CHOICES.index(by)]

    def row(self) -> list:  # (in the index)
        return [self.name, *self.stamps, self.created, self.kind, self.status, self.parent,
                *(self.figure(choice) for choice in ranking.CHOICES)]


def entry_of(name: str, meta: SessionMeta, stamps: tuple) -> Entry:
    """The entry of the session `name` whose record is `meta`."""
    parent = meta.parent.get("name") if isinstance(meta.parent, dict) else None
    return Entry(name, meta.created[:TEXT_MAX], meta.kind[:TEXT_MAX], meta.status,
                 parent if isinstance(parent, str) and len(parent) <= NAME_MAX else None, None, stamps, meta)


def _entry_of_row(row: list) -> Entry | None:
    """The entry an index row holds (its stamps already found equal to the files'), or None where
    it is of a wrong shape."""
    name, kept, record, created, kind, status, parent, *figures = row
    if type(created) is str and type(kind) is str and len(created) <= TEXT_MAX and len(kind) <= TEXT_MAX and \
            status in STATUSES and (parent is None or type(parent) is str and len(parent) <= NAME_MAX) and \
            all(f is None or type(f) is float and math.isfinite(f) for f in figures):
        return Entry(name, created, kind, status, parent, tuple(figures), (kept, record))
    return None


def read_index(store: int, folders: int) -> dict[str, list]:
    """The index's rows by name ({} where there is none to trust: see the module's docstring)."""
    try:
        text = read_at(store, INDEX, (folders + 1) * LIMIT_PER_ENTRY + 1024, INDEX)
        data = json.loads(text)
    except (OSError, AetuiError, ValueError, RecursionError):
        return {}
    rows = data.get("sessions") if isinstance(data, dict) and data.get("format") == FORMAT else None
    if not isinstance(rows, list):
        return {}
    return {row[0]: row for row in rows if type(row) is list and len(row) == ROW and type(row[0]) is str}


def write_index(store: Path, entries: list[Entry]) -> None:
    """Write the index of `entries`, whole, best effort (see the module's docstring)."""
    text = json.dumps({"format": FORMAT, "sessions": [e.row() for e in entries]}, separators=(",", ":"))
    with contextlib.suppress(OSError), Folder.open(store, follow=True) as where:
        where.write(INDEX, text.encode("ascii"), sync=False)


def stamp(info: os.stat_result) -> list[int]:
    """What changes whenever a file is written, replaced or touched: inode, size, mtime, ctime."""
    return [info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns]


def _look(store: int, name: str, meta_name: str, row, whole: bool) -> tuple[Entry | None, tuple | None, object]:
    """The session folder `name` of the store open as `store`: its entry where the index's `row` names
    its files as they are now (not where the listing is `whole`: all read anyway), else (None, its
    stamps, its summary as parsed or None). `FileNotFoundError` where it holds no record."""
    try:
        folder = open_dir(name, store)
    except OSError as err:
        if isinstance(err, FileNotFoundError):
            raise
        return None, None, None
    try:
        try:  # (a whole listing writes no index: no need of the summary's stamp)
            kept = None if whole else stamp(os.stat(summary.SUMMARY, dir_fd=folder, follow_symlinks=False))
        except FileNotFoundError:
            kept = None
        info = os.stat(meta_name, dir_fd=folder, follow_symlinks=False)
        stamps = (kept, stamp(info))
        if not whole and type(row) is list and len(row) == ROW and row[1] == kept and row[2] == stamps[1]:
            known = _entry_of_row(row)
            if known is not None:
                return known, stamps, None
        return None, stamps, summary.raw_at(folder, info) if kept is not None or whole else None
    finally:
        os.close(folder)


@dataclass
class Listing:
    """The sessions of a store that could be read, newest first, and those that could not, with why."""

    sessions: list = field(default_factory=list)
    damaged: list[tuple[str, str]] = field(default_factory=list)
    total: int = 0
    """Sessions there are (before `limit`, after the filters)."""
    entries: list[Entry] = field(default_factory=list)
    """Every session kept by the filters, newest first, each made into a session only when asked
    (`session`): what a list that shows a page at a time orders and pages through."""
    store: Path | None = None
    make: Callable | None = None
    read_meta: Callable | None = None
    meta_name: str = ""
    signature: tuple = ()  # (the store as `signature` saw it just before it was listed)
    lied: bool = False
    """An entry of the index disagreed with the session's own files when it was made."""

    def session(self, entry: Entry):
        """The session `entry` names, read now from its summary (its record where the summary cannot
        be trusted); an `AetuiError` where it cannot be read."""
        if entry.session is None:
            path = self.store / entry.name
            meta = entry.meta
            if meta is None:
                try:
                    with Folder.open(path) as folder:
                        meta = summary.read(folder, self.meta_name)
                except OSError:
                    meta = None
                meta = meta or self.read_meta(path)
                again = entry_of(entry.name, meta, entry.stamps)
                self.lied |= again.row()[3:] != entry.row()[3:]
            entry.session = self.make(path, meta)
        return entry.session


def list_store(store: Path, make: Callable, read_meta: Callable, meta_name: str, *, limit: int | None = None,
               since: datetime | None = None, family: str | None = None, status: str | None = None,
               status_of: Callable | None = None, index: bool = True) -> Listing:
    """Every session of `store` (no history is read), through the index (`index`: where it can be
    trusted), and every folder that looks like a session but cannot be read, with the reason: one
    bad session hides no other. Newest first; only those made at or after `since`, of the family
    `family`, whose status is `status` (as `status_of(session)` says, default `Session.status`),
    and of those the `limit` newest are made into sessions (`sessions`; all where `limit` is None,
    none but the running where it is 0: `entries` holds every one). `sessions` says what a record
    is called (`meta_name`), how one is read whole (`read_meta(path)`) and how a session is made of
    it (`make(path, meta)`)."""
    found = Listing(store=store, make=make, read_meta=read_meta, meta_name=meta_name)
    try:
        where = open_dir(store, follow=True)
    except (FileNotFoundError, NotADirectoryError):
        return found
    entries: list[Entry] = []
    try:
        names, marks = [], []
        for item in os.scandir(where):
            if item.is_symlink() or not item.is_dir(follow_symlinks=False):
                marks += _mark(item)
                continue
            if printable(item.name) != item.name:
                found.damaged.append((printable(item.name), "its name holds control characters: rename the folder"))
            else:
                names.append(item.name)
        whole = limit is None and index  # (every session read anyway: the index neither read nor written)
        rows = read_index(where, len(names)) if index and not whole else {}
        fresh = not whole and (len(rows) != len(names) or not index)
        for name in names:
            try:
                entry, stamps, raw = _look(where, name, meta_name, rows.get(name), whole)
            except FileNotFoundError:
                continue  # (no record, not even a link or a FIFO in its place: no session)
            if stamps is not None:
                marks.append((name, stamps[1][2]))
            if entry is None:
                try:
                    meta = summary.checked(*raw) if raw is not None else None
                    entry = entry_of(name, meta or read_meta(store / name), stamps or (None, None))
                except AetuiError as err:
                    found.damaged.append((name, str(err)))
                    continue
                fresh = fresh or not whole and rows.get(name) != entry.row()
            entries.append(entry)
    finally:
        os.close(where)
    found.signature = tuple(sorted(marks))
    if fresh:
        write_index(store, [e for e in entries if e.stamps[1] is not None])
    entries.sort(key=lambda e: (e.created, e.name), reverse=True)
    if since is not None:
        entries = [e for e in entries if (made(e.created) or since) >= since]
    if family is not None:
        entries = [e for e in entries if e.kind == family]
    status_of = status_of or (lambda session: session.status)
    for entry in entries:
        if status is not None and entry.status not in ("running", status):
            continue  # (a status but running is as recorded: no need to read the session to leave it out)
        if entry.status == "running" or limit is None or len(found.sessions) < limit:
            try:
                session = found.session(entry)
            except AetuiError as err:
                found.damaged.append((entry.name, str(err)))
                continue
            if session.stillborn or status is not None and status_of(session) != status:
                continue  # (stillborn: a kill while it was being made, not a session; its name is free)
            if limit is None or len(found.sessions) < limit:
                found.sessions.append(session)
        found.total += 1
        found.entries.append(entry)
    if found.lied and index:
        return list_store(store, make, read_meta, meta_name, limit=limit, since=since, family=family, status=status,
                          status_of=status_of, index=False)
    return found


def signature(store: Path, meta_name: str) -> tuple:
    """What changes in the store when a session or a sweep is made or moves on, cheap to read (a
    `stat` each): the name and modification time of each session's record (`meta_name`) and of
    each file beside the sessions (a sweep's manifest), the index left out."""
    with contextlib.suppress(OSError), Folder.open(store, follow=True) as where:
        marks = []
        for item in os.scandir(where.fd):
            if item.is_symlink() or not item.is_dir(follow_symlinks=False):
                marks += _mark(item)
                continue
            with contextlib.suppress(OSError):  # (a `stat`, which reads nothing, even through a link put there since)
                marks.append((item.name, os.stat(f"{item.name}/{meta_name}", dir_fd=where.fd,
                                                  follow_symlinks=False).st_mtime_ns))
        return tuple(sorted(marks))
    return ()


def _mark(item: os.DirEntry) -> list:  # (a file beside the sessions: its name and time; none for the index)
    if item.name == INDEX or item.name.startswith(".tmp-"):
        return []
    try:
        return [(item.name, item.stat(follow_symlinks=False).st_mtime_ns)]
    except OSError:
        return []


def made(created: str) -> datetime | None:
    """When a session was made, from its `created` (local where it names no zone; None: no date)."""
    try:
        when = datetime.fromisoformat(created)
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo is not None else when.astimezone()
