"""A store of 20,000 sessions as quick as one of 20: `python bench/store.py [--reps N] [--keep DIR]`.

Trains one real small session (`aetui train ae-32 --dataset digits --limit 256 --epochs 2`), then
builds stores of 20 and 20,000 sessions from it by hard links (every file of a copy is a link to
the first's, so they cost no disk; only the folders are new), and one of 20,000 recorded before
summaries (the same, without `summary.json`: every listing falls back to the record). Then, side
by side (the stores alternate, each figure the median of `--reps` fresh processes):

  `aetui ls` (every session), `aetui ls --limit 50`, and home's first paint with sessions (process
  start to the first frame after home's session list holds its rows, the real app under the Pilot),
  each through the store's index (`.aetui-index.json`, written by the listing before); and
  `aetui ls --limit 50` with the index removed first (`ls_limit_cold`: every summary read, the
  index written again).

Progress goes to stderr as it goes; the table of figures to stdout, then one JSON line (for
`bench/run.py`). `probe-home STORE` is the home measurement alone, run in a process of its own.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SIZES = (20, 20_000)
GOALS = {"home": 1.0, "ls_limit": 1.0, "ls": 3.0}
FIRST_PAINT = 0.3
"""The goal for the first painted home screen of a typical store (the 20 sessions' figure)."""
INDEX = ".aetui-index.json"
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "COLUMNS": "200"}


def say(text: str) -> None:
    print(f"store bench: {text}", file=sys.stderr, flush=True)


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def aetui(store: Path | None, *args: str) -> list[str]:
    return [sys.executable, "-m", "aetui", *(["--sessions", str(store)] if store else []), *args]


def train(where: Path) -> Path:
    """One real small session, trained by `aetui train`."""
    out = subprocess.run(aetui(where, "train", "ae-32", "--dataset", "digits", "--limit", "256", "--epochs", "2",
                               "--session", "seed"), capture_output=True, text=True, env=ENV, cwd=ROOT, timeout=600)
    if out.returncode != 0:
        sys.exit(f"store bench: training the seed session failed:\n{out.stderr[-2000:]}")
    return where / "seed"


def build(seed: Path, store: Path, count: int, summaries: bool = True) -> None:
    """`count` sessions in `store`, each a folder of hard links to `seed`'s files."""
    store.mkdir(parents=True)
    files = [p.relative_to(seed) for p in seed.rglob("*") if p.is_file() and not p.is_symlink()]
    if not summaries:
        files = [p for p in files if p.name != "summary.json"]
    folders = sorted({p.parent for p in files if p.parent != Path(".")})
    started = time.monotonic()
    for i in range(count):
        copy = store / f"run-{i:05d}"
        copy.mkdir()
        for folder in folders:
            (copy / folder).mkdir(parents=True, exist_ok=True)
        for name in files:
            os.link(seed / name, copy / name)
        if (i + 1) % 5000 == 0 or i + 1 == count:
            say(f"  {store.name}: {i + 1:,} of {count:,} sessions ({time.monotonic() - started:.1f} s)")


def cpu() -> float:
    """CPU seconds (user and system) of this process's children that ended so far."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def timed(argv: list[str], env: dict | None = None) -> tuple[float, float]:
    """(wall, CPU) seconds of the command `argv`, run to its end."""
    started, spent = time.perf_counter(), cpu()
    out = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env or ENV,
                         cwd=ROOT, timeout=600)
    if out.returncode != 0:
        sys.exit(f"store bench: {' '.join(argv)} failed:\n{out.stderr[-2000:]}")
    return time.perf_counter() - started, cpu() - spent


def home(store: Path) -> dict:
    """Home's first paint with sessions, in a fresh process (`probe-home`): seconds from its start."""
    spent = cpu()
    out = subprocess.run([sys.executable, __file__, "probe-home", str(store)], capture_output=True, text=True,
                         env={**ENV, "AETUI_T0": repr(time.time())}, cwd=ROOT, timeout=600)
    if out.returncode != 0:
        sys.exit(f"store bench: the home probe failed:\n{out.stderr[-2000:]}")
    return {**json.loads(out.stdout.splitlines()[-1]), "cpu": cpu() - spent}


def probe_home(store: str) -> dict:
    """Start the app on `store` and wait for the first frame painted after home's session list has rows."""
    t0 = float(os.environ["AETUI_T0"])
    from textual.widgets import DataTable

    from aetui.core import data
    from aetui.ui.app import AetuiApp
    from aetui.ui.screens.home import HomeScreen

    painted: list[float] = []
    rows: list[int] = []

    class Probe(AetuiApp):
        def on_mount(self) -> None:  # (Textual calls AetuiApp.on_mount itself: it pushes home)
            self.set_interval(0.005, self.look)

        def look(self) -> None:
            if painted or rows or not isinstance(self.screen, HomeScreen):
                return
            table = self.screen.query_one("#sessions", DataTable)
            if table.row_count and table.coordinate_to_cell_key((0, 0)).row_key.value:
                rows.append(table.row_count)
                self.call_after_refresh(lambda: (painted.append(time.time()), self.exit()))

    async def run() -> None:
        app = Probe(Path(store), lambda: data.load("digits"))
        async with app.run_test(size=(120, 40)) as pilot:
            while not painted:
                await pilot.pause(0.01)

    asyncio.run(run())
    return {"seconds": painted[0] - t0, "rows": rows[0]}


