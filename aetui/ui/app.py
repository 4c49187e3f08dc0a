"""The aetui Textual app: screens, the background warm-up, and the one training run it owns."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import signal
import sys
from pathlib import Path
from typing import Callable, Iterable

from rich.markup import escape
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from aetui.core import paths
from aetui.core import recipe as recipes
from aetui.core import sessions
from aetui.core.errors import AetuiError
from aetui.core.events import EpochEnded, TrainingFinished, TrainingStarted
from aetui.terminal import Graphics
from aetui.ui.runner import Runner, data_loader
from aetui.ui.screens.home import HomeScreen


class AetuiApp(App):
    """Trains autoencoders with live charts; lists and opens saved sessions."""

    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute, so subclasses elsewhere find it too
    TITLE = "aetui"
    BINDINGS = [Binding("ctrl+q", "quit_app", "quit", show=False)]

    def __init__(self, store: Path, load_data: Callable, trainer: Callable | None = None,
                 ascii: bool = False, warm_up: bool = True, gpu: int | None = None,
                 opening: list[Path] | None = None, sweep: str | None = None, graphics: Graphics | None = None):
        super().__init__()
        self.graphics = graphics or Graphics("ascii" if ascii else "halfblock", "--ascii" if ascii else "default")
        """How images are drawn (chosen before the app starts: `terminal.choose_graphics`)."""
        self.chart_scales: dict[str, bool | None] = {}
        """The log-axis choice (`l`) per kind of screen, kept while the app runs (None: automatic)."""
        self.opening = opening or []
        """Sessions to open at start: one opens its replay, several the comparison."""
        self.opening_sweep = sweep
        """A sweep to open in the comparison at start."""
        self.gpu = gpu
        self.store = store
        self.ascii = self.graphics.mode == "ascii"
        self.warm_up = warm_up
        if trainer is None:
            from aetui.core.training import train as trainer
        self.runner = Runner(self, trainer, store)
        self._load_start, self.data_ready = data_loader(load_data)
        self.data_text = "loading…"
        self.device_text = "starting TensorFlow…" if warm_up else "not started"
        self._terminal: list[int] = []
        """The file descriptors on the user's terminal (watched: it can go away)."""
        self._hung_up = False

    def on_mount(self) -> None:
        if not self.is_headless:  # the terminal going away (SSH dropped): finish the epoch, save, end
            self._terminal = [fd for fd in (0, 1, sys.__stderr__.fileno()) if os.isatty(fd)]
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop = asyncio.get_running_loop()
                loop.add_signal_handler(signal.SIGHUP, self._hang_up)
                loop.add_signal_handler(signal.SIGTERM, self._terminated)
            if self._terminal:  # no SIGHUP comes where another process leads the session (`make run`)
                self.set_interval(1.0, self._watch_terminal)
        self.push_screen(HomeScreen())
        if self.opening_sweep:
            self.compare_sweep(self.opening_sweep)
        elif len(self.opening) == 1:
            self.open_session(str(self.opening[0]))
        elif self.opening:
            self.compare([str(p) for p in self.opening])
        self.set_interval(0.1, self._drain)
        self.call_after_refresh(self._after_first_frame)

    def _hang_up(self, reason: str = "SIGHUP") -> None:
        """SIGHUP: nobody is watching any more. The run in progress finishes and saves its epoch
        (status `interrupted`, resumable); the process ends once it has."""
        from aetui.terminal import detach

        if self._hung_up:
            return
        self._hung_up = True
        detach(self._terminal)
        self.runner.hang_up(reason)
        self.exit()

    def _watch_terminal(self) -> None:
        """The terminal hung up without a SIGHUP reaching this process (it goes to the session's
        leader, e.g. `make`, which waits for us): the same as one. (Textual's input thread would
        otherwise spin on the dead terminal's end of file.)"""
        if not all(os.isatty(fd) for fd in self._terminal):
            self._hang_up("the terminal went away")

    def _terminated(self) -> None:
        """SIGTERM: the run in progress stops after its batch (`interrupted`, resumable); the app ends."""
        if self.runner.controls is not None and self.runner.active:
            self.runner.controls.interrupt("terminated (SIGTERM)")
        self.exit()

    def _after_first_frame(self) -> None:
        """Background work starts once the first frame is on screen (imports hold the GIL)."""
        self.run_worker(self._load_data, thread=True, group="warm-up")
        if self.warm_up:
            self.run_worker(self._start_backend, thread=True, group="warm-up")

    def _load_data(self) -> None:
        import aetui.ui.screens.replay  # noqa: F401  (so opening a screen later costs no import)
        import aetui.ui.screens.train  # noqa: F401

        self._load_start()
        try:
            d = self.data_ready()
            text = f"{d.name} ({len(d.x_train):,} train / {len(d.x_test):,} test, " \
                   f"{d.image_shape[0]}x{d.image_shape[1]})" + (" [yellow]offline fallback[/]" if d.note else "")
            if d.note and not self.opening:  # say once why, and how to get real MNIST (not when only looking)
                self.call_from_thread(self.notify, d.note, severity="warning", timeout=12)
        except AetuiError as err:
            text = f"[red]{err}[/]"
        self.call_from_thread(self._set_info, data=text)

    def _start_backend(self) -> None:
        from aetui.core import backend

        device = backend.configure(gpu=self.gpu)
        gc.collect()
        gc.freeze()  # TensorFlow's ~300k objects would otherwise make every full collection pause the UI
        self.call_from_thread(self._set_info, device=device.name)

    def _set_info(self, data: str | None = None, device: str | None = None) -> None:
        self.data_text = data or self.data_text
        self.device_text = device or self.device_text
        for screen in self.screen_stack:
            if isinstance(screen, HomeScreen):
                screen.show_info()

    def info_line(self) -> str:
        """The home screen's first line: data, device, store, and the run in progress."""
        run = ""
        if self.runner.active and self.runner.state:
            run = f" · [b]training {self.runner.recipe.name}[/b] (t)"
        return f"Data: {self.data_text} · Device: {self.device_text} · Sessions: {escape(str(self.store))}{run}" \
               f" · Images: {escape(self.graphics.describe())}"

    def _drain(self) -> None:
        for event in self.runner.drain():
            if isinstance(event, (TrainingStarted, TrainingFinished)) or (
                    isinstance(event, EpochEnded) and isinstance(self.screen, HomeScreen)):
                self._refresh_home()
            if isinstance(event, TrainingFinished):
                severity = "information" if event.status in ("finished", "stopped") else "error"
                self.notify(f"{self.runner.recipe.name}: {event.status}: {event.reason}", severity=severity,
                            timeout=8)

    def _refresh_home(self) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, HomeScreen):
                screen.reload_sessions()
                screen.show_info()
                screen.refresh_bindings()

    def open_recipe(self, path: str) -> None:
        """Open the training screen for a recipe file, or the run in progress if it is that recipe."""
        from aetui.ui.screens.train import TrainScreen

        recipe = self._read(recipes.load_file, path)
        if recipe is None:
            return
        if self.runner.active and self.runner.recipe.source == recipe.source:
            self.action_show_run()
            return
        self.push_screen(TrainScreen(recipe))

    def open_session(self, path: str) -> None:
        """Open a saved session in the replay screen."""
        from aetui.ui.screens.replay import ReplayScreen

        session = self._read(sessions.open_session, path)
        if session is not None:
            self.push_screen(ReplayScreen(session))

    def read_session(self, path) -> sessions.Session | None:
        """The session at `path`, or None after saying why it cannot be read."""
        return self._read(sessions.open_session, str(path))

    def resume_session(self, path: str) -> None:
        """Open the training screen set to go on with a stopped session."""
        from aetui.ui.screens.train import TrainScreen

        session = self.read_session(path)
        if session is None:
            return
        if session.status == "running":
            self.notify(f"{session.name} is still running.", severity="warning")
            return
        screen = self._read(lambda _: TrainScreen(session.recipe(), resume=session), path)
        if screen is not None:
            self.push_screen(screen)

    def compare(self, paths_: list[str]) -> None:
        """Open two or more saved sessions side by side."""
        from aetui.ui.screens.compare import CompareScreen

        opened = [self._read(sessions.open_session, p) for p in paths_]
        if None not in opened:
            self.push_screen(CompareScreen(opened))

    def compare_sweep(self, name: str) -> None:
        """Open every trial of a sweep that has a session so far, side by side."""
        from aetui.core import sweep, sweep_views
        from aetui.ui.screens.compare import CompareScreen

        found = self._read(lambda _: sweep.find(self.store, name), name)
        if found is None:
            return
        trials = sweep_views.trial_sessions(self.store, found)
        if not trials:
            self.notify(f"No trial of {name} has started yet.", severity="warning")
            return
        self.push_screen(CompareScreen(trials, sweep=found))

    def _read(self, read: Callable, path: str):
        """`read(Path(path))`, or None after telling the user in one line why it failed."""
        try:
            return read(Path(path))
        except AetuiError as err:
            self.notify(str(err), severity="error")
            return None

    def action_show_run(self) -> None:
        """Go to the training screen of the run in progress."""
        from aetui.ui.screens.train import TrainScreen

        for screen in self.screen_stack:
            if isinstance(screen, TrainScreen) and screen.recipe is self.runner.recipe:
                while self.screen is not screen:
                    self.pop_screen()
                return
        if self.runner.recipe is not None and self.runner.active:
            self.push_screen(TrainScreen(self.runner.recipe))
        else:
            self.notify("No run in progress.")

    def save_recipe(self, recipe, name: str, params: dict, settings: dict) -> Path:
        """Write the recipe with new defaults as a user recipe; returns its path."""
        data = recipe.to_dict()
        data["params"] = dict(params)
        data["train"].update(settings)
        data["name"] = paths.safe_name(name)
        data["description"] = f"{recipe.description} (tuned: " + \
            ", ".join(f"{k}={v:g}" for k, v in params.items()) + ")"
        return recipes.save_user_recipe(data, paths.user_recipes())

    async def action_quit(self) -> None:
        """Textual's quit (the command palette's Quit) asks too while a run is in progress."""
        await self.action_quit_app()

    async def action_quit_app(self) -> None:
        """Quit; if a run is in progress, ask first, then stop it cleanly."""
        if not self.runner.active:
            self.exit()
            return
        from aetui.ui.screens.dialogs import ConfirmDialog

        async def answer(stop: bool | None) -> None:
            if stop:
                self.notify("Stopping the run; completed epochs are saved…")
                self.runner.stop()
                await self.runner.wait()
                self.runner.drain()
                self.exit()

        self.push_screen(ConfirmDialog(f"A run of {self.runner.recipe.name} is in progress. "
                                       "Stop it (completed epochs stay saved) and quit?"), answer)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Command palette entries: every key of the current screen, as `area: action`."""
        yield from super().get_system_commands(screen)
        area = type(screen).__name__.replace("Screen", "").lower()
        for binding in screen.BINDINGS:
            if isinstance(binding, Binding) and binding.show and binding.description:
                action = binding.action
                key = binding.key.split(",")[0].replace("question_mark", "?").replace("ctrl+", "Ctrl+")
                yield SystemCommand(f"{area}: {binding.description}", f"key {key}",
                                    lambda a=action, s=screen: self.call_later(s.run_action, a))
