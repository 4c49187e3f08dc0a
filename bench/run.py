"""The benchmark suite: `make bench` (or `.venv/bin/python bench/run.py [--quick]`).

Every figure that compares is a ratio taken side by side in one run: measurements alternate
(A B A B ...) in fresh processes and the median of at least five is kept. Each figure is
printed beside its goal and written to `bench/out/NAME.json`, with the README's table between the
`bench:start` and `bench:end` markers as `bench/out/bench.md`; `make readme-figures` puts them into
`bench/results/` and the README (bench/figures.py). Each figure prints a line as it starts and ends,
with its time and the time since the start.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import figures as published
import store as store_bench

ROOT = Path(__file__).resolve().parents[1]
MNIST = Path(os.environ.get("AETUI_BENCH_DATA", ROOT.parent / "shared" / "data" / "mnist"))
FASHION = Path("/usr/share/datasets/fashion-mnist")
RECIPES = ("ae-32", "sparse-kl-wd", "vae-2d")


def probe(*args: str, env: dict | None = None, progress: bool = False) -> dict:
    """Run one measurement in a fresh process; returns its (last) JSON line."""
    return probe_lines(*args, env=env, progress=progress)[-1]


def probe_lines(*args: str, env: dict | None = None, progress: bool = False) -> list[dict]:
    """Run measurements in a fresh process; returns every JSON line it printed (`progress`: its
    stderr, where it says how it goes, is shown as it comes)."""
    out = subprocess.run([sys.executable, *args], stdout=subprocess.PIPE, stderr=None if progress else subprocess.PIPE,
                         text=True, cwd=ROOT, timeout=1800 if progress else 600, env={**os.environ, **(env or {})})
    if out.returncode != 0:
        raise RuntimeError(f"{args} failed:\n{(out.stderr or '')[-2000:]}")
    return [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]


def throughput(reps: int, epochs: int) -> dict:
    """Samples/s per mode and recipe (medians over alternating runs) and the two ratios."""
    modes = ("bare-default", "bare-tuned", "engine", "app")
    out = {}
    for recipe in RECIPES:
        rates: dict[str, list[float]] = {m: [] for m in modes}
        shared = modes[1:]
        for rep in range(reps):
            order = shared[rep % 3:] + shared[:rep % 3]  # rotate: B C D, C D B, D B C, ...
            runs = [("bare-default",), order] if rep % 2 == 0 else [order, ("bare-default",)]
            for group in runs:
                for result in probe_lines("bench/throughput.py", ",".join(group), recipe, str(MNIST), str(epochs)):
                    rates[result["mode"]].append(statistics.median(result["rates"]))
        med = {m: statistics.median(v) for m, v in rates.items()}
        out[recipe] = {"samples_per_s": med, "runs": rates,
                       "app_vs_bare_default": med["app"] / med["bare-default"],
                       "app_vs_bare_tuned": med["app"] / med["bare-tuned"],
                       "engine_vs_bare_tuned": med["engine"] / med["bare-tuned"]}
    return out


WORKBENCH = {"AETUI_BENCH_GRAPHICS": "sixel", "AETUI_BENCH_SIZE": "160x48"}
"""The app as the workbench goal has it: images on (Sixel), at 160x48."""


def workbench(reps: int, epochs: int = 6) -> dict:
    """The app at 160x48 with images on against headless `aetui train` with the same settings, side
    by side: each rep one fresh process trains with both, the order alternating; medians of the
    per-epoch medians, of training samples/s and of each epoch's whole wall time, and the app's UI
    thread's CPU per epoch."""
    out = {}
    for recipe in RECIPES:
        rates: dict[str, list[float]] = {"app": [], "headless": []}
        walls: dict[str, list[float]] = {"app": [], "headless": []}
        loads: list[float] = []
        ui_cpu: list[float] = []
        for rep in range(reps):
            order = "headless,app" if rep % 2 == 0 else "app,headless"
            for result in probe_lines("bench/throughput.py", order, recipe, str(MNIST), str(epochs), env=WORKBENCH):
                rates[result["mode"]].append(statistics.median(result["rates"]))
                walls[result["mode"]].append(statistics.median(result["walls"]))
                loads.append(result["load"])
                if "ui_cpu_s" in result:
                    ui_cpu.append(result["ui_cpu_s"])
        med = {m: statistics.median(v) for m, v in rates.items()}
        wall = {m: statistics.median(v) for m, v in walls.items()}
        out[recipe] = {"samples_per_s": med, "runs": rates, "epoch_wall_s": wall, "wall_runs": walls,
                       "ratio": med["app"] / med["headless"], "wall_ratio": wall["headless"] / wall["app"],
                       "load": statistics.median(loads), "ui_cpu_s": statistics.median(ui_cpu) if ui_cpu else None}
    return out


