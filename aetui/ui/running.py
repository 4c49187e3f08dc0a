"""The workbench in this process, from its first frame to the process's end: the app runs on a
loop of its own with the terminal kept from TensorFlow's logging, a run it let go of (a hangup,
quit keeping it) saves its epoch and goes on in a background process, and the process ends
without waiting for warm-up workers."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from pathlib import Path


def run_in_this_process(app) -> int:
    """Run `app` until it ends, then end the process as above; returns the exit status."""
    from aetui.core.backend import log_path

    try:
        with _terminal_kept_from(log_path()):
            _run_app(app)
        code = app.return_code or 0
    except Exception:  # a defect: said, and the process still ends (see _end_now)
        import traceback

        traceback.print_exc()
        code = 1
    app.runner.finished.wait()  # a run the app let go of (a hangup) saves its epoch first
    try:
        said = app.runner.hand_over()  # (kept running: a background process goes on with it)
    except Exception as err:  # (said where it can be; the session stays resumable)
        said = f"aetui: the run could not go on in the background: {err}; resume it with `aetui resume`"
    if said:
        with contextlib.suppress(OSError, ValueError):
            print(said, file=sys.stderr, flush=True)
    _end_now(code)
    return code


def _run_app(app) -> None:
    """Run the app on a loop of its own, which, unlike `asyncio.run`, does not wait at the end for
    the app's worker threads (TensorFlow still loading, a t-SNE) before returning: `_end_now`
    decides what to wait for."""
    import asyncio

    loop = asyncio.new_event_loop()
    try:
        app.run(loop=loop)
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        if pending:  # (as asyncio.run ends: what is left is cancelled and waited for)
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        loop.close()  # (lets go of the worker threads' executor without waiting for them)


def _end_now(code: int) -> None:
    """End the process at once where a background worker of the app would hold it (TensorFlow
    still loading, a t-SNE in progress): nothing of theirs needs saving, and a process that waits
    for them after its terminal went away could outlive it by minutes, or, blocked on the gone app,
    for ever. The training run has been waited for already."""
    import threading

    if any(t.is_alive() and not t.daemon for t in threading.enumerate() if t is not threading.main_thread()):
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)


@contextlib.contextmanager
def _terminal_kept_from(log: Path):
    """Give the app its own handle on the terminal and point file descriptor 2 at `log`, so
    TensorFlow's C++ logging (which writes to fd 2 whatever its settings) cannot draw over it."""
    handle = os.fdopen(own_descriptor(), "wb")
    terminal = Terminal(handle, line_buffering=handle.isatty())  # (as `open` makes it for a terminal)
    saved = sys.__stderr__, sys.stderr
    with open(log, "ab") as sink:
        os.dup2(sink.fileno(), 2)
    sys.__stderr__ = sys.stderr = terminal
    try:
        yield
    finally:
        os.dup2(terminal.fileno(), 2)
        sys.__stderr__, sys.stderr = saved
        terminal.close()


def own_descriptor(fd: int = 2) -> int:
    """A descriptor on the terminal of descriptor `fd` with an open file description of its own, and
    so blocking whatever another program on the terminal left set on the shared one (a
    non-blocking terminal whose output queue is full, a slow link, would fail a write and read as
    gone); a duplicate of `fd` where that is no terminal, or not one to open by name."""
    try:
        return os.open(os.ttyname(fd), os.O_WRONLY | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError:
        return os.dup(fd)


class Terminal(io.TextIOWrapper):
    """The app's handle on the terminal, which outlives the terminal quietly: once it has gone (a
    dropped connection, before `TerminalWatch` notices), what is written goes to /dev/null instead
    of raising. Textual's writer thread dies of the first error, and the app then blocks for ever
    on its full queue of writes (measured: 30 writes after a hangup). A write that would block is
    no terminal gone: it is raised (the descriptor is a blocking one of its own: `own_descriptor`)."""

    def write(self, text: str) -> int:
        try:
            return super().write(text)
        except BlockingIOError:
            raise
        except OSError:
            self._gone()
            return len(text)

    def flush(self) -> None:
        try:
            super().flush()
        except BlockingIOError:
            raise
        except OSError:
            self._gone()
            with contextlib.suppress(OSError):
                super().flush()  # (what was held goes to /dev/null)

    def _gone(self) -> None:
        from aetui.views.terminal import detach

        detach([self.fileno()])  # (isatty is then false: the watch hangs up)
