"""`aetui eval`'s figures: what papers report for a model, measured on a whole test set.

Every model: reconstruction error in both conventions (per-pixel mean and per-image sum, squared
error and binary cross-entropy; the VAE's through its posterior mean), and how much class
information the code keeps (k-nearest-neighbour and linear-probe accuracy, the reference codes
those of up to `REFERENCE` training images). The VAE: the ELBO and the importance-weighted bound
(Burda et al.) per image in nats, active units by Burda et al.'s criterion, KL per dimension.
The AAE: the MMD between the aggregated posterior and the prior, and the Parzen-window
log-likelihood of generated samples (Makhzani et al.'s legacy measure). Codes with activations
(ordinary, sparse, nonnegative): L0, dead and always-on units, a histogram of firing rates.

The figures are `analysis.metrics`'s (numpy, each tested against a reference); `measure` feeds
them a model's own encoder and decoder. Rebuilding the model from a session and storing what it
finds is `training.evaluate`'s, keeping it `store.evaluations`'.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from aetui.core.analysis import sparsity
from aetui.core.analysis.sparsity import NEAR_ZERO

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
class Measured:
    """What `measure` found: the figures by name (`METRICS`), and the per-unit ones some models have."""

    metrics: dict[str, float]
    samples: int = 0
    """Draws per image of the importance-weighted bound (VAE)."""
    kl_per_dim: list[float] = field(default_factory=list)
    firing_histogram: dict[str, list[float]] = field(default_factory=dict)
    """`counts` of units per firing-rate bin, and the bins' `edges` (0 .. 1)."""


def measure(extras: frozenset[str], built, data, *, seed: int, samples: int = 100,
            prior: Callable[[np.random.Generator, int], np.ndarray] | None = None,
            say: Callable[[str], None] = lambda _: None) -> Measured:
    """The figures of the model `built` (its `encode` and `decode`) on the whole test set of `data`,
    with the `extras` its family declares (`posterior`: a Gaussian posterior's ELBO, IWAE bound,
    KL and active units; `prior`: MMD to the prior and a Parzen likelihood); `seed` seeds the draws,
    `prior(rng, n)` draws codes from the prior, `say` hears each step."""
    from aetui.core.analysis import metrics as m

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
    found = Measured(out)
    if "posterior" in extras:
        log_var = encoded["log_var"]
        rng = np.random.default_rng(seed)
        say(f"ELBO and the importance-weighted bound ({samples} draws per image)")
        out["elbo"] = float(m.elbo(x, codes, log_var, built.decode, rng, batch=DECODE_BATCH).mean())
        out["iwae"] = float(m.iwae_bound(x, codes, log_var, built.decode, rng, k=samples, batch=DECODE_BATCH).mean())
        out["kl"] = float(m.gaussian_kl_per_image(codes, log_var).mean())
        out["active_units"] = m.active_units_burda(codes)
        found.kl_per_dim = [float(v) for v in
                            (0.5 * (codes.astype(np.float64) ** 2 + np.exp(log_var) - log_var - 1.0)).mean(axis=0)]
        found.samples = samples
    elif "prior" in extras:
        rng = np.random.default_rng(seed)
        drawn = prior(rng, max(PARZEN_SAMPLES, MMD_POINTS))
        say("MMD between the codes and the prior")
        out["mmd"] = m.mmd(codes[:MMD_POINTS], drawn[:MMD_POINTS])
        say(f"Parzen window on {PARZEN_SAMPLES:,} generated images")
        generated = built.decode(drawn[:PARZEN_SAMPLES].astype(np.float32))
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
        found.firing_histogram = {"counts": [float(c) for c in counts], "edges": [float(e) for e in edges]}
    return found
