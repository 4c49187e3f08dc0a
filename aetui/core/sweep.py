"""Hyperparameter sweeps: every combination of a grid, each trained as its own session.

A sweep is a manifest, `STORE/NAME.sweep.json` (the recipe, the grid, the trials' session names),
beside the sessions it groups; each trial's `session.json` names its sweep under `sweep`. A trial
is `run_trial(Trial)`: plain data in, a session on disk out, so any backend
(`aetui.core.sweep_backends`: a local process pool, or Ray) can run it in any process that sees
the session store.
"""

from __future__ import annotations

import itertools
import json
import math
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from aetui.core import hparams
from aetui.core.backend import STRATEGIES
from aetui.core.errors import AetuiError
from aetui.core.recipe import Recipe
from aetui.core.paths import inside, safe_name

SUFFIX = ".sweep.json"
LOCK_SUFFIX = ".sweep.lock"
"""Held (flock) by the `aetui sweep` process running the sweep, fresh or resumed."""
NAME_LIMIT = 80
"""Session names are cut at this length (`paths.safe_name`)."""
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


def trial_names(sweep: str, combos: list[dict[str, float]]) -> list[str]:
    """`sweep-beta0.1-p0.05` per combination: readable, and unique within the sweep; numbered
    (`sweep-t007`) where the values would not fit a name or print alike."""
    names = [safe_name(sweep + "".join(f"-{k}{v:g}" for k, v in combo.items())) for combo in combos]
    fits = all(len(sweep + "".join(f"-{k}{v:g}" for k, v in c.items())) <= NAME_LIMIT for c in combos)
    if fits and len(set(names)) == len(names):
        return names
    return [f"{sweep}-t{i:03d}" for i in range(len(combos))]


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
    batch_size: int | None = None
    spec: dict | None = None
    """The recipe itself, as `Recipe.to_dict` gives it (None in manifests from before resuming)."""
    data: dict | None = None
    """The data every trial loads (as `Trial.data`)."""
    strategy: str | None = None

    def planned(self, store: Path) -> list[Trial]:
        """Every trial of the sweep, in grid order, as plain data for a backend."""
        combos = combinations(self.grid)
        if self.spec is None or self.data is None or len(combos) != len(self.trials):
            raise AetuiError(f"{self.name}{SUFFIX} does not record its trials whole")
        return [Trial(self.name, i, name, self.spec, combo, str(store.resolve()), self.data, self.epochs,
                      self.batch_size, self.strategy) for i, (name, combo) in enumerate(zip(self.trials, combos))]


def plan(recipe: Recipe, grid: dict[str, list[float]], store: Path, name: str | None, data: dict,
         epochs: int | None = None, batch_size: int | None = None, strategy: str | None = None,
         backend: str = "local") -> tuple[Sweep, list[Trial]]:
    """Name the sweep and its trials and write its manifest; nothing is trained yet."""
    if backend not in BACKENDS:
        raise AetuiError(f"unknown backend {backend!r} (one of {', '.join(BACKENDS)})")
    _written(lambda: store.mkdir(parents=True, exist_ok=True), store)
    base = safe_name(name or f"{recipe.name}-sweep-{time.strftime('%Y%m%d-%H%M%S')}")
    for n in range(1, 1000):
        candidate = base if n == 1 else f"{base}-{n}"
        if not (store / (candidate + SUFFIX)).exists() and not list(store.glob(f"{candidate}-*")):
            break
    else:
        raise AetuiError(f"too many sweeps named {base!r} in {store}")
    sweep = Sweep(candidate, recipe.name, grid, trial_names(candidate, combinations(grid)), backend,
                  time.strftime("%Y-%m-%dT%H:%M:%S%z"), epochs, batch_size, recipe.to_dict(), data, strategy)
    from aetui.core.files import write_json

    _written(lambda: write_json(inside(store, candidate + SUFFIX), asdict(sweep)), store)
    return sweep, sweep.planned(store)


def hold(store: Path, name: str) -> int:
    """Take the sweep's lock for as long as this process runs it (the OS lets go if it dies); its
    file descriptor. Refused while another `aetui sweep` runs the same sweep."""
    from aetui.core import locks

    fd = _written(lambda: locks.take(inside(store, name + LOCK_SUFFIX)), store)
    if fd is None:
        raise AetuiError(_busy(name))
    return fd


