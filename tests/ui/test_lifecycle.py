"""The app's life, each object on its own (`aetui.ui.lifecycle`), through stand-ins for the few
calls of the app and the run it uses: the warm-up says what it loaded and started, quitting asks
during a run and does what is answered, the watch on the terminal ends the app once, saving the
run's epoch (the real processes and terminals: tests/test_tmux.py, tests/test_attach.py)."""

from __future__ import annotations

import asyncio
import gc
import os
import signal
from types import SimpleNamespace

import pytest

from aetui.core import data
from aetui.core.errors import AetuiError
from aetui.core.training.controls import Controls
from aetui.ui import lifecycle
from aetui.ui.lifecycle import Quitting, TerminalWatch, Warmed, WarmUp
from aetui.ui.screens.dialogs import ChoiceDialog


class App:
    """The calls of the app the lifecycle objects make, recorded (workers run at once)."""

    def __init__(self):
        self.posted, self.pushed, self.notes, self.intervals = [], [], [], []
        self.exits = 0

    def call_after_refresh(self, callback) -> None:
        callback()

    def run_worker(self, work, **_) -> None:
        work()

    def post_message(self, message) -> None:
        self.posted.append(message)

    def push_screen(self, screen, callback) -> None:
        self.pushed.append((screen, callback))

    def notify(self, text: str, **_) -> None:
        self.notes.append(text)

    def set_interval(self, seconds: float, callback) -> None:
        self.intervals.append((seconds, callback))

    def exit(self) -> None:
        self.exits += 1


class Run:
    """A run's calls, recorded: active (its own, or attached) or not."""

    def __init__(self, active: bool = True, attached=None):
        self.active, self.attached = active, attached
        self.recipe = SimpleNamespace(name="ae-32")
        self.controls = Controls(("beta",))
        self.calls: list[tuple] = []

    def detach(self) -> None:
        self.calls.append(("detach",))

    def stop(self) -> None:
        self.calls.append(("stop",))

    async def wait(self) -> None:
        self.calls.append(("wait",))
        self.active = False

    def keep_in_background(self) -> bool:
        self.calls.append(("keep",))
        return True

    def hang_up(self, how: str, keep: bool) -> None:
        self.calls.append(("hang_up", how, keep))


def test_the_warm_up_loads_the_data_then_says_what_it_loaded():
    app, loaded = App(), []
    digits = data.load("digits").limited(256)
    WarmUp(app, lambda: digits, lambda: loaded.append(True), backend=False).later(quiet=False)
    (message,) = app.posted
    assert loaded and isinstance(message, Warmed) and message.device is None
    assert message.data.startswith(digits.name) and "256 train" in message.data


def test_data_that_cannot_load_is_said_on_the_data_line():
    def fails():
        raise AetuiError("no MNIST in /nowhere")

    app = App()
    WarmUp(app, fails, lambda: None, backend=False).later(quiet=True)
    assert [m.data for m in app.posted] == ["[red]no MNIST in /nowhere[/]"]


def test_the_warm_up_starts_tensorflow_on_the_gpu_asked_for(monkeypatch):
    from aetui.core import backend

    asked = []
    monkeypatch.setattr(backend, "configure", lambda gpu=None: asked.append(gpu) or SimpleNamespace(name="GPU 1"))
    monkeypatch.setattr(gc, "freeze", lambda: None)  # (the test process keeps collecting)
    app = App()
    WarmUp(app, lambda: None, lambda: None, gpu=1).start_backend()
    assert asked == [1] and [m.device for m in app.posted] == ["GPU 1"]

    def missing(gpu=None):
        raise AetuiError("there is no GPU 7")

    monkeypatch.setattr(backend, "configure", missing)
    WarmUp(app, lambda: None, lambda: None, gpu=7).start_backend()
    assert app.posted[-1].device == "there is no GPU 7"


async def test_quitting_without_a_run_of_its_own_quits_at_once():
    for run in (Run(active=False), Run(attached="elsewhere")):  # an attached run is left to go on
        app = App()
        await Quitting(app, run).ask()
        assert app.exits == 1 and not app.pushed and run.calls == [("detach",)]


async def test_quitting_during_a_run_asks_and_does_what_is_answered():
    app, run = App(), Run()
    quitting = Quitting(app, run)
    await quitting.ask()
    (dialog, answer), = app.pushed
    assert isinstance(dialog, ChoiceDialog) and dialog.keys == {"s": "stop", "k": "keep", "escape": "cancel"}
    await answer("cancel")
    assert app.exits == 0 and run.calls == []
    await answer("stop")
    assert run.calls == [("stop",), ("wait",)] and app.exits == 1

    app, run = App(), Run()
    await Quitting(app, run).answered("keep")
    assert run.calls == [("keep",)] and app.exits == 1 and "background" in app.notes[0]

    app, run = App(), Run(active=False)  # (the run ended while the question was shown)
    await Quitting(app, run).answered("keep")
    assert run.calls == [] and app.exits == 1


