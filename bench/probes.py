"""Single measurements run in a fresh process each: `python bench/probes.py NAME [ARGS]`, one JSON line out.

  first-frame                 process start to the first painted home screen (pass T0 in AETUI_T0)
  keys DATA_DIR               key press to handled while the app trains `ae-32` (p50, p99 in ms)
  replay                      open a 100-epoch session in the replay screen, then step one epoch on
                              the curves and on the reconstructions (`AETUI_BENCH_IDLE` s apart: 0.2)

With `AETUI_BENCH_GRAPHICS=sixel` (or kitty, halfblock) the app draws its images that way, chosen
as the command line chooses it (headless, Sixel data is still made and written, to no terminal).
  footprint DATA_DIR          bytes on disk per epoch (vae-2d) and resident memory while training
  scaling DATA_DIR N...       epoch time of ae-32 for training sets of N images (MNIST, or fashion)
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def graphics():
    """The renderer asked for in `AETUI_BENCH_GRAPHICS` (None: the app's default, half blocks)."""
    asked = os.environ.get("AETUI_BENCH_GRAPHICS")
    if not asked:
        return None
    from aetui.views.terminal import choose_graphics

    return choose_graphics(asked)


def rss_mb() -> float:
    """Resident memory of this process in MiB (Linux)."""
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def first_frame() -> dict:
    t0 = float(os.environ["AETUI_T0"])
    from aetui.core import data
    from aetui.ui.app import AetuiApp

    chosen = graphics()
    painted: list[float] = []

    class Probe(AetuiApp):
        def on_mount(self) -> None:
            super().on_mount()
            self.call_after_refresh(lambda: (painted.append(time.time()), loaded.append(set(sys.modules)),
                                             self.exit()))

    loaded: list[set] = []

    async def run() -> None:
        with tempfile.TemporaryDirectory() as store:
            app = Probe(Path(store), lambda: data.load("digits"), graphics=chosen)
            async with app.run_test(size=(80, 24)) as pilot:
                while not painted:
                    await pilot.pause(0.01)

    asyncio.run(run())
    return {"seconds": painted[0] - t0, "tensorflow_loaded_at_paint": "tensorflow" in sys.modules,
            "numpy_loaded_at_paint": "numpy" in loaded[0]}


def keys(data_dir: str) -> dict:
    from appdrive import start_training
    from textual import events

    from aetui.core import data as datasets
    from aetui.core import recipe as recipes
    from aetui.core.store import paths
    from aetui.ui.app import AetuiApp

    mnist = datasets.load(path=data_dir)
    recipe = recipes.find("ae-32", paths.recipe_dirs())
    latencies: list[float] = []
    sent: dict[int, float] = {}

    class Probe(AetuiApp):
        def on_key(self, event: events.Key) -> None:
            if event.key == "f12" and sent:
                latencies.append(time.perf_counter() - sent.pop(min(sent)))

    async def run() -> None:
        with tempfile.TemporaryDirectory() as store:
            app = Probe(Path(store), lambda: mnist, graphics=graphics())
            async with app.run_test(size=(120, 40)) as pilot:
                await start_training(app, pilot, recipe)
                while not app.runner.state.epochs:  # measure once an epoch is under way
                    await asyncio.sleep(0.05)
                stop = threading.Event()

                def press() -> None:  # a person typing, about 20 keys a second, from another thread
                    n = 0
                    while not stop.is_set() and n < 300:
                        sent[n] = time.perf_counter()
                        app.post_message(events.Key("f12", None))
                        n += 1
                        time.sleep(0.05)

                typist = threading.Thread(target=press)
                typist.start()
                while typist.is_alive():
                    await asyncio.sleep(0.1)
                stop.set()
                app.runner.stop()
                await app.runner.wait()

    asyncio.run(run())
    ms = sorted(x * 1000 for x in latencies)
    return {"p50_ms": ms[len(ms) // 2], "p99_ms": ms[int(len(ms) * 0.99) - 1], "presses": len(ms)}


IDLE = float(os.environ.get("AETUI_BENCH_IDLE", "0.2"))
"""Seconds between replay steps in the replay probe (0: one after another, as fast as they go)."""


def replay() -> dict:
    from aetui.core import data
    from aetui.ui.app import AetuiApp
    from aetui.ui.screens.replay import ReplayScreen
    from tests.support import mnist_sized, synthetic_session

    async def run() -> dict:
        with tempfile.TemporaryDirectory() as store:
            path = synthetic_session(Path(store), "hundred", epochs=100, code=32, kind="ae", dataset=mnist_sized())
            app = AetuiApp(Path(store), lambda: data.load("digits"), warm_up=False, graphics=graphics())
            async with app.run_test(size=(160, 48)) as pilot:
                while "digits" not in app.workbench.info_line():  # the warm-up a person would wait through anyway
                    await pilot.pause(0.05)
                t = time.perf_counter()
                from aetui.ui.messages import OpenSession

                app.post_message(OpenSession(path))
                await pilot.pause()
                opened = time.perf_counter() - t
                medians, cpu = {}, {}
                for tab in ("curves", "recon"):  # the curves, then a picture remade at every step
                    app.screen.action_tab(tab)
                    await pilot.pause(0.2)
                    steps, used = [], []
                    for _ in range(10):
                        await pilot.pause(IDLE)  # (a person's pace: the replay makes the neighbours meanwhile)
                        t, c = time.perf_counter(), time.thread_time()
                        app.screen.action_step(-1)
                        app.screen.refresh()
                        await pilot.pause()
                        steps.append(time.perf_counter() - t)
                        used.append(time.thread_time() - c)  # (the UI thread's CPU: what a loaded machine can't stretch)
                    medians[tab] = sorted(steps)[len(steps) // 2] * 1000
                    cpu[tab] = sorted(used)[len(used) // 2] * 1000
                assert isinstance(app.screen, ReplayScreen)
                return {"open_s": opened, "step_ms": medians["curves"], "step_recon_ms": medians["recon"],
                        "step_cpu_ms": cpu["curves"], "step_recon_cpu_ms": cpu["recon"],
                        "load": os.getloadavg()[0]}

    return asyncio.run(run())


def footprint(data_dir: str) -> dict:
    from aetui.core import data as datasets
    from aetui.core import recipe as recipes
    from aetui.core.store import paths
    from aetui.core.training import trainer

    mnist = datasets.load(path=data_dir)
    recipe = recipes.find("vae-2d", paths.recipe_dirs())
    peak = [rss_mb()]

    def watch(event) -> None:
        peak[0] = max(peak[0], rss_mb())

    with tempfile.TemporaryDirectory() as store:
        path = trainer.train(recipe, mnist, Path(store), epochs=3, on_event=watch)
        snapshots = sum(f.stat().st_size for f in (path / "snapshots").iterdir())
        history = (path / "history.jsonl").stat().st_size
        weights = sum(f.stat().st_size for f in (path / "weights").iterdir())
        fixed = (path / "fixed.npz").stat().st_size
    return {"per_epoch_kb": (snapshots + history) / 3 / 1024, "weights_kb": weights / 1024,
            "fixed_kb": fixed / 1024, "peak_rss_mb": peak[0]}


def scaling(data_dir: str, sizes: list[int]) -> dict:
    from aetui.core import events
    from aetui.core import data as datasets
    from aetui.core import recipe as recipes
    from aetui.core.store import paths
    from aetui.core.training import trainer

    full = datasets.load(path=data_dir)
    recipe = recipes.find("ae-32", paths.recipe_dirs())
    out = {}
    for n in sizes:
        seconds: list[float] = []
        with tempfile.TemporaryDirectory() as store:
            trainer.train(recipe, full.limited(n), Path(store), epochs=3,
                          on_event=lambda e: seconds.append(e.seconds) if isinstance(e, events.EpochEnded) else None)
        out[str(min(n, len(full.x_train)))] = sorted(seconds[1:])[0]
    return {"epoch_seconds": out, "source": full.source}


def breakdown(data_dir: str) -> dict:
    """Where an epoch's wall time goes (`EpochEnded.timing`), for ae-32 on MNIST as it is, and with
    a GPU's pace simulated: the first 2,048 training images, so an epoch trains in about 50 ms
    here. Means over the epochs after the first (which holds tracing)."""
    from aetui.core import events
    from aetui.core import data as datasets
    from aetui.core import recipe as recipes
    from aetui.core.store import paths
    from aetui.core.training import run, trainer

    full = datasets.load(path=data_dir)
    recipe = recipes.find("ae-32", paths.recipe_dirs())
    out = {}
    for label, data, epochs in (("mnist", full, 8), ("fast", full.limited(2048), 60)):
        ends: list = []
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as store:
            trainer.train(recipe, data, Path(store), epochs=epochs,
                          on_event=lambda e: ends.append(e) if isinstance(e, events.EpochEnded) else None)
        wall = time.perf_counter() - started
        timed = [e.timing for e in ends[1:]]
        mean = {k: sum(t[k] for t in timed) / len(timed) for k in ("train", *run.PARTS)}
        total = sum(mean.values())
        bookkeeping = sum(v for k, v in mean.items() if k not in ("train", "validation"))
        out[label] = {"train_images": len(data.x_train), "epochs": epochs, "wall_s": wall, "mean_s": mean,
                      "epoch_s": total, "bookkeeping_share": bookkeeping / total,
                      "pictured": sum(e.pictured for e in ends)}
    return out


if __name__ == "__main__":
    name, args = sys.argv[1], sys.argv[2:]
    result = {"first-frame": lambda: first_frame(), "keys": lambda: keys(args[0]), "replay": lambda: replay(),
              "breakdown": lambda: breakdown(args[0]),
              "footprint": lambda: footprint(args[0]),
              "scaling": lambda: scaling(args[0], [int(a) for a in args[1:]])}[name]()
    print(json.dumps(result))
