"""`aetui sweep`: plan a grid (or take up a stopped sweep), run it on a backend, print each trial as
it ends."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from rich.console import Console

from aetui.core.data import Dataset
from aetui.core.errors import AetuiError
from aetui.core.store import paths
from aetui.views.console import output, say


def sweep(args) -> int:
    """`aetui sweep`: plan the grid (or take up a stopped sweep), run it on a backend, print each
    trial as it ends. The sweep's lock is held meanwhile: no second command runs it at once.

    Ctrl-C (or the connection dropping, unless under nohup, or SIGTERM) stops it: trials not
    started are dropped, running ones stop after their batch (`interrupted`, each resumable)."""
    from aetui.core import data, hparams, recipe
    from aetui.core.sweeps import sweep

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
    hparams.check_settings(epochs=args.epochs, batch_size=args.batch_size)
    dataset = data.loader(args.dataset, args.data, args.limit)()  # fails here, once, rather than in every trial
    plan, trials = sweep.plan(r, grid, store, args.name, _trial_data(args, dataset), args.epochs, args.batch_size,
                              backend=backend)
    sweep.hold(store, plan.name)  # (let go when this process ends)
    console = output()
    if dataset.note:  # (the embedded digits standing in for MNIST: said on a line of its own)
        say(console, dataset.note)
    say(console, f"Sweep {plan.name}: {len(trials)} trials of {r.name} on {dataset.name} "
                  f"({len(dataset.x_train)} images), backend {backend}; sessions in {store}")
    return _run_sweep(console, args, backend, store, plan, trials)


def _backend(args, default: str) -> str:
    """The backend asked for, else `default`; `--address` only with Ray."""
    backend = args.backend or default
    if args.address and backend != "ray":
        raise AetuiError("--address joins a Ray cluster: add --backend ray")
    if backend == "ray":  # (refused before the sweep writes anything)
        from aetui.core.sweeps.backends import require_ray

        require_ray()
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

    from aetui.core import data
    from aetui.core.recipe import Recipe as RecipeCls
    from aetui.core.sweeps import sweep

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
        say(console, f"Sweep {plan.name}: every trial is done. Compare them: aetui compare {plan.name}")
        return 0
    RecipeCls.from_dict(plan.spec, name=plan.recipe, source=f"sweep {plan.name}")  # fails here, not in each trial
    if args.data is not None or args.dataset != "auto":  # the data has moved
        args.limit = plan.data.get("limit")
        where = _trial_data(args, data.loader(args.dataset, args.data, args.limit)())
    else:
        where = plan.data
        try:  # fails here, once, rather than in every trial
            data.load(where.get("dataset", "auto"), where.get("path"))
        except AetuiError as err:
            raise AetuiError(f"sweep {plan.name}: its data cannot be loaded ({err}); if it has moved, give it "
                             "with --data PATH") from None
    sweep.hold(store, plan.name)
    trials = [replace(t, data=where) for t in sweep.unfinished(store, plan)]  # (none started meanwhile)
    say(console, f"Sweep {plan.name}: going on with {len(trials)} of its {len(plan.trials)} trials "
                  f"({', '.join(t.name for t in trials)}), backend {backend}; sessions in {store}")
    return _run_sweep(console, args, backend, store, plan, trials)


def _run_sweep(console: Console, args, backend: str, store: Path, plan, trials) -> int:
    """Run the trials on `backend`, printing each outcome as it comes, then the sweep's best trial."""
    from aetui.core import ranking
    from aetui.core.sweeps import backends, standings
    from aetui.views import formats

    if backend == "ray":
        results = backends.run_ray(trials, address=args.address)  # (Ray starts here, its handlers with it)
    else:
        results = backends.run_local(trials, workers=args.workers)
    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM)}
    for signum, handler in previous.items():  # a dropped connection, or SIGTERM, stops it as Ctrl-C does
        if handler != signal.SIG_IGN or signum == signal.SIGINT:  # (under nohup a hangup is ignored; Ctrl-C
            signal.signal(signum, signal.default_int_handler)    # works even where `&` left it ignored)
    outcomes = []
    try:
        for n, outcome in enumerate(results, 1):
            outcomes.append(outcome)
            error, val = outcome.get(ranking.KEYS[ranking.DEFAULT]), outcome.get("val_loss")
            say(console, f"[{n}/{len(trials)}] {outcome['name']}: {outcome['status']}, {outcome.get('epochs', 0)} "
                         f"epoch(s)" + (f", {ranking.LABELS[ranking.DEFAULT]} {formats.pixel_error(error)}"
                                        if isinstance(error, (int, float)) else "")
                         + (f", val loss {formats.objective(val)}" if isinstance(val, (int, float)) else "")
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
    by = ranking.choice(getattr(args, "rank_by", None))
    found = standings.best(standings.trial_sessions(store, plan), by)  # (trials of earlier runs of it too)
    if found is not None:
        session, figures = found
        error, own = formats.pixel_error(figures[ranking.KEYS[by]]), formats.objective(figures.get("val_loss"))
        say(console, f"Best: {session.name} ({ranking.LABELS[by]} {error}; its val loss {own}). Compare them all: "
                     f"aetui compare {plan.name}")
    return 0 if all(o["status"] == "finished" for o in outcomes) else 1
