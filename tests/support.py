"""Helpers shared by the tests, in one place: the real `aetui` command in a child process (ended
whatever happens), data and sessions made for tests, and driving the workbench with the Pilot.

Every child runs in a process group of its own, so ending it ends what it started too (a sweep's
worker processes); `aetui()` ends its child when it returns or times out, and the `spawn`
fixture (tests/conftest.py) ends the children a test started when the test ends, passed or failed.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import itertools
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from textual.app import App
from textual.widgets import DataTable

from aetui.core import data
from aetui.core.store import sessions
from aetui.core.store.writer import SessionWriter
from aetui.ui.screens.train import TrainScreen
from aetui.ui.widgets.param_slider import ParamSlider


def command(store: Path | None, *args: str) -> list[str]:
    """The argument list of `aetui [--sessions STORE] ARGS...` run by this Python."""
    return [sys.executable, "-m", "aetui", *(["--sessions", str(store)] if store is not None else []), *args]


def quiet_env(env: dict | None = None, columns: int = 240) -> dict:
    """The environment for a child: wide (so console lines do not wrap), TensorFlow quiet, plus `env`."""
    return {**os.environ, "COLUMNS": str(columns), "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})}


def start(argv: list[str], **kwargs) -> subprocess.Popen:
    """Start `argv` in a process group of its own (end it with `end`)."""
    return subprocess.Popen(argv, start_new_session=True, **kwargs)


def end(child: subprocess.Popen) -> None:
    """Kill the child and everything in its process group, and reap it; a no-op for one already gone."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        child.wait(timeout=30)
    for stream in (child.stdin, child.stdout, child.stderr):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()


def end_recorded_runs(root: Path) -> None:
    """Kill every aetui process a session under `root` records as its trainer (with its process
    group where it leads one), other than this process."""
    from aetui.core.errors import AetuiError
    from aetui.core.store.files import read_bytes

    found = (Path(folder) / "session.json" for folder, _, files in os.walk(root) if "session.json" in files)
    for meta in itertools.islice(found, 1000):  # (os.walk follows no link)
        try:  # (bounded, no links: some tests plant a /dev/zero there)
            pid = json.loads(read_bytes(meta, 1 << 20)).get("pid")
            command_line = Path(f"/proc/{pid}/cmdline").read_bytes() if isinstance(pid, int) and pid > 1 else b""
        except (AetuiError, OSError, ValueError, AttributeError):
            continue
        is_aetui = any(arg == b"aetui" or arg.endswith(b"/aetui") for arg in command_line.split(b"\0"))
        if not is_aetui or pid in (os.getpid(), os.getppid()):
            continue
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL) if os.getpgid(pid) == pid else os.kill(pid, signal.SIGKILL)


