"""The training loop's Keras callbacks, one job each, around one plain record of the run (`Run`).

`trainer._fit` hands `model.fit` these callbacks, in this order (Keras calls them in order):

    Progress        reports the run's start (or resumption) and counts the batches really run,
                    reporting them at most every `interval` s
    DivergenceStop  stops at the first non-finite batch loss (the last finite epoch stays)
    LiveControls    takes commands from other processes (`channel`), records the live changes
                    `Controls.set` assigned (from any thread, in force from the next batch), holds
                    the loop while paused, and stops when asked
    EpochRecorder   snapshots and saves each completed epoch (on a time budget when epochs are
                    fast), then records it; `fit` has validated it on the test set just before

Imported only once training starts (it imports Keras).
"""

from __future__ import annotations

import math
import os
import time

import keras
import numpy as np

from aetui.core import events
from aetui.core.analysis.images import to_u8
from aetui.core.analysis.latent import sweep_plane
from aetui.core.analysis.sparsity import code_stats, gaussian_stats
from aetui.core.control.channel import Channel
from aetui.core.data import Dataset
from aetui.core.families.validation import PIXEL_ERRORS
from aetui.core.ranking import last_epoch_record
from aetui.core.training.run import Run, write_failure


class Progress(keras.callbacks.Callback):
    """Reports the run's start (`TrainingStarted`, or `TrainingResumed`), then counts the batches
    really run and reports them (`BatchEnded`) at most every `interval` s.

    With several steps per execution Keras reports every few batches, and its index runs past
    the epoch's end on the last, partial execution: only the batches there are are counted, and
    the values of the batches since the last report are recovered from the running means.
    """

    def __init__(self, run: Run, data: Dataset, interval: float, previous: str | None = None):
        super().__init__()
        self.run, self.data, self.interval, self.previous_status = run, data, interval, previous
        self.done_in_epoch = 0
        self.means: dict[str, float] = {}
        self.last_emit = 0.0

    def on_train_begin(self, logs=None):
        run, meta, knobs = self.run, self.run.writer.meta, self.run.built.knobs.values()
        run.built.model.stop_training = False
        if self.previous_status is None:
            run.send(events.TrainingStarted(run.writer.name, meta.recipe_name, run.epochs, run.steps,
                                            len(self.data.x_train), meta.device, knobs))
        else:
            run.send(events.TrainingResumed(run.writer.name, run.epochs_done, run.step, run.epochs, run.steps,
                                            meta.device, knobs, self.previous_status))

    def on_epoch_begin(self, epoch, logs=None):
        self.run.epoch, self.run.epoch_start = epoch + 1, time.perf_counter()
        self.run.spent_at_begin = dict(self.run.spent)
        self.run.trained_at = 0.0
        self.done_in_epoch, self.means = 0, {}

    def on_train_batch_end(self, batch, logs=None):
        run, logs = self.run, dict(logs or {})
        n = min(batch + 1, run.steps)
        ran = max(n - self.done_in_epoch, 1)
        run.step += ran
        last = {k: (n * v - self.done_in_epoch * self.means.get(k, 0.0)) / ran for k, v in logs.items()}
        self.means, self.done_in_epoch = logs, n
        run.batch, run.logs = n, logs
        now = time.perf_counter()
        if math.isfinite(logs.get("loss", 0.0)) and (now - self.last_emit >= self.interval or n == run.steps):
            self.last_emit = now
            run.send(events.BatchEnded(run.epoch, n, run.step, logs, last), durable=False)


class DivergenceStop(keras.callbacks.Callback):
    """Stops at the first batch whose loss is not finite; that epoch is not saved."""

    def __init__(self, run: Run):
        super().__init__()
        self.run = run

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss", 0.0)
        if not math.isfinite(loss) and self.run.diverged is None:
            self.run.diverged = f"loss became {loss} at batch {self.run.step} (epoch {self.run.epoch})"
            self.run.stop()


