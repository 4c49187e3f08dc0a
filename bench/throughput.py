"""Throughput measurements in a fresh process (TensorFlow's threading is fixed per process).

    python bench/throughput.py MODE[,MODE...] RECIPE DATA_DIR EPOCHS

`bare-default` needs a process of its own; the other three share the workbench's settings and
run one after another in one process, in the order given (the suite rotates it).

MODE:
  bare-default  the seed's way: `model.fit` of the same network, TensorFlow's default threads, and
                Keras's default compile settings (one step per execution)
  bare-tuned    `model.fit` with the workbench's TensorFlow and compile settings (`backend.configure`,
                the recipe's `steps_per_execution`), no callbacks: what the UI and engine cost
  engine        `trainer.train` with its event stream attached exactly as the TUI attaches it
  app           the Textual app itself running headless, training through its runner
  headless      `aetui train` as the command runs it: the trainer in a thread, its events printed
                by the console reporter (to /dev/null here), the main thread waiting on it

The app's screen size is `AETUI_BENCH_SIZE` (COLUMNSxROWS, 120x40 unless set) and its images are
drawn as `AETUI_BENCH_GRAPHICS` asks (see bench/probes.py; half blocks unless set).

Prints one JSON line per mode: the training samples per second of each epoch after the first
(the first holds tracing), measured over the training loop only in every mode; and `walls`, each
of those epochs' whole wall time (training, validation and bookkeeping: `EpochEnded.timing`); for
`app`, `ui_cpu_s`: the UI thread's CPU seconds per epoch while it trains.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def bare(recipe, data, epochs: int, tuned: bool) -> list[float]:
    from aetui.core import backend, families

    if tuned:
        backend.configure()
    else:  # TensorFlow as the seed ran it: default threads
        import tensorflow as tf  # noqa: F401

    built = families.build(recipe, data.input_dim)
    import keras

    if not tuned:  # the seed compiled with Keras's defaults: one step per execution
        built.model.compile(optimizer=built.model.optimizer, steps_per_execution=1)

    times: list[float] = []

    class EpochClock(keras.callbacks.Callback):  # epoch hooks only: batches stay asynchronous
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.start)

    built.model.fit(data.x_train, data.x_train, batch_size=recipe.train["batch_size"], epochs=epochs, verbose=0,
                    shuffle=True, callbacks=[EpochClock()])
    return [len(data.x_train) / t for t in times[1:]]


def engine(recipe, data, epochs: int) -> list[float]:
    import queue

    from aetui.core import events
    from aetui.core.training import trainer

    inbox: queue.SimpleQueue = queue.SimpleQueue()
    with tempfile.TemporaryDirectory() as store:
        trainer.train(recipe, data, Path(store), epochs=epochs, on_event=inbox.put)
    rates = []
    while not inbox.empty():
        event = inbox.get()
        if isinstance(event, events.EpochEnded):
            rates.append(event.samples_per_s)
    return rates[1:]


def headless(recipe, data, epochs: int) -> tuple[list[float], list[float]]:
    import threading

    from rich.console import Console

    from aetui.core import events
    from aetui.core.training import trainer
    from aetui.views.console import ConsoleReporter

    ended: list = []
    with tempfile.TemporaryDirectory() as store, open(os.devnull, "w") as sink:
        console = ConsoleReporter(recipe, data, Console(file=sink, highlight=False))

        def report(event) -> None:
            if isinstance(event, events.EpochEnded):
                ended.append(event)
            console(event)

        worker = threading.Thread(target=lambda: trainer.train(recipe, data, Path(store), epochs=epochs,
                                                               on_event=report, controls=trainer.Controls(
                                                                   recipe.tunables)))
        worker.start()
        while worker.is_alive():  # (as `aetui train` waits: in steps, so Ctrl-C is heard)
            worker.join(0.2)
        console.close()
    return [e.samples_per_s for e in ended][1:], [sum(e.timing.values()) for e in ended][1:]


UI_CPU: list[float] = []
"""The app's UI thread's CPU seconds per epoch, from the end of the first epoch to the last."""


def app(recipe, data, epochs: int) -> tuple[list[float], list[float]]:
    import asyncio

    from appdrive import start_training
    from probes import graphics

    from aetui.ui.app import AetuiApp

    size = tuple(int(v) for v in os.environ.get("AETUI_BENCH_SIZE", "120x40").split("x"))

    async def run() -> tuple[list[float], list[float]]:
        with tempfile.TemporaryDirectory() as store:
            ui = AetuiApp(Path(store), lambda: data, graphics=graphics())
            async with ui.run_test(size=size) as pilot:
                await start_training(ui, pilot, recipe, epochs)
                cpu: list[tuple[int, float]] = []  # (epochs done, the UI thread's CPU seconds so far)
                while ui.runner.active or ui.runner.state.status in ("starting", "running"):
                    done = len(ui.runner.state.epochs)
                    if done and (not cpu or cpu[0][0] == 0):
                        cpu[:1] = [(done, time.thread_time())]
                    cpu[1:] = [(done, time.thread_time())]
                    await asyncio.sleep(0.05)
                ended = ui.runner.state.epochs
                if len(cpu) == 2 and cpu[1][0] > cpu[0][0]:  # (this thread runs the app: its CPU is the UI's)
                    UI_CPU.append((cpu[1][1] - cpu[0][1]) / (cpu[1][0] - cpu[0][0]))
                return [e.samples_per_s for e in ended][1:], [sum(e.timing.values()) for e in ended][1:]

    return asyncio.run(run())


def main() -> None:
    modes, name, data_dir, epochs = sys.argv[1].split(","), sys.argv[2], sys.argv[3], int(sys.argv[4])
    from aetui.core import data as datasets
    from aetui.core import recipe as recipes
    from aetui.core.store import paths

    recipe = recipes.find(name, paths.recipe_dirs())
    data = datasets.load(path=data_dir)
    for mode in modes:
        walls = None
        if mode in ("bare-default", "bare-tuned"):
            rates = bare(recipe, data, epochs, tuned=mode == "bare-tuned")
        elif mode == "engine":
            rates = engine(recipe, data, epochs)
        elif mode == "headless":
            rates, walls = headless(recipe, data, epochs)
        else:
            rates, walls = app(recipe, data, epochs)
        print(json.dumps({"mode": mode, "recipe": name, "rates": rates, "walls": walls, "load": os.getloadavg()[0],
                          **({"ui_cpu_s": UI_CPU[-1]} if mode == "app" and UI_CPU else {})}), flush=True)


if __name__ == "__main__":
    main()
