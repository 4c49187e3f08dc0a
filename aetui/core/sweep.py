"""Hyperparameter sweeps: every combination of a grid, each trained as its own session.

A sweep is a manifest, `STORE/NAME.sweep.json` (the recipe, the grid, the trials' session names),
beside the sessions it groups; each trial's `session.json` names its sweep under `sweep`. Trials
run on a backend: `local` (a process pool, one process per device) or `ray` (one Ray task per
trial, scheduled, placed and retried by Ray). A trial is `run_trial(Trial)`: plain data in, a
session on disk out, so any backend can run it in any process that sees the session store.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator

from aetui.core import hparams
from aetui.core.errors import AetuiError
from aetui.core.recipe import Recipe
from aetui.paths import inside, safe_name

SUFFIX = ".sweep.json"
BACKENDS = ("local", "ray")


def parse_grid(assignments: list[str], tunables: tuple[str, ...]) -> dict[str, list[float]]:
    """`["beta=0.1,1", "p=0.05"]` as `{"beta": [0.1, 1.0], "p": [0.05]}`, every value checked."""
    grid: dict[str, list[float]] = {}
    for text in assignments:
        name, sep, values = text.partition("=")
        name = name.strip()
        if not sep or not values.strip():
            raise AetuiError(f"--grid {text!r}: write NAME=V1,V2,... (e.g. --grid beta=0.1,1,3)")
        spec = hparams.spec(name, tunables)
        if name in grid:
            raise AetuiError(f"--grid names {name} twice: give all its values in one --grid")
        checked = [spec.check(v.strip()) for v in values.split(",") if v.strip()]
        if len(set(checked)) != len(checked):
            raise AetuiError(f"--grid {name}: a value is repeated")
        grid[name] = checked
    if not grid:
        raise AetuiError("a sweep needs at least one --grid NAME=V1,V2,...")
    return grid


def combinations(grid: dict[str, list[float]]) -> list[dict[str, float]]:
    """Every combination of the grid's values, the last name varying fastest."""
    names = list(grid)
    return [dict(zip(names, values)) for values in itertools.product(*(grid[n] for n in names))]


def trial_name(sweep: str, params: dict[str, float]) -> str:
    """`sweep-beta0.1-p0.05`: a trial's session name, readable and unique within its sweep."""
    return safe_name(sweep + "".join(f"-{k}{v:g}" for k, v in params.items()))


@dataclass(frozen=True)
class Trial:
    """One run of a sweep, as plain data a worker process (or a Ray task) can take."""

    sweep: str
    index: int
    name: str
    recipe: dict
    params: dict[str, float]
    store: str
    data: dict
    """How to load the data: `dataset`, `path`, `limit` (as for `aetui.core.data.load`)."""
    epochs: int | None = None
    batch_size: int | None = None
    strategy: str | None = None


@dataclass
class Sweep:
    """A sweep's manifest, read back."""

    name: str
    recipe: str
    grid: dict[str, list[float]]
    trials: list[str]
    backend: str
    created: str
    epochs: int | None = None


def plan(recipe: Recipe, grid: dict[str, list[float]], store: Path, name: str | None, data: dict,
         epochs: int | None = None, batch_size: int | None = None, strategy: str | None = None,
         backend: str = "local") -> tuple[Sweep, list[Trial]]:
    """Name the sweep and its trials and write its manifest; nothing is trained yet."""
    if backend not in BACKENDS:
        raise AetuiError(f"unknown backend {backend!r} (one of {', '.join(BACKENDS)})")
    store.mkdir(parents=True, exist_ok=True)
    base = safe_name(name or f"{recipe.name}-sweep-{time.strftime('%Y%m%d-%H%M%S')}")
    for n in range(1, 1000):
        candidate = base if n == 1 else f"{base}-{n}"
        if not (store / (candidate + SUFFIX)).exists() and not list(store.glob(f"{candidate}-*")):
            break
    else:
        raise AetuiError(f"too many sweeps named {base!r} in {store}")
    combos = combinations(grid)
    trials = [Trial(candidate, i, trial_name(candidate, combo), recipe.to_dict(), combo, str(store), data, epochs,
                    batch_size, strategy) for i, combo in enumerate(combos)]
    if len({t.name for t in trials}) != len(trials):
        raise AetuiError("two grid values print the same; use values that differ in their first 6 digits")
    sweep = Sweep(candidate, recipe.name, grid, [t.name for t in trials], backend, time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                  epochs)
    from aetui.core.sessions import write_json

    write_json(inside(store, candidate + SUFFIX), asdict(sweep))
    return sweep, trials