def determinism(reps: int, epochs: int = 3, recipe: str = "sparse-kl-wd") -> dict:
    """The engine's training samples/s with TensorFlow's op determinism on (the default: reruns give
    the same figures) and off (`AETUI_DETERMINISTIC=0`), alternating fresh processes."""
    rates: dict[str, list[float]] = {"on": [], "off": []}
    for rep in range(reps):
        for mode in (("on", "off") if rep % 2 == 0 else ("off", "on")):
            result = probe("bench/throughput.py", "engine", recipe, str(MNIST), str(epochs),
                           env={"AETUI_DETERMINISTIC": "1" if mode == "on" else "0"})
            rates[mode].append(statistics.median(result["rates"]))
    med = {m: statistics.median(v) for m, v in rates.items()}
    return {"recipe": recipe, "samples_per_s": med, "runs": rates, "ratio": med["on"] / med["off"]}


def end_to_end(reps: int, epochs: int = 30) -> dict:
    """Whole processes, alternating: `aetui train ae-32` against the seed's bare `fit` script that
    validates on the test set every epoch (`bench/bare_fit.py`); median of `reps` each."""
    import shutil
    import tempfile

    times: dict[str, list[float]] = {"aetui": [], "bare": []}
    store = Path(tempfile.mkdtemp(prefix="aetui-bench-e2e-"))
    try:
        for rep in range(reps):
            for mode in (("aetui", "bare") if rep % 2 == 0 else ("bare", "aetui")):
                args = (["-m", "aetui", "--sessions", str(store), "train", "ae-32", "--data", str(MNIST), "--epochs",
                         str(epochs), "--session", f"e2e-{rep}"] if mode == "aetui" else
                        ["bench/bare_fit.py", str(MNIST), str(epochs)])
                started = time.perf_counter()
                out = subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT, timeout=900,
                                     env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
                if out.returncode != 0:
                    raise RuntimeError(f"{mode} failed:\n{out.stderr[-2000:]}")
                times[mode].append(time.perf_counter() - started)
    finally:
        shutil.rmtree(store, ignore_errors=True)
    med = {m: statistics.median(v) for m, v in times.items()}
    return {"epochs": epochs, "seconds": times, "median_s": med, "ratio": med["aetui"] / med["bare"]}


IMAGES = {"AETUI_BENCH_GRAPHICS": "sixel"}
"""The environment of a probe with images on: drawn as Sixel graphics (encoded as for a terminal)."""


def first_frame(reps: int, env: dict | None = None) -> dict:
    seconds = [probe("bench/probes.py", "first-frame", env={"AETUI_T0": repr(time.time()), **(env or {})})["seconds"]
               for _ in range(reps)]
    return {"median_s": statistics.median(seconds), "runs": seconds}


