"""The app's life around its screens, as three objects the app holds: `WarmUp` (after the first
frame, the data loads and TensorFlow starts), `Quitting` (asks first during a run) and
`TerminalWatch` (a terminal that goes away, SIGHUP or SIGTERM ends the app cleanly). Each works
through the few calls of the app it is given, so each is tested on its own."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import signal
import sys
from typing import Callable

from rich.markup import escape
from textual.message import Message

from aetui.core.errors import AetuiError
from aetui.views.terminal import detach


class Warmed(Message):
    """A warm-up worker is done: the data line, the device line, a note for the user. Posted (which
    never blocks) rather than called on the app's thread: a worker that outlives the app must not
    wait for it."""

    def __init__(self, data: str | None = None, device: str | None = None, note: str = "", fallback: str = ""):
        super().__init__()
        self.data, self.device, self.note, self.fallback = data, device, note, fallback
        """`fallback`: why the data is not what was asked for (home's header says it on its own line)."""


class WarmUp:
    """After the first frame: the data loads and TensorFlow starts, each in a thread worker of the
    app, and each posts what it found to the app (`Warmed`)."""

    def __init__(self, app, data_ready: Callable, start_loading: Callable, backend: bool = True,
                 gpu: int | None = None):
        self.app = app
        self.data_ready = data_ready
        """Blocks until the data is loaded, and returns it (or raises why it could not be)."""
        self.start_loading = start_loading
        self.backend, self.gpu = backend, gpu

    def later(self, quiet: bool) -> None:
        """Start the background work once the first frame is on screen (imports hold the GIL);
        `quiet`: no notice about falling back to the embedded digits (only looking at sessions)."""
        self.app.call_after_refresh(lambda: self._start_workers(quiet))

    def _start_workers(self, quiet: bool) -> None:
        self.app.run_worker(lambda: self.load_data(quiet), thread=True, group="warm-up")
        if self.backend:
            self.app.run_worker(self.start_backend, thread=True, group="warm-up")

    def load_data(self, quiet: bool) -> None:
        """Load the data (and the screens' modules, so opening one later costs no import)."""
        import aetui.ui.screens.replay  # noqa: F401
        import aetui.ui.screens.train  # noqa: F401

        self.start_loading()
        note = fallback = ""
        try:
            d = self.data_ready()
            text = f"{escape(d.name)} ({len(d.x_train):,} train / {len(d.x_test):,} test, " \
                   f"{d.image_shape[0]}x{d.image_shape[1]})" + (" [yellow]offline fallback[/]" if d.note else "")
            note = d.note if not quiet else ""  # say once why, and how to get real MNIST
            fallback = d.note
        except AetuiError as err:
            text = f"[red]{escape(str(err))}[/]"
        self.app.post_message(Warmed(data=text, note=note, fallback=fallback))

    def start_backend(self) -> None:
        """Start TensorFlow on the chosen device."""
        from aetui.core import backend

        try:
            device = backend.configure(gpu=self.gpu)
        except AetuiError as err:  # (a GPU that is not there)
            self.app.post_message(Warmed(device=str(err)))
            return
        gc.collect()
        gc.freeze()  # TensorFlow's ~300k objects would otherwise make every full collection pause the UI
        self.app.post_message(Warmed(device=device.name))


class Quitting:
    """Quitting asks first while a run of this workbench is in progress: stop it, keep it running
    in the background, or cancel. A run it is only attached to goes on."""

    def __init__(self, app, runner):
        self.app, self.runner = app, runner
        self.dialog = None
        """The question while it is shown."""

    def run_ended(self) -> None:
        """The run ended while the question was shown: it is moot, so it goes, saying so."""
        if self.dialog is not None and self.dialog in self.app.screen_stack:
            self.dialog.dismiss(None)
            self.app.notify("The run ended while quitting was asked: q quits now.", markup=False)
        self.dialog = None

    async def ask(self) -> None:
        """Quit, or ask first (and do what is answered)."""
        runner = self.runner
        if not runner.active or runner.attached is not None:
            runner.detach()
            self.app.exit()
            return
        from aetui.ui.screens.dialogs import ChoiceDialog

        self.dialog = ChoiceDialog(f"A run of {runner.recipe.name} is in progress.", [
            ("stop", "Stop it; completed epochs stay saved (s)", "s"),
            ("keep", "Keep it running in the background (k)", "k"), ("cancel", "Cancel (Esc)", "escape")])
        self.app.push_screen(self.dialog, self.answered)

    async def answered(self, choice: str | None) -> None:
        """Do what the question was answered."""
        runner, app, self.dialog = self.runner, self.app, None
        if choice in ("stop", "keep") and not runner.active:
            app.exit()  # (the run ended while the question was shown)
        elif choice == "stop":
            app.notify("Stopping the run; completed epochs are saved…")
            runner.stop()
            await runner.wait()
            app.exit()
        elif choice == "keep" and runner.keep_in_background():
            app.notify("Saving the epoch in progress, then the run goes on in the background…")
            app.exit()  # (the process hands the run over once its epoch is saved: cli)


class TerminalWatch:
    """A dropped connection finishes the epoch in progress, saves it and ends the app; the run goes
    on in a background process (with `keep` false, `--on-hangup stop`: it stays `interrupted`,
    resumable). SIGTERM stops the run after its batch and ends the app."""

    def __init__(self, app, runner, keep: bool = True):
        self.app, self.runner, self.keep = app, runner, keep
        self.hung_up = False
        self.terminal: list[int] = []
        """The file descriptors that were a terminal when the watch began."""

    def start(self) -> None:
        """Take SIGHUP and SIGTERM, and look once a second whether the terminal is still one: where
        another process leads the terminal's session (`make run`), no SIGHUP reaches aetui."""
        self.terminal = [fd for fd in (0, 1, sys.__stderr__.fileno()) if os.isatty(fd)]
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop = asyncio.get_running_loop()
            loop.add_signal_handler(signal.SIGHUP, self.hang_up)
            loop.add_signal_handler(signal.SIGTERM, self.terminated)
        if self.terminal:
            self.app.set_interval(1.0, self.check)

    def hang_up(self, reason: str = "SIGHUP") -> None:
        """Nobody is watching any more: the run finishes and saves its epoch, then the app ends (and
        the process hands the run over to a background one: `running`)."""
        if self.hung_up:
            return
        self.hung_up = True
        detach(self.terminal)
        self.runner.hang_up(reason, keep=self.keep)
        self.app.exit()

    def check(self) -> None:
        """The terminal went away without a SIGHUP reaching this process: the same as one. (Textual's
        input thread would otherwise spin on the dead terminal's end of file.)"""
        if not all(os.isatty(fd) for fd in self.terminal):
            self.hang_up("the terminal went away")

    def terminated(self) -> None:
        """SIGTERM: the run in progress stops after its batch (`interrupted`, resumable); the app ends."""
        if self.runner.controls is not None and self.runner.active:
            self.runner.controls.interrupt("terminated (SIGTERM)")
        self.app.exit()
