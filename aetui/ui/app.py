"""The aetui Textual app: it opens the screens the others ask for (`messages`), owns the one training
run (`Runner`), and lives as long as its terminal, or until quitting is answered (the objects of
`lifecycle`: its warm-up, its quitting, its watch on the terminal)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from aetui.core import recipe as recipes
from aetui.core.events import EpochEnded, TrainingFinished, TrainingStarted
from aetui.core.store import sessions
from aetui.ui import messages
from aetui.ui.keys import typed_after_escape
from aetui.ui.lifecycle import Quitting, TerminalWatch, Warmed, WarmUp
from aetui.ui.runner import Runner, data_loader
from aetui.ui.screens.base import WorkbenchScreen, attempt
from aetui.ui.screens.home import HomeScreen
from aetui.ui.workbench import Workbench
from aetui.views.terminal import Graphics


def _train(*args, **kwargs):
    """`trainer.train`, imported when a run starts: the first frame paints without numpy."""
    from aetui.core.training.trainer import train

    return train(*args, **kwargs)


class AetuiApp(App):
    """Trains autoencoders with live charts; lists and opens saved sessions."""

    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute, so subclasses elsewhere find it too
    TITLE = "aetui"
    BINDINGS = [Binding("ctrl+q", "quit_app", "quit", show=False)]

    def __init__(self, store: Path, load_data: Callable, trainer: Callable | None = None, warm_up: bool = True,
                 gpu: int | None = None, opening: list[Path] | None = None, sweep: str | None = None,
                 graphics: Graphics | None = None, on_hangup: str = "keep"):
        super().__init__()
        trainer = trainer or _train
        start_loading, data_ready = data_loader(load_data)
        self.workbench = Workbench(store, graphics or Graphics("halfblock", "default"), Runner(self, trainer, store),
                                   data_ready, device_text="starting TensorFlow…" if warm_up else "not started")
        self.opening, self.opening_sweep = opening or [], sweep
        """Sessions to open at start (one: its replay, several: side by side), or a sweep."""
        self.warming = WarmUp(self, data_ready, start_loading, backend=warm_up, gpu=gpu)
        self.quitting = Quitting(self, self.runner)
        self.terminal_watch = TerminalWatch(self, self.runner, keep=on_hangup == "keep")
        """`--on-hangup keep`: a run of its own goes on in the background when the terminal goes away."""

    @property
    def runner(self) -> Runner:
        """The one training run."""
        return self.workbench.runner

    def on_mount(self) -> None:
        if not self.is_headless:  # the terminal going away (SSH dropped): finish the epoch, save, end
            self.terminal_watch.start()
        self.push_screen(HomeScreen(self.workbench))
        if self.opening_sweep:
            self.post_message(messages.CompareSweep(self.opening_sweep))
        elif len(self.opening) == 1:
            self.post_message(messages.OpenSession(self.opening[0]))
        elif self.opening:
            self.post_message(messages.Compare(self.opening))
        self.warming.later(quiet=bool(self.opening or self.opening_sweep))

    def on_warmed(self, message: Warmed) -> None:
        """New facts for the home screen's first lines (and a note, where the data is a fallback)."""
        bench = self.workbench
        bench.data_text, bench.device_text = message.data or bench.data_text, message.device or bench.device_text
        bench.data_fallback = message.fallback or bench.data_fallback
        self._refresh_home(sessions_too=False)
        if message.note:
            self.notify(message.note, severity="warning", timeout=12, markup=False)

    async def action_quit_app(self) -> None:
        """Quit; if a run of this workbench is in progress, ask first (`Quitting`)."""
        await self.quitting.ask()

    action_quit = action_help_quit = action_quit_app
    """Textual's quit (the command palette's Quit) and Ctrl+C (Textual's hint that it does not quit,
    which names no key here) quit as Ctrl+Q does, asking first during a run."""

    def on_run_event(self, message: messages.RunEvent) -> None:
        """An event of the live run: folded into its state; the screen showing it redraws what it
        changes; home hears of a start, an end, and (while on top) each epoch."""
        from aetui.core.control.remote import Answered

        event = message.event
        if isinstance(event, Answered) and message.run == self.runner.run:
            self.notify(event.said(), severity="information" if event.ok else "error", markup=False)
            self._tell(event)
        if not self.runner.fold(message):
            return
        self._tell(event)
        if isinstance(event, (TrainingStarted, TrainingFinished)) or (
                isinstance(event, EpochEnded) and isinstance(self.screen, HomeScreen)):
            self._refresh_home()
        if isinstance(event, TrainingFinished):
            self.quitting.run_ended()
            severity = "information" if event.status in ("finished", "stopped") else "error"
            self.notify(f"{self.runner.recipe.name}: {event.status}: {event.reason}", severity=severity,
                        timeout=8, markup=False)

    on_run_progress = on_run_event  # (a batch's progress, `RunProgress`, the same way)
    on_key = typed_after_escape  # (Escape and a key the terminal's parser took for Alt+key: both, in order)

    def on_worker_state_changed(self, event) -> None:
        """The run's worker ended (after its last event): what the screen offers may change (`u`)."""
        if event.worker is self.runner.worker and event.worker.is_finished:
            self._tell(None)

    def _tell(self, event) -> None:
        """Tell the workbench screen on top (under a dialog, where one is open) that the run moved."""
        shown = [screen for screen in self.screen_stack if isinstance(screen, WorkbenchScreen)]
        if shown and shown[-1].children:  # (a screen without its widgets: the app is ending)
            shown[-1].run_moved(event)

    def _refresh_home(self, sessions_too: bool = True) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, HomeScreen):
                screen.refreshed(sessions_too)

    def _read(self, read: Callable):
        """`read()`, or None after telling the user in one line why it failed."""
        return attempt(self.notify, read)

    def on_open_recipe(self, message: messages.OpenRecipe) -> None:
        from aetui.ui.screens.train import TrainScreen

        recipe = self._read(lambda: recipes.load_file(message.path))
        if recipe is not None and self.runner.active and self.runner.recipe.source == recipe.source:
            self.on_show_run(messages.ShowRun())  # its run is in progress: go there
        elif recipe is not None:
            self.push_screen(TrainScreen(recipe, self.workbench))

    def on_open_session(self, message: messages.OpenSession) -> None:
        """A saved session opens in its replay; one another process is training opens in the train
        screen, attached to that run."""
        from aetui.ui.screens.replay import ReplayScreen

        session = self._read(lambda: sessions.open_session(message.path))
        if session is None:
            return
        if session.status == "running" and not message.replay:
            self.attach(session)
            return
        screen = self._read(lambda: ReplayScreen(session, self.workbench))
        if screen is not None:
            self.push_screen(screen)

    def attach(self, session: sessions.Session) -> None:
        """Follow and steer the run another process trains in `session`."""
        from aetui.ui.screens.train import TrainScreen

        runner = self.runner
        if runner.active and runner.state is not None and runner.state.session == session.name:
            self.on_show_run(messages.ShowRun())  # (this workbench's own run, or the one it follows)
            return
        if runner.active:
            self.notify(f"{session.name} is running elsewhere; this workbench is busy with {runner.recipe.name}: "
                        "stop or leave it first", severity="warning", markup=False)
            return
        self._read(lambda: runner.attach(session))
        if runner.attached == session.path and runner.active:
            self.push_screen(TrainScreen(runner.recipe, self.workbench))
            self.notify(f"Attached to {session.name}: the sliders, space and s act on it; Escape leaves it "
                        "running.", markup=False)

    def on_resume_session(self, message: messages.ResumeSession) -> None:
        from aetui.ui.screens.train import TrainScreen

        session = self._read(lambda: sessions.open_session(message.path))
        if session is not None and session.status == "running":
            self.notify(f"{session.name} is still running.", severity="warning", markup=False)
        elif session is not None:
            screen = self._read(lambda: TrainScreen(session.recipe(), self.workbench, resume=session))
            if screen is not None:
                self.push_screen(screen)

    def on_compare(self, message: messages.Compare) -> None:
        from aetui.ui.screens.compare import CompareScreen

        opened = [self._read(lambda p=p: sessions.open_session(p)) for p in message.paths]
        if None not in opened:
            screen = self._read(lambda: CompareScreen(opened, self.workbench))
            if screen is not None:
                self.push_screen(screen)

    def on_compare_sweep(self, message: messages.CompareSweep) -> None:
        from aetui.core.sweeps import standings, sweep
        from aetui.ui.screens.compare import CompareScreen

        store = self.workbench.store
        found = self._read(lambda: sweep.find(store, message.name))
        trials = standings.trial_sessions(store, found) if found is not None else []
        if found is not None and not trials:
            self.notify(f"No trial of {message.name} has started yet.", severity="warning", markup=False)
        elif trials:
            screen = self._read(lambda: CompareScreen(trials, self.workbench, sweep=found))
            if screen is not None:
                self.push_screen(screen)

    def on_show_run(self, message: messages.ShowRun) -> None:
        from aetui.ui.screens.train import TrainScreen

        for screen in self.screen_stack:
            if isinstance(screen, TrainScreen) and screen.recipe is self.runner.recipe:
                while self.screen is not screen:
                    self.pop_screen()
                return
        if self.runner.recipe is not None and self.runner.active:
            self.push_screen(TrainScreen(self.runner.recipe, self.workbench))
        else:
            self.notify("No run in progress.")

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Command palette entries: every key of the current screen, as `area: action`."""
        yield from super().get_system_commands(screen)
        area = type(screen).__name__.replace("Screen", "").lower()
        for binding in screen.BINDINGS:
            if isinstance(binding, Binding) and binding.show and binding.description:
                key = binding.key.split(",")[0].replace("question_mark", "?").replace("ctrl+", "Ctrl+")
                yield SystemCommand(f"{area}: {binding.description}", f"key {key}",
                                    lambda a=binding.action, s=screen: self.call_later(s.run_action, a))