def run(argv: list[str], env: dict | None = None, timeout: float = 300, whole_env: dict | None = None,
        cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run `argv` to its end and return its output (text); the child and its group are killed when
    it returns or outlasts `timeout` (then `subprocess.TimeoutExpired` is raised). The environment
    is `quiet_env(env)`, or `whole_env` where given."""
    child = start(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                  env=whole_env if whole_env is not None else quiet_env(env), cwd=cwd)
    try:
        out, err = child.communicate(timeout=timeout)
    finally:
        end(child)
    return subprocess.CompletedProcess(argv, child.returncode, out, err)


def aetui(store: Path | None, *args: str, **kwargs) -> subprocess.CompletedProcess:
    """`run` of `aetui [--sessions STORE] ARGS...`."""
    return run(command(store, *args), **kwargs)


# --- data and sessions built for tests ------------------------------------------------------------

SWEEP_GRID = {"beta": [0.5, 3.0], "p": [0.05, 0.1]}
"""The grid the sweep tests run (four trials of sparse-kl)."""


def idx(path, magic_dims, payload: bytes, gz=False):
    magic, dims = magic_dims
    header = struct.pack(">I", magic) + b"".join(struct.pack(">I", n) for n in dims)
    (gzip.open if gz else open)(path, "wb").write(header + payload)


def make_idx_folder(folder, n_train=5, n_test=3, gz=True, image_magic=0x803, cut=0, n_labels=None):
    folder.mkdir()
    ext = ".gz" if gz else ""
    imgs = np.arange(n_train * 16, dtype=np.uint8).tobytes()
    idx(folder / f"train-images-idx3-ubyte{ext}", (image_magic, (n_train, 4, 4)), imgs[:len(imgs) - cut], gz)
    idx(folder / f"train-labels-idx1-ubyte{ext}", (0x801, (n_labels or n_train,)),
        bytes(range(n_labels or n_train)), gz)
    idx(folder / f"t10k-images-idx3-ubyte{ext}", (0x803, (n_test, 4, 4)), bytes(n_test * 16), gz)
    idx(folder / f"t10k-labels-idx1-ubyte{ext}", (0x801, (n_test,)), bytes(n_test), gz)
    return folder


def fake_session(store: Path, name: str, recipe_name: str, epochs: int, status: str, created: str) -> Path:
    """A session folder with fixed metadata and a history (for listings with stable dates)."""
    path = store / name
    path.mkdir(parents=True)
    meta = {"format": sessions.FORMAT, "name": name, "status": status, "epochs": 30, "created": created,
            "recipe": {"name": recipe_name, "kind": "ae"}, "dataset": {"name": "digits"}, "params": {},
            "epochs_done": epochs, "best_val_loss": 1.2 / epochs}  # as the writer keeps them
    (path / sessions.META).write_text(json.dumps(meta))
    lines = [json.dumps({"event": "EpochEnded", "epoch": e, "step": e * 4, "logs": {"loss": 1 / e, "val_loss": 1.2 / e},
                         "stats": {}, "seconds": 1.0, "samples_per_s": 100.0}) for e in range(1, epochs + 1)]
    (path / sessions.HISTORY).write_text("\n".join(lines) + "\n")
    return path


def mnist_sized():
    """The embedded digits as MNIST's 28-pixel images: each 8x8 digit doubled to 20 pixels (its
    pixels 2 x 2, one empty pixel around) inside MNIST's empty 4-pixel frame."""
    import numpy as np

    small = data.load("digits").limited(256)

    def grown(x):
        images = np.pad(x.reshape(len(x), 8, 8), ((0, 0), (1, 1), (1, 1)))
        images = np.pad(np.repeat(np.repeat(images, 2, axis=1), 2, axis=2), ((0, 0), (4, 4), (4, 4)))
        return images.reshape(len(x), 28 * 28)

    return data.Dataset("mnist-sized", "tests", (28, 28), grown(small.x_train), small.y_train, grown(small.x_test),
                        small.y_test)


