"""The store's index (`listing.INDEX`): written by a listing, used by the next to order and filter
without reading every summary, and never trusted over the files. An index that is missing,
truncated, garbage, huge, a link, a FIFO, a folder, of another format or of rows of a wrong shape
is passed over (and written anew where it can be); its entries of sessions that are gone or
outside the store are never used; a session added, finished, resumed or edited in place after it
was written is read anew; and an entry that lies with the right stamps is caught when its session
is shown, and the listing made again from the files."""

from __future__ import annotations

import json
import os

import pytest

from aetui.core.store import listing, sessions, summary
from aetui.core.store.writer import SessionWriter
from tests.core.test_summary import store_of_every_kind
from tests.support import synthetic_session


def seen(found) -> list:
    """What a listing shows: each session's row, status and family, in its order, and the damaged."""
    return [(s.name, s.summary(), s.status, s.meta.kind) for s in found.sessions], sorted(found.damaged)


def from_the_files(store, **only) -> tuple:
    """The listing made from the summaries alone (the index passed over)."""
    return seen(listing.list_store(store, sessions.Session, sessions.read_meta, sessions.META, index=False, **only))


def index_of(store) -> dict:
    return {row[0]: row for row in json.loads((store / listing.INDEX).read_text())["sessions"]}


def rewrite(store, change) -> None:
    """Change the index's rows in place (`change(rows)`), keeping its format."""
    data = json.loads((store / listing.INDEX).read_text())
    change(data["sessions"])
    (store / listing.INDEX).write_text(json.dumps(data))


def test_a_listing_writes_the_index_and_the_next_is_the_same_listing(tmp_path):
    store = store_of_every_kind(tmp_path / "sessions")
    assert not (store / listing.INDEX).exists()
    sessions.list_store(store)  # (a whole listing reads every summary anyway: it neither reads nor writes the index)
    assert not (store / listing.INDEX).exists()
    first = sessions.list_store(store, limit=10)
    rows = index_of(store)
    assert set(rows) == {"vae-a", "ae-b", "ae-branch", "old-run"}
    assert rows["old-run"][1] is None  # (recorded before summaries: its entry is its record's)
    assert rows["ae-branch"][5:7] == ["stopped", "ae-b"]
    assert seen(first) == seen(sessions.list_store(store, limit=10)) == from_the_files(store, limit=10)
    written = (store / listing.INDEX).stat().st_ino
    sessions.list_store(store, limit=1)
    sessions.list_store(store)
    assert (store / listing.INDEX).stat().st_ino == written  # (nothing changed: not written again)
    for only in ({"limit": 2}, {"family": "ae", "limit": 9}, {"status": "stopped", "limit": 9},
                 {"limit": 1, "status": "finished"}, {"family": "vae"}):
        assert seen(sessions.list_store(store, **only)) == from_the_files(store, **only), only


def test_the_index_orders_the_listing_and_a_lie_is_caught_when_shown(tmp_path):
    """The premise that the index is used at all (an entry with the right stamps orders the
    sessions without their summaries being read), and what keeps it from being trusted: the lie
    is found when its session is made, and the listing is made again from the files."""
    store = store_of_every_kind(tmp_path / "sessions")
    truth = from_the_files(store)  # (a listing without the index writes it, from the files)

    def lie(rows):
        next(r for r in rows if r[0] == "old-run")[3] = "2099-01-01T00:00:00"  # (made in the future: first)

    rewrite(store, lie)
    entries = sessions.list_store(store, limit=0).entries
    assert entries[0].name == "old-run"  # (ordered by the index alone: nothing shown, nothing read)
    shown = sessions.list_store(store, limit=2)
    assert seen(shown) == from_the_files(store, limit=2) and "old-run" not in [s.name for s in shown.sessions]
    assert seen(sessions.list_store(store)) == truth
    assert index_of(store)["old-run"][3] != "2099-01-01T00:00:00"  # (written again from the files)


def pad(store) -> None:
    """An index longer than one largest entry per folder (the lie padded past its cap)."""
    text = (store / listing.INDEX).read_text()
    folders = sum(1 for p in store.iterdir() if p.is_dir())
    (store / listing.INDEX).write_text(text[:-1] + " " * ((folders + 2) * listing.LIMIT_PER_ENTRY) + "}")