def conv(reps: int, epochs: int = 3, images: int = 5000) -> dict:
    """Training samples/s of the convolutional families by aetui's engine and by plain Keras's `fit`
    of the same network (`bench/conv_keras.py speed`), alternating fresh processes; medians."""
    out = {}
    for recipe in ("conv-vae", "conv-ae"):
        rates: dict[str, list[float]] = {"aetui": [], "keras": []}
        for rep in range(reps):
            for mode in (("aetui", "keras") if rep % 2 == 0 else ("keras", "aetui")):
                rates[mode].append(probe("bench/conv_keras.py", "speed", str(MNIST), str(epochs), str(images), mode,
                                         recipe)["rate"])
        med = {m: statistics.median(v) for m, v in rates.items()}
        out[recipe] = {"samples_per_s": med, "runs": rates, "ratio": med["aetui"] / med["keras"]}
    return out


FIGURES = {
    "first_frame": lambda reps: first_frame(reps),
    "first_frame_images": lambda reps: first_frame(reps, IMAGES),
    "replay": lambda reps: probe("bench/probes.py", "replay"),
    "replay_images": lambda reps: probe("bench/probes.py", "replay", env=IMAGES),
    "keys": lambda reps: probe("bench/probes.py", "keys", str(MNIST)),
    "keys_images": lambda reps: probe("bench/probes.py", "keys", str(MNIST), env=IMAGES),
    "footprint": lambda reps: probe("bench/probes.py", "footprint", str(MNIST)),
    "scaling": lambda reps: probe("bench/probes.py", "scaling", str(MNIST), "5000", "10000", "22699"),
    "throughput": lambda reps: throughput(reps, epochs=3),
    "workbench": lambda reps: workbench(reps),
    "end_to_end": lambda reps: end_to_end(3),
    "determinism": lambda reps: determinism(reps),
    "breakdown": lambda reps: probe("bench/probes.py", "breakdown", str(MNIST)),
    "attach": lambda reps: probe("bench/attach.py", str(MNIST)),
    "conv": lambda reps: conv(reps),
    "store": lambda reps: probe("bench/store.py", "--reps", "3", progress=True),  # (its rows: store.py's `table`)
}
"""Every figure of the suite, by the name of its results file."""


def main() -> None:
    quick = "--quick" in sys.argv
    only = next((a.split("=", 1)[1].split(",") for a in sys.argv if a.startswith("--only=")), None)
    if not (MNIST / "train-images-idx3-ubyte.gz").exists():
        sys.exit(f"bench: real MNIST not found at {MNIST}; set AETUI_BENCH_DATA to a folder of IDX files")
    reps = 3 if quick else 5
    figures = {}
    when: dict[str, str] = {}
    """The day each figure was measured (`--only` keeps the others as last recorded)."""
    started = time.time()
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    names = list(FIGURES) + (["scaling_fashion"] if any((FASHION / f).exists() for f in
                                                         ("train-images-idx3-ubyte.gz", "train-images-idx3-ubyte")) else [])
    steps = published.Steps("bench", len(names) if only is None else len(set(names) & set(only)))
    for name in names:
        if only is not None and name not in only:  # `--only=a,b`: the others as last recorded
            kept = published.recorded(name)
            if kept is not None:
                when[name] = kept.get("when", "?")[:10]
                figures[name] = {k: v for k, v in kept.items() if k not in ("machine", "when")}
            continue
        steps.start(name.replace("_", " "))
        when[name] = time.strftime("%Y-%m-%d")
        if name == "scaling_fashion":
            figures[name] = probe("bench/probes.py", "scaling", str(FASHION), "60000")
        else:
            figures[name] = FIGURES[name](reps)
        published.write(name, {"machine": machine, "when": time.strftime("%Y-%m-%d %H:%M"), **figures[name]})
        steps.end()
    rows = table(figures)
    print("\n".join(rows))
    print(f"\n{machine}; {time.time() - started:.0f} s")
    days = {}
    for name, day in when.items():
        days.setdefault(day, []).append(name.replace("_", " "))
    dated = "; ".join(f"{', '.join(names)} on {day}" for day, names in sorted(days.items(), reverse=True))
    published.section("bench", "\n".join(rows) + f"\n\nMeasured on {machine}: {dated}.")
    print(f"bench: the figures are in {published.OUT}; `make readme-figures` puts them into the README")


