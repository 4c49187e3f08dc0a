"""Sessions on disk: safe names, readable after damage, and after SIGKILL at the last completed epoch."""

import json
import os
import signal
import subprocess
import time

import numpy as np
import pytest

from aetui.core.errors import AetuiError
from aetui.core.store import paths, sessions
from aetui.core.store.writer import SessionWriter
from aetui.core.training import trainer
from tests import support


@pytest.fixture(scope="module")
def trained(tmp_path_factory, recipes):
    from aetui.core import data

    store = tmp_path_factory.mktemp("store")
    path = trainer.train(recipes["ae-32"], data.load("digits").limited(256), store, epochs=2, batch_size=64,
                         name="base")
    return path


def copy(src, dst):
    import shutil

    shutil.copytree(src, dst)
    return dst


@pytest.mark.parametrize("name, expected", [("my run", "my-run"), ("../../etc", "etc"), ("a/b\\c", "a-b-c"),
                                            ("..hidden", "hidden"), ("ok.v2_x-y", "ok.v2_x-y")])
def test_names_are_sanitised(name, expected):
    assert paths.safe_name(name) == expected


def test_names_that_cannot_be_made_safe(tmp_path):
    with pytest.raises(AetuiError, match="no usable characters"):
        paths.safe_name("../")
    for bad in ("..", "/etc", "a/b", ""):
        with pytest.raises(AetuiError, match="not a plain name"):
            paths.inside(tmp_path, bad)


def test_taken_names_get_a_suffix(tmp_path):
    first = SessionWriter.create(tmp_path, "run", {})
    second = SessionWriter.create(tmp_path, "run", {})
    assert (first.name, second.name) == ("run", "run-2")


def test_reopens_with_everything(trained):
    s = sessions.open_session(trained)
    assert s.status == "finished" and s.epochs_done == 2 and not s.problems
    assert s.best_val_loss == min(e.logs["val_loss"] for e in s.epochs)
    assert s.meta.dataset["class_counts"] and s.meta.versions["keras"].startswith("3")
    assert s.recipe().name == "ae-32"


def test_truncated_last_line_is_skipped_and_reported(trained, tmp_path):
    path = copy(trained, tmp_path / "s")
    history = path / sessions.HISTORY
    text = history.read_text()
    last_epoch = text.rindex('{"event": "EpochEnded"')
    history.write_text(text[: last_epoch + 60])  # cut inside the last epoch's record, as a kill would
    s = sessions.open_session(path)
    assert s.epochs_done == 1 and any("line" in p and "skipped" in p for p in s.problems)


def test_missing_snapshot_and_weights_are_reported(trained, tmp_path):
    path = copy(trained, tmp_path / "s")
    (path / "snapshots" / sessions.snapshot_name(2)).unlink()
    for w in (path / "weights").iterdir():
        w.unlink()
    s = sessions.open_session(path)
    assert "snapshot of epoch 2 is missing" in s.problems
    assert any("no saved weights" in p for p in s.problems)
    assert s.snapshot(1)["recon"].dtype == np.uint8
    with pytest.raises(AetuiError, match="is missing"):
        s.snapshot(2)


def test_truncated_npz_is_refused_clearly(trained, tmp_path):
    path = copy(trained, tmp_path / "s")
    snap = path / "snapshots" / sessions.snapshot_name(1)
    snap.write_bytes(snap.read_bytes()[:100])
    with pytest.raises(AetuiError, match="is damaged"):
        sessions.open_session(path).snapshot(1)


def test_folders_that_are_not_sessions(tmp_path):
    with pytest.raises(AetuiError, match="no session at"):
        sessions.open_session(tmp_path / "none")
    (tmp_path / "plain").mkdir()
    with pytest.raises(AetuiError, match="is not a session"):
        sessions.open_session(tmp_path / "plain")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / sessions.META).write_text("{not json")
    with pytest.raises(AetuiError, match="is damaged"):
        sessions.open_session(tmp_path / "bad")
    assert sessions.list_sessions(tmp_path) == []