def damage(store, how: str, tmp_path) -> None:
    target = store / listing.INDEX
    text = target.read_text()
    if how == "truncated":
        target.write_text(text[: len(text) // 2])
    elif how == "garbage":
        target.write_bytes(b"\x00\xff{not json" * 100)
    elif how == "empty":
        target.write_bytes(b"")
    elif how == "deep":
        target.write_bytes(b"[" * 100_000)
    elif how == "huge":
        pad(store)
    elif how in ("link", "fifo", "folder"):
        target.unlink()
        if how == "link":
            (tmp_path / "elsewhere.json").write_text(text)
            target.symlink_to(tmp_path / "elsewhere.json")
        elif how == "fifo":
            os.mkfifo(target)
        else:
            target.mkdir()
    elif how == "other-format":
        target.write_text(json.dumps({**json.loads(text), "format": "aetui-index-99"}))
    elif how == "a-list":
        target.write_text("[1, 2, 3]")
    elif how == "wrong-rows":  # every field of a wrong type or size, each in one row
        def wrong(rows):
            for row, (i, value) in zip(rows, [(3, 7), (4, "x" * 1000), (5, "exploded"), (6, ["a"]), (7, "0.1"),
                                              (8, float("inf")), (1, "stamp"), (0, None)]):
                row[i] = value
            rows.append(["short"])
            rows.append("not a row")
        rewrite(store, wrong)


@pytest.mark.parametrize("how", ["truncated", "garbage", "empty", "deep", "huge", "link", "fifo", "folder",
                                 "other-format", "a-list", "wrong-rows"])
def test_an_index_not_to_be_trusted_is_passed_over_and_written_anew(tmp_path, how):
    store = store_of_every_kind(tmp_path / "sessions")
    truth = from_the_files(store)
    sessions.list_store(store, limit=0)
    damage(store, how, tmp_path)
    assert seen(sessions.list_store(store)) == truth
    assert seen(sessions.list_store(store, limit=2)) == from_the_files(store, limit=2)
    if how == "folder":  # (nothing can be renamed onto a folder: the listing goes on without an index)
        assert (store / listing.INDEX).is_dir()
        return
    assert not (store / listing.INDEX).is_symlink() and set(index_of(store)) == {s[0] for s in truth[0]}
    if how == "link":
        assert (tmp_path / "elsewhere.json").read_text().startswith('{"format"')  # (the target left alone)


def test_entries_of_sessions_gone_or_outside_the_store_are_never_used(tmp_path):
    store = store_of_every_kind(tmp_path / "sessions")
    outside = synthetic_session(tmp_path / "elsewhere", "outside", kind="vae")
    sessions.list_store(store, limit=0)
    sessions.list_store(outside.parent, limit=0)
    stranger = index_of(outside.parent)["outside"]

    def add(rows):
        rows += [[name, *stranger[1:]] for name in ("../elsewhere/outside", "/etc", "gone", "vae-a/..")]

    rewrite(store, add)
    (store / "ae-b").rename(tmp_path / "ae-b-moved")
    found = sessions.list_store(store, limit=10)
    assert sorted(s.name for s in found.sessions) == ["ae-branch", "old-run", "vae-a"] and not found.damaged
    assert seen(found) == from_the_files(store, limit=10)
    assert set(index_of(store)) == {"ae-branch", "old-run", "vae-a"}


@pytest.mark.parametrize("change", ["added", "finished", "record-edited", "summary-edited", "summary-gone",
                                    "record-a-link"])
def test_a_session_changed_after_the_index_was_written_is_read_anew(tmp_path, change):
    store = store_of_every_kind(tmp_path / "sessions")
    sessions.list_store(store, limit=0)
    path = store / "vae-a"
    if change == "added":
        synthetic_session(store, "newcomer", kind="ae", code=32, error=0.01)
    elif change == "finished":  # (as a resumed run's end: the writer rewrites record and summary)
        writer = SessionWriter(path, sessions.open_session(path).meta)
        writer.update(status="interrupted", epochs=9)
        writer.close()
    elif change == "record-edited":  # (in place, its time put back: the change time still moves)
        info = os.stat(path / sessions.META)
        record = json.loads((path / sessions.META).read_text())
        (path / sessions.META).write_text(json.dumps({**record, "status": "stopped"}))
        os.utime(path / sessions.META, ns=(info.st_atime_ns, info.st_mtime_ns))
    elif change == "summary-edited":  # (a lie with the right stamp, as test_summary's: trusted as the summary is)
        text = (path / summary.SUMMARY).read_text()
        info = os.stat(path / summary.SUMMARY)
        (path / summary.SUMMARY).write_text(text.replace('"finished"', '"diverged"'))
        os.utime(path / summary.SUMMARY, ns=(info.st_atime_ns, info.st_mtime_ns))
    elif change == "summary-gone":
        (path / summary.SUMMARY).unlink()
    elif change == "record-a-link":
        (tmp_path / "record.json").write_text((path / sessions.META).read_text())
        (path / sessions.META).unlink()
        (path / sessions.META).symlink_to(tmp_path / "record.json")
    found = sessions.list_store(store, limit=10)
    assert seen(found) == from_the_files(store, limit=10)
    status = {"finished": "interrupted", "record-edited": "stopped", "summary-edited": "diverged"}
    if change == "record-a-link":
        assert "vae-a" in dict(found.damaged) and "link" in dict(found.damaged)["vae-a"]
    else:
        assert next(s for s in found.sessions if s.name == "vae-a").status == status.get(change, "finished")
    if change == "added":
        assert "newcomer" in index_of(store) and "newcomer" in [s.name for s in found.sessions]
