"""`aetui eval` of one session: its model rebuilt from the recipe and the weights it keeps, measured
on the whole test set (`analysis.evaluation`), the figures stored in the session
(`store.evaluations`) so every view can show them."""

from __future__ import annotations

import time
from typing import Callable

import numpy as np

from aetui.core.errors import AetuiError
from aetui.core.families.registry import family
from aetui.core.store.evaluations import Evaluation, check_writable, fill_in_record, save
from aetui.core.store.sessions import Session

MOST_SAMPLES = 5000
"""The most draws per image of the importance-weighted bound: Burda et al.'s largest (each draw is
one more decode of every test image)."""


def evaluate(session: Session, data, epoch: int | None = None, samples: int = 100,
             say: Callable[[str], None] = lambda _: None, gpu: int | None = None,
             storing: Callable[[], None] = lambda: None) -> Evaluation:
    """Compute the epoch's figures (default: the last completed one, whose weights are kept) on the
    whole test set of `data` and store them in the session; `say` hears each step, `storing` the
    moment the figures begin to be written."""
    from aetui.core.analysis.evaluation import measure
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
    found = measure(family(recipe.kind).evaluation, built, data, seed=recipe.train["seed"], samples=samples, say=say,
                    prior=lambda rng, n: prior_samples(recipe, rng, n))
    record = Evaluation(epoch, found.metrics, samples=found.samples,
                        data=f"{data.name} ({len(data.x_test):,} test images)", kl_per_dim=found.kl_per_dim,
                        firing_histogram=found.firing_histogram)
    record.seconds = time.perf_counter() - started
    record.created = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    storing()  # (from here the figures are written: `aetui eval` lets no Ctrl-C cut that short)
    save(session, record)
    fill_in_record(session, record)
    return record


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