def measure(stores: dict[str, Path], reps: int) -> dict:
    """Each figure of each store, alternating the stores, `reps` fresh processes each."""
    figures = ("ls", "ls_limit", "ls_limit_cold", "home")
    runs: dict[str, dict[str, list[float]]] = {name: {k: [] for f in figures for k in (f, f + "_cpu")} for name in stores}
    rows: dict[str, int] = {}
    for rep in range(reps):
        order = list(stores) if rep % 2 == 0 else list(reversed(stores))
        for name in order:
            store = stores[name]
            (store / INDEX).unlink(missing_ok=True)  # (cold: the first listing reads every summary, writes the index)
            for figure, argv in (("ls_limit_cold", aetui(store, "ls", "--limit", "50")), ("ls", aetui(store, "ls")),
                                 ("ls_limit", aetui(store, "ls", "--limit", "50"))):
                wall, used = timed(argv)
                runs[name][figure].append(wall)
                runs[name][figure + "_cpu"].append(used)
            if not name.endswith("old"):
                shown = home(store)
                runs[name]["home"].append(shown["seconds"])
                runs[name]["home_cpu"].append(shown["cpu"])
                rows[name] = shown["rows"]
            say(f"  rep {rep + 1}/{reps}, {name}: ls {runs[name]['ls'][-1]:.2f} s, ls --limit 50 "
                f"{runs[name]['ls_limit'][-1]:.2f} s (without the index "
                f"{runs[name]['ls_limit_cold'][-1]:.2f} s)" + (f", home {runs[name]['home'][-1]:.2f} s "
                                                         f"({rows[name]} rows)" if runs[name]["home"] else "")
                + f"; load {load()}")
    return {name: {"median_s": {k: statistics.median(v) for k, v in figs.items() if v}, "runs": figs,
                   "home_rows": rows.get(name)} for name, figs in runs.items()}


def table(figures: dict) -> list[str]:
    """The figures as rows of the README's performance table (load: the 1, 5 and 15 minute load
    averages at the end; the machine has 2 cores)."""
    big, small, old = ({"ls_limit_cold": math.nan, "ls_limit_cold_cpu": math.nan, **figures[k]["median_s"]}
                       for k in ("20000", "20", "20000-old"))  # (figures recorded before the index had no cold one)
    verdict = {k: "met" if big[k] <= goal else "**short**" for k, goal in GOALS.items()}
    load = f"load {figures['load'].split()[0]}" if "load" in figures else "load not recorded"
    return [
        f"| store of 20,000 sessions: home's first paint with sessions, wall (CPU) | {big['home']:.2f} s "
        f"({big['home_cpu']:.2f} s; {load}) | <= 1 s | {verdict['home']} |",
        f"| typical store (20 sessions): home's first paint with sessions, wall (CPU) | {small['home']:.2f} s "
        f"({small['home_cpu']:.2f} s) | <= {FIRST_PAINT} s | {'met' if small['home'] <= FIRST_PAINT else '**short**'} |",
        f"| store of 20,000 sessions: `aetui ls --limit 50`, wall (CPU); without the index (rebuilt); 20 sessions | "
        f"{big['ls_limit']:.2f} s ({big['ls_limit_cpu']:.2f} s); {big['ls_limit_cold']:.2f} s "
        f"({big['ls_limit_cold_cpu']:.2f} s); {small['ls_limit']:.2f} s | <= 1 s | {verdict['ls_limit']} |",
        f"| store of 20,000 sessions: `aetui ls`, every session, wall (CPU); 20 sessions; 20,000 recorded before "
        f"summaries | {big['ls']:.2f} s ({big['ls_cpu']:.2f} s); {small['ls']:.2f} s; {old['ls']:.2f} s "
        f"({old['ls_cpu']:.2f} s) | <= 3 s | {verdict['ls']} |",
    ]


def main() -> None:
    if sys.argv[1:2] == ["probe-home"]:
        print(json.dumps(probe_home(sys.argv[2])))
        return
    reps = int(sys.argv[sys.argv.index("--reps") + 1]) if "--reps" in sys.argv else 3
    keep = Path(sys.argv[sys.argv.index("--keep") + 1]) if "--keep" in sys.argv else None
    where = keep or Path(tempfile.mkdtemp(prefix="aetui-store-bench-"))
    started = time.monotonic()
    say(f"load {load()} at the start; working in {where}")
    try:
        seed = where / "seed-store" / "seed"
        if not (seed / "summary.json").exists():
            say("training the seed session (ae-32, 256 digits, 2 epochs)")
            seed = train(where / "seed-store")
        stores = {str(n): where / f"store-{n}" for n in SIZES} | {"20000-old": where / "store-20000-old"}
        for name, store in stores.items():
            if not store.exists():
                say(f"building {name} sessions by hard links")
                build(seed, store, int(name.split("-")[0]), summaries=not name.endswith("old"))
        say(f"measuring, {reps} rounds")
        figures = measure(stores, reps)
        figures["load"] = load()
    finally:
        if keep is None:
            say("removing the stores")
            shutil.rmtree(where, ignore_errors=True)
    print("\n".join(table(figures)))
    print(f"\nload (1, 5, 15 min) at the end: {figures['load']}; {time.monotonic() - started:.0f} s in all")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
