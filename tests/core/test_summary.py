"""A session's summary (`summary.json`): written and kept current by the writer as a real run
trains, read by every listing, and never trusted over the record beside it: a summary that is
missing, damaged, over its cap, a link, a FIFO, another session's or older than its record is
passed over for the record, and the listing is what a full read of each session gives."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from aetui.core.store import sessions, summary
from aetui.core.training import trainer
from tests.support import fake_session, synthetic_session


def rows_read_whole(listing) -> dict:
    """Each listed session's row as a full read of its folder gives it."""
    return {s.name: (sessions.open_session(s.path).summary(), sessions.open_session(s.path).status,
                     sessions.open_session(s.path).meta.kind) for s in listing.sessions}


def rows_listed(listing) -> dict:
    return {s.name: (s.summary(), s.status, s.meta.kind) for s in listing.sessions}


def test_a_real_run_writes_its_summary_and_keeps_it_current(tmp_path, recipes, digits):
    seen = []

    def look(event) -> None:
        found = list(tmp_path.glob(f"*/{summary.SUMMARY}"))
        if found:
            record = json.loads(found[0].read_text())
            seen.append((record["status"], record["epochs_done"]))

    path = trainer.train(recipes["ae-32"], digits, tmp_path, epochs=3, name="run", on_event=look)
    assert ("running", 0) in seen and any(s == "running" and done >= 1 for s, done in seen), seen
    written = json.loads((path / summary.SUMMARY).read_text())
    info = os.lstat(path / sessions.META)
    assert written[summary.OF] == [info.st_ino, info.st_size, info.st_mtime_ns]
    assert written["status"] == "finished" and written["epochs_done"] == 3 and written["recipe"]["kind"] == "ae"
    assert set(written) <= {*summary.KEYS, "recipe", "dataset", summary.OF}
    assert len((path / summary.SUMMARY).read_bytes()) < summary.LIMIT
    listing = sessions.list_store(tmp_path)
    assert rows_listed(listing) == rows_read_whole(listing)
    assert listing.sessions[0].meta.last_epoch == sessions.open_session(path).meta.last_epoch
    trainer.resume(path, digits, epochs=4)
    again = json.loads((path / summary.SUMMARY).read_text())
    assert again["epochs_done"] == 4 and again["status"] == "finished" and again[summary.OF] != written[summary.OF]


def store_of_every_kind(store):
    """Sessions with summaries (finished, a branch, a sweep's trial, stopped), and one recorded before
    summaries (no `summary.json`), on different days."""
    synthetic_session(store, "vae-a", kind="vae", error=0.03)
    synthetic_session(store, "ae-b", kind="ae", code=32, error=0.06)
    branch = synthetic_session(store, "ae-branch", kind="ae", code=32, error=0.05)
    from aetui.core.store.writer import SessionWriter

    writer = SessionWriter(branch, sessions.open_session(branch).meta)  # (its run ended: the record written on)
    writer.update(parent={"name": "ae-b", "how": "branch", "epoch": 2}, status="stopped",
                  sweep={"name": "s", "trial": 1, "params": {"beta": 0.5}}, created="2026-11-05T09:00:00+0000")
    writer.close()
    fake_session(store, "old-run", "ae-32", 3, "finished", "2026-01-02T03:04:05")
    return store


def test_the_listing_from_summaries_is_the_listing_from_full_reads(tmp_path):
    store = store_of_every_kind(tmp_path / "sessions")
    assert not (store / "old-run" / summary.SUMMARY).exists()
    listing = sessions.list_store(store)
    assert not listing.damaged and len(listing.sessions) == 4
    assert rows_listed(listing) == rows_read_whole(listing)
    assert [s.name for s in listing.sessions][0] == "ae-branch" and listing.sessions[-1].name == "old-run"
    branch = next(s for s in listing.sessions if s.name == "ae-branch")
    assert branch.meta.parent["name"] == "ae-b" and branch.meta.sweep["params"] == {"beta": 0.5}
    assert branch.status == "stopped"


def lie(path, **changes) -> bytes:
    """A summary of the record at `path` as it is now (its stamp right) that says something else."""
    record = json.loads((path / sessions.META).read_text())
    info = os.lstat(path / sessions.META)
    return json.dumps({**summary.of(record, info), **changes}).encode()


