"""`aetui eval`: the figures papers report for a session's epoch, on the whole test set, stored in
the session (`evals/epoch-NNNN.json`) so every view can show them.

Every model: reconstruction error in both conventions (per-pixel mean and per-image sum, squared
error and binary cross-entropy; the VAE's through its posterior mean), and how much class
information the code keeps (k-nearest-neighbour and linear-probe accuracy, the reference codes
those of up to `REFERENCE` training images). The VAE: the ELBO and the importance-weighted bound
(Burda et al.) per image in nats, active units by Burda et al.'s criterion, KL per dimension.
The AAE: the MMD between the aggregated posterior and the prior, and the Parzen-window
log-likelihood of generated samples (Makhzani et al.'s legacy measure). Codes with activations
(ordinary, sparse, nonnegative): L0, dead and always-on units, a histogram of firing rates.

The figures are `analysis.metrics`'s (numpy, each tested against a reference); this module
rebuilds the model from the session's recipe and weights and feeds them.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from aetui.core.analysis import sparsity
from aetui.core.analysis.sparsity import NEAR_ZERO
from aetui.core.errors import AetuiError, cannot_write
from aetui.core.store.files import Folder, read_in
from aetui.core.store.meta import number
from aetui.core.store.sessions import EVALS, LIMITS, Session, epoch_files, eval_name
from aetui.core.text import printable_data

REFERENCE = 10_000
"""Training images whose codes the k-NN and the linear probe learn from."""
PARZEN_SAMPLES = 10_000
"""Images generated (decoded prior samples) for the Parzen window, as in Makhzani et al."""
PARZEN_VALIDATION = 1_000
"""Training images (the last ones) on which the Parzen bandwidth is chosen."""
MMD_POINTS = 5_000
"""Test codes and prior samples compared by the MMD."""
KNN_K = 5
DECODE_BATCH = 10_000
"""Codes decoded per call while sampling the VAE's bounds (fewer calls into Keras)."""
MOST_SAMPLES = 5000
"""The most draws per image of the importance-weighted bound: Burda et al.'s largest (each draw is
one more decode of every test image)."""

METRICS: dict[str, tuple[str, str]] = {
    "mse_pixel": ("MSE/pixel", "squared error, mean over pixels and test images"),
    "mse_image": ("MSE/image", "squared error summed over an image's pixels, mean over test images"),
    "bce_pixel": ("BCE/pixel", "binary cross-entropy, mean over pixels and test images"),
    "bce_image": ("BCE/image", "binary cross-entropy summed over an image's pixels (nats), mean over test images"),
    "knn_acc": (f"{KNN_K}-NN accuracy", f"test digits whose class is the vote of their {KNN_K} nearest training "
                                       f"codes (of up to {REFERENCE:,} training images), all units"),
    "probe_acc": ("linear-probe accuracy", f"test digits a logistic regression learnt on the codes of up to "
                                           f"{REFERENCE:,} training images classifies right"),
    "elbo": ("ELBO", "test ELBO per image in nats (one draw per image), mean over test images"),
    "iwae": ("IWAE", "importance-weighted bound per image in nats (K draws), mean over test images"),
    "kl": ("KL", "KL(q(z|x) || N(0, I)) per image in nats, mean over test images"),
    "active_units": ("active", "latent units whose posterior mean varies over the test set (variance > 0.01; "
                               "Burda et al.)"),
    "mmd": ("MMD^2", "squared MMD between the test codes and prior samples (lower: the codes match the prior)"),
    "parzen_ll": ("Parzen LL", "Parzen-window log-likelihood of test images under 10,000 generated ones, "
                               "nats (legacy: Makhzani et al. report 340 +- 2 for their 8-D model)"),
    "parzen_se": ("Parzen SE", "standard error of the Parzen log-likelihood over the test images"),
    "parzen_sigma": ("Parzen sigma", "the Parzen bandwidth, chosen on 1,000 training images"),
    "knn2_acc": (f"{KNN_K}-NN accuracy on units 1-2", f"the same {KNN_K}-nearest-neighbour vote on the first two "
                                                     "code units alone (what a scatter of them shows)"),
    "mean_activation": ("mean code", "code activation, mean over units and test images (the seed's "
                                     "encoded_imgs.mean())"),
    "near_zero": ("near 0", "code activations with |a| < 0.01, of all units on all test images"),
    "l0": ("L0", "units active (|a| >= 0.01) per image, mean over test images"),
    "dead_units": ("dead", "units active on no test image"),
    "always_on": ("always on", "units active on every test image"),
}
"""Every figure `aetui eval` may store: its short label, and what it is."""


