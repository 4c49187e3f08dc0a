"""Headless training: `aetui train` and `resume`, run in a thread while the main thread takes the
signals (Ctrl-C, a dropped connection, SIGTERM); `aetui sweep` is in `aetui.sweeping`.
"""

from __future__ import annotations

import os
import signal
import threading

from aetui.console import ConsoleReporter
from aetui.core import paths
from aetui.core.errors import AetuiError
from aetui.terminal import detach


def train(args) -> int:
    """`aetui train`."""
    from aetui.core import data, hparams, recipe, training

    r = recipe.find(args.recipe, paths.recipe_dirs())
    overrides = hparams.parse_assignments(args.set, r.tunables)
    hparams.check_settings(epochs=args.epochs, batch_size=args.batch_size)
    if args.strategy and args.gpu is not None:
        raise AetuiError("--gpu and --strategy mirrored do not mix: mirrored uses every visible GPU "
                         "(limit them with CUDA_VISIBLE_DEVICES)")
    dataset = data.loader(args.dataset, args.data, args.limit)()
    return _headless(r, dataset, lambda reporter, controls: training.train(
        r, dataset, paths.session_store(args.sessions), params=overrides, epochs=args.epochs,
        batch_size=args.batch_size, name=args.session, on_event=reporter, controls=controls, gpu=args.gpu,
        strategy=args.strategy))


def resume(args) -> int:
    """`aetui resume`."""
    from aetui.core import hparams, sessions, training

    session = sessions.find(paths.session_store(args.sessions), args.session)
    r = session.recipe()
    overrides = hparams.parse_assignments(args.set, r.tunables)
    epochs = args.epochs if args.epochs is not None else session.meta.epochs
    hparams.RUN_SETTINGS["epochs"].check(epochs)
    training.check_resumable(session, epochs)
    dataset = training.resumed_data(session, _data_named(args))
    return _headless(r, dataset, lambda reporter, controls: training.resume(
        session.path, dataset, params=overrides, epochs=epochs, on_event=reporter, controls=controls,
        gpu=args.gpu))


def _data_named(args):
    """A loader of the data the command line names (`--data`, `--dataset`, `$AETUI_DATA`), or None
    where it names none."""
    from aetui.core import data

    if args.data is None and args.dataset == "auto" and not os.environ.get("AETUI_DATA"):
        return None
    return data.loader(args.dataset, args.data, getattr(args, "limit", None))


def _headless(r, dataset, job) -> int:
    """Run `job(reporter, controls)` (a training) in a thread, printing its events.

    Ctrl-C stops after the current batch (twice: at once). SIGHUP (the connection dropped)
    finishes and saves the epoch in progress, then stops with status `interrupted`; SIGTERM stops
    after the current batch, also `interrupted`. Under nohup SIGHUP is ignored and the run goes on.
    """
    from aetui.core import training

    reporter = ConsoleReporter(r, dataset)
    controls = training.Controls(r.tunables)
    outcome: dict = {}

    def work() -> None:
        try:
            outcome["path"] = job(reporter, controls)
        except BaseException as err:  # handed to the main thread, which re-raises it
            outcome["error"] = err

    def interrupt(signum, frame) -> None:
        if controls.stopping:
            raise KeyboardInterrupt
        reporter.say("Stopping after this batch (completed epochs are saved); press Ctrl-C again to abort.")
        controls.stop()

    terminal = [fd for fd in (0, 1, 2) if os.isatty(fd)]

    def hangup(signum, frame) -> None:
        detach(terminal)
        controls.interrupt("the connection dropped (SIGHUP)", finish_epoch=True)

    def terminate(signum, frame) -> None:
        controls.interrupt("terminated (SIGTERM)")

    handlers = {signal.SIGINT: interrupt, signal.SIGTERM: terminate}
    if signal.getsignal(signal.SIGHUP) == signal.SIG_IGN:
        reporter.say("[dim]Running under nohup: the run goes on if the connection drops.[/]")  # (no names in it)
    else:
        handlers[signal.SIGHUP] = hangup
        reporter.say("[dim]If the connection drops, the epoch in progress is saved and the run stops; "
                     "to keep it going after you log out, start it with `nohup aetui ... > run.log 2>&1 &`.[/]")
    previous = {signum: signal.signal(signum, handler) for signum, handler in handlers.items()}
    worker = threading.Thread(target=work, name="aetui-train", daemon=True)
    try:
        worker.start()
        while worker.is_alive():
            worker.join(0.2)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        reporter.close()
    if "error" in outcome:
        raise outcome["error"]
    return 0 if reporter.status in ("finished", "stopped") else 1
