"""The Keras callback behind `training.train`: events, live changes, pause and stop, epoch saves.

Imported only once training starts (it imports Keras).
"""

from __future__ import annotations

import math
import time

import keras
import numpy as np

from aetui.core import events
from aetui.core.analysis.latent import sweep_plane
from aetui.core.analysis.sparsity import code_stats, gaussian_stats
from aetui.core.data import Dataset
from aetui.core.sessions import SessionWriter
from aetui.core.training import Controls, EventSink, to_u8


def write_failure(where, err: OSError, epochs: int) -> str:
    """Why a run stopped when the session could not be written, what is kept, and what to do."""
    kept = {0: "no epoch was saved", 1: "epoch 1 is saved"}.get(epochs, f"epochs 1-{epochs} are saved")
    return f"cannot write to {where}: {err.strerror or err}; {kept}; free space, then resume"


class Reporter(keras.callbacks.Callback):
    """A Keras callback that reports events, applies live changes, pauses, stops and saves epochs."""

    def __init__(self, built, data: Dataset, writer: SessionWriter, fixed: dict, controls: Controls,
                 emit: EventSink, interval: float, steps: int, epochs: int, initial_epoch: int = 0,
                 previous: str | None = None):
        super().__init__()
        self.built, self.data, self.writer, self.fixed = built, data, writer, fixed
        self.controls, self.emit, self.interval = controls, emit, interval
        self.steps, self.epochs = steps, epochs
        self.step = initial_epoch * steps
        self.done_in_epoch = 0
        self.epoch = initial_epoch
        self.epochs_done = initial_epoch
        self.previous_status = previous
        """Set when resuming: how the run had ended before."""
        self.diverged: str | None = None
        self.write_error: str | None = None
        self.last_emit = 0.0
        self.previous: dict[str, float] = {}
        self.epoch_start = time.perf_counter()

    def send(self, event, durable: bool = True) -> None:
        if durable:
            self.writer.record(event)
        self.emit(event)

    def on_train_begin(self, logs=None):
        self.model_stop(False)
        meta, knobs = self.writer.meta, self.built.knobs.values()
        if self.previous_status is None:
            self.send(events.TrainingStarted(self.writer.name, meta["recipe"]["name"], self.epochs, self.steps,
                                             len(self.data.x_train), meta["device"], knobs))
        else:
            self.send(events.TrainingResumed(self.writer.name, self.epochs_done, self.step, self.epochs, self.steps,
                                             meta["device"], knobs, self.previous_status))
        self.controls.attach(self.built.knobs, self.built.knobs.step)
        self.record_changes()

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch + 1
        self.previous = {}
        self.epoch_start = time.perf_counter()
        self.done_in_epoch = 0
        self.record_changes()

    def on_train_batch_end(self, batch, logs=None):
        logs = dict(logs or {})
        # With several steps per execution Keras reports every few batches, and its index runs past
        # the epoch's end on the last, partial execution: count only the batches there are.
        n = min(batch + 1, self.steps)
        ran = max(n - self.done_in_epoch, 1)
        self.step += ran
        last = {k: (n * v - self.done_in_epoch * self.previous.get(k, 0.0)) / ran for k, v in logs.items()}
        self.previous, self.done_in_epoch = logs, n
        loss = logs.get("loss", 0.0)
        if not math.isfinite(loss):
            self.diverged = f"loss became {loss} at batch {self.step} (epoch {self.epoch})"
            self.model_stop(True)
            return
        now = time.perf_counter()
        if now - self.last_emit >= self.interval or n == self.steps:
            self.last_emit = now
            self.send(events.BatchEnded(self.epoch, n, self.step, logs, last), durable=False)
        self.record_changes()
        if self.controls.paused and not self.controls.stopping:
            self.send(events.Paused(self.step))
            while not self.controls.wait_resumed(0.1) and not self.controls.stopping:
                self.record_changes()
            self.send(events.Resumed(self.step))
        if self.controls.stopping:
            self.model_stop(True)

    def on_epoch_end(self, epoch, logs=None):
        try:
            self.end_epoch(logs)
        except OSError as err:  # disk full, folder made read-only: stop, keeping what is saved
            self.write_error = write_failure(self.writer.path, err, self.epochs_done)
            self.model_stop(True)
        if self.controls.at_epoch_end.is_set():
            self.model_stop(True)

    def end_epoch(self, logs) -> None:
        """Evaluate, snapshot and save the epoch just trained, and record it."""
        self.record_changes()
        if self.diverged or self.controls.stopping:
            return  # an interrupted epoch is not saved; the last completed one stays
        self.emit(events.Validating(self.epoch))
        seconds = time.perf_counter() - self.epoch_start
        model = self.built.model
        val = model.evaluate(self.data.x_test, self.data.x_test, batch_size=1024, verbose=0, return_dict=True)
        logs = {**{k: float(v) for k, v in (logs or {}).items()}, **{f"val_{k}": float(v) for k, v in val.items()}}
        if not all(math.isfinite(v) for k, v in logs.items() if k in ("loss", "val_loss")):
            self.diverged = f"loss became non-finite in epoch {self.epoch}"
            self.model_stop(True)
            return
        stats, arrays = self.snapshot(logs)
        self.writer.save_snapshot(self.epoch, arrays)
        self.writer.save_weights(self.built.weights_file(), self.epoch)
        event = events.EpochEnded(self.epoch, self.step, logs, stats, seconds, len(self.data.x_train) / seconds)
        self.send(event)
        self.epochs_done = self.epoch
        self.writer.prune_weights(self.epoch)
        self.send(events.SnapshotTaken(self.epoch, arrays, self.fixed), durable=False)
        best = self.writer.meta.get("best_val_loss")
        self.writer.update(epochs_done=self.epoch, params=self.built.knobs.values(),
                           best_val_loss=logs["val_loss"] if best is None else min(best, logs["val_loss"]))

    def snapshot(self, logs: dict) -> tuple[dict, dict]:
        """Per-epoch figures (scalars, for the history) and arrays (for the snapshot file)."""
        built, fixed, x_test = self.built, self.fixed, self.data.x_test
        encoded = built.encode(x_test[fixed["subset_index"]])
        codes = encoded["code"]
        panel_code = built.encode(x_test[fixed["panel_index"]])["code"]
        stats = code_stats(codes)
        arrays = {"recon": to_u8(built.decode(panel_code)), "codes": codes.astype(np.float16),
                  "unit_means": stats.pop("unit_means")}
        if "log_var" in encoded:
            gauss = gaussian_stats(codes, encoded["log_var"])
            arrays["kl_per_dim"] = gauss.pop("kl_per_dim")
            arrays["log_var"] = encoded["log_var"].astype(np.float16)
            stats.update(gauss)
        if "disc_acc" in logs:
            stats["disc_acc"] = logs["disc_acc"]
        plane = sweep_plane(codes, self.writer.meta["recipe"]["snapshot"]["sweep"], built.prior)
        arrays.update(sweep=to_u8(built.decode(plane.points().astype(np.float32))), sweep_xs=plane.xs,
                      sweep_ys=plane.ys, sweep_centre=plane.centre, sweep_axes=plane.axes)
        stats["sweep"] = plane.how
        return stats, arrays

    def record_changes(self) -> None:
        """Record the changes `Controls.set` applied since the last callback, with their step."""
        for name, old, new, step in self.controls.take_applied():
            self.send(events.HParamChanged(name, old, new, step // self.steps + 1, step))

    def model_stop(self, flag: bool) -> None:
        self.built.model.stop_training = flag

    def outcome(self) -> tuple[str, str]:
        done = self.epochs_done
        if self.write_error:
            return "failed", self.write_error
        if self.diverged:
            return "diverged", self.diverged + f"; the weights of epoch {done} are kept: lower the value and resume"
        if done >= self.epochs:
            return "finished", f"{done} epoch(s)"
        if self.controls.interrupted:
            return "interrupted", f"{self.controls.interrupted} after {done} complete epoch(s)"
        if self.controls.stop_event.is_set():
            return "stopped", f"stopped by the user after {done} complete epoch(s)"
        if self.controls.stopping:
            return "interrupted", f"the app closed after {done} complete epoch(s)"
        return "finished", f"{done} epoch(s)"

    def finish(self, status: str, reason: str) -> None:
        """Record the end of the run and let go of the session; a write that fails now (a full
        disk) leaves it reading `killed` (resumable), and the event still reaches the user."""
        self.controls.detach()
        event = events.TrainingFinished(status, reason, self.epochs_done, self.step)
        try:
            self.record_changes()
            self.writer.record(event)
            self.writer.update(status=status, reason=reason, epochs_done=self.epochs_done)
        except OSError:
            pass
        self.writer.close()  # no longer running (read as `killed` if the status could not be written)
        self.emit(event)