@pytest.fixture
def let_go(monkeypatch) -> list:
    """The descriptors a hangup lets go of (`detach`), recorded rather than pointed at /dev/null."""
    taken: list = []
    monkeypatch.setattr(lifecycle, "detach", taken.append)
    return taken


def test_a_hangup_saves_the_run_once_and_ends_the_app(let_go):
    app, run = App(), Run()
    watch = TerminalWatch(app, run, keep=False)
    watch.hang_up()
    watch.hang_up("SIGHUP again")
    assert run.calls == [("hang_up", "SIGHUP", False)] and app.exits == 1 and len(let_go) == 1


def test_a_terminal_that_is_no_terminal_any_more_is_a_hangup(let_go):
    app, run = App(), Run()
    watch = TerminalWatch(app, run)
    reading, writing = os.pipe()
    try:
        watch.terminal = [reading]  # (as if it had been a terminal: a pipe is none)
        watch.check()
    finally:
        os.close(reading)
        os.close(writing)
    assert run.calls == [("hang_up", "the terminal went away", True)] and app.exits == 1 and let_go == [[reading]]


def test_sigterm_stops_the_run_after_its_batch_and_ends_the_app():
    app, run = App(), Run()
    TerminalWatch(app, run).terminated()
    assert run.controls.stopping and app.exits == 1


async def test_the_watch_takes_sighup(let_go):
    app, run = App(), Run()
    watch = TerminalWatch(app, run)
    loop = asyncio.get_running_loop()
    try:
        watch.start()
        assert signal.getsignal(signal.SIGHUP) not in (signal.SIG_DFL, signal.SIG_IGN)  # (else SIGHUP ends pytest)
        os.kill(os.getpid(), signal.SIGHUP)
        for _ in range(100):
            await asyncio.sleep(0.01)
            if app.exits:
                break
    finally:
        loop.remove_signal_handler(signal.SIGHUP)
        loop.remove_signal_handler(signal.SIGTERM)
    assert run.calls == [("hang_up", "SIGHUP", True)] and app.exits == 1


def test_textual_s_writer_outlives_a_terminal_that_went_away():
    """A pseudo-terminal whose other end has closed (tmux killed, SSH dropped) fails every write:
    Textual's writer thread died of the first, and the app then blocked on its full queue of
    writes before the watch could notice (CI: the process never ended). Through aetui's handle on
    the terminal the writes go on, to nowhere, and the handle is then no terminal: a hangup."""
    import pty
    import threading

    from textual.drivers._writer_thread import WriterThread

    from aetui.ui.running import Terminal

    leader, follower = pty.openpty()
    handle = os.fdopen(os.dup(follower), "wb")
    os.close(follower)
    terminal = Terminal(handle, line_buffering=True)
    writer = WriterThread(terminal)
    writer.start()
    try:
        writer.write("before\n")
        os.close(leader)  # (the terminal goes away)
        wrote = threading.Event()
        threading.Thread(target=lambda: ([writer.write("frame\n") for _ in range(100)], wrote.set()),
                         daemon=True).start()
        assert wrote.wait(10), "writes blocked once the terminal had gone"
        writer.stop()
        assert not os.isatty(terminal.fileno())
    finally:
        terminal.close()


def test_a_terminal_left_non_blocking_by_another_program_is_written_whole_and_stays_a_terminal():
    """Another program on the terminal may leave its shared open file description non-blocking;
    with the output queue full (a slow link), a write then fails with EAGAIN, which read as a
    terminal gone. aetui's handle has a description of its own, blocking: every byte arrives."""
    import pty
    import select
    import threading

    from aetui.ui.running import Terminal, own_descriptor

    leader, follower = pty.openpty()
    os.set_blocking(follower, False)  # (as the other program left it)
    terminal = Terminal(os.fdopen(own_descriptor(follower), "wb"), line_buffering=True)
    text = "x" * 99 + "\n"
    writing = threading.Thread(target=lambda: [terminal.write(text) for _ in range(2000)] and terminal.flush(),
                               daemon=True)
    got = 0
    try:
        writing.start()
        while got < 200_000 and select.select([leader], [], [], 5)[0]:  # (nothing for 5 s: the writer gave up)
            got += len(os.read(leader, 65536))  # (slower than the writer: the queue fills meanwhile)
        writing.join(10)
        assert got >= 200_000 and not writing.is_alive() and os.isatty(terminal.fileno()), got
    finally:
        terminal.close()
        os.close(follower)
        os.close(leader)
