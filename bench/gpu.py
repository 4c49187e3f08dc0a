"""The figures that matter on a GPU, in one short run (under four minutes on one GPU):

    python bench/gpu.py MNIST_DIR [--budget SECONDS]

1. Throughput, samples/s of the training loop (epochs after the first), `ae-32` and `vae-2d`:
   bare `fit` as the seed ran it (TensorFlow's defaults, one step per execution), bare `fit` with
   the choices that matter on a GPU, each alone (several steps per execution: 8 and 64; XLA; the
   data on the device as a tf.data pipeline), and aetui's engine with its recipe's settings.
2. End to end, whole processes, alternating: `aetui train ae-32 --epochs 30` against the seed's
   bare `fit` validating every epoch (`bench/bare_fit.py`).
3. Where an aetui epoch's wall time goes (`EpochEnded.timing`), ae-32 on MNIST.

Prints a table and one JSON line; writes bench/out/gpu.json (`make readme-figures` copies it to bench/results/). Stops adding measurements once
`--budget` (default 210 s) is spent, saying what it left out.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def device_name() -> str:
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return "no GPU (CPU only)"
    details = tf.config.experimental.get_device_details(gpus[0])
    return f"{details.get('device_name', gpus[0].name)} x{len(gpus)}"


def bare(recipe, data, epochs: int, steps: int = 1, jit: bool = False, on_device: bool = False) -> float:
    """Median samples/s of `model.fit` of the recipe's network with these choices."""
    import keras
    import tensorflow as tf

    from aetui.core import families

    built = families.build(recipe, data.input_dim)
    built.model.compile(optimizer=built.model.optimizer, steps_per_execution=steps, jit_compile=jit)
    times: list[float] = []

    class Clock(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.start)

    batch = recipe.train["batch_size"]
    if on_device:
        with tf.device("/GPU:0" if tf.config.list_physical_devices("GPU") else "/CPU:0"):
            x = tf.constant(data.x_train)
        dataset = tf.data.Dataset.from_tensor_slices((x, x)).shuffle(len(data.x_train)).batch(batch) \
            .prefetch(tf.data.AUTOTUNE)
        built.model.fit(dataset, epochs=epochs, verbose=0, callbacks=[Clock()])
    else:
        built.model.fit(data.x_train, data.x_train, batch_size=batch, epochs=epochs, verbose=0, shuffle=True,
                        callbacks=[Clock()])
    return statistics.median(len(data.x_train) / t for t in times[1:])


def engine(recipe, data, epochs: int) -> tuple[float, dict]:
    from aetui.core import events
    from aetui.core.training import trainer

    ends: list = []
    with tempfile.TemporaryDirectory() as store:
        trainer.train(recipe, data, Path(store), epochs=epochs,
                      on_event=lambda e: ends.append(e) if isinstance(e, events.EpochEnded) else None)
    timing = {k: statistics.mean(e.timing[k] for e in ends[1:]) for k in ends[-1].timing}
    return statistics.median(e.samples_per_s for e in ends[1:]), timing


def end_to_end(mnist: str, epochs: int = 30, pairs: int = 2) -> dict:
    times: dict[str, list[float]] = {"aetui": [], "bare": []}
    with tempfile.TemporaryDirectory() as store:
        for rep in range(pairs):
            for mode in (("aetui", "bare") if rep % 2 == 0 else ("bare", "aetui")):
                args = (["-m", "aetui", "--sessions", store, "train", "ae-32", "--data", mnist, "--epochs",
                         str(epochs), "--session", f"e2e-{rep}"] if mode == "aetui" else
                        [str(ROOT / "bench" / "bare_fit.py"), mnist, str(epochs)])
                started = time.perf_counter()
                subprocess.run([sys.executable, *args], check=True, capture_output=True, cwd=ROOT)
                times[mode].append(time.perf_counter() - started)
    med = {m: statistics.median(v) for m, v in times.items()}
    return {"seconds": times, "ratio": med["aetui"] / med["bare"], "median_s": med}


def main() -> None:
    mnist = sys.argv[1]
    budget = float(sys.argv[sys.argv.index("--budget") + 1]) if "--budget" in sys.argv else 210.0
    started = time.monotonic()
    from aetui.core import backend
    from aetui.core import data as datasets
    from aetui.core import recipe as recipes
    from aetui.core.store import paths

    backend.configure()
    data = datasets.load(path=mnist)
    out: dict = {"device": device_name(), "throughput": {}, "left_out": []}
    rows = [f"device: {out['device']}", "| figure | samples/s | vs seed's fit |", "| --- | --- | --- |"]
    epochs = 5
    for name in ("ae-32", "vae-2d"):
        recipe = recipes.find(name, paths.recipe_dirs())
        results: dict[str, float] = {}
        for label, run in (("seed's fit (defaults)", lambda: bare(recipe, data, epochs)),
                           ("fit, 8 steps per execution", lambda: bare(recipe, data, epochs, steps=8)),
                           ("fit, 64 steps per execution", lambda: bare(recipe, data, epochs, steps=64)),
                           ("fit, XLA", lambda: bare(recipe, data, epochs, jit=True)),
                           ("fit, 8 steps, XLA, data on the device",
                            lambda: bare(recipe, data, epochs, steps=8, jit=True, on_device=True)),
                           ("aetui engine (recipe's settings)", lambda: engine(recipe, data, epochs))):
            if time.monotonic() - started > budget:
                out["left_out"].append(f"{name}: {label}")
                continue
            value = run()
            if isinstance(value, tuple):
                value, out[f"timing_{name}"] = value
            results[label] = value
            base = results.get("seed's fit (defaults)")
            rows.append(f"| {name}: {label} | {value:,.0f} | {value / base:.2f} |" if base else
                        f"| {name}: {label} | {value:,.0f} | |")
        out["throughput"][name] = results
    if time.monotonic() - started < budget - 60:
        out["end_to_end"] = end_to_end(mnist)
        e = out["end_to_end"]
        rows.append(f"| end to end, aetui train / bare fit validating every epoch | {e['ratio']:.2f} "
                    f"({e['median_s']['aetui']:.1f} / {e['median_s']['bare']:.1f} s) | goal <= 1.05 |")
    else:
        out["left_out"].append("end to end")
    for name in ("ae-32", "vae-2d"):
        if f"timing_{name}" in out:
            rows.append(f"| {name}: an epoch's wall time, ms | " + ", ".join(
                f"{k} {v * 1000:.1f}" for k, v in out[f"timing_{name}"].items()) + " | |")
    out["seconds"] = time.monotonic() - started
    print("\n".join(rows))
    if out["left_out"]:
        print("left out (time budget):", "; ".join(out["left_out"]))
    import figures as published

    published.write("gpu", out)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
