"""`make reproduce`: the seed notebooks' claims, trained again on real MNIST through the command line
(`aetui train`, then `aetui eval` on the whole test set), each measured and judged against a stated
criterion; the table is printed and written to `bench/out/reproduce.json`, with the README's text
between `<!-- reproduce:start -->` and `<!-- reproduce:end -->` as `bench/out/reproduce.md`;
`make readme-figures` puts them into `bench/results/` and the README (bench/figures.py). Each run
prints a line as it starts and ends, with its time and the time since the start.

    python bench/reproduce.py [--epochs N] [--aae-epochs N] [--store DIR] [--fresh]

Sessions go to `bench/results/reproduce-sessions/` (kept: a second run reuses a session that already
has its epochs, so an interrupted reproduction goes on where it stopped; `--fresh` starts over).
The data: `AETUI_BENCH_DATA`, else `../shared/data/mnist`.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import figures as published

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
DATA = Path(os.environ.get("AETUI_BENCH_DATA", ROOT.parent / "shared" / "data" / "mnist"))


@dataclass
class Run:
    """One training of the reproduction: a session name, the recipe and its `--set` values."""

    name: str
    recipe: str
    sets: tuple[str, ...] = ()
    aae: bool = False
    """Trains `--aae-epochs` epochs (the 8-D AAE is the slow one)."""


RUNS = [
    Run("vae-2d", "vae-2d"),
    Run("ae-32", "ae-32"),
    Run("l1-seed-1e-7", "sparse-l1-seed", ("lam=1e-7",)),
    Run("l1-seed-1e-4", "sparse-l1-seed", ("lam=1e-4",)),
    Run("l1-keras3-1e-4", "sparse-l1", ("lam=1e-4",)),
    Run("kl", "sparse-kl"),
    Run("kl-mean", "sparse-kl-mean"),
    Run("kl-wd", "sparse-kl-wd"),
    Run("kl-mean-p0.01-beta6", "sparse-kl-mean", ("p=0.01", "beta=6")),
    Run("aae-8d", "aae-paper", aae=True),
]


@dataclass
class Claim:
    """A finding of the seed, the setting that tests it, and how it is judged."""

    claim: str
    setting: str
    criterion: str
    judge: Callable[[dict], tuple[str, bool | None]]
    """figures (by run name) -> (what was measured, in words; whether the claim holds)."""


def mse(f: dict, run: str) -> float:
    return f[run]["eval"]["mse_pixel"]


def claims() -> list[Claim]:
    def zero_area(f):
        area = f["vae-2d"]["area"]
        return (f"0 covers {area['area'][0]:.1%} of the latent grid, largest of the ten: "
                f"{'yes' if area['area'][0] == max(area['area']) else 'no'}; 0 is {area['train'][0]:.1%} of the "
                "training digits", area["area"][0] >= 1.5 * area["train"][0])

    def as_good(f):
        ae, vae = f["ae-32"]["eval"]["bce_pixel"], f["vae-2d"]["eval"]["bce_pixel"]
        return f"test BCE/pixel {ae:.4f} (32-unit code) against {vae:.4f} (VAE, 2-D)", ae <= vae

    def two_units(f):
        ae2, ae, vae = (f["ae-32"]["eval"]["knn2_acc"], f["ae-32"]["eval"]["knn_acc"], f["vae-2d"]["eval"]["knn_acc"])
        return (f"5-NN accuracy on its first two code units {ae2:.1%}, on all 32 {ae:.1%}; on the VAE's 2-D code "
                f"{vae:.1%}", ae2 < vae)

    def l1_seed(f):
        low, high = mse(f, "l1-seed-1e-7"), mse(f, "l1-seed-1e-4")
        dead = f["l1-seed-1e-4"]["eval"]["dead_units"]
        return (f"MSE/pixel {low:.4f} at 1e-7, {high:.4f} at 1e-4 ({high / low:.1f}x; {dead:.0f}/32 units dead "
                "at 1e-4)", high >= 2 * low)

    def l1_keras3(f):
        low, k3 = mse(f, "l1-seed-1e-7"), mse(f, "l1-keras3-1e-4")
        return f"MSE/pixel {k3:.4f} at 1e-4 per image against {low:.4f} at the seed's 1e-7", k3 < 2 * low

    def kl_blurry(f):
        kl, ae = mse(f, "kl"), mse(f, "ae-32")
        return f"MSE/pixel {kl:.4f} against {ae:.4f} without a penalty (ae-32) ({kl / ae:.1f}x)", kl >= 2 * ae

    def kl_mean(f):
        mean, summed = mse(f, "kl-mean"), mse(f, "kl")
        return f"MSE/pixel {mean:.4f} (mean over units) against {summed:.4f} (sum)", mean <= 0.75 * summed

    def kl_wd(f):
        wd, kl = mse(f, "kl-wd"), mse(f, "kl")
        return f"MSE/pixel {wd:.4f} with weight decay 0.003 against {kl:.4f} without", wd <= 0.75 * kl

    def activation(f):
        figures = f["kl-mean-p0.01-beta6"]["eval"]
        a = figures["mean_activation"]
        return f"mean code activation {a:.4f} (near zero {figures['near_zero']:.0%})", 0.006 <= a <= 0.024

    def parzen(f):
        e = f["aae-8d"]["eval"]
        ll, se = e["parzen_ll"], e["parzen_se"]
        return (f"{ll:.0f} +- {se:.0f} nats after {f['aae-8d']['epochs']} epochs (sigma {e['parzen_sigma']:.2f}); "
                f"MMD^2 to the prior {e['mmd']:.3f}", abs(ll - 340) <= 2 * max(se, 2))

    return [
        Claim("VAE: zero takes much of the latent space, though the digits are balanced", "`vae-2d`",
              "0's share of the 2-D latent grid (k-NN of the test codes) at least 1.5x its share of the training "
              "digits", zero_area),
        Claim("A 32-unit code reconstructs as well as the VAE", "`ae-32` and `vae-2d`",
              "test BCE/pixel of `ae-32` no higher than the VAE's", as_good),
        Claim("...but a scatter of two of its units shows little structure", "`ae-32`",
              "5-NN accuracy on two units below the VAE's on its 2-D code", two_units),
        Claim("L1 activity penalty: 1e-7 sharp, 1e-4 blurry (Keras 2: summed over the batch)",
              "`sparse-l1-seed --set lam=1e-7` / `1e-4`", "MSE at 1e-4 at least 2x the MSE at 1e-7", l1_seed),
        Claim("(aetui) The same lam in Keras 3.14+'s convention, per image, stays sharp",
              "`sparse-l1 --set lam=1e-4`", "MSE below 2x the seed's sharp 1e-7", l1_keras3),
        Claim("KL sparsity p=0.05, beta=3, summed over units: blurry", "`sparse-kl`",
              "MSE at least 2x that of `ae-32`", kl_blurry),
        Claim("The mean over units instead of the sum: sharper", "`sparse-kl-mean`",
              "MSE at most 0.75x that of `sparse-kl`", kl_mean),
        Claim("Adding L2 weight decay 0.003: sharp again", "`sparse-kl-wd`",
              "MSE at most 0.75x that of `sparse-kl`", kl_wd),
        Claim("Mean code activation around 0.012 with p=0.01, beta=6 (mean over units)",
              "`sparse-kl-mean --set p=0.01 --set beta=6`", "mean activation within 0.006 .. 0.024", activation),
        Claim("AAE, 8-D Gaussian prior: Parzen log-likelihood 340 +- 2 nats (Makhzani et al.; a legacy measure)",
              "`aae-paper`", "within two standard errors of 340", parzen),
    ]


def aetui(store: Path, *args: str) -> str:
    """Run `aetui --sessions STORE ARGS`; its output, or exit with it where it fails."""
    out = subprocess.run([sys.executable, "-m", "aetui", "--sessions", str(store), *args], capture_output=True,
                         text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "COLUMNS": "200"})
    if out.returncode != 0:
        sys.exit(f"aetui {' '.join(args)} failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    return out.stdout


def measure(store: Path, run: Run, epochs: int) -> tuple[dict, bool]:
    """Train `run` (unless its session already has the epochs), evaluate it; its figures, and whether
    its session was reused (trained by an earlier run)."""
    from aetui.core.store import evaluations
    from aetui.core.store import sessions
    from aetui.views.replay import Replay

    path = store / run.name
    started = time.perf_counter()
    done = sessions.open_session(path) if (path / sessions.META).exists() else None
    reused = done is not None and done.status == "finished" and done.epochs_done == epochs
    if not reused:
        shutil.rmtree(path, ignore_errors=True)
        sets = [a for s in run.sets for a in ("--set", s)]
        aetui(store, "train", run.recipe, "--data", str(DATA), "--epochs", str(epochs), "--session", run.name, *sets)
    session = sessions.open_session(path)
    trained = time.perf_counter() - started
    if session.epochs_done not in evaluations.stored(session)[0]:
        aetui(store, "eval", run.name, "--data", str(DATA))
    session = sessions.open_session(path)
    from datetime import datetime

    made = (datetime.fromisoformat(session.meta.updated) - datetime.fromisoformat(session.meta.created)).total_seconds()
    from aetui.core import conventions, ranking

    last = session.epochs[-1]
    figures = {"epochs": session.epochs_done, "train_seconds": round(trained, 1),
               "machine_seconds": round(made + evaluations.stored(session)[0][session.epochs_done].seconds, 1),
               "eval": evaluations.stored(session)[0][session.epochs_done].metrics,
               "recipe": run.recipe, "sets": list(run.sets), "val_loss": last.logs.get("val_loss"),
               "recon": conventions.of_parts(session.recipe())["recon"],
               **{key: last.stats.get(key) for key in ranking.KEYS.values()}}
    if session.meta.kind == "vae":
        area = Replay(session).area(session.epochs_done)
        figures["area"] = {"area": [float(v) for v in area["area"]], "train": [float(v) for v in area["train"]]}
    return figures, reused


def ranked_runs(figures: dict, by: str) -> list[str]:
    """The runs best first by the test error per pixel their last epoch recorded (the units every
    family shares), each with its own objective beside it, which ranks nothing across families."""
    from aetui.core import ranking
    from aetui.views import formats

    key = ranking.KEYS[by]
    names = ranking.ranked(list(figures), [figures[n].get(key) for n in figures])
    other = ranking.KEYS["bce" if by == "mse" else "mse"]
    rows = [f"| rank | run | {ranking.LABELS[by]} | {ranking.LABELS['bce' if by == 'mse' else 'mse']} | "
            "val loss (its own objective) | reconstruction term of that objective |",
            "| --- | --- | --- | --- | --- | --- |"]
    for n, name in enumerate(names, 1):
        f = figures[name]
        setting = " ".join(["`" + f["recipe"], *f["sets"]]) + "`"
        rows.append(f"| {n} | {setting} | {formats.pixel_error(f.get(key))} | {formats.pixel_error(f.get(other))} | "
                    f"{formats.objective(f.get('val_loss'))} | {f['recon']} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=30, help="epochs of every run but the AAE (default 30)")
    parser.add_argument("--aae-epochs", type=int, default=10, help="epochs of the 8-D AAE (default 10)")
    parser.add_argument("--store", type=Path, default=RESULTS / "reproduce-sessions")
    parser.add_argument("--fresh", action="store_true", help="train every run again")
    parser.add_argument("--rank-by", choices=("mse", "bce"), default="mse",
                        help="rank the runs by the test MSE per pixel (default) or BCE per pixel")
    args = parser.parse_args()
    if not (DATA / "train-images-idx3-ubyte.gz").exists():
        sys.exit(f"real MNIST is not at {DATA}: set AETUI_BENCH_DATA to a folder of its IDX files")
    if args.fresh:
        shutil.rmtree(args.store, ignore_errors=True)
    args.store.mkdir(parents=True, exist_ok=True)
    started = time.time()
    figures, reused = {}, []
    steps = published.Steps("reproduce", len(RUNS))
    for run in RUNS:
        epochs = args.aae_epochs if run.aae else args.epochs
        steps.start(f"{run.name}: {run.recipe} {' '.join(run.sets)} for {epochs} epochs".replace("  ", " "))
        figures[run.name], was_reused = measure(args.store, run, epochs)
        reused += [run.name] if was_reused else []
        steps.end(" (its session reused)" if was_reused else "")
    rows = ["| seed's claim | setting | measured (whole test set) | holds when | holds? |", "| --- | --- | --- | --- | --- |"]
    verdicts = []
    for claim in claims():
        said, holds = claim.judge(figures)
        verdict = {True: "yes", False: "**no**", None: "-"}[holds]
        verdicts.append({"claim": claim.claim, "measured": said, "holds": holds})
        rows.append(f"| {claim.claim} | {claim.setting} | {said} | {claim.criterion} | {verdict} |")
    rows += ["", *ranked_runs(figures, args.rank_by)]
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    minutes = (time.time() - started) / 60
    whole = sum(f.get("machine_seconds", 0.0) for f in figures.values()) / 60
    note = (f"Reproduced by `make reproduce` on {time.strftime('%Y-%m-%d')} ({machine}; training and evaluating "
            f"every run takes {whole:.0f} min, this run {minutes:.0f} min{reuse_note(reused, len(RUNS))}): real "
            f"MNIST ({DATA.name}), {args.epochs} epochs ({args.aae_epochs} for the AAE), each recipe's batch size "
            "and Adam; the claims judged on `aetui eval`'s figures on the 10,000 test digits, the runs ranked by "
            f"the test {args.rank_by.upper()} per pixel their last epoch's validation recorded (the same units for "
            "every family), each run's own objective beside it.")
    print("\n".join(rows) + "\n\n" + note)
    published.write("reproduce", {"machine": machine, "when": time.strftime("%Y-%m-%d %H:%M"), "epochs": args.epochs,
                                  "aae_epochs": args.aae_epochs, "runs": figures, "claims": verdicts})
    published.section("reproduce", "\n".join(rows) + "\n\n" + note)
    print(f"reproduce: the figures are in {published.OUT}; `make readme-figures` puts them into the README")


def reuse_note(reused: list[str], runs: int) -> str:
    """What the footnote says of reused sessions: nothing where every run trained afresh."""
    if not reused:
        return ""
    if len(reused) == runs:
        return " as it reused the sessions earlier runs finished"
    return f" as it reused {len(reused)} of the {runs} sessions from earlier runs ({', '.join(reused)})"


if __name__ == "__main__":
    main()