def check_idle(store: Path, name: str) -> None:
    """An error if an `aetui sweep` process is running the sweep now."""
    if running(store, name):
        raise AetuiError(_busy(name))


def _busy(name: str) -> str:
    return (f"sweep {name} is being run by another `aetui sweep` process: stop that one first (Ctrl-C where it "
            "runs), or let it finish")


def _written(action, store: Path):
    """A write into the store; a full disk or a read-only folder becomes one clear line."""
    try:
        return action()
    except OSError as err:
        raise AetuiError(f"cannot write to {store}: {err.strerror or err}; free space or pass --sessions DIR "
                         "with a writable folder") from None


def run_trial(trial: Trial) -> dict:
    """Train one trial (in whatever process runs it); returns its outcome as plain data.

    A trial whose session exists already (an earlier attempt died) goes on with it rather than
    starting another. SIGTERM (the sweep being stopped) ends it after the current batch,
    `interrupted` and resumable.
    """
    import signal

    from aetui.core import data, training
    from aetui.core.recipe import Recipe as RecipeCls
    from aetui.core.sessions import META, open_session

    store = Path(trial.store)
    if _stopping.is_set():
        return {"name": trial.name, "status": "cancelled", "reason": "the sweep was stopped", "epochs": 0}
    try:
        recipe = RecipeCls.from_dict(trial.recipe, name=trial.recipe.get("name", "?"), source=f"sweep {trial.sweep}")
        controls = _running["controls"] = training.Controls(recipe.tunables)
        if _stopping.is_set():  # (stopped while this trial was being set up)
            controls.interrupt("the sweep was stopped")
        if threading.current_thread() is threading.main_thread():  # (a local worker has it already)
            signal.signal(signal.SIGTERM, stop_trial)
        dataset = data.load(trial.data.get("dataset", "auto"), trial.data.get("path")).limited(trial.data.get("limit"))
        earlier = open_session(store / trial.name) if (store / trial.name / META).exists() else None
        if earlier is None:
            path = training.train(recipe, dataset, store, params=trial.params, epochs=trial.epochs,
                                  batch_size=trial.batch_size, name=trial.name, batch_interval=5.0,
                                  strategy=trial.strategy, controls=controls,
                                  extra_meta={"sweep": {"name": trial.sweep, "trial": trial.index,
                                                        "params": trial.params}})
        elif done(earlier):
            path = earlier.path  # done by an earlier attempt
        else:
            path = training.resume(earlier.path, dataset, batch_interval=5.0, controls=controls)
        session = open_session(path)
        last = final_figures(session)
        return {"name": trial.name, "status": session.status, "epochs": session.epochs_done,
                "val_loss": last.get("val_loss"), "loss": last.get("loss"), "reason": session.meta.reason}
    except AetuiError as err:
        return {"name": trial.name, "status": "failed", "reason": str(err), "epochs": 0}
    except Exception as err:  # a bug or a device error: this trial fails, the sweep goes on
        return {"name": trial.name, "status": "failed", "reason": f"{type(err).__name__}: {err}", "epochs": 0}
    finally:
        from aetui.core import backend

        _running.pop("controls", None)
        backend.clear()


def done(session) -> bool:
    """A trial session with nothing left to do: finished, diverged (it would again), or at its epoch total."""
    return session.status in ("finished", "diverged") or session.epochs_done >= session.meta.epochs


def running(store: Path, name: str) -> bool:
    """Whether an `aetui sweep` process is running the sweep now (it holds the sweep's lock)."""
    from aetui.core import locks

    return locks.held(store / (name + LOCK_SUFFIX))


