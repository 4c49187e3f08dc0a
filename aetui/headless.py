"""Headless training: `aetui train`, `resume` and `sweep`, their console output and signals.

In a terminal a rich progress bar runs; under nohup or with output to a file the bar is off and
the epoch lines remain, so a log reads cleanly.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from aetui import paths
from aetui.formats import logs_line as format_logs
from aetui.terminal import detach
from aetui.core import events
from aetui.core.data import Dataset
from aetui.core.errors import AetuiError
from aetui.core.recipe import Recipe


def output() -> Console:
    """The console for a command's lines: a line is never hard-wrapped where the output is a file
    or a pipe (a log keeps one line per epoch or trial, however long)."""
    return Console(highlight=False, soft_wrap=not sys.stdout.isatty())


class ConsoleReporter:
    """Turns training events into console output; call it with each event."""

    def __init__(self, recipe: Recipe, data: Dataset, console: Console | None = None):
        self.console = console or output()
        self.recipe = recipe
        self.status = "running"
        if data.note:
            self.console.print(f"[yellow]{data.note}[/]")
        self.console.print(f"Data: {data.name} from {data.source}: {len(data.x_train)} training, "
                           f"{len(data.x_test)} test images of {data.image_shape[0]}x{data.image_shape[1]}; "
                           f"class counts {data.class_counts()}")
        self.progress = Progress(TextColumn("epoch {task.fields[epoch]}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("loss {task.fields[loss]}"), TimeRemainingColumn(),
                                 console=self.console, disable=not self.console.is_terminal, transient=True)
        self.task = None
        self.session = ""

    def say(self, text: str) -> None:
        """Print a line for the user."""
        self.console.print(text)

    def __call__(self, event) -> None:
        try:
            self.show(event)
        except OSError:  # the terminal went away (the run goes on; the session has everything)
            pass

    def show(self, event) -> None:
        """Print what `event` says."""
        if isinstance(event, (events.TrainingStarted, events.TrainingResumed)):
            self.session = event.session
        if isinstance(event, events.TrainingResumed):
            self.console.print(f"Session {event.session}: resuming after epoch {event.epoch} of {event.epochs} "
                               f"(it was {event.previous}) on {event.device}; "
                               + ", ".join(f"{k}={v:g}" for k, v in event.params.items()))
            self.progress.start()
            self.task = self.progress.add_task("train", total=event.steps_per_epoch, epoch=event.epoch + 1,
                                               loss="-")
        elif isinstance(event, events.TrainingStarted):
            self.console.print(f"Session {event.session}: {event.recipe} for {event.epochs} epochs of "
                               f"{event.steps_per_epoch} batches on {event.device}; "
                               + ", ".join(f"{k}={v:g}" for k, v in event.params.items()))
            self.progress.start()
            self.task = self.progress.add_task("train", total=event.steps_per_epoch, epoch=1, loss="-")
        elif isinstance(event, events.BatchEnded) and self.task is not None:
            self.progress.update(self.task, completed=event.batch, epoch=event.epoch,
                                 loss=f"{event.logs.get('loss', float('nan')):.4g}")
        elif isinstance(event, events.EpochEnded):
            stats = event.stats
            extra = f"mean code {stats['mean_activation']:.3g}, near zero {stats['near_zero']:.0%}, " \
                    f"dead {stats['dead_units']}/{stats['units']}"
            if "active_units" in stats:
                extra += f", active latents {stats['active_units']}"
            if "disc_acc" in stats:
                extra += f", disc acc {stats['disc_acc']:.2f}"
            self.console.print(f"epoch {event.epoch:3d}  loss {format_logs(event.logs)}  "
                               f"val {format_logs(event.logs, 'val_')}  {extra}  "
                               f"[dim]{event.seconds:.1f}s, {event.samples_per_s:,.0f} samples/s[/]")
            if self.task is not None:
                self.progress.reset(self.task, epoch=event.epoch + 1, loss="-")
        elif isinstance(event, events.HParamChanged):
            self.console.print(f"{event.name}: {event.old:g} -> {event.new:g} from batch {event.step}")
        elif isinstance(event, events.TrainingFinished):
            self.close()
            self.status = event.status
            colour = {"finished": "green", "stopped": "yellow"}.get(event.status, "red")
            self.console.print(f"[{colour}]{event.status}[/]: {event.reason}")
            if event.status != "finished" and event.epochs and self.session:
                self.console.print(f"Go on with `aetui resume {self.session}` (--set NAME=VALUE changes a value, "
                                   "--epochs N the total).")

    def close(self) -> None:
        """Stop the progress bar."""
        self.progress.stop()


def dataset_loader(args):
    """A function loading the dataset the arguments name (checked cheaply first)."""
    from aetui.core import data

    if args.data is not None and not Path(args.data).exists():
        raise AetuiError(f"--data {args.data}: no such file or folder")
    if args.dataset not in data.NAMES:
        raise AetuiError(f"unknown dataset {args.dataset!r} (one of {', '.join(data.NAMES)}, or --data PATH)")
    if args.limit is not None and args.limit < 1:
        raise AetuiError("--limit must be at least 1")
    where = None if args.data is None else Path(args.data).resolve()  # sessions record where, for resuming
    return lambda: data.load(args.dataset, where).limited(args.limit)


def train(args) -> int:
    """`aetui train`."""
    from aetui.core import hparams, recipe, training

    r = recipe.find(args.recipe, paths.recipe_dirs())
    overrides = hparams.parse_assignments(args.set, r.tunables)
    check_settings(args)
    if args.strategy and args.gpu is not None:
        raise AetuiError("--gpu and --strategy mirrored do not mix: mirrored uses every visible GPU "
                         "(limit them with CUDA_VISIBLE_DEVICES)")
    dataset = dataset_loader(args)()
    return _headless(r, dataset, lambda reporter, controls: training.train(
        r, dataset, paths.session_store(args.sessions), params=overrides, epochs=args.epochs,
        batch_size=args.batch_size, name=args.session, on_event=reporter, controls=controls, gpu=args.gpu,
        strategy=args.strategy))


def sweep(args) -> int:
    """`aetui sweep`: plan the grid (or take up a stopped sweep), run it on a backend, print each
    trial as it ends. The sweep's lock is held meanwhile: no second command runs it at once.

    Ctrl-C (or the connection dropping, unless under nohup, or SIGTERM) stops it: trials not
    started are dropped, running ones stop after their batch (`interrupted`, each resumable)."""
    from aetui.core import recipe, sweep

    if args.workers is not None and args.workers < 1:
        raise AetuiError("--workers must be at least 1")
    store = paths.session_store(args.sessions)
    if args.resume is not None:
        return _sweep_resume(args, store)
    if args.recipe is None:
        raise AetuiError("name a recipe (aetui sweep RECIPE --grid NAME=V1,V2,...) or a sweep to go on with "
                         "(aetui sweep --resume SWEEP)")
    backend = _backend(args, "local")
    r = recipe.find(args.recipe, paths.recipe_dirs())
    grid = sweep.parse_grid(args.grid, r.tunables)
    check_settings(args)
    dataset = dataset_loader(args)()  # fails here, once, rather than in every trial
    plan, trials = sweep.plan(r, grid, store, args.name, _trial_data(args, dataset), args.epochs, args.batch_size,
                              backend=backend)
    sweep.hold(store, plan.name)  # (let go when this process ends)
    console = output()
    console.print(f"Sweep {plan.name}: {len(trials)} trials of {r.name} on {dataset.name} "
                  f"({len(dataset.x_train)} images), backend {backend}; sessions in {store}")
    return _run_sweep(console, args, backend, store, plan, trials)


def _backend(args, default: str) -> str:
    """The backend asked for, else `default`; `--address` only with Ray."""
    backend = args.backend or default
    if args.address and backend != "ray":
        raise AetuiError("--address joins a Ray cluster: add --backend ray")
    return backend


def _trial_data(args, dataset: Dataset) -> dict:
    """What every trial of a sweep loads: the named set, or the path the command resolved (absolute)."""
    from aetui.core import data

    source = args.data or (os.environ.get("AETUI_DATA") if args.dataset == "auto" else None)
    return {"dataset": dataset.name if dataset.name in data.NAMES else args.dataset, "limit": args.limit,
            "path": None if source is None else str(Path(source).resolve())}


def _sweep_resume(args, store: Path) -> int:
    """`aetui sweep --resume NAME`: run the trials of a stopped sweep that have not finished, each
    going on from its last saved epoch, with the sweep's own recipe, grid, data and backend
    (`--data` where the data has moved, `--backend` to run it elsewhere)."""
    from dataclasses import replace

    from aetui.core import data, sweep
    from aetui.core.recipe import Recipe as RecipeCls

    given = [flag for flag, value in (("RECIPE", args.recipe), ("--grid", args.grid or None),
                                      ("--epochs", args.epochs), ("--batch-size", args.batch_size),
                                      ("--name", args.name), ("--limit", args.limit)) if value is not None]
    if given:
        raise AetuiError(f"--resume goes on with the sweep's own recipe, grid and epochs: drop {', '.join(given)}")
    plan = sweep.find(store, args.resume)
    if plan is None:
        raise AetuiError(f"no sweep called {args.resume!r} in {store} (`aetui ls` lists them)")
    backend = _backend(args, plan.backend)
    sweep.check_idle(store, plan.name)
    trials = sweep.unfinished(store, plan)  # (a first look, changing nothing: then checks, the lock, a second)
    console = output()
    if not trials:
        console.print(f"Sweep {plan.name}: every trial is done. Compare them: aetui compare {plan.name}")
        return 0
    RecipeCls.from_dict(plan.spec, name=plan.recipe, source=f"sweep {plan.name}")  # fails here, not in each trial
    if args.data is not None or args.dataset != "auto":  # the data has moved
        args.limit = plan.data.get("limit")
        where = _trial_data(args, dataset_loader(args)())
    else:
        where = plan.data
        try:  # fails here, once, rather than in every trial
            data.load(where.get("dataset", "auto"), where.get("path"))
        except AetuiError as err:
            raise AetuiError(f"sweep {plan.name}: its data cannot be loaded ({err}); if it has moved, give it "
                             "with --data PATH") from None
    sweep.hold(store, plan.name)
    trials = [replace(t, data=where) for t in sweep.unfinished(store, plan)]  # (none started meanwhile)
    console.print(f"Sweep {plan.name}: going on with {len(trials)} of its {len(plan.trials)} trials "
                  f"({', '.join(t.name for t in trials)}), backend {backend}; sessions in {store}")
    return _run_sweep(console, args, backend, store, plan, trials)


def _run_sweep(console: Console, args, backend: str, store: Path, plan, trials) -> int:
    """Run the trials on `backend`, printing each outcome as it comes, then the sweep's best trial."""
    from aetui.core import sweep, sweep_backends

    if backend == "ray":
        results = sweep_backends.run_ray(trials, address=args.address)  # (Ray starts here, its handlers with it)
    else:
        results = sweep_backends.run_local(trials, workers=args.workers)
    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGHUP, signal.SIGTERM)}
    for signum, handler in previous.items():  # a dropped connection, or SIGTERM, stops it as Ctrl-C does
        if handler != signal.SIG_IGN:  # (under nohup a hangup is ignored)
            signal.signal(signum, signal.default_int_handler)
    outcomes = []
    try:
        for n, outcome in enumerate(results, 1):
            outcomes.append(outcome)
            val = outcome.get("val_loss")
            say(console, f"[{n}/{len(trials)}] {outcome['name']}: {outcome['status']}, {outcome.get('epochs', 0)} "
                         f"epoch(s)" + (f", val loss {val:.4g}" if isinstance(val, (int, float)) else "")
                         + (f" ({outcome['reason']})" if outcome["status"] != "finished" else ""))
    except KeyboardInterrupt:
        ending = ("Ray ends the trials in progress (they read `killed`; their saved epochs stay)"
                  if backend == "ray" else "trials in progress stop after their batch")
        say(console, f"Stopping the sweep: {ending}; `aetui sweep --resume {plan.name}` goes on with them all.")
        results.close()
        return 1
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    ranked = [(v, s.name) for s in sweep.trial_sessions(store, plan)
              if isinstance(v := sweep.final_figures(s).get("val_loss"), (int, float))]
    if ranked:  # over the whole sweep, trials of earlier runs of it included
        val, name = min(ranked)
        say(console, f"Best: {name} (val loss {val:.4g}). Compare them all: aetui compare {plan.name}")
    return 0 if all(o["status"] == "finished" for o in outcomes) else 1


