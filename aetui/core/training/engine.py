"""The training loop's Keras callbacks, one job each, each holding only the parts of the run
(`aetui.core.training.parts`, `keeping`, `live`) it uses.

`trainer._fit` hands `model.fit` these callbacks, in this order (Keras calls them in order):

    Progress        reports the run's start (or resumption) and counts the batches really run,
                    reporting them at most every `interval` s         (position, clock, journal)
    DivergenceStop  stops at the first non-finite batch loss (the last finite epoch stays)
                                                                      (position, ending)
    LiveControls    takes commands from other processes (`channel`), records the live changes
                    `Controls.set` assigned (from any thread, in force from the next batch), holds
                    the loop while paused, and stops when asked       (position, clock, journal,
                                                                       live, ending)
    EpochRecorder   snapshots and saves each completed epoch (on a time budget when epochs are
                    fast), then records it; `fit` has validated it on the test set just before
                                                                      (all of them, and keeping)

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
from aetui.core.data import Dataset
from aetui.core.families.validation import PIXEL_ERRORS
from aetui.core.training.keeping import Keeping
from aetui.core.training.live import Live
from aetui.core.training.parts import Clock, Ending, Journal, Position
from aetui.core.training.run import write_failure


class Progress(keras.callbacks.Callback):
    """Reports the run's start (`TrainingStarted`, or `TrainingResumed`), then counts the batches
    really run and reports them (`BatchEnded`) at most every `interval` s.

    With several steps per execution Keras reports every few batches, and its index runs past
    the epoch's end on the last, partial execution: only the batches there are are counted, and
    the values of the batches since the last report are recovered from the running means.
    """

    def __init__(self, position: Position, clock: Clock, journal: Journal, ending: Ending, opening,
                 interval: float):
        super().__init__()
        self.position, self.clock, self.journal, self.ending = position, clock, journal, ending
        self.opening, self.interval = opening, interval
        """`opening()`: the event that opens the run (`Run.opening`)."""
        self.done_in_epoch = 0
        self.means: dict[str, float] = {}
        self.last_emit = 0.0

    def on_train_begin(self, logs=None):
        self.ending.begin()
        self.journal.send(self.opening())

    def on_epoch_begin(self, epoch, logs=None):
        self.position.epoch = epoch + 1
        self.clock.begin_epoch()
        self.done_in_epoch, self.means = 0, {}

    def on_train_batch_end(self, batch, logs=None):
        position, logs = self.position, dict(logs or {})
        n = min(batch + 1, position.steps)
        ran = max(n - self.done_in_epoch, 1)
        position.step += ran
        last = {k: (n * v - self.done_in_epoch * self.means.get(k, 0.0)) / ran for k, v in logs.items()}
        self.means, self.done_in_epoch = logs, n
        position.batch, position.logs = n, logs
        now = time.perf_counter()
        if math.isfinite(logs.get("loss", 0.0)) and (now - self.last_emit >= self.interval or n == position.steps):
            self.last_emit = now
            self.journal.send(events.BatchEnded(position.epoch, n, position.step, logs, last), durable=False)


class DivergenceStop(keras.callbacks.Callback):
    """Stops at the first batch whose loss is not finite; that epoch is not saved."""

    def __init__(self, position: Position, ending: Ending):
        super().__init__()
        self.position, self.ending = position, ending

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss", 0.0)
        if not math.isfinite(loss) and self.ending.diverged is None:
            self.ending.diverge(f"loss became {loss} at batch {self.position.step} (epoch {self.position.epoch})")


class LiveControls(keras.callbacks.Callback):
    """Connects `Controls` to the model's knobs for the run; records each change applied, holds
    the loop while paused, and stops the run when asked (after this batch, or at the epoch's end)."""

    def __init__(self, position: Position, clock: Clock, journal: Journal, live: Live, ending: Ending):
        super().__init__()
        self.position, self.clock, self.journal, self.live, self.ending = position, clock, journal, live, ending

    def on_train_begin(self, logs=None):
        self.live.attach()

    def on_train_batch_begin(self, batch, logs=None):
        self.live.apply_due()  # (planned changes: a rerun's, a schedule's, `aetui tune --at-epoch`)
        self.hold_while_paused()  # (a pause taken while the last epoch was validated: before this batch)

    def on_train_batch_end(self, batch, logs=None):
        live, controls, position = self.live, self.live.controls, self.position
        if self.ending.diverged:
            return
        live.beat()
        live.record_changes()
        ending = position.batch == position.steps  # the epoch's batches are done: `fit` validates next
        if ending:
            controls.hold()  # (a value sent from now on is taken, and in force from the next batch)
        self.hold_while_paused()
        if controls.stopping:
            self.ending.stop()
        elif ending:
            self.journal.send(events.Validating(position.epoch), durable=False)
            self.clock.trained_at = time.perf_counter()

    def hold_while_paused(self) -> None:
        """While a pause is asked for, hold the loop here (with `position.step` batches done),
        taking commands; the history records the pause and the resumption at that step."""
        live, controls, journal = self.live, self.live.controls, self.journal
        if not controls.paused or controls.stopping or self.ending.diverged:
            return
        journal.send(events.Paused(self.position.step))
        live.beat(force=True)
        while not controls.wait_resumed(0.1) and not controls.stopping:
            live.beat()
            live.record_changes()
        journal.send(events.Resumed(self.position.step))
        live.beat(force=True)

    def on_test_batch_end(self, batch, logs=None):
        self.live.beat()  # commands are taken while the epoch validates too

    def on_epoch_begin(self, epoch, logs=None):
        self.live.controls.release()
        self.live.record_changes()

    def on_epoch_end(self, epoch, logs=None):
        self.live.record_changes()


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

    def __init__(self, position: Position, clock: Clock, journal: Journal, keeping: Keeping, live: Live,
                 ending: Ending, built, data: Dataset, fixed: dict):
        super().__init__()
        self.position, self.clock, self.journal, self.keeping = position, clock, journal, keeping
        self.live, self.ending, self.built, self.data, self.fixed = live, ending, built, data, fixed
        self.sweep_spec = journal.writer.meta.recipe_section("snapshot")["sweep"]
        self.pictured_at = -math.inf

    def on_epoch_end(self, epoch, logs=None):
        try:
            self.save(logs)
        except OSError as err:  # disk full, folder made read-only: stop, keeping what is saved
            self.ending.write_error = write_failure(self.journal.writer.path, err, self.position.epochs_done)
            self.ending.stop()
        if self.live.controls.at_epoch_end.is_set():
            self.ending.stop()

    def save(self, logs) -> None:
        """Snapshot and save the epoch just trained and validated, and record it."""
        position, clock, journal, keeping, live = self.position, self.clock, self.journal, self.keeping, self.live
        writer, epoch = journal.writer, position.epoch
        if self.ending.diverged or live.controls.stopping:
            return  # an interrupted epoch is not saved; the last completed one stays
        trained = clock.trained_at or time.perf_counter()
        seconds = trained - clock.epoch_start
        clock.spent["validation"] += time.perf_counter() - trained  # (fit's pass over the test set, just run)
        in_loop = clock.in_loop()
        logs = {k: float(v) for k, v in (logs or {}).items()}
        errors = test_figures(logs, self.data.x_test.shape[1])
        if not all(math.isfinite(v) for k, v in logs.items() if k in ("loss", "val_loss")):
            self.ending.diverge(f"loss became non-finite in epoch {epoch}")
            return
        last = epoch >= position.epochs or live.controls.at_epoch_end.is_set()
        live.beat()  # (commands are taken between the parts of an epoch's bookkeeping too)
        with clock.timed("snapshot"):
            pictured = last or time.perf_counter() - self.pictured_at >= SNAPSHOT_EVERY
            stats, arrays = self.snapshot(logs, pictured)
            stats.update(errors, train_images=len(self.data.x_train), test_images=len(self.data.x_test))
            if pictured:
                writer.save_snapshot(epoch, arrays)
                self.pictured_at = time.perf_counter()
        live.beat()
        with clock.timed("weights"):
            keeping.hold(epoch, logs["val_loss"])  # (kept: a stop or a hangup writes it)
            if last or keeping.keeps(epoch) or time.perf_counter() - keeping.weights_at >= WEIGHTS_EVERY:
                keeping.write_weights()
        timing = clock.take_timing(seconds, in_loop)
        journal.send(events.EpochEnded(epoch, position.step, logs, stats, seconds, len(self.data.x_train) / seconds,
                                       timing, pictured))
        position.epochs_done = epoch
        with clock.timed("weights"):
            keeping.prune()
        if pictured:
            journal.send(events.SnapshotTaken(epoch, arrays, self.fixed), durable=False)
        journal.epoch_figures(epoch, logs, stats)
        if pictured or keeping.unsaved is None:  # (the record's summary, for listings: at the snapshots' pace)
            with clock.timed("history"):
                journal.update_record(position.epochs_done)

    def snapshot(self, logs: dict, pictured: bool = True) -> tuple[dict, dict]:
        """Per-epoch figures (scalars, for the history: every epoch) and arrays (for the snapshot
        file: where `pictured`, with the reconstructions and the latent sweep)."""
        built, fixed, x_test = self.built, self.fixed, self.data.x_test
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
        panel = x_test[fixed["panel_index"]]
        noisy = built.noisy_panel(panel)  # (a denoising model's: reconstructed from the panel with noise)
        arrays["recon"] = to_u8(built.decode(built.encode(panel if noisy is None else noisy)["code"]))
        if noisy is not None:
            arrays["noisy"] = to_u8(noisy)
        plane = sweep_plane(codes, self.sweep_spec, built.prior)
        arrays.update(sweep=to_u8(built.decode(plane.points().astype(np.float32))), sweep_xs=plane.xs,
                      sweep_ys=plane.ys, sweep_centre=plane.centre, sweep_axes=plane.axes)
        stats["sweep"] = plane.how
        return stats, arrays