@pytest.mark.slow
def test_sigkill_mid_training_reopens_at_the_last_completed_epoch(tmp_path, spawn):
    store = tmp_path / "store"
    proc = spawn(support.command(store, "train", "ae-32", "--dataset", "digits", "--epochs", "200", "--batch-size",
                                 "16", "--session", "victim"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    history = store / "victim" / sessions.HISTORY
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            if history.exists() and history.read_text().count('"EpochEnded"') >= 2:
                break
            time.sleep(0.05)
        else:
            pytest.fail("training never completed two epochs")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        proc.kill()
    s = sessions.open_session(store / "victim")
    assert s.status == "killed"
    assert s.epochs_done >= 2
    last = s.epochs_done
    assert s.snapshot(last)["recon"].shape[0] == len(s.fixed()["panel"])
    assert s.weights()[0] in (last - 1, last)
    assert json.loads((store / "victim" / sessions.META).read_text())["epochs_done"] in (last - 1, last)


def test_a_session_is_running_exactly_while_its_writer_holds_it(tmp_path):
    from aetui.core.errors import AetuiError

    writer = SessionWriter.create(tmp_path, "held", {"epochs": 1})
    assert sessions.open_session(writer.path).status == "running"
    with pytest.raises(AetuiError, match="being trained by another process"):
        SessionWriter.lock(writer.path)
    writer.close()  # as when the last status could not be written (a full disk)
    assert sessions.open_session(writer.path).status == "killed"  # and so resumable


def test_a_listing_reads_each_record_and_no_history(tmp_path, recipes, digits):
    """Home rereads the store after every epoch: what it lists comes from `session.json` and the lock
    alone, so a session of 10,000 epochs costs what one of 10 does. Each history here is a FIFO,
    which any read of it would refuse (or block on): the listing still shows every figure."""
    from tests.support import synthetic_session

    paths = [synthetic_session(tmp_path, f"run-{i}", epochs=3, code=2, kind="ae") for i in range(3)]
    paths.append(trainer.train(recipes["ae-32"], digits, tmp_path, epochs=1, name="trained"))
    rows = {s.name: s.summary() for s in sessions.list_store(tmp_path).sessions}
    for path in paths:
        (path / sessions.HISTORY).unlink()
        os.mkfifo(path / sessions.HISTORY)
    listing = sessions.list_store(tmp_path)
    assert not listing.damaged and {s.name: s.summary() for s in listing.sessions} == rows
    assert [row[4] for row in rows.values()].count("3/3") == 3
    assert rows["trained"][1] == "finished" and rows["trained"][4] == "1/1"
    assert rows["trained"][2] > 0 and rows["trained"][3] > 0  # test MSE per pixel and objective, from the record


@pytest.mark.parametrize("origin, shown", [
    (b'"tuned \\u001b]0;x\\u0007 by hand"', "tuned \ufffd]0;x\ufffd by hand"),  # escaped controls
    (b'"a\x7fb"', "a\ufffdb"),  # DEL, which JSON takes as it is
    ('"a\u009bb"'.encode(), "a\ufffdb"),  # a C1 control, as UTF-8
    (b'"\\ud800 lone"', "\ufffd lone"),  # a lone surrogate
    (b'"plain ascii"', "plain ascii")])
def test_a_history_line_s_text_is_made_printable_whatever_its_bytes(origin, shown):
    """`events.from_line` passes over the walk through a record's strings only where the line's
    bytes cannot hold anything to replace; every other way a control character can arrive is shown
    as U+FFFD."""
    from aetui.core import events

    line = b'{"event": "HParamChanged", "name": "beta", "old": 1.0, "new": 2.0, "epoch": 3, "step": 40, ' \
           b'"origin": ' + origin + b'}'
    change = events.from_line(line)
    assert change.origin == shown and change == events.from_record(json.loads(line.decode()))
    with pytest.raises(ValueError):
        events.from_line(line.replace(b'"step": 40', b'"step": true'))