def synthetic_session(store: Path, name: str = "synthetic-vae", epochs: int = 4, code: int = 2,
                      kind: str = "vae", dataset=None, error: float = 0.05, sweep: int = 6,
                      numbered_sweep: bool = False, loss: float = 1.0) -> Path:
    """A complete session written through the real writer, from fixed arrays (no training, no clocks),
    on `dataset` (the embedded digits unless given); its test MSE per pixel `error` at the last
    epoch (BCE per pixel four times that), its own losses in its family's units (a VAE's per-image
    sums are hundreds of times a per-pixel mean), times `loss`. Its latent sweep is `sweep` x `sweep`
    cells of noise, or with `numbered_sweep` each cell one flat gray, 10 + its index (to count the cells drawn)."""
    import numpy as np

    from aetui.core import events
    from aetui.core.analysis.images import to_u8
    from aetui.core.analysis.latent import sweep_plane
    from aetui.core.analysis.sparsity import code_stats
    from aetui.core.recipe import Recipe
    from aetui.core.training.trainer import fixed_panel

    digits = dataset or data.load("digits")
    recipe_data = {"kind": kind, "description": "synthetic", "net": {"hidden": [16], "code": code},
                   "loss": {"reduction": "sum"}, "params": {"beta": 1.0, "learning_rate": 0.001}}
    if kind != "vae":
        recipe_data["params"] = {"learning_rate": 0.001, "weight_decay": 0.0}
        recipe_data["loss"] = {"reduction": "mean"}
    recipe = Recipe.from_dict(recipe_data, name=name.split("-")[0], source="test")
    writer = SessionWriter.create(store, name, {
        "recipe": recipe.to_dict(), "params": dict(recipe.params), "epochs": epochs, "batch_size": 32,
        "dataset": digits.describe(), "device": "CPU (test)", "versions": {}, "parts": ["recon"]})
    writer.update(created="2026-11-03T08:00:00+0000")
    fixed = fixed_panel(digits, recipe)
    writer.save_fixed(fixed)
    writer.record(events.TrainingStarted(writer.name, recipe.name, epochs, 10, len(digits.x_train), "CPU (test)",
                                         dict(recipe.params)))
    rng = np.random.default_rng(1)
    labels = fixed["subset_labels"]
    centres = np.stack([np.cos(labels * 0.6), np.sin(labels * 0.6)], axis=1) * 2
    for epoch in range(1, epochs + 1):
        if epoch == 2 and "beta" in recipe.params:
            writer.record(events.HParamChanged("beta", 1.0, 2.0, 2, 12))
        codes = centres[:, :code] if code <= 2 else np.hstack([centres, rng.normal(size=(len(labels), code - 2))])
        codes = codes + rng.normal(scale=1.0 / epoch, size=codes.shape)
        stats = code_stats(codes)
        unit_means = stats.pop("unit_means")
        plane = sweep_plane(codes, sweep, "gaussian" if kind == "vae" else None)
        panel = digits.x_test[fixed["panel_index"]]
        arrays = {"recon": to_u8(panel * (1 - 0.5 / epoch)), "codes": codes.astype(np.float16),
                  "unit_means": unit_means, "sweep": to_u8(rng.random((sweep ** 2, digits.input_dim))),
                  "sweep_xs": plane.xs, "sweep_ys": plane.ys, "sweep_centre": plane.centre,
                  "sweep_axes": plane.axes}
        if numbered_sweep:
            arrays["sweep"] = np.repeat(10 + np.arange(sweep ** 2, dtype=np.uint8)[:, None], digits.input_dim, axis=1)
        if kind == "vae":
            arrays["kl_per_dim"] = np.array([1.0 / epoch, 2.0 / epoch], np.float32)
            stats["active_units"] = 2
        stats["sweep"] = plane.how
        writer.save_snapshot(epoch, arrays)
        scale = loss * (1.0 if kind == "vae" else 0.001)
        logs = {k: scale * v / epoch for k, v in (("loss", 40.0), ("recon", 35.0), ("val_loss", 42.0),
                                                  ("val_recon", 37.0))}
        mse = error * epochs / epoch
        stats.update(test_mse_pixel=mse, test_bce_pixel=4 * mse, test_mse_image=64 * mse, test_bce_image=256 * mse,
                     train_images=len(digits.x_train), test_images=len(digits.x_test))
        writer.record(events.EpochEnded(epoch, epoch * 10, logs, stats, 1.0, 1000.0))
        writer.update(epochs_done=epoch, last_epoch={"epoch": epoch, "val_loss": logs["val_loss"],
                                                     "test_mse_pixel": mse, "test_bce_pixel": 4 * mse})
    writer.record(events.TrainingFinished("finished", f"{epochs} epoch(s)", epochs, epochs * 10))
    writer.update(status="finished", reason=f"{epochs} epoch(s)", created="2026-11-03T08:00:00+0000")
    return writer.path


