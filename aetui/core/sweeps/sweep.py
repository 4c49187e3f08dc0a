"""Hyperparameter sweeps: every combination of a grid, each trained as its own session.

A sweep is a manifest, `STORE/NAME.sweep.json` (the recipe, the grid, the trials' session names),
beside the sessions it groups; each trial's `session.json` names its sweep under `sweep`. A trial
is `worker.run_trial(Trial)`: plain data in, a session on disk out, so any backend
(`aetui.core.sweeps.backends`: a local process pool, or Ray) can run it in any process that sees
the session store.
"""

from __future__ import annotations

import itertools
import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from aetui.core import hparams
from aetui.core.backend import STRATEGIES
from aetui.core.errors import AetuiError
from aetui.core.recipe import Recipe
from aetui.core.store.paths import inside, safe_name

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
    from aetui.core.store.files import Folder

    def write() -> None:
        with Folder.open(store, follow=True) as root:
            root.write(inside(store, candidate + SUFFIX).name, json.dumps(asdict(sweep), indent=1).encode("utf-8"))

    _written(write, store)
    return sweep, sweep.planned(store)


def hold(store: Path, name: str) -> int:
    """Take the sweep's lock for as long as this process runs it (the OS lets go if it dies); its
    file descriptor. Refused while another `aetui sweep` runs the same sweep."""
    from aetui.core.store import locks

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
        from aetui.core.errors import cannot_write

        raise AetuiError(cannot_write(store, err)) from None


def done(session) -> bool:
    """A trial session with nothing left to do: finished, diverged (it would again), or at its epoch total."""
    return session.status in ("finished", "diverged") or session.epochs_done >= session.meta.epochs


def running(store: Path, name: str) -> bool:
    """Whether an `aetui sweep` process is running the sweep now (it holds the sweep's lock)."""
    from aetui.core.store import locks

    return locks.held(store / (name + LOCK_SUFFIX))


def unfinished(store: Path, sweep: Sweep) -> list[Trial]:
    """The trials of a stopped sweep still to run (never started, interrupted, killed, failed), as
    `plan` made them; `run_trial` goes on with those that have a session. Refused, in one line,
    while a trial is trained by another process or where the manifest does not record the recipe
    and data. (Take the sweep's lock, `hold`, first: then no `aetui sweep` is starting a trial.)"""
    from aetui.core.store.sessions import META, open_session

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


def read(path: Path) -> Sweep:
    """A sweep manifest, checked: names are plain names inside the store, values are numbers."""
    from aetui.core.store.files import MB, read_bytes
    from aetui.core.text import printable_data

    try:
        raw = printable_data(json.loads(read_bytes(path, MB, path.name).decode("utf-8")))
        sweep = Sweep(**{k: raw[k] for k in ("name", "recipe", "grid", "trials", "backend", "created")},
                      **{k: raw.get(k) for k in ("epochs", "batch_size", "spec", "data", "strategy")})
        ok = (all(isinstance(v, str) for v in (sweep.name, sweep.recipe, sweep.backend, sweep.created))
              and (sweep.strategy is None or sweep.strategy in STRATEGIES)
              and all(v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in (sweep.epochs,
                                                                                              sweep.batch_size))
              and all(v is None or isinstance(v, dict) for v in (sweep.spec, sweep.data))
              and (sweep.data is None or _data_ok(sweep.data))
              and isinstance(sweep.grid, dict) and isinstance(sweep.trials, list)
              and all(isinstance(v, list) and all(_finite(x) for x in v) for v in sweep.grid.values())
              and all(isinstance(t, str) for t in sweep.trials))
        if not ok:
            raise TypeError("a field has the wrong type")
        for name in sweep.trials:
            inside(path.parent, name)
        return sweep
    except AetuiError as err:
        raise AetuiError(f"{path.name} is not a readable sweep ({err})") from None
    except (OSError, ValueError, KeyError, TypeError, RecursionError) as err:
        raise AetuiError(f"{path.name} is not a readable sweep ({type(err).__name__})") from None


def _finite(value) -> bool:
    """A number a float holds (a JSON integer may be any size)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def _data_ok(where: dict) -> bool:
    """A manifest's data: a dataset name, an optional path, an optional limit."""
    return (isinstance(where.get("dataset"), str) and (where.get("path") is None or isinstance(where["path"], str))
            and (where.get("limit") is None or (isinstance(where["limit"], int) and not isinstance(where["limit"], bool))))


def list_sweeps(store: Path, damaged: list[tuple[str, str]] | None = None) -> list[Sweep]:
    """Every readable sweep manifest in `store`, newest first; those that cannot be read go into
    `damaged` as (file name, reason)."""
    found = []
    if store.is_dir():
        for path in store.glob("*" + SUFFIX):
            try:
                found.append(read(path))
            except AetuiError as err:
                if damaged is not None:
                    damaged.append((path.name, str(err)))
    return sorted(found, key=lambda s: s.created, reverse=True)


def find(store: Path, name: str) -> Sweep | None:
    """The sweep called `name` in `store`, or None."""
    path = store / (name + SUFFIX)
    return read(inside(store, path.name)) if path.exists() else None
