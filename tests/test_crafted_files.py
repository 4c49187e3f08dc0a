"""Crafted files in a session store, each refused in one line (or shown as a gap) with nothing
else touched: arrays and records of the wrong shape or type, array bombs, models too big for memory,
a session without its lock or cut short while being made, exports into folders that cannot take
them, names against paths, and text and numbers from other people's files.

The attacks with links, races and markup are in tests/test_store_attacks.py.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from aetui.core.store import sessions
from aetui.core.store.files import Folder
from tests.support import aetui, command, copied, quiet_env, refused, shown, tree_hash

# --- crafted files: `aetui show` is one line each ---------------------------------------------------------

def _npz(path: Path, change) -> None:
    """Rewrite the arrays of `path` as `change(dict)` leaves them."""
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    change(arrays)
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


def _fixed(change):
    return lambda path: _npz(path / sessions.FIXED, change)


def _snap(change, epoch=3):
    return lambda path: _npz(path / sessions.SNAPSHOTS / sessions.snapshot_name(epoch), change)


def _meta(change):
    def damage(path: Path) -> None:
        meta = json.loads((path / sessions.META).read_text())
        change(meta)
        (path / sessions.META).write_text(json.dumps(meta))
    return damage


def _set(key, value):
    return lambda arrays: arrays.__setitem__(key, value)


CRAFTED = {
    "image_shape [0,0]": ("recon", _fixed(_set("image_shape", np.array([0, 0]))), "image_shape must be"),
    "image_shape [2**31,2**31]": ("recon", _fixed(_set("image_shape", np.array([2**31, 2**31]))),
                                  "image_shape must be"),
    "image_shape [28,28,1]": ("recon", _fixed(_set("image_shape", np.array([28, 28, 1]))), "image_shape must be"),
    "image_shape text": ("recon", _fixed(_set("image_shape", np.array(["8", "8"]))), "image_shape is not numbers"),
    "panel of the wrong width": ("recon", _fixed(lambda a: a.__setitem__("panel", a["panel"][:, :10])),
                                 "panel must hold images of 8x8"),
    "NaN subset_labels": ("scatter", _fixed(lambda a: a.__setitem__("subset_labels",
                                                                     np.full(len(a["subset_labels"]), np.nan))),
                          "subset_labels must be whole numbers"),
    "NaN codes": ("scatter", _snap(lambda a: a.__setitem__("codes", np.full_like(a["codes"], np.nan))),
                  "codes are not all finite"),
    "1-D codes": ("scatter", _snap(lambda a: a.__setitem__("codes", a["codes"][:, 0])), "codes must be a row"),
    "empty codes": ("scatter", _snap(_set("codes", np.zeros((0, 2)))), "codes must be a row"),
    "no recon": ("recon", _snap(lambda a: a.pop("recon")), "has no recon"),
    "recon of the wrong size": ("recon", _snap(lambda a: a.__setitem__("recon", a["recon"][:, :5])), "recon is [10, 5]"),
    "sweep of the wrong size": ("sweep", _snap(lambda a: a.__setitem__("sweep", a["sweep"][:3])), "sweep is [3, 64]"),
    "empty sweep_xs": ("sweep", _snap(_set("sweep_xs", np.zeros(0))), "sweep_xs and sweep_ys must"),
    "sweep axes of another size": ("area", _snap(_set("sweep_axes", np.zeros((3, 2)))), "do not describe a plane"),
    "params text": ("curves", _meta(lambda m: m["params"].__setitem__("learning_rate", "fast")),
                    "params must map each hyperparameter to a number"),
    "params null": ("curves", _meta(lambda m: m["params"].__setitem__("learning_rate", None)),
                    "params must map each hyperparameter to a number"),
    "epochs text": ("curves", _meta(_set("epochs", "abc")), "epochs is str, not int"),
    "epochs list": ("curves", _meta(_set("epochs", [5])), "epochs is list, not int"),
}


@pytest.mark.parametrize("case", list(CRAFTED))
def test_crafted_session_files_are_one_line(tmp_path, synthetic, case):
    view, damage, fragment = CRAFTED[case]
    damage(copied(synthetic, tmp_path))
    refused(tmp_path, "show", "run", "--view", view, fragment=fragment)


@pytest.mark.parametrize("field", ["loss", "stats"])
def test_a_history_line_of_the_wrong_types_is_a_gap_and_the_rest_shows(tmp_path, synthetic, field):
    path = copied(synthetic, tmp_path)
    lines = (path / sessions.HISTORY).read_text().splitlines()
    record = json.loads(lines[-2])
    if field == "loss":
        record["logs"]["loss"] = "low"
    else:
        record["stats"] = [1, 2]
    (path / sessions.HISTORY).write_text("\n".join([*lines[:-2], json.dumps(record), lines[-1]]) + "\n")
    out = shown(tmp_path, "show", "run", "--view", "curves")
    assert "gap:" in out and "epoch 2/2" in out


def test_epochs_of_the_wrong_type_in_a_record_are_one_line_on_resume(tmp_path, trained):
    for value in ("abc", [5]):
        path = tmp_path / "sessions" / "run"
        shutil.rmtree(path, ignore_errors=True)
        copied(trained, tmp_path)
        _meta(_set("epochs", value))(path)
        refused(tmp_path, "resume", "run", fragment="epochs is")


def test_an_array_bomb_is_refused_from_its_header(tmp_path, synthetic):
    """A small snapshot whose array would inflate to 2 GB is refused before anything is inflated;
    the views that do not need it still show."""
    path = copied(synthetic, tmp_path)
    snap = path / sessions.SNAPSHOTS / sessions.snapshot_name(3)
    with np.load(snap) as npz:
        arrays = {k: npz[k] for k in npz.files}
    header = np.lib.format.header_data_from_array_1_0(np.zeros(1, np.float32))
    header["shape"] = (1 << 29,)  # 2 GB of float32
    with zipfile.ZipFile(snap, "w", zipfile.ZIP_DEFLATED) as bomb:
        for key, value in arrays.items():
            with bomb.open(f"{key}.npy", "w") as member:
                np.lib.format.write_array(member, value, allow_pickle=False)
        with bomb.open("bomb.npy", "w", force_zip64=True) as member:
            import io

            head = io.BytesIO()
            np.lib.format.write_array_header_1_0(head, header)
            member.write(head.getvalue())
            chunk = bytes(1 << 24)
            for _ in range((1 << 31) // len(chunk)):
                member.write(chunk)
    assert snap.stat().st_size < 8 << 20
    refused(tmp_path, "show", "run", "--view", "recon", fragment="bomb would take 2048 MB, over the 256 MB")
    assert "epoch 2/3" in shown(tmp_path, "show", "run", "--view", "recon", "--epoch", "2")
    assert "epoch 3/3" in shown(tmp_path, "show", "run", "--view", "curves")


def test_a_model_too_big_for_memory_is_refused_with_the_figure(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    recipe = (Path(__file__).parents[1] / "models" / "ae-32.toml").read_text()
    (models / "huge.toml").write_text(recipe.replace("hidden = []", "hidden = [65536, 65536]"))
    before = tree_hash(tmp_path)
    out = aetui(tmp_path / "sessions", "train", "huge", "--dataset", "digits", "--epochs", "1", cwd=tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr[-2000:]
    line = out.stderr.strip()
    assert "need about" in line and "GB to train" in line and "GB free" in line, line
    assert tree_hash(tmp_path) == before


def test_memory_estimate_grows_with_the_layers(recipes):
    from aetui.core.families import memory_needed

    small = memory_needed(recipes["ae-32"], 784, 256)
    assert 1 << 20 < small < 1 << 30  # a few MB of weights and activations
    huge = recipes["ae-32"].__class__.from_dict({**recipes["ae-32"].to_dict(),
                                                 "net": {**recipes["ae-32"].net, "hidden": [65536, 65536]}},
                                                name="huge", source="test")
    assert memory_needed(huge, 784, 256) > 65536 * 65536 * 4 * 4


# --- running without a lock; a creation cut short ---------------------------------------------------------

def test_a_session_marked_running_without_its_lock_reads_killed_and_resumes(tmp_path, trained):
    path = copied(trained, tmp_path)
    _meta(_set("status", "running"))(path)
    (path / sessions.LOCK).unlink(missing_ok=True)
    assert "killed" in shown(tmp_path, "ls")
    out = aetui(tmp_path / "sessions", "resume", "run", "--epochs", "2")
    assert out.returncode == 0, out.stderr[-2000:]
    assert sessions.open_session(path).status == "finished" and sessions.open_session(path).epochs_done == 2


@pytest.mark.parametrize("left", [[], [".lock"], [".lock", ".tmp-session.json"],
                                  [".lock", ".tmp-session.json", "snapshots/", "weights/"]])
def test_a_session_cut_short_while_being_made_is_taken_over(tmp_path, digits, recipes, left):
    """What a kill can leave while a session is made (the lock, a half-written record, empty
    folders): its name is not lost; the next run of that name takes the folder over."""
    from aetui.core.training import trainer

    folder = tmp_path / "sessions" / "run"
    folder.mkdir(parents=True)
    for name in left:
        if name.endswith("/"):
            (folder / name).mkdir()
        else:
            (folder / name).write_text('{"format": 1, "na')
    assert sessions.list_store(tmp_path / "sessions").sessions == []
    path = trainer.train(recipes["ae-32"], digits, tmp_path / "sessions", epochs=1, name="run")
    assert path == folder and sessions.open_session(path).status == "finished"
    assert not list(path.glob(".tmp-*"))


def test_a_folder_with_other_files_is_never_taken_over(tmp_path, digits, recipes):
    from aetui.core.training import trainer

    folder = tmp_path / "sessions" / "run"
    folder.mkdir(parents=True)
    (folder / "notes.txt").write_text("mine\n")
    path = trainer.train(recipes["ae-32"], digits, tmp_path / "sessions", epochs=1, name="run")
    assert path.name == "run-2" and (folder / "notes.txt").read_text() == "mine\n"


@pytest.mark.slow
def test_sigkill_while_a_session_is_made_leaves_it_killed_or_taken_over(tmp_path, spawn):
    """SIGKILL at moments spread over the first seconds of `aetui train` (the session is made in
    them): every folder left either reads as a session (killed) or is taken over by the next run."""
    store = tmp_path / "sessions"
    for delay in (2.0, 2.5, 3.0, 3.5, 4.0, 4.5):
        child = spawn(command(store, "train", "ae-32", "--dataset", "digits", "--limit", "64", "--epochs", "1",
                              "--session", "run"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                      env=quiet_env())
        time.sleep(delay)
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
    listing = sessions.list_store(store)
    assert not listing.damaged, listing.damaged
    named = {s.name for s in listing.sessions}
    for folder in store.iterdir() if store.exists() else []:  # (a loaded machine: every kill came first)
        assert folder.name in named or not (folder / sessions.META).exists(), folder
    out = aetui(store, "train", "ae-32", "--dataset", "digits", "--limit", "64", "--epochs", "1", "--session", "run")
    assert out.returncode == 0, out.stderr[-2000:]
    assert {s.status for s in sessions.list_sessions(store)} <= {"killed", "finished"}
    assert len(list(store.iterdir())) == len(sessions.list_sessions(store))


# --- export into a folder that cannot take it --------------------------------------------------------------

def test_an_export_cut_short_by_a_full_disk_says_so_in_one_line_and_in_the_folder(tmp_path, synthetic):
    """The file size limit stands in for a full disk: the export ends in one line, and the
    folder's EXPORT-INCOMPLETE says it holds only part."""
    copied(synthetic, tmp_path)
    out = tmp_path / "export"

    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000))

    child = subprocess.run(command(tmp_path / "sessions", "export", "run", "--to", str(out)), capture_output=True,
                           text=True, env=quiet_env(), preexec_fn=small_files, timeout=300)
    lines = child.stderr.strip().splitlines()
    assert child.returncode == 2 and len(lines) == 1 and "Traceback" not in child.stderr, child.stderr[-2000:]
    assert "cannot write to" in lines[0] and "EXPORT-INCOMPLETE" in lines[0]
    assert (out / "EXPORT-INCOMPLETE").exists()
    again = aetui(tmp_path / "sessions", "export", "run", "--to", str(out))  # room again: whole, marker gone
    assert again.returncode == 0 and not (out / "EXPORT-INCOMPLETE").exists(), again.stderr[-2000:]