def run_trial(trial: Trial) -> dict:
    """Train one trial (in whatever process runs it); returns its outcome as plain data."""
    from aetui.core import data, training
    from aetui.core.recipe import Recipe as RecipeCls
    from aetui.core.sessions import META, open_session

    store = Path(trial.store)
    try:
        recipe = RecipeCls.from_dict(trial.recipe, name=trial.recipe.get("name", "?"), source=f"sweep {trial.sweep}")
        dataset = data.load(trial.data.get("dataset", "auto"), trial.data.get("path")).limited(trial.data.get("limit"))
        earlier = open_session(store / trial.name) if (store / trial.name / META).exists() else None
        if earlier is not None and earlier.status == "finished":  # done by an earlier attempt
            path = earlier.path
        elif earlier is not None and earlier.epochs_done and earlier.status != "running":  # a retry goes on
            path = training.resume(earlier.path, dataset, batch_interval=5.0)
        else:
            path = training.train(recipe, dataset, store, params=trial.params, epochs=trial.epochs,
                                  batch_size=trial.batch_size, name=trial.name, batch_interval=5.0,
                                  strategy=trial.strategy,
                                  extra_meta={"sweep": {"name": trial.sweep, "trial": trial.index,
                                                        "params": trial.params}})
        session = open_session(path)
        last = session.epochs[-1].logs if session.epochs else {}
        return {"name": trial.name, "status": session.status, "epochs": session.epochs_done,
                "val_loss": last.get("val_loss"), "loss": last.get("loss"), "reason": session.meta.get("reason", ""),
                "device": session.meta.get("device", "")}
    except AetuiError as err:
        return {"name": trial.name, "status": "failed", "reason": str(err), "epochs": 0}
    finally:
        from aetui.core import backend

        backend.clear()


def _pool_init(devices) -> None:
    """A local worker takes one device for its lifetime: `CUDA_VISIBLE_DEVICES` before TensorFlow
    loads (so inside the worker its GPU is GPU 0)."""
    from aetui.core.backend import log_path

    device = devices.get()
    if device is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = device
    with open(log_path(), "ab") as log:  # TensorFlow's chatter, from several processes at once
        os.dup2(log.fileno(), 2)