class LiveControls(keras.callbacks.Callback):
    """Connects `Controls` to the model's knobs for the run; records each change applied, holds
    the loop while paused, and stops the run when asked (after this batch, or at the epoch's end)."""

    def __init__(self, run: Run):
        super().__init__()
        self.run = run

    def on_train_begin(self, logs=None):
        run = self.run
        run.controls.attach(run.built.knobs, run.built.knobs.step)
        try:
            run.channel = Channel(run.writer.folder(), run.controls, run.controls.tunables)
        except OSError:  # (`control` planted as a file or a link: the run goes on without; `tune` says so)
            run.channel = None
        run.beat(force=True)
        run.record_changes()

    def on_train_batch_begin(self, batch, logs=None):
        self.run.apply_due()  # (planned changes: a rerun's, a schedule's, `aetui tune --at-epoch`)
        self.hold_while_paused()  # (a pause taken while the last epoch was validated: before this batch)

    def on_train_batch_end(self, batch, logs=None):
        run, controls = self.run, self.run.controls
        if run.diverged:
            return
        run.beat()
        run.record_changes()
        ending = run.batch == run.steps  # the epoch's batches are done: `fit` validates next
        if ending:
            controls.hold()  # (a value sent from now on is taken, and in force from the next batch)
        self.hold_while_paused()
        if controls.stopping:
            run.stop()
        elif ending:
            run.send(events.Validating(run.epoch), durable=False)
            run.trained_at = time.perf_counter()

    def hold_while_paused(self) -> None:
        """While a pause is asked for, hold the loop here (with `run.step` batches done), taking
        commands; the history records the pause and the resumption at that step."""
        run, controls = self.run, self.run.controls
        if not controls.paused or controls.stopping or run.diverged:
            return
        run.send(events.Paused(run.step))
        run.beat(force=True)
        while not controls.wait_resumed(0.1) and not controls.stopping:
            run.beat()
            run.record_changes()
        run.send(events.Resumed(run.step))
        run.beat(force=True)

    def on_test_batch_end(self, batch, logs=None):
        self.run.beat()  # commands are taken while the epoch validates too

    def on_epoch_begin(self, epoch, logs=None):
        self.run.controls.release()
        self.run.record_changes()

    def on_epoch_end(self, epoch, logs=None):
        self.run.record_changes()


VALIDATION_BATCH = 1024


def _seconds(name: str, default: float) -> float:
    """Seconds from the environment variable `name` (a number >= 0), else `default`."""
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return value if math.isfinite(value) and value >= 0 else default


SNAPSHOT_EVERY = _seconds("AETUI_SNAPSHOT_EVERY", 0.25)
"""Seconds between snapshots at least: every epoch while epochs are slower, a few a second when
they are fast (a GPU's epochs of these nets take tens of milliseconds); always the last epoch.
`AETUI_SNAPSHOT_EVERY=0` pictures every epoch."""
WEIGHTS_EVERY = 2.0
"""Seconds between writes of the weights and optimizer state at least; always at the last epoch,
on a stop and on a hangup (they are copied at every epoch's end, which costs about a
millisecond). A kill (SIGKILL, a crash) can lose the epochs trained since the last write."""


def test_figures(logs: dict[str, float], input_dim: int) -> dict[str, float]:
    """The per-pixel reconstruction errors the validation pass measured on the whole test set,
    taken out of `logs` (they are figures, not losses), in both conventions: `test_mse_pixel`,
    `test_bce_pixel` (per-pixel means) and `test_mse_image`, `test_bce_image` (per-image sums)."""
    found = {}
    for key in PIXEL_ERRORS:
        value = logs.pop(f"val_{key}", None)
        if value is not None:
            found[f"test_{key}"] = value
            found[f"test_{key.replace('_pixel', '_image')}"] = value * input_dim
    return found