def test_an_export_to_a_folder_that_cannot_be_made_is_one_line(tmp_path, synthetic):
    copied(synthetic, tmp_path)
    (tmp_path / "afile").write_text("not a folder\n")
    refused(tmp_path, "export", "run", "--to", str(tmp_path / "afile" / "out"), fragment="cannot write to")


# --- a store name wins over a folder of the same name here ---------------------------------------------------

def test_a_plain_name_is_the_stores_session_even_where_a_folder_here_has_that_name(tmp_path, synthetic):
    store = tmp_path / "store"
    copied(synthetic, tmp_path)  # (tmp_path/sessions/run)
    theirs = Path(shutil.copytree(synthetic, store / "run"))
    _meta(lambda m: m["recipe"].__setitem__("name", "in-the-store"))(theirs)
    here = tmp_path / "sessions"
    out = aetui(store, "show", "run", "--view", "curves", cwd=here)  # ./run is a session too
    assert out.returncode == 0 and "in-the-store" in out.stdout, out.stdout + out.stderr
    out = aetui(store, "show", "./run", "--view", "curves", cwd=here)  # a path must look like one
    assert out.returncode == 0 and "in-the-store" not in out.stdout


# --- the folder is synced after a rename --------------------------------------------------------------------

def test_files_are_renamed_into_place_and_their_folder_synced(tmp_path, monkeypatch):
    import stat

    synced = []
    real = os.fsync

    def fsync(fd):
        synced.append("folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        return real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    with Folder.open(tmp_path) as folder:
        folder.write("x.json", b'{"a": 1}')
    assert synced == ["file", "folder"]


# --- the second round: files that others wrote, read anywhere -------------------------------------------

def test_control_characters_and_huge_numbers_in_records_are_shown_safely(tmp_path, synthetic):
    """An ESC sequence (which would retitle or clear the user's terminal) and a lone surrogate in
    a record are shown as U+FFFD; a whole number beyond any float is damage, in one line."""
    path = copied(synthetic, tmp_path)
    meta = json.loads((path / sessions.META).read_text())
    meta["recipe"]["name"] = "a\x1b]0;pwned\x07b\ud800"
    (path / sessions.META).write_text(json.dumps(meta))
    listing = shown(tmp_path, "ls")
    assert "\x1b" not in listing and "\x07" not in listing and "a\ufffd]0;pwned\ufffdb\ufffd" in listing
    huge = copied(synthetic, tmp_path, "huge")
    text = (huge / sessions.META).read_text()
    (huge / sessions.META).write_text(text.replace('"epochs": 3', '"epochs": ' + "9" * 400))
    assert "huge" in shown(tmp_path, "ls")
    refused(tmp_path, "show", "huge", fragment="epochs")


def test_a_folder_named_with_control_characters_is_listed_as_damaged(tmp_path, synthetic):
    copied(synthetic, tmp_path, "bad\x1bname")
    listing = shown(tmp_path, "ls")
    assert "\x1b" not in listing and "damaged" in listing


def test_sweep_manifests_that_are_fifos_links_or_garbage_are_listed_as_damaged(tmp_path, synthetic):
    from aetui.core.sweeps import sweep

    store = copied(synthetic, tmp_path).parent
    os.mkfifo(store / ("fifo" + sweep.SUFFIX))
    (store / ("zero" + sweep.SUFFIX)).symlink_to("/dev/zero")
    (store / ("deep" + sweep.SUFFIX)).write_text("[" * 100_000)
    started = time.monotonic()
    listing = shown(tmp_path, "ls")
    assert time.monotonic() - started < 30
    for name in ("fifo", "zero", "deep"):
        assert name + sweep.SUFFIX in listing
    assert listing.count("damaged") >= 3 and "run" in listing


def test_weights_that_are_a_fifo_are_one_line_on_resume(tmp_path, trained):
    path = copied(trained, tmp_path)
    weights = next((path / sessions.WEIGHTS).iterdir())
    weights.unlink()
    os.mkfifo(weights)
    refused(tmp_path, "resume", "run", "--epochs", "2", fragment="is not a regular file")


def test_recipes_that_are_fifos_or_nested_without_end_are_one_line_each(tmp_path, store):
    models = tmp_path / "models"
    models.mkdir()
    os.mkfifo(models / "fifo.toml")
    (models / "deep.toml").write_text("a = " + "[" * 100_000)
    listed = aetui(store, "recipes", cwd=tmp_path, env={"COLUMNS": "200"})
    assert listed.returncode == 0 and "Traceback" not in listed.stderr, listed.stderr[-2000:]
    assert "ae-32" in listed.stdout
    out = aetui(store, "train", "fifo", "--epochs", "1", "--dataset", "digits", cwd=tmp_path)
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1, out.stderr[-2000:]
    out = aetui(store, "train", "deep", "--epochs", "1", "--dataset", "digits", cwd=tmp_path)
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1, out.stderr[-2000:]


def test_a_store_that_is_a_file_and_an_empty_export_folder_are_one_line(tmp_path, synthetic):
    copied(synthetic, tmp_path)
    refused(tmp_path, "export", "run", "--to", "", fragment="--to")
    (tmp_path / "file").write_text("x")
    out = aetui(tmp_path / "file", "ls")
    assert out.returncode == 2 and "is a file, not a folder" in out.stderr and "Traceback" not in out.stderr
