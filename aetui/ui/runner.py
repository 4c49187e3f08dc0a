"""The live run behind the UI: owns the training worker, its controls and its state.

The run is the workbench's own (a training worker in this process) or one it is attached to (a
run another process trains: a follower worker reads its events from the session folder, and its
controls are commands sent through the session's control channel). Either way each event is
posted to the app as a message (`messages.RunEvent`; a batch's progress as `RunProgress`, which
a backlog collapses to the newest) from the thread that has it: the app folds it into the
`RunState` and the screen showing the run redraws what it changes. Nothing polls on a clock.
"""

from __future__ import annotations

import threading
import time
from functools import partial
from pathlib import Path
from typing import Callable

from textual.worker import Worker

from aetui.core import events
from aetui.core.control.remote import Answered, RemoteControls
from aetui.core.errors import AetuiError
from aetui.core.recipe import Recipe
from aetui.core.runstate import RunState
from aetui.core.store.sessions import Session
from aetui.core.training.controls import Controls


class Runner:
    """One training run at a time, started and stopped from the UI."""

    def __init__(self, app, trainer: Callable, store: Path):
        self.finished = threading.Event()
        """Set while no run is in progress (cleared from start until the worker's last event)."""
        self.finished.set()
        self.app = app
        self.trainer = trainer
        self.store = store
        self.run = 0
        """Which run this is (one more at each start or attach): the messages of a run name it."""
        self.state: RunState | None = None
        """The run as the screens show it, folded from its messages on the UI thread (`fold`)."""
        self.session: str = ""
        self.outcome: events.TrainingFinished | None = None
        """The session of the run and how it ended, as its thread reported them (for `hand_over`,
        which runs once the app has ended and its messages are no longer taken)."""
        self.recipe: Recipe | None = None
        self.controls: Controls | None = None
        self.worker: Worker | None = None
        self.settings: dict[str, int] = {}
        """Epochs and batch size of the current run."""
        self.attached: Path | None = None
        """The session of the run another process trains, while attached to it."""
        self.handover = False
        """The run goes on in a background process once this one ends (quit: keep it running, or
        a hangup)."""
        self.prepare: Callable | None = None
        """Called with each `SnapshotTaken` in the thread that has it, before the app hears of it: the
        screen showing the run makes its pictures there (between epochs, not beside the training)."""

    @property
    def active(self) -> bool:
        """True while a training worker is alive (or, attached, the run followed and not left)."""
        if self.worker is None or self.worker.is_finished:
            return False
        return self.attached is None or not self.worker.is_cancelled

    def sessions_here(self) -> set[str] | None:
        """The sessions not to tell of as running elsewhere: this workbench's run and the one it
        attached to last (just left, going on); None while its own run starts, its session made but
        not yet named (any running session may be it)."""
        here = {self.session} if self.attached is not None and self.session else set()
        if self.active:
            name = (self.state.session if self.state is not None else "") or self.session
            if not name:
                return None
            here.add(name)
        return here

    def start(self, recipe: Recipe, params: dict[str, float], epochs: int, batch_size: int, data_ready,
              resume: Session | None = None) -> None:
        """Start training `recipe` in a thread worker; `data_ready()` blocks until the dataset is loaded.
        With `resume`, that session goes on from its last completed epoch instead."""
        if self.active:
            raise AetuiError(f"a run of {self.recipe.name} is in progress: stop it first")
        self.attached = None
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
        publish = self._new_run()
        work = partial(self._work, recipe, params, epochs, batch_size, data_ready, self.controls,
                       None if resume is None else resume.path, publish)
        self.worker = self.app.run_worker(work, thread=True, group="training", exclusive=True,
                                          exit_on_error=False, name="training")

    def _new_run(self) -> Callable:
        """Begin a new run; returns the function its threads report its events with."""
        from aetui.ui.messages import RunEvent, RunProgress

        self.run += 1
        self.session, self.outcome = "", None
        self.finished.clear()
        run, post = self.run, self.app.post_message

        def publish(event) -> None:  # (any thread: posting a message is thread-safe)
            if isinstance(event, (events.TrainingStarted, events.TrainingResumed)):
                self.session = event.session
            elif isinstance(event, events.TrainingFinished):
                self.outcome = event
            elif isinstance(event, events.SnapshotTaken) and self.prepare is not None:
                try:
                    self.prepare(event)
                except Exception:  # (a picture not made ahead is made by the UI thread as it shows it)
                    pass
            post((RunProgress if isinstance(event, events.BatchEnded) else RunEvent)(event, run))

        return publish

    def fold(self, message) -> bool:
        """Fold the events a `RunEvent` carries into the state (on the UI thread); False where it
        is of an earlier run, or no event of the state (a command's answer)."""
        if message.run != self.run or self.state is None or isinstance(message.event, Answered):
            return False
        for event in message.events:
            self.state.apply(event)
        return True

    def _work(self, recipe, params, epochs, batch_size, data_ready, controls, resume: Path | None,
              publish: Callable) -> None:
        from textual.worker import get_current_worker

        controls.also_stop_on(get_current_worker().cancelled_event)  # the app exiting stops the run
        try:
            if resume is None:
                self.trainer(recipe, data_ready(), self.store, params=params, epochs=epochs, batch_size=batch_size,
                             on_event=publish, controls=controls)
            else:
                from aetui.core.store.sessions import open_session
                from aetui.core.training import trainer as training

                data = training.resumed_data(open_session(resume))  # the data it was trained on
                training.resume(resume, data, params=params, epochs=epochs, on_event=publish, controls=controls)
        except AetuiError as err:
            publish(events.TrainingFinished("failed", str(err), 0, 0))
        except Exception as err:  # the session records it as failed; the UI shows the reason
            publish(events.TrainingFinished("failed", f"{type(err).__name__}: {err}", 0, 0))
        finally:
            self.finished.set()

    def attach(self, session: Session) -> None:
        """Follow the run another process trains in `session`, live; the controls act on it through
        its control channel. Detaching (or the run ending) leaves it as it is."""
        from aetui.core.control.follow import Follower

        if self.active:
            raise AetuiError(f"a run of {self.recipe.name} is in progress here: stop it first")
        follower = Follower(session.path)
        state = RunState.from_events(follower.poll())
        state.session = state.session or session.name
        state.recipe, state.epochs_total = session.meta.recipe_name, session.meta.epochs
        self.recipe, self.state, self.attached = session.recipe(), state, session.path
        self.settings = {"epochs": session.meta.epochs, "batch_size": session.meta.batch_size or 1}
        publish = self._new_run()
        self.session = session.name
        self.controls = RemoteControls(session.path, self.recipe.tunables, publish,
                                       lambda: self.state is not None and self.state.status == "paused")
        self.worker = self.app.run_worker(partial(self._follow, follower, self.controls, publish), thread=True,
                                          group="training", exclusive=True, exit_on_error=False, name="following")

    def _follow(self, follower, controls: RemoteControls, publish: Callable) -> None:
        from textual.worker import get_current_worker

        worker = get_current_worker()
        try:
            while not worker.is_cancelled:
                for event in follower.poll():
                    publish(event)
                if follower.ended:
                    return
                time.sleep(FOLLOW_EVERY)
        finally:
            controls.close()
            self.finished.set()

    def detach(self) -> None:
        """Stop following the attached run (it goes on)."""
        if self.attached is not None and self.worker is not None:
            self.worker.cancel()

    @property
    def origin(self) -> str:
        """The origin the changes this workbench makes are recorded with (`HParamChanged.origin`)."""
        return events.WORKBENCH if self.attached is None else self.controls.origin

    def set(self, name: str, value: float) -> None:
        """Change a live hyperparameter of the run in progress."""
        if self.controls is not None and self.active:
            if self.attached is None:
                self.controls.set(name, value, origin=events.WORKBENCH)
            else:  # (the trainer records the sender: `origin`)
                self.controls.set(name, value)

    def toggle_pause(self) -> None:
        """Pause a running run, or resume a paused one."""
        if self.controls is None or not self.active:
            return
        if self.controls.paused:
            self.controls.resume()
        else:
            self.controls.pause()

    def keep_in_background(self) -> bool:
        """This process is ending (quit, or the terminal went away): its own run saves the epoch in
        progress and a background process goes on with it (`aetui resume`). False where there is
        no run of its own to keep."""
        if self.controls is None or not self.active or self.attached is not None:
            return False
        self.handover = True
        self.controls.interrupt("handed over to a background process", finish_epoch=True)
        return True

    def hand_over(self) -> str | None:
        """Once the run has ended (`finished` set): go on with it in a background process, where it
        was interrupted to be handed over. Returns what to tell the user, if anything."""
        if not self.handover or self.outcome is None or self.outcome.status != "interrupted" or not self.session:
            return None
        from aetui.core.control.background import start_resume

        return start_resume(self.store / self.session, self.store)

    def stop(self) -> None:
        """Ask the run to stop after the current batch (completed epochs stay saved)."""
        if self.controls is not None:
            self.controls.stop()

    def hang_up(self, how: str = "SIGHUP", keep: bool = True) -> None:
        """The terminal went away: finish and save the epoch in progress, then stop (`interrupted`);
        with `keep`, a background process goes on with it."""
        if self.controls is not None and self.active and self.attached is None:
            self.handover = keep
            self.controls.interrupt(f"the connection dropped ({how})" + ("; handed over to a background process"
                                                                         if keep else ""), finish_epoch=True)

    async def wait(self) -> None:
        """Wait until the worker has finished."""
        if self.worker is not None and not self.worker.is_finished:
            await self.worker.wait()


FOLLOW_EVERY = 0.1
"""Seconds between looks at an attached run's folder."""


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
