"""A store that others write to: attacks on it as a careless colleague or an attacker would make
them, each refused in one line (or listed as damaged) with nothing outside the session touched.

Races between two real processes, links planted where aetui writes, files that never end (a link
to /dev/zero, a FIFO) and markup in every piece of user text. Crafted files are in
tests/test_crafted_files.py; the workbench's end with its terminal in tests/test_tmux.py; the
screens' with damaged sessions in tests/ui/test_damaged_sessions_ui.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from aetui.core.errors import AetuiError
from aetui.core.store import sessions
from aetui.core.store.writer import SessionWriter
from aetui.core.training.controls import Controls
from tests.support import (
    aetui,
    command,
    copied,
    make_idx_folder,
    quiet_env,
    refused,
    shown,
    tree_hash,
)

# --- sessions to attack ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def unstarted(tmp_path_factory, recipes) -> Path:
    """A session stopped in its first epoch: no completed epoch, no weights."""
    from aetui.core import data
    from aetui.core.training import trainer

    store = tmp_path_factory.mktemp("unstarted")
    controls = Controls(recipes["ae-32"].tunables)
    controls.stop()  # (after the first batch)
    path = trainer.train(recipes["ae-32"], data.load("digits").limited(256), store, epochs=1, name="run",
                         controls=controls)
    assert sessions.open_session(path).epochs_done == 0
    return path


def outside(root: Path) -> Path:
    """A folder beside the store, holding a file nobody may touch."""
    folder = root / "outside"
    folder.mkdir(exist_ok=True)
    (folder / "precious.txt").write_text("keep me\n")
    return folder


# --- 1. two resumes of one session --------------------------------------------------------------------

def test_two_resumes_started_together_never_both_train(tmp_path, unstarted, spawn):
    """Two `aetui resume` of a session with no completed epoch, started at once, as in the report:
    one runs, the other is refused once the first holds the lock (or, if the first is already
    done, goes on after its epoch). The history never holds an epoch twice."""
    path = copied(unstarted, tmp_path)
    store = tmp_path / "sessions"
    first = spawn(command(store, "resume", "run", "--epochs", "1"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                  text=True, env=quiet_env())
    second = spawn(command(store, "resume", "run", "--epochs", "3"), stdout=subprocess.PIPE,
                   stderr=subprocess.PIPE, text=True, env=quiet_env())
    outs = [child.communicate(timeout=300) for child in (first, second)]
    codes = [first.returncode, second.returncode]
    assert set(codes) <= {0, 2} and 0 in codes, (codes, outs)
    for code, (out, err) in zip(codes, outs):
        assert "Traceback" not in out + err
        if code == 2:
            assert "is still running" in err or "is being trained by another process" in err, err
    session = sessions.open_session(path)
    numbers = [e.epoch for e in session.epochs]
    assert numbers == list(range(1, len(numbers) + 1)), numbers
    assert session.meta.epochs_done == len(numbers) <= session.meta.epochs
    assert [e for e, _ in sessions.epoch_files(path, sessions.SNAPSHOTS)] == numbers


def test_a_resume_checks_the_session_under_its_lock(tmp_path, unstarted):
    """The check runs on what is read once the lock is held: a second writer cannot get in, and an
    epoch recorded before the lock was taken counts."""
    path = copied(unstarted, tmp_path)
    writer, _ = SessionWriter.lock(path)
    try:
        with pytest.raises(AetuiError, match="being trained by another process"):
            SessionWriter.lock(path)
    finally:
        writer.close()
    with (path / sessions.HISTORY).open("a") as history:  # what a first resume wrote meanwhile
        history.write(json.dumps({"event": "EpochEnded", "epoch": 1, "step": 1, "logs": {"loss": 1.0},
                                  "stats": {}, "seconds": 1.0, "samples_per_s": 1.0}) + "\n")
    seen = []
    writer, session = SessionWriter.lock(path, lambda s: seen.append(s.epochs_done))
    writer.close()
    assert seen == [1] and session.epochs_done == 1


# --- 2. links: nothing written or deleted through one -------------------------------------------------

@pytest.mark.parametrize("planted", ["snapshots", "weights", "snapshot file", "weights file", "lock", "history"])
def test_resume_writes_and_deletes_nothing_through_a_link(tmp_path, trained, planted):
    path = copied(trained, tmp_path)
    away = outside(tmp_path)
    for n in (1, 5):  # what an unwary resume would delete (epochs after the last) or overwrite
        (away / sessions.snapshot_name(n)).write_bytes(b"theirs")
        (away / sessions.weights_name(n)).write_bytes(b"theirs")
    if planted in ("snapshots", "weights"):
        shutil.rmtree(path / planted)
        (path / planted).symlink_to(away)
        link = path / planted
    elif planted == "snapshot file":
        link = path / sessions.SNAPSHOTS / sessions.snapshot_name(1)
        link.unlink()
        link.symlink_to(away / sessions.snapshot_name(1))
    elif planted == "weights file":
        link = path / sessions.WEIGHTS / sessions.weights_name(1)
        link.unlink()
        link.symlink_to(away / sessions.weights_name(1))
    elif planted == "lock":
        link = path / sessions.LOCK
        link.unlink(missing_ok=True)
        link.symlink_to(away / "made-by-aetui")
    else:
        link = path / sessions.HISTORY
        (away / "history.jsonl").write_bytes((path / sessions.HISTORY).read_bytes())
        link.unlink()
        link.symlink_to(away / "history.jsonl")
    refused(tmp_path, "resume", "run", "--epochs", "2", fragment=f"{link} is a link")
    assert not (away / "made-by-aetui").exists()


@pytest.mark.parametrize("how", ["train", "resume"])
def test_links_planted_while_a_run_goes_on_redirect_nothing(tmp_path, trained, spawn, how):
    """Once the run has begun, its snapshots/ and weights/ folders are swapped for links to a
    folder outside: every later epoch is still written inside the session (through the folders
    it holds open), nothing lands outside."""
    store = tmp_path / "sessions"
    if how == "resume":
        copied(trained, tmp_path)
        argv = ["resume", "run", "--epochs", "12"]
    else:
        argv = ["train", "ae-32", "--dataset", "digits", "--limit", "256", "--epochs", "12",
                               "--session", "run"]
    away = outside(tmp_path)
    child = spawn(command(store, *argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                  env=quiet_env())
    path = store / "run"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        history = path / sessions.HISTORY
        if history.exists() and (b"TrainingResumed" if how == "resume" else b"TrainingStarted") in \
                history.read_bytes():
            break
        time.sleep(0.05)
    for kind in (sessions.SNAPSHOTS, sessions.WEIGHTS):
        (path / kind).rename(path / f"{kind}.real")
        (path / kind).symlink_to(away)
    out, err = child.communicate(timeout=300)
    assert child.returncode == 0 and "Traceback" not in err, (argv, err[-2000:])
    assert sorted(p.name for p in away.iterdir()) == ["precious.txt"]
    assert len(list((path / "snapshots.real").iterdir())) >= 11  # (a resume keeps the first epoch's too)


def test_a_lock_planted_as_a_link_or_fifo_never_blocks_or_reaches_out(tmp_path, synthetic):
    from aetui.core.store import locks

    away = outside(tmp_path)
    link = tmp_path / "link.lock"
    link.symlink_to(away / "made")
    fifo = tmp_path / "fifo.lock"
    os.mkfifo(fifo)
    for path in (link, fifo):
        assert not locks.held(path)
        with pytest.raises(OSError):
            locks.take(path)
    assert not (away / "made").exists()


def test_export_replaces_planted_links_and_leaves_their_targets_alone(tmp_path, synthetic):
    copied(synthetic, tmp_path)
    away = outside(tmp_path)
    (away / "board").mkdir()
    out = tmp_path / "export"
    out.mkdir()
    for name in ("panel.png", "history.csv", "recon-epoch-0001.png"):
        (out / name).symlink_to(away / "precious.txt")
    (out / "tensorboard").symlink_to(away / "board")
    before = tree_hash(away)
    result = aetui(tmp_path / "sessions", "export", "run", "--to", str(out))
    assert result.returncode == 0, result.stderr[-2000:]
    assert tree_hash(away) == before and (away / "precious.txt").read_text() == "keep me\n"
    for name in ("panel.png", "history.csv", "recon-epoch-0001.png", "tensorboard"):
        assert not (out / name).is_symlink() and (out / name).exists(), name
    assert not (out / "EXPORT-INCOMPLETE").exists()


# --- 3. one bad session hides no other ------------------------------------------------------------------

def test_a_store_with_endless_and_ill_typed_files_still_lists_and_opens_the_rest(tmp_path, synthetic):
    """history.jsonl or session.json a link to /dev/zero or a FIFO, a history value that is text:
    `aetui ls` lists every session (the unreadable ones as damaged, with why) in bounded time and
    memory, and the sound session still opens."""
    copied(synthetic, tmp_path, "good")
    for name, file in (("zero-history", sessions.HISTORY), ("zero-meta", sessions.META)):
        path = copied(synthetic, tmp_path, name)
        (path / file).unlink()
        (path / file).symlink_to("/dev/zero")
    for name, file in (("fifo-history", sessions.HISTORY), ("fifo-meta", sessions.META)):
        path = copied(synthetic, tmp_path, name)
        (path / file).unlink()
        os.mkfifo(path / file)
    typed = copied(synthetic, tmp_path, "text-loss")
    lines = (typed / sessions.HISTORY).read_text().splitlines()
    record = json.loads(lines[-2])
    record["logs"]["val_loss"] = "x"
    (typed / sessions.HISTORY).write_text("\n".join([*lines[:-2], json.dumps(record), lines[-1]]) + "\n")

    listing = shown(tmp_path, "ls")
    for name in ("good", "zero-history", "fifo-history", "text-loss"):
        assert name in listing
    assert "zero-meta" in listing and "fifo-meta" in listing and listing.count("damaged") == 2, listing
    assert "is a link" in listing and "is not a regular file" in listing
    assert "run · finished · epoch 3/3" in shown(tmp_path, "show", "good", "--view", "recon")
    assert "gap:" in shown(tmp_path, "show", "text-loss", "--view", "curves")
    refused(tmp_path, "show", "zero-history", fragment="zero-history/history.jsonl is a link")
    refused(tmp_path, "show", "fifo-history", fragment="fifo-history/history.jsonl is not a regular file")
    refused(tmp_path, "show", "zero-meta", fragment="zero-meta/session.json is a link")
    refused(tmp_path, "show", "fifo-meta", fragment="fifo-meta/session.json is not a regular file")


def test_a_history_over_its_cap_is_refused_without_reading_it(tmp_path, synthetic):
    path = copied(synthetic, tmp_path)
    line = (path / sessions.HISTORY).read_bytes().splitlines(keepends=True)[1]
    with (path / sessions.HISTORY).open("ab") as history:
        history.write(line * (sessions.LIMITS[sessions.HISTORY] // len(line) + 1))
    assert "run" in shown(tmp_path, "ls")  # (the listing reads session.json alone)
    refused(tmp_path, "show", "run", "--view", "curves", fragment="MB")


def test_a_long_history_prints_a_bounded_table(tmp_path, synthetic):
    """20,000 epochs (their snapshots missing): the tables show the first, the chosen and the last
    epochs, the gaps are counted, and the output stays a screenful or two."""
    path = copied(synthetic, tmp_path)
    lines = (path / sessions.HISTORY).read_text().splitlines()
    record = json.loads(lines[1])
    epochs = []
    for n in range(1, 20_001):
        record.update(epoch=n, step=n * 10)
        epochs.append(json.dumps(record))
    (path / sessions.HISTORY).write_text("\n".join([lines[0], *epochs]) + "\n")
    for view in ("curves", "sparsity", "params"):
        out = shown(tmp_path, "show", "run", "--view", view, "--epoch", "9000")
        assert len(out.splitlines()) < 200 and "of 20,000 epochs shown" in out or view == "params", view
        assert re.search(r"and 19,99\d more", out)  # (19,997 snapshots missing, and 5 gaps listed)
    assert re.search(r"^ +9000 ", shown(tmp_path, "show", "run", "--view", "curves", "--epoch", "9000"), re.M)


# --- 4. markup in user text ---------------------------------------------------------------------------

def test_markup_in_a_recipe_name_and_description_is_shown_as_written(tmp_path, store):
    models = tmp_path / "models"
    models.mkdir()
    recipe = (Path(__file__).parents[1] / "models" / "ae-32.toml").read_text()
    (models / "evil.toml").write_text('name = "evil[/]"\n' + recipe.replace(
        'description = "', 'description = "[/bold] [red]not red[/red] '))
    listed = aetui(store, "recipes", cwd=tmp_path, env={"COLUMNS": "200"})
    assert listed.returncode == 0 and "Traceback" not in listed.stderr, listed.stderr[-2000:]
    assert "[/bold] [red]not red[/red]" in listed.stdout
    trained = aetui(store, "train", "evil", "--epochs", "1", "--dataset", "digits", "--limit", "256",
                    "--session", "x[/]y", cwd=tmp_path)
    assert trained.returncode == 0 and "Traceback" not in trained.stderr, trained.stderr[-2000:]
    assert "evil[/]" in trained.stdout
    listing = aetui(store, "ls", env={"COLUMNS": "200"})
    assert listing.returncode == 0 and "evil[/]" in listing.stdout, listing.stdout + listing.stderr
    name = sessions.list_sessions(store)[0].name
    shown_ = aetui(store, "show", name, "--view", "curves")
    assert shown_.returncode == 0 and "evil[/]" in shown_.stdout and f"{name} ·" in shown_.stdout


def test_markup_in_a_session_record_is_shown_as_written(tmp_path, synthetic):
    path = copied(synthetic, tmp_path)
    meta = json.loads((path / sessions.META).read_text())
    meta["recipe"]["name"] = "[bold]r[/]"
    meta["dataset"]["name"] = "d[/]"
    meta["reason"] = "[/]"
    (path / sessions.META).write_text(json.dumps(meta))
    listing = shown(tmp_path, "ls")
    assert "[bold]r[/]" in listing and "d[/]" in listing
    assert "[bold]r[/]" in shown(tmp_path, "show", "run", "--view", "curves")


def test_markup_and_brackets_in_data_paths_are_shown_as_written(tmp_path):
    refused(tmp_path, "train", "ae-32", "--data", "dir[/]x", fragment="dir[/]x")
    folder = make_idx_folder(tmp_path / "mnist [copy]", n_train=64, n_test=16)
    out = aetui(tmp_path / "sessions", "train", "ae-32", "--data", str(folder), "--epochs", "1")
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr[-2000:]
    assert "mnist [copy]" in out.stdout


# --- 6. a sweep stops on SIGINT even when started with it ignored: tests/test_sweep.py ------------------