@dataclass
class Evaluation:
    """One stored evaluation of a session's epoch."""

    epoch: int
    metrics: dict[str, float]
    samples: int = 0
    """Draws per image of the importance-weighted bound (VAE)."""
    data: str = ""
    created: str = ""
    seconds: float = 0.0
    kl_per_dim: list[float] = field(default_factory=list)
    firing_histogram: dict[str, list[float]] = field(default_factory=dict)
    """`counts` of units per firing-rate bin, and the bins' `edges` (0 .. 1)."""

    def to_json(self) -> dict:
        return {"epoch": self.epoch, "metrics": self.metrics, "samples": self.samples, "data": self.data,
                "created": self.created, "seconds": self.seconds, "kl_per_dim": self.kl_per_dim,
                "firing_histogram": self.firing_histogram}

    @classmethod
    def from_json(cls, raw, where: str) -> Evaluation:
        """The evaluation a file holds; an error naming it when it is not one (a file anyone wrote)."""
        def numbers(value) -> bool:
            return isinstance(value, list) and all(_number(v) for v in value)

        if not isinstance(raw, dict) or not isinstance(raw.get("epoch"), int) or isinstance(raw["epoch"], bool):
            raise AetuiError(f"{where}: not an aetui evaluation")
        raw = printable_data(raw)
        metrics = raw.get("metrics")
        if not isinstance(metrics, dict) or not all(isinstance(k, str) and _number(v) for k, v in metrics.items()):
            raise AetuiError(f"{where}: metrics must map names to numbers")
        histogram = raw.get("firing_histogram", {})
        if not isinstance(histogram, dict) or not all(numbers(v) for v in histogram.values()) or \
                not numbers(raw.get("kl_per_dim", [])):
            raise AetuiError(f"{where}: kl_per_dim and firing_histogram must hold numbers")
        for key, kind in (("samples", int), ("data", str), ("created", str)):
            if not isinstance(raw.get(key, kind()), kind):
                raise AetuiError(f"{where}: {key} must be {kind.__name__}")
        seconds = raw.get("seconds", 0.0)
        return cls(raw["epoch"], {k: float(v) for k, v in metrics.items()}, raw.get("samples", 0),
                   raw.get("data", ""), raw.get("created", ""), float(seconds) if _number(seconds) else 0.0,
                   [float(v) for v in raw.get("kl_per_dim", [])],
                   {k: [float(x) for x in v] for k, v in histogram.items()})


def _number(value) -> bool:
    return number(value)


def stored(session: Session) -> tuple[dict[int, Evaluation], list[str]]:
    """The evaluations stored in `session`, by epoch, and what could not be read (one line each)."""
    folder = session.path / EVALS
    found: dict[int, Evaluation] = {}
    problems: list[str] = []
    if folder.is_symlink() or not folder.is_dir():
        return found, ([f"{EVALS}/ is a link; aetui reads no links in a session"] if folder.is_symlink() else [])
    for _, path in epoch_files(session.path, EVALS)[-10_000:]:
        where = f"{session.name}/{EVALS}/{path.name}"
        try:
            raw = read_in(session.path, f"{EVALS}/{path.name}", LIMITS[EVALS], where)
            record = Evaluation.from_json(json.loads(raw.decode("utf-8")), where)
        except AetuiError as err:
            problems.append(str(err))
            continue
        except (ValueError, RecursionError) as err:
            problems.append(f"{where} is damaged: {str(err)[:120]}")
            continue
        if path.name == eval_name(record.epoch):  # (a file under another epoch's name is not that epoch's)
            found[record.epoch] = record
    return found, problems