def test_a_summary_with_the_right_stamp_is_trusted(tmp_path):
    """The premise of the next test: a summary naming the record as it is, is what the listing shows."""
    path = synthetic_session(tmp_path, "run", kind="ae", code=32)
    (path / summary.SUMMARY).write_bytes(lie(path, status="diverged"))
    assert sessions.list_store(tmp_path).sessions[0].status == "diverged"


@pytest.mark.parametrize("damage", ["missing", "garbage", "empty", "deep", "oversized", "link", "fifo", "folder",
                                    "foreign", "stale", "wrong-type", "other-format", "a-list"])
def test_a_summary_not_to_be_trusted_is_passed_over_for_the_record(tmp_path, damage):
    store = tmp_path / "sessions"
    path = synthetic_session(store, "run", kind="ae", code=32)
    other = synthetic_session(store, "other", kind="vae")
    target = path / summary.SUMMARY
    target.unlink()
    if damage == "garbage":
        target.write_bytes(b"\x00\xff{not json" * 100)
    elif damage == "empty":
        target.write_bytes(b"")
    elif damage == "deep":
        target.write_bytes(b"[" * 100_000)
    elif damage == "oversized":  # (the lie padded past the cap)
        target.write_bytes(lie(path, status="diverged")[:-1] + b" " * summary.LIMIT + b"}")
    elif damage == "link":  # (to a lie with the right stamp: a link is never followed)
        (tmp_path / "elsewhere.json").write_bytes(lie(path, status="diverged"))
        target.symlink_to(tmp_path / "elsewhere.json")
    elif damage == "fifo":
        os.mkfifo(target)
    elif damage == "folder":
        target.mkdir()
    elif damage == "foreign":  # another session's, copied in
        shutil.copy(other / summary.SUMMARY, target)
    elif damage == "stale":  # the record changed by hand after the summary was written
        target.write_bytes(lie(path))
        record = json.loads((path / sessions.META).read_text())
        (path / sessions.META).write_text(json.dumps({**record, "status": "stopped", "epochs": 7}))
    elif damage == "wrong-type":
        target.write_bytes(lie(path, epochs="seven"))
    elif damage == "other-format":
        target.write_bytes(lie(path, format=99, status="diverged"))
    elif damage == "a-list":
        target.write_bytes(b"[1, 2, 3]")
    listing = sessions.list_store(store)
    assert not listing.damaged and sorted(s.name for s in listing.sessions) == ["other", "run"]
    assert rows_listed(listing) == rows_read_whole(listing)
    run = next(s for s in listing.sessions if s.name == "run")
    assert run.status == ("stopped" if damage == "stale" else "finished") and run.meta.kind == "ae"
    assert run.meta.epochs == (7 if damage == "stale" else 4)
    if damage == "link":
        assert target.is_symlink() and (tmp_path / "elsewhere.json").exists()


def test_a_damaged_record_is_listed_damaged_whatever_its_summary_says(tmp_path):
    path = synthetic_session(tmp_path, "run", kind="ae", code=32)
    good = lie(path)
    (path / sessions.META).write_text("{broken")
    (path / summary.SUMMARY).write_bytes(good)  # (the stamp of the record before it broke)
    listing = sessions.list_store(tmp_path)
    assert not listing.sessions and listing.damaged[0][0] == "run" and "damaged" in listing.damaged[0][1]


def test_listing_options_keep_the_newest_of_a_family_a_status_a_time(tmp_path):
    from datetime import datetime, timezone

    store = store_of_every_kind(tmp_path / "sessions")
    newest = sessions.list_store(store, limit=2)
    assert [s.name for s in newest.sessions] == ["ae-branch", *[s.name for s in newest.sessions][1:]]
    assert len(newest.sessions) == 2 and newest.total == 4 and "old-run" not in [s.name for s in newest.sessions]
    assert {s.name for s in sessions.list_store(store, family="vae").sessions} == {"vae-a"}
    assert {s.name for s in sessions.list_store(store, family="ae").sessions} == {"ae-b", "ae-branch", "old-run"}
    assert {s.name for s in sessions.list_store(store, status="stopped").sessions} == {"ae-branch"}
    stopped = sessions.list_store(store, status="finished", limit=1)
    assert len(stopped.sessions) == 1 and stopped.total == 3
    since = datetime(2026, 6, 1, tzinfo=timezone.utc)
    assert "old-run" not in {s.name for s in sessions.list_store(store, since=since).sessions}
    assert len(sessions.list_store(store, since=since).sessions) == 3