def wait_for(condition, seconds: float = 60.0, what: str = "condition") -> None:
    """Return once `condition()` holds, looking every 20 ms; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"{what}: not met in {seconds:.0f} s")


# --- driving the workbench ------------------------------------------------------------------------

async def until(pilot, condition, seconds=20.0):
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition not met in time")


def ended(app):
    return app.runner.state is not None and app.runner.state.status in ("finished", "stopped", "failed", "diverged",
                                                                        "interrupted")


async def open_recipe(pilot, app, name):
    table = app.screen.query_one("#recipes", DataTable)
    table.focus()
    row = [r.value for r in table.rows].index(next(k.value for k in table.rows if Path(k.value).stem == name))
    table.move_cursor(row=row)
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, TrainScreen))


async def started(pilot, app, recipe: str) -> None:
    """Open `recipe`, start it, and wait for its first epoch."""
    await open_recipe(pilot, app, recipe)
    await pilot.press("space")
    await until(pilot, lambda: app.runner.state.epochs)


class SliderApp(App):
    def __init__(self, spec, value):
        super().__init__()
        self.spec, self.value, self.changes = spec, value, []

    def compose(self):
        yield ParamSlider(self.spec, self.value)

    def on_mount(self):
        self.query_one(ParamSlider).focus()

    def on_param_slider_changed(self, event):
        self.changes.append((event.name, event.value))


# --- a real terminal: tmux ---------------------------------------------------------------------------

class Tmux:
    """A tmux session: keys sent, the screen read."""

    def __init__(self, name: str):
        self.name = name

    def keys(self, *keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *keys], check=True)

    def screen(self) -> str:
        return subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name], capture_output=True, text=True).stdout

    def wait_for(self, text: str, seconds: float = 60) -> str:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never appeared; the screen was:\n{self.screen()}")

    def train_long(self) -> None:
        """On home: open `ae-32-long` (`long_recipe`), start it, and wait for its first epoch."""
        self.wait_for("Device: CPU", 60)
        self.keys("Down", "Down", "Down", "Down", "Enter")  # ae-32-long
        self.wait_for("space start/pause")
        self.keys("Space")
        self.wait_for("last epoch", 120)


@contextlib.contextmanager
def local_ray(cpus: int = 2):
    """A private local Ray for the test (skipped where Ray is not installed), shut down after it."""
    import pytest

    ray = pytest.importorskip("ray")
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    ray.init(num_cpus=cpus, include_dashboard=False, logging_level="ERROR", log_to_driver=False,
             object_store_memory=100 * 2**20)
    try:
        yield ray
    finally:
        ray.shutdown()


def long_recipe(folder: Path, epochs: int) -> None:
    """A user recipe in `folder/models` (the workbench started in `folder` finds it): ae-32 as
    `ae-32-long`, with `epochs` epochs."""
    (folder / "models").mkdir()
    recipe = (Path(__file__).parents[1] / "models" / "ae-32.toml").read_text()
    (folder / "models" / "ae-32-long.toml").write_text(recipe.replace("epochs = 30", f"epochs = {epochs}"))


# --- bad input: refused in one line, nothing on disk changed ----------------------------------------

def tree_hash(root: Path) -> str:
    """One digest of every path, file and byte under `root` (nothing else may change)."""
    digest = hashlib.sha256()
    if not root.exists():
        return "absent"
    for path in sorted(root.rglob("*")):
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        if path.is_file() and not path.is_symlink():
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        else:
            digest.update(b"dir" if path.is_dir() else b"other")
    return digest.hexdigest()


def refused(root: Path, *args: str, fragment: str, env: dict | None = None) -> str:
    """Run `aetui ARGS` with the store `root/sessions`; it must exit 2 with one line on stderr that
    holds `fragment`, print no traceback, and leave `root` exactly as it was. Returns the line."""
    before = tree_hash(root)
    out = aetui(root / "sessions", *args, env=env)
    lines = out.stderr.strip().splitlines()
    assert out.returncode == 2, (out.returncode, out.stdout[-2000:], out.stderr[-2000:])
    assert "Traceback" not in out.stderr + out.stdout
    assert len(lines) == 1 and lines[0].startswith("aetui: "), out.stderr
    assert fragment in lines[0], lines[0]
    assert tree_hash(root) == before, "the command changed files on disk"
    return lines[0]


def shown(root: Path, *args: str) -> str:
    """Run `aetui ARGS` that must succeed without touching the disk; returns its stdout."""
    before = tree_hash(root)
    out = aetui(root / "sessions", *args, env={"COLUMNS": "120"})
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr[-2000:]
    assert tree_hash(root) == before, "the command changed files on disk"
    return out.stdout


class Trap:
    """Unpickling this creates `marker`: proof, by its absence, that nothing was unpickled."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def copied(session: Path, root: Path, name: str = "run") -> Path:
    """A copy of `session` as `name` in the store `root/sessions`."""
    return Path(shutil.copytree(session, root / "sessions" / name))