def verdict(ok: bool) -> str:
    return "met" if ok else "**short**"


def table(f: dict) -> list[str]:
    rows = ["| figure | measured | goal | |", "| --- | --- | --- | --- |"]
    for recipe, t in f["throughput"].items():
        s = t["samples_per_s"]
        rows.append(f"| training throughput, {recipe}: app / bare `fit` (TF defaults) | {t['app_vs_bare_default']:.2f}"
                    f" ({s['app']:,.0f} / {s['bare-default']:,.0f} samples/s) | >= 1.2 | "
                    f"{verdict(t['app_vs_bare_default'] >= 1.2)} |")
        rows.append(f"| training throughput, {recipe}: app / bare `fit` (same TF settings) | "
                    f"{t['app_vs_bare_tuned']:.2f} ({s['app']:,.0f} / {s['bare-tuned']:,.0f}); engine alone "
                    f"{t['engine_vs_bare_tuned']:.2f} | >= 0.95 | {verdict(t['app_vs_bare_tuned'] >= 0.95)} |")
    for recipe, w in f.get("workbench", {}).items():
        s = w["samples_per_s"]
        rows.append(f"| training throughput, {recipe}: app (160x48, Sixel images) / headless `aetui train`, side by "
                    f"side | {w['ratio']:.2f} ({s['app']:,.0f} / {s['headless']:,.0f} samples/s; an epoch's whole wall "
                    f"time {w['wall_ratio']:.2f}; the UI thread's CPU {w['ui_cpu_s'] * 1000:.0f} ms an epoch; load "
                    f"{w['load']:.1f}) | >= 0.97 | {verdict(w['ratio'] >= 0.97)} |")
    for suffix, how in (("", "half blocks"), ("_images", "Sixel images")):
        if f"keys{suffix}" not in f:
            continue
        k, ff, r = f[f"keys{suffix}"], f[f"first_frame{suffix}"], f[f"replay{suffix}"]
        rows.append(f"| key press to handled while training, p50 / p99 ({how}) | {k['p50_ms']:.1f} / "
                    f"{k['p99_ms']:.1f} ms | p99 <= 30 ms | {verdict(k['p99_ms'] <= 30)} |")
        rows.append(f"| process start to first painted home screen ({how}) | {ff['median_s']:.2f} s | <= 0.3 s | "
                    f"{verdict(ff['median_s'] <= 0.3)} |")
        rows.append(f"| replay: open a 100-epoch session ({how}) | {r['open_s']:.3f} s | <= 0.2 s | "
                    f"{verdict(r['open_s'] <= 0.2)} |")
        cpu = (f" (UI thread's CPU {r['step_cpu_ms']:.1f} / {r['step_recon_cpu_ms']:.1f} ms; load "
               f"{r['load']:.1f})" if "step_cpu_ms" in r else "")
        rows.append(f"| replay: step one epoch, curves / reconstructions ({how}) | {r['step_ms']:.1f} / "
                    f"{r.get('step_recon_ms', float('nan')):.1f} ms{cpu} | <= 20 ms | "
                    f"{verdict(max(r['step_ms'], r.get('step_recon_ms', 0)) <= 20)} |")
    if "determinism" in f:
        d = f["determinism"]
        rows.append(f"| training throughput, {d['recipe']}: op determinism on / off (engine) | {d['ratio']:.2f} "
                    f"({d['samples_per_s']['on']:,.0f} / {d['samples_per_s']['off']:,.0f} samples/s) | >= 0.95 "
                    f"(else on only for reruns) | {verdict(d['ratio'] >= 0.95)} |")
    if "end_to_end" in f:
        e = f["end_to_end"]
        rows.append(f"| end to end, `aetui train ae-32 --epochs {e['epochs']}` / bare `fit` validating every epoch "
                    f"(whole processes) | {e['ratio']:.2f} ({e['median_s']['aetui']:.1f} / {e['median_s']['bare']:.1f} s)"
                    f" | <= 1.00 | {verdict(e['ratio'] <= 1.0)} |")
    if "breakdown" in f:
        for label, what in (("mnist", "ae-32 on MNIST"), ("fast", "ae-32, a GPU's pace simulated (2,048 images)")):
            b = f["breakdown"][label]
            parts = ", ".join(f"{k} {v * 1000:.1f}" for k, v in b["mean_s"].items())
            goal = "< 10%" if label == "fast" else ""
            rows.append(f"| an epoch's wall time, {what}: {b['epoch_s'] * 1000:.0f} ms, in ms: {parts} | bookkeeping "
                        f"(not training, not validation) {b['bookkeeping_share']:.1%}; {b['pictured']} of "
                        f"{b['epochs']} epochs pictured | {goal} | "
                        f"{verdict(b['bookkeeping_share'] < 0.10) if goal else ''} |")
    if "attach" in f:
        a = f["attach"]
        rows.append(f"| a value sent to a detached run (`aetui tune`), answered, p50 / max | {a['tune_p50_ms']:.0f} / "
                    f"{a['tune_max_ms']:.0f} ms (a batch: {a['batch_ms']:.1f} ms; in process: "
                    f"{a['in_process_set_us']:.0f} µs, from the next batch) | <= a batch + 200 ms | "
                    f"{verdict(a['tune_max_ms'] <= a['batch_ms'] + 200)} |")
        rows.append(f"| an epoch's results in an attached workbench, after the trainer wrote them (max of 5) | "
                    f"{a['epoch_seen_max_s']:.2f} s | <= 1 s | {verdict(a['epoch_seen_max_s'] <= 1)} |")
        d = a["detached"]
        best = d.get("best_ratio", d["ratio"])
        rows.append(f"| training throughput, ae-32: `--detach` / foreground, best runs (medians) | {best:.2f} "
                    f"({d['ratio']:.2f}) | >= 0.95 | {verdict(best >= 0.95)} |")
        p = a["polling"]
        rows.append(f"| control channel's cost to the trainer (beat {p['beat_us']:.1f} µs a batch, inbox look "
                    f"{p['poll_us']:.0f} µs, progress record {p['progress_us']:.0f} µs) | {p['share']:.2%} of its time "
                    f"| <= 1% | {verdict(p['share'] <= 0.01)} |")
    for recipe, c in f.get("conv", {}).items():
        rows.append(f"| training throughput, {recipe}: aetui's engine / plain Keras `fit` of the same network | "
                    f"{c['ratio']:.2f} ({c['samples_per_s']['aetui']:,.0f} / {c['samples_per_s']['keras']:,.0f} "
                    f"samples/s) | >= 0.95 | {verdict(c['ratio'] >= 0.95)} |")
    if "store" in f:
        rows += store_bench.table(f["store"])
    fp = f["footprint"]
    rows.append(f"| session bytes per epoch (vae-2d, default snapshots) | {fp['per_epoch_kb']:.0f} KB (+ weights "
                f"{fp['weights_kb']:.0f} KB kept once) | <= 250 KB | {verdict(fp['per_epoch_kb'] <= 250)} |")
    rows.append(f"| resident memory while training vae-2d (engine) | {fp['peak_rss_mb']:.0f} MiB | | |")
    sc = f["scaling"]["epoch_seconds"]
    per = {n: s / int(n) * 1e6 for n, s in sc.items()}
    rows.append("| epoch time of ae-32 by training-set size | " + ", ".join(
        f"{int(n):,}: {s:.2f} s ({per[n]:.1f} µs/image)" for n, s in sc.items()) + " | linear | |")
    if "scaling_fashion" in f:
        for n, s in f["scaling_fashion"]["epoch_seconds"].items():
            rows.append(f"| epoch time of ae-32, Fashion-MNIST {int(n):,} | {s:.2f} s ({s / int(n) * 1e6:.1f} µs/image)"
                        " | linear | |")
    return rows


if __name__ == "__main__":
    main()
