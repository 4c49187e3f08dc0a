"""The minor breaks found by attacking the store a second time, each reproduced: a kill while a
session is made, a read-only store, `eval` unbounded or interrupted, recipes too wide or too
deep, a resume that loses a race, the handshake files an older aetui left in the store's root.
(The control channel's floods are in tests/core/test_channel.py; a recipe saved with an emoji in
tests/ui/test_app.py.)"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aetui.core.control import background
from aetui.core.errors import AetuiError
from aetui.core.store import locks, sessions
from tests.support import aetui, command, copied, quiet_env, refused, run, shown, tree_hash

# --- a kill while a session is made -------------------------------------------------------------------

KILLED_AT = """
import os, signal, sys
from pathlib import Path
import numpy as np
from aetui.core.store import writer as w
def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)
setattr(w.SessionWriter, sys.argv[2], die)
w.SessionWriter.create(Path(sys.argv[1]), "run", {"recipe": {"kind": "ae"}, "epochs": 3}, {"panel": np.zeros(3)})
"""


@pytest.mark.parametrize("moment", ["_write_meta", "save_fixed"])
def test_a_kill_before_the_record_leaves_no_session_and_frees_the_name(tmp_path, moment):
    """SIGKILL once the fixed panel is written but not the record, or before either: no session is
    listed, and the next run of that name takes the folder over."""
    store = tmp_path / "sessions"
    out = run([sys.executable, "-c", KILLED_AT, str(store), moment])
    assert out.returncode == -signal.SIGKILL, out.stderr
    assert (store / "run").is_dir() and not (store / "run" / sessions.META).exists()
    assert "No sessions" in shown(tmp_path, "ls")
    trained = aetui(store, "train", "ae-32", "--dataset", "digits", "--limit", "64", "--epochs", "1", "--session",
                    "run")
    assert trained.returncode == 0, trained.stderr[-2000:]
    assert [s.name for s in sessions.list_sessions(store)] == ["run"]


def test_a_record_without_its_fixed_panel_is_no_killed_session(tmp_path, trained):
    """What an older aetui left when killed between `session.json` and `fixed.npz` (the lock, the
    record, empty folders): not listed as `killed 0/3`, `resume` says there is nothing to go on
    with, and the name is free."""
    path = tmp_path / "sessions" / "run"
    for folder in (sessions.SNAPSHOTS, sessions.WEIGHTS):
        (path / folder).mkdir(parents=True)
    (path / sessions.LOCK).touch()
    meta = json.loads((trained / sessions.META).read_text())
    meta.update(status="running", epochs_done=0, epochs=3, pid=dead_pid(), best_val_loss=None)
    (path / sessions.META).write_text(json.dumps(meta))
    assert "killed" not in shown(tmp_path, "ls")
    refused(tmp_path, "resume", "run", "--epochs", "3", fragment="was cut short while it was being made")
    out = aetui(tmp_path / "sessions", "train", "ae-32", "--dataset", "digits", "--limit", "64", "--epochs", "1",
                "--session", "run")
    assert out.returncode == 0 and "Session run:" in out.stdout, out.stdout[-2000:] + out.stderr[-2000:]
    assert sessions.open_session(path).status == "finished"


def dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


# --- a read-only store ------------------------------------------------------------------------------------

@contextlib.contextmanager
def read_only_store(store: Path):
    """`store` read-only for the test: mounted over itself read-only as root (EROFS, as a read-only
    file system says), else without write permission (EACCES)."""
    if os.geteuid() != 0:
        modes = {p: p.stat().st_mode for p in [store, *store.rglob("*")] if not p.is_symlink()}
        for path, mode in modes.items():
            path.chmod(mode & ~0o222)
        try:
            yield
        finally:
            for path, mode in modes.items():
                path.chmod(mode)
        return
    for args in (["--bind", str(store), str(store)], ["-o", "remount,bind,ro", str(store)]):
        made = subprocess.run(["mount", *args], capture_output=True, text=True)
        if made.returncode:
            subprocess.run(["umount", "-l", str(store)], capture_output=True)
            pytest.skip(f"cannot mount {store} read-only here ({made.stderr.strip()})")
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(store)], capture_output=True)


def test_a_read_only_store_is_one_precise_line_from_resume_train_and_eval(tmp_path, trained):
    copied(trained, tmp_path)
    store = tmp_path / "sessions"
    with read_only_store(store):
        line = refused(tmp_path, "resume", "run", "--epochs", "2", fragment="cannot be written")
        assert "remove" not in line and "copy it into a store you can write" in line
        line = refused(tmp_path, "train", "ae-32", "--dataset", "digits", "--epochs", "1",
                       fragment="it is read-only to you")
        assert "free space" not in line
        started = time.monotonic()
        out = aetui(store, "eval", "run")
        assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr[-2000:]
        assert "read-only to you" in out.stderr and "nothing was evaluated" in out.stderr, out.stderr
        assert "encoding" not in out.stdout and time.monotonic() - started < 60  # (refused before it evaluates)


# --- eval: bounded, and interrupted in one line ---------------------------------------------------------

def test_eval_samples_are_bounded(tmp_path, trained):
    copied(trained, tmp_path)
    refused(tmp_path, "eval", "run", "--samples", "100000000", fragment="--samples must be from 1 to 5,000")


def _blocks_sigint(task: Path) -> bool:
    """Whether the thread `task` (/proc/PID/task/TID) blocks SIGINT (or has ended)."""
    try:
        status = (task / "status").read_text()
    except OSError:
        return True
    mask = next(line.split()[1] for line in status.splitlines() if line.startswith("SigBlk:"))
    return bool(int(mask, 16) & (1 << (signal.SIGINT - 1)))


def test_ctrl_c_during_eval_is_one_line_and_stores_nothing(tmp_path, spawn, digits, recipes):
    from aetui.core.training import trainer

    store = tmp_path / "sessions"
    path = trainer.train(recipes["vae-2d"], digits, store, epochs=1, name="vae")
    child = spawn(command(store, "eval", "vae", "--samples", "5000"), stdout=subprocess.PIPE,
                  stderr=subprocess.PIPE, text=True, env=quiet_env(), preexec_fn=_ignore_sigint)
    for line in child.stdout:
        if "importance-weighted bound" in line:
            break
    time.sleep(0.2)
    blocked = {task.name: _blocks_sigint(task) for task in Path(f"/proc/{child.pid}/task").iterdir()}
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=60)
    # Every thread blocks SIGINT (TensorFlow's and numpy's too) but the one waiting for it, which hands
    # it on (delivered to any thread mid-computation, it aborted the process now and then under load).
    assert len(blocked) > 2 and list(blocked.values()).count(False) == 1, blocked
    assert child.returncode == 2 and "Traceback" not in out + err, err[-3000:]
    assert err.strip().splitlines()[-1] == "aetui: eval interrupted (Ctrl-C): nothing was stored"
    assert not (path / sessions.EVALS).exists() or not list((path / sessions.EVALS).glob("epoch-*"))


def _ignore_sigint() -> None:
    """In the child: SIGINT ignored, as a command started with `&` inherits it; aetui takes it anyway."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