def evaluate(session: Session, data, epoch: int | None = None, samples: int = 100,
             say: Callable[[str], None] = lambda _: None, gpu: int | None = None) -> Evaluation:
    """Compute the epoch's figures (default: the last completed one, whose weights are kept) on the
    whole test set of `data` and store them in the session; `say` hears each step."""
    from aetui.core.analysis import metrics as m
    from aetui.core.training import trainer

    check_samples(samples)
    kept = session.weights()
    last = session.epochs_done
    if not last:
        raise AetuiError(f"{session.name} has no completed epoch to evaluate")
    epoch = last if epoch is None else epoch
    if not 1 <= epoch <= last:
        raise AetuiError(f"{session.name} has epochs 1..{last}, not {epoch}")
    if kept is None or kept[0] != epoch:
        where = f"epoch {kept[0]}" if kept else "none"
        raise AetuiError(f"{session.name}: the weights of epoch {epoch} are not kept (a session keeps its last "
                         f"completed epoch's weights: {where}); evaluate that epoch, or omit --epoch")
    recipe = session.recipe()
    stored_shape = session.meta.image_shape
    if stored_shape is not None and tuple(data.image_shape) != stored_shape:
        raise AetuiError(f"{session.name} was trained on images of {'x'.join(map(str, stored_shape))}; pass the "
                         "same data (--data or --dataset)")
    check_writable(session)  # (before minutes of evaluating, not after)
    started = time.perf_counter()
    from aetui.core import backend

    backend.configure(gpu=gpu)
    built = trainer._build(recipe, data, trainer.params_at_end(session))
    trainer._load_weights(session, built, epoch)
    x, labels = data.x_test, data.y_test
    say(f"encoding {len(x):,} test and {min(REFERENCE, len(data.x_train)):,} training images")
    encoded = built.encode(x)
    codes = encoded["code"]
    reference = data.x_train[:REFERENCE]
    reference_codes = built.encode(reference)["code"]
    out: dict[str, float] = dict(m.reconstruction_errors(x, built.decode(codes)))
    say("class information in the codes (k-NN, linear probe)")
    out["knn_acc"] = m.knn_accuracy(reference_codes, data.y_train[:REFERENCE], codes, labels, KNN_K)
    out["probe_acc"] = m.linear_probe_accuracy(reference_codes, data.y_train[:REFERENCE], codes, labels)
    if codes.shape[1] > 2:
        out["knn2_acc"] = m.knn_accuracy(reference_codes[:, :2], data.y_train[:REFERENCE], codes[:, :2], labels,
                                         KNN_K)
    record = Evaluation(epoch, out, data=f"{data.name} ({len(x):,} test images)")
    if recipe.kind == "vae":
        log_var = encoded["log_var"]
        rng = np.random.default_rng(recipe.train["seed"])
        say(f"ELBO and the importance-weighted bound ({samples} draws per image)")
        out["elbo"] = float(m.elbo(x, codes, log_var, built.decode, rng, batch=DECODE_BATCH).mean())
        out["iwae"] = float(m.iwae_bound(x, codes, log_var, built.decode, rng, k=samples, batch=DECODE_BATCH).mean())
        out["kl"] = float(m.gaussian_kl_per_image(codes, log_var).mean())
        out["active_units"] = m.active_units_burda(codes)
        record.kl_per_dim = [float(v) for v in
                             (0.5 * (codes.astype(np.float64) ** 2 + np.exp(log_var) - log_var - 1.0)).mean(axis=0)]
        record.samples = samples
    elif recipe.kind == "aae":
        rng = np.random.default_rng(recipe.train["seed"])
        prior = prior_samples(recipe, rng, max(PARZEN_SAMPLES, MMD_POINTS))
        say("MMD between the codes and the prior")
        out["mmd"] = m.mmd(codes[:MMD_POINTS], prior[:MMD_POINTS])
        say(f"Parzen window on {PARZEN_SAMPLES:,} generated images")
        generated = built.decode(prior[:PARZEN_SAMPLES].astype(np.float32))
        sigma = m.choose_parzen_sigma(generated, data.x_train[-PARZEN_VALIDATION:])
        ll = m.parzen_log_likelihood(generated, x, sigma)
        out["parzen_ll"], out["parzen_se"] = float(ll.mean()), float(ll.std(ddof=1) / np.sqrt(len(ll)))
        out["parzen_sigma"] = sigma
    else:
        out["mean_activation"] = float(codes.astype(np.float64).mean())
        out["near_zero"] = float((np.abs(codes) < NEAR_ZERO).mean())
        out["l0"] = sparsity.l0(codes)
        out["dead_units"], out["always_on"] = sparsity.dead_and_always_on(codes)
        counts, edges = sparsity.firing_rate_histogram(sparsity.unit_firing_rates(codes))
        record.firing_histogram = {"counts": [float(c) for c in counts], "edges": [float(e) for e in edges]}
    record.seconds = time.perf_counter() - started
    record.created = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    save(session, record)
    fill_in_record(session, record)
    return record