class EpochRecorder(keras.callbacks.Callback):
    """Takes each completed epoch's snapshot (codes, reconstructions, the latent sweep, the
    statistics; `fit` has just validated it on the test set), saves it and the weights, then records
    `EpochEnded`: an epoch counts once its line is in the history. A full disk stops the run,
    keeping what is saved."""

    def __init__(self, run: Run, data: Dataset, fixed: dict):
        super().__init__()
        self.run, self.data, self.fixed = run, data, fixed
        self.pictured_at = -math.inf

    def on_epoch_end(self, epoch, logs=None):
        run = self.run
        try:
            self.save(logs)
        except OSError as err:  # disk full, folder made read-only: stop, keeping what is saved
            run.write_error = write_failure(run.writer.path, err, run.epochs_done)
            run.stop()
        if run.controls.at_epoch_end.is_set():
            run.stop()

    def save(self, logs) -> None:
        """Snapshot and save the epoch just trained and validated, and record it."""
        run = self.run
        if run.diverged or run.controls.stopping:
            return  # an interrupted epoch is not saved; the last completed one stays
        trained = run.trained_at or time.perf_counter()
        seconds = trained - run.epoch_start
        run.spent["validation"] += time.perf_counter() - trained  # (fit's pass over the test set, just run)
        in_loop = {k: v - run.spent_at_begin.get(k, 0.0) for k, v in run.spent.items() if k != "validation"}
        logs = {k: float(v) for k, v in (logs or {}).items()}
        errors = test_figures(logs, self.data.x_test.shape[1])
        if not all(math.isfinite(v) for k, v in logs.items() if k in ("loss", "val_loss")):
            run.diverged = f"loss became non-finite in epoch {run.epoch}"
            run.stop()
            return
        last = run.epoch >= run.epochs or run.controls.at_epoch_end.is_set()
        run.beat()  # (commands are taken between the parts of an epoch's bookkeeping too)
        with run.timed("snapshot"):
            pictured = last or time.perf_counter() - self.pictured_at >= SNAPSHOT_EVERY
            stats, arrays = self.snapshot(logs, pictured)
            stats.update(errors, train_images=len(self.data.x_train), test_images=len(self.data.x_test))
            if pictured:
                run.writer.save_snapshot(run.epoch, arrays)
                self.pictured_at = time.perf_counter()
        run.beat()
        with run.timed("weights"):
            run.val_losses[run.epoch] = logs["val_loss"]
            run.unsaved = (run.epoch, run.built.weights_state())  # (kept: a stop or a hangup writes it)
            if last or run.keeps(run.epoch) or time.perf_counter() - run.weights_at >= WEIGHTS_EVERY:
                run.write_weights()
        timing = run.take_timing(seconds, in_loop)
        run.send(events.EpochEnded(run.epoch, run.step, logs, stats, seconds, len(self.data.x_train) / seconds,
                                   timing, pictured))
        run.epochs_done = run.epoch
        with run.timed("weights"):
            run.writer.prune_weights(run.weights_saved, run.keeps)
        if pictured:
            run.send(events.SnapshotTaken(run.epoch, arrays, self.fixed), durable=False)
        best = run.best_val_loss if run.best_val_loss is not None else run.writer.meta.best_val_loss
        run.best_val_loss = logs["val_loss"] if best is None else min(best, logs["val_loss"])
        run.last_epoch = last_epoch_record(run.epoch, logs, stats)
        if pictured or run.unsaved is None:  # (the record's summary, for listings: at the snapshots' pace)
            with run.timed("history"):
                run.update_record()

    def snapshot(self, logs: dict, pictured: bool = True) -> tuple[dict, dict]:
        """Per-epoch figures (scalars, for the history: every epoch) and arrays (for the snapshot
        file: where `pictured`, with the reconstructions and the latent sweep)."""
        built, fixed, x_test = self.run.built, self.fixed, self.data.x_test
        encoded = built.encode(x_test[fixed["subset_index"]])
        codes = encoded["code"]
        stats = code_stats(codes)
        arrays = {"codes": codes.astype(np.float16), "unit_means": stats.pop("unit_means")}
        if "log_var" in encoded:
            gauss = gaussian_stats(codes, encoded["log_var"])
            arrays["kl_per_dim"] = gauss.pop("kl_per_dim")
            arrays["log_var"] = encoded["log_var"].astype(np.float16)
            stats.update(gauss)
        if "disc_acc" in logs:
            stats["disc_acc"] = logs["disc_acc"]
        if not pictured:
            return stats, {}
        arrays["recon"] = to_u8(built.decode(built.encode(x_test[fixed["panel_index"]])["code"]))
        plane = sweep_plane(codes, self.run.writer.meta.recipe_section("snapshot")["sweep"], built.prior)
        arrays.update(sweep=to_u8(built.decode(plane.points().astype(np.float32))), sweep_xs=plane.xs,
                      sweep_ys=plane.ys, sweep_centre=plane.centre, sweep_axes=plane.axes)
        stats["sweep"] = plane.how
        return stats, arrays