def run_local(trials: list[Trial], workers: int | None = None, gpus: int | None = None) -> Iterator[dict]:
    """Run trials in a pool of processes, one per GPU (else `workers`, default 2), yielding outcomes
    as trials finish."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    ids = visible_gpus() if gpus is None else [str(i) for i in range(gpus)]
    size = max(1, min(len(trials), workers or (len(ids) or 2)))
    context = multiprocessing.get_context("spawn")  # TensorFlow does not survive a fork
    devices = context.Manager().Queue()
    for i in range(size):
        devices.put(ids[i % len(ids)] if ids else None)
    with ProcessPoolExecutor(size, mp_context=context, initializer=_pool_init, initargs=(devices,)) as pool:
        futures = {pool.submit(run_trial, t): t for t in trials}
        for future in as_completed(futures):
            try:
                yield future.result()
            except Exception as err:  # the worker process died (killed, out of memory)
                yield {"name": futures[future].name, "status": "failed", "epochs": 0,
                       "reason": f"the worker process ended: {type(err).__name__}: {err}"}


def run_ray(trials: list[Trial], address: str | None = None, gpus_per_trial: float | None = None,
            cpus_per_trial: float = 1, retries: int = 2) -> Iterator[dict]:
    """Run each trial as a Ray task (Ray places, schedules and retries them), yielding outcomes as
    they finish. `address` joins a running cluster (`auto`, or `ray://host:10001`); without it a
    local Ray starts with this machine's CPUs."""
    try:
        import ray
    except ImportError:
        raise AetuiError("the ray backend needs Ray: pip install 'aetui[ray]'") from None
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    if not address:  # a private local Ray: no token to write into ~/.ray
        os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    started = not ray.is_initialized()
    if started:
        ray.init(address=address, include_dashboard=False, logging_level="ERROR", log_to_driver=False,
                 **({} if address else {"num_cpus": os.cpu_count() or 1, "object_store_memory": 100 * 2**20}))
    try:
        if gpus_per_trial is None:
            gpus_per_trial = 1 if ray.cluster_resources().get("GPU", 0) >= 1 else 0
        # A retried trial (its worker died) resumes its own session from the last saved epoch.
        options = {"num_cpus": cpus_per_trial, "max_retries": retries}
        if gpus_per_trial:
            options["num_gpus"] = gpus_per_trial  # Ray sets CUDA_VISIBLE_DEVICES for the task
        else:
            options["runtime_env"] = {"env_vars": {"CUDA_VISIBLE_DEVICES": ""}}  # no GPU grabbed by accident
        task = ray.remote(**options)(run_trial)
        pending = {task.remote(t): t for t in trials}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                trial = pending.pop(ref)
                try:
                    yield ray.get(ref)
                except Exception as err:  # a task that failed after its retries
                    yield {"name": trial.name, "status": "failed", "epochs": 0,
                           "reason": f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"}
    finally:
        if started:
            ray.shutdown()


def visible_gpus() -> list[str]:
    """The ids of the GPUs this process may use (as `CUDA_VISIBLE_DEVICES` names them)."""
    env = os.environ.get("CUDA_VISIBLE_DEVICES")
    if env is not None:
        return [d.strip() for d in env.split(",") if d.strip() and d.strip() != "-1"]
    from aetui.core import backend

    return [str(i) for i in range(backend.gpu_count())]


def read(path: Path) -> Sweep:
    """A sweep manifest."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return Sweep(**{k: raw[k] for k in ("name", "recipe", "grid", "trials", "backend", "created")},
                     epochs=raw.get("epochs"))
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise AetuiError(f"{path.name} is not a readable sweep ({type(err).__name__})") from None


def list_sweeps(store: Path) -> list[Sweep]:
    """Every readable sweep manifest in `store`, newest first."""
    found = []
    if store.is_dir():
        for path in store.glob("*" + SUFFIX):
            try:
                found.append(read(path))
            except AetuiError:
                continue
    return sorted(found, key=lambda s: s.created, reverse=True)


def find(store: Path, name: str) -> Sweep | None:
    """The sweep called `name` in `store`, or None."""
    path = store / (name + SUFFIX)
    return read(inside(store, path.name)) if "/" not in name and path.exists() else None


def final_figures(session) -> dict[str, float]:
    """A trial's last epoch: losses and statistics (empty if it has none)."""
    if not session.epochs:
        return {}
    last = session.epochs[-1]
    return {**{k: v for k, v in last.logs.items() if isinstance(v, (int, float)) and math.isfinite(v)},
            **{k: v for k, v in last.stats.items() if isinstance(v, (int, float))}}


def trial_sessions(store: Path, sweep: Sweep) -> list:
    """The sweep's trial sessions that exist so far, in grid order."""
    from aetui.core.sessions import META, open_session

    found = []
    for name in sweep.trials:
        if (store / name / META).exists():
            try:
                found.append(open_session(store / name))
            except AetuiError:
                continue
    return found


def progress(sweep: Sweep, trials: list) -> str:
    """`3/12 finished, 2 running, 1 diverged` for a sweep and the trial sessions found."""
    counts: dict[str, int] = {}
    for session in trials:
        counts[session.status] = counts.get(session.status, 0) + 1
    done = counts.pop("finished", 0)
    waiting = len(sweep.trials) - len(trials)
    parts = [f"{done}/{len(sweep.trials)} finished"] + [f"{n} {status}" for status, n in sorted(counts.items())]
    return ", ".join(parts + ([f"{waiting} waiting"] if waiting else []))


def ranking(trials: list, grid: list[str]) -> tuple[list[str], list[list[str]]]:
    """The sweep table: a row per trial with its grid values (which name its session), status,
    epochs, final losses and statistics, best final validation loss first; (columns, rows) as text."""
    from aetui.core.analysis.sparsity import figure_keys

    kinds = {s.meta.get("recipe", {}).get("kind", "ae") for s in trials}
    figures = list(dict.fromkeys(k for kind in sorted(kinds) for k in figure_keys(kind)))
    columns = [*grid, "status", "epochs", "val_loss", "loss", *figures]
    scored = []
    for s in trials:
        values = s.meta.get("sweep", {}).get("params", s.meta.get("params", {}))
        last = final_figures(s)
        val = last.get("val_loss", math.inf)
        row = [f"{values[g]:g}" if g in values else "-" for g in grid]
        row += [s.status, str(s.epochs_done), _fmt(last.get("val_loss")), _fmt(last.get("loss"))]
        row += [_fmt(last.get(f)) for f in figures]
        scored.append((val, row))
    return columns, [row for _, row in sorted(scored, key=lambda item: item[0])]


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.4g}"