def say(console: Console, text: str) -> None:
    """Print a line; a terminal that went away is no error (the sessions have everything)."""
    with contextlib.suppress(OSError):
        console.print(text)


def check_settings(args) -> None:
    """`--epochs` and `--batch-size`, where given, within their ranges."""
    from aetui.core import hparams

    for key, value in (("epochs", args.epochs), ("batch_size", getattr(args, "batch_size", None))):
        if value is not None:
            hparams.RUN_SETTINGS[key].check(value)


def resume(args) -> int:
    """`aetui resume`."""
    from aetui.core import hparams, sessions, training

    session = sessions.find(paths.session_store(args.sessions), args.session)
    r = session.recipe()
    overrides = hparams.parse_assignments(args.set, r.tunables)
    epochs = args.epochs if args.epochs is not None else int(session.meta.get("epochs") or 0)
    hparams.RUN_SETTINGS["epochs"].check(epochs)
    training.check_resumable(session, epochs)
    dataset = _resume_data(args, session)
    return _headless(r, dataset, lambda reporter, controls: training.resume(
        session.path, dataset, params=overrides, epochs=epochs, on_event=reporter, controls=controls,
        gpu=args.gpu))


def _resume_data(args, session):
    """The data a session was trained on: as given on the command line, or as its record says."""
    from aetui.core import training

    if args.data is not None or args.dataset != "auto" or os.environ.get("AETUI_DATA"):
        if args.limit is None and isinstance(session.meta.get("dataset", {}).get("train"), int):
            args.limit = session.meta["dataset"]["train"]
        return dataset_loader(args)()
    return training.recorded_data(session)


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
        reporter.say("[dim]Running under nohup: the run goes on if the connection drops.[/]")
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
