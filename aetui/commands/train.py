"""`aetui train` and `aetui resume`: training headless, in a thread while the main thread takes
the signals (Ctrl-C, a dropped connection, SIGTERM), or in a background process (`--detach`)."""

from __future__ import annotations

import os
import signal
import threading

from aetui.core.errors import AetuiError
from aetui.core.store import paths
from aetui.views.console import ConsoleReporter
from aetui.views.terminal import detach


def train(args) -> int:
    """`aetui train`."""
    from aetui.core import data, hparams, recipe
    from aetui.core.training import trainer

    r = recipe.find(args.recipe, paths.recipe_dirs())
    overrides = hparams.parse_assignments(args.set, r.tunables)
    hparams.check_settings(epochs=args.epochs, batch_size=args.batch_size)
    if args.strategy and args.gpu is not None:
        raise AetuiError("--gpu and --strategy mirrored do not mix: mirrored uses every visible GPU "
                         "(limit them with CUDA_VISIBLE_DEVICES)")
    from aetui.core.recipe import check_keep

    keep = check_keep(args.keep)
    if args.detach:
        return _detach(args)
    dataset = data.loader(args.dataset, args.data, args.limit)()
    store = paths.session_store(args.sessions)
    return _headless(r, dataset, lambda name: store / name, lambda reporter, controls: trainer.train(
        r, dataset, paths.session_store(args.sessions), params=overrides, epochs=args.epochs,
        batch_size=args.batch_size, name=args.session, on_event=reporter, controls=controls, gpu=args.gpu,
        strategy=args.strategy, extra_meta={"keep": keep} if keep else None))


def resume(args) -> int:
    """`aetui resume`."""
    from aetui.core import hparams
    from aetui.core.store import sessions
    from aetui.core.training import trainer

    session = sessions.find(paths.session_store(args.sessions), args.session)
    r = session.recipe()
    overrides = hparams.parse_assignments(args.set, r.tunables)
    epochs = args.epochs if args.epochs is not None else session.meta.epochs
    hparams.RUN_SETTINGS["epochs"].check(epochs)
    # (from the record alone in the foreground, where the run checks the history under the lock; a
    # detached run must refuse before it leaves)
    trainer.check_resumable(session, epochs, history=args.detach)
    if args.detach:
        return _detach(args)
    dataset = trainer.resumed_data(session, data_named(args))
    return _headless(r, dataset, lambda name: session.path, lambda reporter, controls: trainer.resume(
        session.path, dataset, params=overrides, epochs=epochs, on_event=reporter, controls=controls,
        gpu=args.gpu))


def data_named(args):
    """A loader of the data the command line names (`--data`, `--dataset`, `$AETUI_DATA`), or None
    where it names none."""
    from aetui.core import data

    if args.data is None and args.dataset == "auto" and not os.environ.get("AETUI_DATA"):
        return None
    return data.loader(args.dataset, args.data, getattr(args, "limit", None))


def _detach(args) -> int:
    """`--detach`: the same command in a background process of its own, immune to the terminal
    going away; returns once it has made its session, saying how to follow and steer it."""
    from aetui.core.control import background

    argv = [a for a in args.argv if a != "--detach"]
    store = paths.session_store(args.sessions)
    print("Starting in the background (TensorFlow starts and the data loads: a few seconds)…", flush=True)
    started = background.start(argv, store)
    if started.session is None:
        print(f"Still starting (process {started.pid}); its output: {started.log}. `aetui ls` lists it once "
              "it has begun.")
        return 0
    name = started.session
    print(f"{name} trains in the background (process {started.pid}); its output: {started.log}\n"
          f"  follow and steer it:  aetui open {name}\n"
          f"  from a script:        aetui tune {name} --set KEY=VALUE · aetui pause|continue|stop {name}")
    return 0


def _headless(r, dataset, folder_of, job) -> int:
    """Run `job(reporter, controls)` (a training) in a thread, printing its events; `folder_of(name)`
    is the folder of the session it makes or goes on with.

    Ctrl-C stops after the current batch (twice: at once). SIGHUP (the connection dropped)
    finishes and saves the epoch in progress, then stops with status `interrupted`; SIGTERM stops
    after the current batch, also `interrupted`. Under nohup SIGHUP is ignored and the run goes on.
    """
    from aetui.core import events
    from aetui.core.control import background
    from aetui.core.training import trainer

    console = ConsoleReporter(r, dataset)
    controls = trainer.Controls(r.tunables)
    outcome: dict = {}

    def reporter(event) -> None:
        if isinstance(event, (events.TrainingStarted, events.TrainingResumed)):
            background.settle(folder_of(event.session))  # (a background run: its output into the session)
        console(event)

    def work() -> None:
        try:
            outcome["path"] = job(reporter, controls)
        except BaseException as err:  # handed to the main thread, which re-raises it
            outcome["error"] = err

    def interrupt(signum, frame) -> None:
        if controls.stopping:
            raise KeyboardInterrupt
        console.say("Stopping after this batch (completed epochs are saved); press Ctrl-C again to abort.")
        controls.stop()

    terminal = [fd for fd in (0, 1, 2) if os.isatty(fd)]

    def hangup(signum, frame) -> None:
        detach(terminal)
        controls.interrupt("the connection dropped (SIGHUP)", finish_epoch=True)

    def terminate(signum, frame) -> None:
        controls.interrupt("terminated (SIGTERM)")

    handlers = {signal.SIGINT: interrupt, signal.SIGTERM: terminate}
    if os.environ.get(background.ENV):
        console.say("[dim]Running in the background, in a process session of its own.[/]")
    elif signal.getsignal(signal.SIGHUP) == signal.SIG_IGN:
        console.say("[dim]Running under nohup: the run goes on if the connection drops.[/]")  # (no names in it)
    else:
        console.say("[dim]If the connection drops, the epoch in progress is saved and the run stops; "
                    "to keep it going after you log out, start it with --detach.[/]")
    if signal.getsignal(signal.SIGHUP) != signal.SIG_IGN:
        handlers[signal.SIGHUP] = hangup
    previous = {signum: signal.signal(signum, handler) for signum, handler in handlers.items()}
    worker = threading.Thread(target=work, name="aetui-train", daemon=True)
    try:
        worker.start()
        while worker.is_alive():
            worker.join(0.2)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        console.close()
    if "error" in outcome:
        raise outcome["error"]
    return 0 if console.status in ("finished", "stopped") else 1
