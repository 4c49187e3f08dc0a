"""The app's life around its screens: warming up after the first frame, quitting (asking first
during a run), and ending cleanly when the terminal goes away (SIGHUP, a terminal that is no
terminal any more) or on SIGTERM.

Mixins of `AetuiApp`, kept apart so the app itself is its screens and messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import signal
import sys

from rich.markup import escape
from textual.message import Message

from aetui.core.errors import AetuiError
from aetui.views.terminal import detach


class Hangup:
    """A dropped connection finishes the epoch in progress, saves it and ends the app; the run goes
    on in a background process (`--on-hangup stop`: it stays `interrupted`, resumable). SIGTERM
    stops the run after its batch."""

    def watch_terminal(self) -> None:
        """Take SIGHUP and SIGTERM, and look once a second whether the terminal is still one: where
        another process leads the terminal's session (`make run`), no SIGHUP reaches aetui."""
        self._hung_up = False
        self._terminal = [fd for fd in (0, 1, sys.__stderr__.fileno()) if os.isatty(fd)]
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop = asyncio.get_running_loop()
            loop.add_signal_handler(signal.SIGHUP, self.hang_up)
            loop.add_signal_handler(signal.SIGTERM, self.terminated)
        if self._terminal:
            self.set_interval(1.0, self._check_terminal)

    def hang_up(self, reason: str = "SIGHUP") -> None:
        """Nobody is watching any more: the run finishes and saves its epoch, then the app ends (and
        the process hands the run over to a background one: `cli`)."""
        if self._hung_up:
            return
        self._hung_up = True
        detach(self._terminal)
        self.workbench.runner.hang_up(reason, keep=self.on_hangup == "keep")
        self.exit()

    def _check_terminal(self) -> None:
        """The terminal went away without a SIGHUP reaching this process: the same as one. (Textual's
        input thread would otherwise spin on the dead terminal's end of file.)"""
        if not all(os.isatty(fd) for fd in self._terminal):
            self.hang_up("the terminal went away")

    def terminated(self) -> None:
        """SIGTERM: the run in progress stops after its batch (`interrupted`, resumable); the app ends."""
        runner = self.workbench.runner
        if runner.controls is not None and runner.active:
            runner.controls.interrupt("terminated (SIGTERM)")
        self.exit()


class Warmed(Message):
    """A warm-up worker is done: the data line, the device line, a note for the user. Posted (which
    never blocks) rather than called on the app's thread: a worker that outlives the app must not
    wait for it."""

    def __init__(self, data: str | None = None, device: str | None = None, note: str = ""):
        super().__init__()
        self.data, self.device, self.note = data, device, note


class WarmUp:
    """After the first frame: the data loads and TensorFlow starts, each in a thread worker."""

    def warm_up_later(self, backend: bool, gpu: int | None, quiet: bool) -> None:
        """Start the background work once the first frame is on screen (imports hold the GIL);
        `quiet`: no notice about falling back to the embedded digits (only looking at sessions)."""
        self.call_after_refresh(lambda: self._start_workers(backend, gpu, quiet))

    def _start_workers(self, backend: bool, gpu: int | None, quiet: bool) -> None:
        self.run_worker(lambda: self._load_data(quiet), thread=True, group="warm-up")
        if backend:
            self.run_worker(lambda: self._start_backend(gpu), thread=True, group="warm-up")

    def _load_data(self, quiet: bool) -> None:
        import aetui.ui.screens.replay  # noqa: F401  (so opening a screen later costs no import)
        import aetui.ui.screens.train  # noqa: F401

        self.start_loading()
        note = ""
        try:
            d = self.workbench.data_ready()
            text = f"{escape(d.name)} ({len(d.x_train):,} train / {len(d.x_test):,} test, " \
                   f"{d.image_shape[0]}x{d.image_shape[1]})" + (" [yellow]offline fallback[/]" if d.note else "")
            note = d.note if not quiet else ""  # say once why, and how to get real MNIST
        except AetuiError as err:
            text = f"[red]{escape(str(err))}[/]"
        self.post_message(Warmed(data=text, note=note))

    def _start_backend(self, gpu: int | None) -> None:
        from aetui.core import backend

        try:
            device = backend.configure(gpu=gpu)
        except AetuiError as err:  # (a GPU that is not there)
            self.post_message(Warmed(device=str(err)))
            return
        gc.collect()
        gc.freeze()  # TensorFlow's ~300k objects would otherwise make every full collection pause the UI
        self.post_message(Warmed(device=device.name))

    def on_warmed(self, message: Warmed) -> None:
        self.set_info(data=message.data, device=message.device)
        if message.note:
            self.notify(message.note, severity="warning", timeout=12, markup=False)


class Quitting:
    """Quitting asks first while a run of this workbench is in progress."""

    async def action_quit(self) -> None:
        """Textual's quit (the command palette's Quit) asks too while a run is in progress."""
        await self.action_quit_app()

    async def action_quit_app(self) -> None:
        """Quit; if a run of this workbench is in progress, ask first: stop it, keep it running in
        the background, or cancel. A run it is only attached to goes on."""
        if not self.runner.active or self.runner.attached is not None:
            self.runner.detach()
            self.exit()
            return
        from aetui.ui.screens.dialogs import ChoiceDialog

        async def answer(choice: str | None) -> None:
            if choice in ("stop", "keep") and not self.runner.active:
                self.exit()  # (the run ended while the question was shown)
            elif choice == "stop":
                self.notify("Stopping the run; completed epochs are saved…")
                self.runner.stop()
                await self.runner.wait()
                self.runner.drain()
                self.exit()
            elif choice == "keep" and self.runner.keep_in_background():
                self.notify("Saving the epoch in progress, then the run goes on in the background…")
                self.exit()  # (the process hands the run over once its epoch is saved: cli)

        self.push_screen(ChoiceDialog(f"A run of {self.runner.recipe.name} is in progress.", [
            ("stop", "Stop it; completed epochs stay saved (s)", "s"),
            ("keep", "Keep it running in the background (k)", "k"), ("cancel", "Cancel (Esc)", "escape")]), answer)
