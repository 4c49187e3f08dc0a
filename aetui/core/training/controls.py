"""Thread-safe handles to a training run: stop, pause, resume, live hyperparameter changes.

No numpy or Keras here: the UI holds a `Controls` before TensorFlow has loaded.
"""

from __future__ import annotations

import threading
from typing import Callable

from aetui.core import hparams


class Controls:
    """Thread-safe handles to a run: stop, pause and resume, and live hyperparameter changes.

    While a model trains, `set` assigns the new value to its live variable at once (from any
    thread: it takes effect at the next batch, also with several steps per execution) and notes
    the step it applied from, read from the optimizer's step counter; the engine records the
    change at its next callback. Values set before training starts apply at step 0; values set
    while the engine holds them (`hold`: an epoch being validated and saved) are assigned at
    `release`, before the next epoch's first batch.
    """

    def __init__(self, tunables: tuple[str, ...]):
        self.tunables = tunables
        self.stop_event = threading.Event()
        self._also_stop_on: list[threading.Event] = []
        self._go = threading.Event()
        self._go.set()
        self._lock = threading.Lock()
        self._knobs = None
        self._step: Callable[[], int] = lambda: 0
        self._queued: list[tuple[str, float, str]] = []
        self._held = False
        self._applied: list[tuple[str, float, float, int, str]] = []
        self._planned: list[tuple[int, str, float, str]] = []
        self.interrupted: str | None = None
        """Why the run was interrupted (a signal, the app closing), if it was."""
        self.at_epoch_end = threading.Event()

    def stop(self) -> None:
        """Ask the run to stop after the current batch; completed epochs stay saved."""
        self.stop_event.set()
        self._go.set()

    def interrupt(self, reason: str, finish_epoch: bool = False) -> None:
        """Stop for `reason` (status `interrupted`, resumable): after the current batch, or with
        `finish_epoch` once the epoch in progress is saved (a pause is lifted so it can finish, and
        linked events no longer stop it at once)."""
        self.interrupted = reason
        if finish_epoch:
            with self._lock:
                self._also_stop_on = []
                self.at_epoch_end.set()
        else:
            self.stop_event.set()
        self._go.set()

    def also_stop_on(self, event: threading.Event) -> None:
        """Stop as well when `event` is set (e.g. a UI worker's `cancelled_event` when the app exits);
        not once the run is to finish its epoch (an interrupt that came first, e.g. a hangup as the
        worker starts, is not cut short by the app exiting)."""
        with self._lock:
            if not self.at_epoch_end.is_set():
                self._also_stop_on.append(event)

    @property
    def stopping(self) -> bool:
        """True once a stop was asked for, here or through a linked event."""
        return self.stop_event.is_set() or any(e.is_set() for e in self._also_stop_on)

    def pause(self) -> None:
        """Hold training after the current batch."""
        self._go.clear()

    def resume(self) -> None:
        """Continue a paused run."""
        self._go.set()

    @property
    def paused(self) -> bool:
        """True while a pause is asked for."""
        return not self._go.is_set()

    def wait_resumed(self, timeout: float) -> bool:
        """Block until resumed or stopped, at most `timeout` seconds; True if no longer paused."""
        return self._go.wait(timeout)

    def set(self, name: str, value: object, origin: str = "") -> float:
        """Validate a new hyperparameter value and apply it (or keep it for the start of training);
        `origin` says who set it (`events.HParamChanged.origin`)."""
        number = hparams.spec(name, self.tunables).check(value)
        with self._lock:
            if self._knobs is None or self._held:
                self._queued.append((name, number, origin))
            else:
                self._apply(name, number, origin)
        return number

    def hold(self) -> None:
        """Keep values set from now on for `release` (while an epoch is validated and saved: its
        figures are all of one setting); they are in force from the next batch either way."""
        with self._lock:
            self._held = True

    def release(self) -> None:
        """Apply the values kept since `hold`."""
        with self._lock:
            self._held = False
            if self._knobs is not None:
                for queued in self._queued:
                    self._apply(*queued)
                self._queued = []

    def value(self, name: str) -> float | None:
        """The value of `name` in force (None before training starts)."""
        with self._lock:
            return None if self._knobs is None else self._knobs.values().get(name)

    def step(self) -> int:
        """The step the next batch is (0 before training starts)."""
        with self._lock:
            return self._step()

    def attach(self, knobs, step: Callable[[], int]) -> None:
        """Connect to a training model's knobs (with `values()` and `assign()`) and its step counter;
        values set before now apply at once."""
        with self._lock:
            self._knobs, self._step, self._held = knobs, step, False
            for queued in self._queued:
                self._apply(*queued)
            self._queued = []

    def detach(self) -> None:
        """Training ended: later values are kept for the next start."""
        with self._lock:
            self._knobs = None

    def _apply(self, name: str, number: float, origin: str) -> None:
        old = self._knobs.values()[name]
        if old == number:
            return  # (no change: nothing to assign or record)
        step = self._step()
        self._knobs.assign(name, number)
        self._applied.append((name, old, number, step, origin))

    def plan(self, step: int, values: dict[str, object], origin: str = "schedule") -> dict[str, float]:
        """Set `values` when the run reaches batch `step` (counting from 0 since the session began):
        a rerun's recorded changes, a recipe's schedule, `aetui tune --at-epoch`. Each value is
        checked now; the engine applies the due ones before each batch (`take_due`), through `set`,
        with `origin` (`events.HParamChanged.origin`)."""
        checked = {name: hparams.spec(name, self.tunables).check(v) for name, v in values.items()}
        with self._lock:
            self._planned.extend((int(step), name, number, origin) for name, number in checked.items())
            self._planned.sort(key=lambda p: p[0])
        return checked

    def planned(self) -> list[tuple[int, str, float]]:
        """The changes planned and not yet applied, as (step, name, value), earliest first."""
        with self._lock:
            return [p[:3] for p in self._planned]

    def cancel_planned(self) -> int:
        """Drop every planned change; returns how many there were."""
        with self._lock:
            count, self._planned = len(self._planned), []
        return count

    def take_due(self, step: int) -> list[tuple[str, float, str]]:
        """The planned changes due at or before batch `step`, taken from the plan in order, with
        their origin."""
        with self._lock:
            due = [(name, number, origin) for at, name, number, origin in self._planned if at <= step]
            self._planned = [p for p in self._planned if p[0] > step]
        return due

    def take_applied(self) -> list[tuple[str, float, float, int, str]]:
        """The changes applied since the last call, as (name, old, new, first step using new, origin)."""
        with self._lock:
            applied, self._applied = self._applied, []
        return applied