# --- recipes too wide or too deep: refused before a session exists -------------------------------------

@pytest.mark.parametrize("net, fragment", [
    ("code = 65536", "65,536-unit code"),
    ("hidden = [" + ", ".join(["8"] * 5000) + "]", "[net] hidden: must be at most 100 layers, got 5,000"),
], ids=["code 65536", "5000 hidden layers"])
def test_a_recipe_too_wide_or_too_deep_is_one_line_before_any_session(tmp_path, net, fragment):
    models = tmp_path / "models"
    models.mkdir()
    recipe = (Path(__file__).parents[1] / "models" / "ae-32.toml").read_text()
    key = net.split(" =")[0]
    lines = [net if line.startswith(f"{key} =") else line for line in recipe.splitlines()]
    (models / "odd.toml").write_text("\n".join(lines) + "\n")
    before = tree_hash(tmp_path)
    out = aetui(tmp_path / "sessions", "train", "odd", "--dataset", "digits", "--epochs", "1", cwd=tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr and "RecursionError" not in out.stderr, \
        out.stderr[-2000:]
    assert len(out.stderr.strip().splitlines()) == 1 and fragment in out.stderr, out.stderr
    assert tree_hash(tmp_path) == before


def test_the_memory_estimate_counts_the_snapshot_s_analysis_of_the_code(recipes):
    from aetui.core.families import memory_needed

    wide = recipes["ae-32"].__class__.from_dict({**recipes["ae-32"].to_dict(),
                                                 "net": {**recipes["ae-32"].net, "code": 65536}},
                                                name="wide", source="test")
    assert memory_needed(wide, 784, 256) > 65536 * 65536 * 8 * 3  # (its covariance in doubles, and LAPACK's)


# --- a resume that loses the race; an older aetui's handshake files ---------------------------------------

def test_a_resume_that_loses_the_race_names_no_dead_process(tmp_path, trained):
    """A killed session (its record names a process that is gone) whose lock another resume took a
    moment ago: the refusal says so, and does not call the dead process running."""
    from aetui.core.training import trainer

    path = copied(trained, tmp_path)
    meta = json.loads((path / sessions.META).read_text())
    pid = dead_pid()
    meta.update(status="running", pid=pid)
    (path / sessions.META).write_text(json.dumps(meta))
    fd = locks.take(path / sessions.LOCK)  # (the winner: it has not written its own number yet)
    try:
        with pytest.raises(AetuiError, match="being trained by another process") as caught:
            trainer.check_resumable(sessions.open_session(path), 5)
        assert str(pid) not in str(caught.value)
        line = refused(tmp_path, "resume", "run", "--epochs", "5", fragment="being trained by another process")
        assert f"process {pid}" not in line
    finally:
        os.close(fd)


def test_an_older_aetui_s_handshake_files_are_cleared_from_the_store_root(tmp_path):
    store = tmp_path / "sessions"
    store.mkdir()
    (tmp_path / "private.txt").write_text("keep")
    old = time.time() - 3600
    for name in (".detached-0123abcd.ready", ".detached-0123abcd.log", ".detached-89abcdef.tmp"):
        (store / name).write_text("run")
        os.utime(store / name, (old, old))
    (store / ".detached-fedcba98.ready").symlink_to(tmp_path / "private.txt")
    os.utime(store / ".detached-fedcba98.ready", (old, old), follow_symlinks=False)
    (store / ".detached-00000000.ready").write_text("a start under way now")
    background.clear_leftovers(store)
    assert sorted(p.name for p in store.iterdir()) == [".detached-00000000.ready"]
    assert (tmp_path / "private.txt").read_text() == "keep"
