"""The live run behind the UI: owns the training worker, its controls, its inbox and its state.

The engine calls `inbox.put` on the training thread (cheap, never blocks); the App drains the
inbox on a timer into a `RunState`, and screens redraw from that state at a bounded rate, so
the UI thread stays mostly idle while training runs.
"""

from __future__ import annotations

import queue
import threading
from functools import partial
from pathlib import Path
from typing import Callable

from textual.worker import Worker

from aetui.core import events
from aetui.core.controls import Controls
from aetui.core.errors import AetuiError
from aetui.core.recipe import Recipe
from aetui.core.runstate import RunState
from aetui.core.sessions import Session


class Runner:
    """One training run at a time, started and stopped from the UI."""

    def __init__(self, app, trainer: Callable, store: Path):
        self.finished = threading.Event()
        """Set while no run is in progress (cleared from start until the worker's last event)."""
        self.finished.set()
        self.app = app
        self.trainer = trainer
        self.store = store
        self.inbox: queue.SimpleQueue = queue.SimpleQueue()
        self.state: RunState | None = None
        self.recipe: Recipe | None = None
        self.controls: Controls | None = None
        self.worker: Worker | None = None
        self.settings: dict[str, int] = {}
        """Epochs and batch size of the current run."""

    @property
    def active(self) -> bool:
        """True while a training worker is alive."""
        return self.worker is not None and not self.worker.is_finished

    def start(self, recipe: Recipe, params: dict[str, float], epochs: int, batch_size: int, data_ready,
              resume: Session | None = None) -> None:
        """Start training `recipe` in a thread worker; `data_ready()` blocks until the dataset is loaded.
        With `resume`, that session goes on from its last completed epoch instead."""
        if self.active:
            raise AetuiError(f"a run of {self.recipe.name} is in progress: stop it first")
        self.recipe = recipe
        self.settings = {"epochs": epochs, "batch_size": batch_size}
        previous = self.state
        self.state = RunState(recipe=recipe.name, epochs_total=epochs, params=dict(params), status="starting")
        if resume is not None:  # the curves so far, up to the last completed epoch, and its pictures
            self.state = RunState.resumed_from(resume)
            self.state.recipe, self.state.epochs_total = recipe.name, epochs
            if previous is not None and previous.session == resume.name:  # its batches stay on the chart
                self.state.batches = [b for b in previous.batches if b[0] <= resume.epochs_done]
        self.controls = Controls(recipe.tunables)
        self.finished.clear()
        work = partial(self._work, recipe, params, epochs, batch_size, data_ready, self.controls,
                       None if resume is None else resume.path)
        self.worker = self.app.run_worker(work, thread=True, group="training", exclusive=True,
                                          exit_on_error=False, name="training")

    def _work(self, recipe, params, epochs, batch_size, data_ready, controls, resume: Path | None) -> None:
        from textual.worker import get_current_worker

        controls.also_stop_on(get_current_worker().cancelled_event)  # the app exiting stops the run
        try:
            if resume is None:
                self.trainer(recipe, data_ready(), self.store, params=params, epochs=epochs, batch_size=batch_size,
                             on_event=self.inbox.put, controls=controls)
            else:
                from aetui.core import training
                from aetui.core.sessions import open_session

                data = training.resumed_data(open_session(resume))  # the data it was trained on
                training.resume(resume, data, params=params, epochs=epochs, on_event=self.inbox.put,
                                controls=controls)
        except AetuiError as err:
            self.inbox.put(events.TrainingFinished("failed", str(err), 0, 0))
        except Exception as err:  # the session records it as failed; the UI shows the reason
            self.inbox.put(events.TrainingFinished("failed", f"{type(err).__name__}: {err}", 0, 0))
        finally:
            self.finished.set()

    def drain(self) -> list:
        """Fold every queued event into the state; returns the events taken."""
        taken = []
        while True:
            try:
                event = self.inbox.get_nowait()
            except queue.Empty:
                return taken
            if self.state is not None:
                self.state.apply(event)
            taken.append(event)

    def set(self, name: str, value: float) -> None:
        """Change a live hyperparameter of the run in progress."""
        if self.controls is not None and self.active:
            self.controls.set(name, value)

    def toggle_pause(self) -> None:
        """Pause a running run, or resume a paused one."""
        if self.controls is None or not self.active:
            return
        if self.controls.paused:
            self.controls.resume()
        else:
            self.controls.pause()

    def stop(self) -> None:
        """Ask the run to stop after the current batch (completed epochs stay saved)."""
        if self.controls is not None:
            self.controls.stop()

    def hang_up(self, how: str = "SIGHUP") -> None:
        """The terminal went away: finish and save the epoch in progress, then stop (`interrupted`)."""
        if self.controls is not None and self.active:
            self.controls.interrupt(f"the connection dropped ({how})", finish_epoch=True)

    async def wait(self) -> None:
        """Wait until the worker has finished."""
        if self.worker is not None and not self.worker.is_finished:
            await self.worker.wait()


def data_loader(load: Callable) -> tuple[Callable, Callable]:
    """A background loader: returns (start, ready); `ready()` blocks until loaded and returns the data."""
    done = threading.Event()
    box: dict = {}

    def start() -> None:
        try:
            box["data"] = load()
        except AetuiError as err:
            box["error"] = err
        finally:
            done.set()

    def ready():
        done.wait()
        if "error" in box:
            raise box["error"]
        return box["data"]

    return start, ready