def unfinished(store: Path, sweep: Sweep) -> list[Trial]:
    """The trials of a stopped sweep still to run (never started, interrupted, killed, failed), as
    `plan` made them; `run_trial` goes on with those that have a session. Refused, in one line,
    while a trial is trained by another process or where the manifest does not record the recipe
    and data. (Take the sweep's lock, `hold`, first: then no `aetui sweep` is starting a trial.)"""
    from aetui.core.sessions import META, open_session

    if sweep.spec is None or sweep.data is None:
        raise AetuiError(f"sweep {sweep.name} was planned by an older aetui and cannot be resumed as a whole: "
                         "`aetui resume SESSION` goes on with each of its trials that has a session; the others "
                         "need a new sweep")
    pending = []
    for trial in sweep.planned(store):
        if (store / trial.name / META).exists():
            session = open_session(store / trial.name)
            if session.status == "running":
                raise AetuiError(f"trial {trial.name} of sweep {sweep.name} is being trained by another process "
                                 f"({session.meta.pid} on {session.meta.host}: `aetui resume` or the "
                                 "workbench): let it finish or stop it first")
            if done(session):
                continue
        pending.append(trial)
    return pending


_stopping = threading.Event()
"""Set in a worker process once its sweep is stopped: no further trial starts there."""
_running: dict = {}
"""The controls of the trial this process is training, for `stop_trial`."""


def stop_trial(signum=None, frame=None) -> None:
    """SIGTERM in a worker: the trial in progress stops after its batch, and no other starts."""
    _stopping.set()
    if "controls" in _running:
        _running["controls"].interrupt("the sweep was stopped")


def trial_running() -> bool:
    """Whether this process is training a trial now."""
    return "controls" in _running


def read(path: Path) -> Sweep:
    """A sweep manifest, checked: names are plain names inside the store, values are numbers."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        sweep = Sweep(**{k: raw[k] for k in ("name", "recipe", "grid", "trials", "backend", "created")},
                      **{k: raw.get(k) for k in ("epochs", "batch_size", "spec", "data", "strategy")})
        ok = (all(isinstance(v, str) for v in (sweep.name, sweep.recipe, sweep.backend, sweep.created))
              and (sweep.strategy is None or sweep.strategy in STRATEGIES)
              and all(v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in (sweep.epochs,
                                                                                              sweep.batch_size))
              and all(v is None or isinstance(v, dict) for v in (sweep.spec, sweep.data))
              and (sweep.data is None or _data_ok(sweep.data))
              and isinstance(sweep.grid, dict) and isinstance(sweep.trials, list)
              and all(isinstance(v, list) and all(isinstance(x, (int, float)) for x in v) for v in sweep.grid.values())
              and all(isinstance(t, str) for t in sweep.trials))
        if not ok:
            raise TypeError("a field has the wrong type")
        for name in sweep.trials:
            inside(path.parent, name)
        return sweep
    except (OSError, ValueError, KeyError, TypeError, AetuiError) as err:
        raise AetuiError(f"{path.name} is not a readable sweep ({type(err).__name__})") from None


def _data_ok(where: dict) -> bool:
    """A manifest's data: a dataset name, an optional path, an optional limit."""
    return (isinstance(where.get("dataset"), str) and (where.get("path") is None or isinstance(where["path"], str))
            and (where.get("limit") is None or (isinstance(where["limit"], int) and not isinstance(where["limit"], bool))))


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
    return read(inside(store, path.name)) if path.exists() else None


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
    epochs, final losses and statistics, best final validation loss first; (columns, rows), the
    rows holding the values themselves (None where missing) for the caller to format."""
    from aetui.core.analysis.sparsity import figure_keys

    kinds = {s.meta.kind for s in trials}
    figures = list(dict.fromkeys(k for kind in sorted(kinds) for k in figure_keys(kind)))
    columns = [*grid, "status", "epochs", "val_loss", "loss", *figures]
    scored = []
    for s in trials:
        values = trial_values(s)
        last = final_figures(s)
        val = last.get("val_loss", math.inf)
        row = [values.get(g) for g in grid]
        row += [s.status, s.epochs_done, last.get("val_loss"), last.get("loss")]
        row += [last.get(f) for f in figures]
        scored.append((val, row))
    return columns, [row for _, row in sorted(scored, key=lambda item: item[0])]


def trial_values(session) -> dict[str, float]:
    """The grid values a trial session was run with (empty if its record is damaged)."""
    found = session.meta.sweep
    values = found.get("params") if isinstance(found, dict) else None
    if not isinstance(values, dict):
        return {}
    return {k: v for k, v in values.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}