def fill_in_record(session: Session, record: Evaluation) -> bool:
    """Where `session`'s record has no ranking figure of its last epoch (recorded before there were
    any), put this evaluation's there so listings rank it; only under the session's lock (a run
    records its own). True where the record was filled in."""
    from aetui.core import ranking
    from aetui.core.store.writer import SessionWriter

    if record.epoch != session.epochs_done or ranking.of_record(session.meta.last_epoch, record.epoch) is not None:
        return False
    try:
        writer, fresh = SessionWriter.lock(session.path)
    except (AetuiError, OSError):
        return False  # (running: its run writes the record; or unwritable)
    try:
        if fresh.epochs_done != record.epoch or ranking.of_record(fresh.meta.last_epoch, record.epoch) is not None:
            return False
        logs = fresh.epochs[-1].logs if fresh.epochs else {}
        writer.update(last_epoch=ranking.last_epoch_record(record.epoch, logs, record.metrics))
        return True
    except OSError:
        return False
    finally:
        writer.close()


def prior_samples(recipe, rng: np.random.Generator, n: int) -> np.ndarray:
    """`n` draws of the AAE's prior over codes (as its training draws them), in numpy."""
    from aetui.core.families.aae import MIXTURE_STD, mixture_centres

    z = rng.standard_normal((n, recipe.net["code"]))
    if recipe.loss["prior"] == "gaussian":
        return z
    centres = np.asarray(mixture_centres())
    return centres[rng.integers(0, len(centres), n)] + MIXTURE_STD * z


def check_samples(samples: int) -> None:
    """An error unless `samples` draws per image are a number `evaluate` takes."""
    if not 1 <= samples <= MOST_SAMPLES:
        raise AetuiError(f"--samples must be from 1 to {MOST_SAMPLES:,} (Burda et al.'s largest; each draw decodes "
                         f"every test image once more), not {samples:,}")


def check_writable(session: Session) -> None:
    """An error, in one line, where the session's `evals/` cannot take a file (read-only, full, a link)."""
    try:
        with Folder.open(session.path) as root:
            made = EVALS not in root.names()
            with root.sub(EVALS) as folder:
                folder.create(probe := f".tmp-probe-{time.monotonic_ns()}", b"")
                folder.unlink(probe)
            if made:  # (as it was: made again when the figures are stored)
                root.remove(EVALS)
    except OSError as err:
        raise AetuiError(cannot_write(session.path / EVALS, err) + "; nothing was evaluated") from None


def save(session: Session, record: Evaluation) -> Path:
    """Store `record` as the session's `evals/epoch-NNNN.json` (replacing an earlier one)."""
    name = eval_name(record.epoch)
    try:
        with Folder.open(session.path) as root, root.sub(EVALS) as folder:
            folder.write(name, json.dumps(record.to_json(), indent=1).encode("utf-8"))
    except OSError as err:
        raise AetuiError(cannot_write(session.path / EVALS, err)) from None
    return session.path / EVALS / name
