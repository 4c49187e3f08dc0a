"""Sparsity statistics of code activations, in numpy (the seed's `encoded_imgs.mean()` and more)."""

from __future__ import annotations

import numpy as np

NEAR_ZERO = 0.01
"""An activation with magnitude below this counts as (near) zero."""


def code_stats(codes: np.ndarray) -> dict:
    """Figures for a batch of codes (N x K): mean activation, share near zero, L0 (the mean number
    of units not near zero per image), per-unit means, dead units.

    A unit is dead when it is near zero for every image in the batch. `first_two_zero` is the
    share of images for which at least one of the first two units is near zero (a seed observation).
    """
    codes = np.asarray(codes, np.float64)
    near = np.abs(codes) < NEAR_ZERO
    unit_means = codes.mean(axis=0)
    stats = {
        "mean_activation": float(codes.mean()),
        "near_zero": float(near.mean()),
        "l0": float((~near).sum(axis=1).mean()),
        "dead_units": int(near.all(axis=0).sum()),
        "units": int(codes.shape[1]),
        "unit_means": unit_means.astype(np.float32),
    }
    if codes.shape[1] >= 2:
        stats["first_two_zero"] = float((near[:, 0] | near[:, 1]).mean())
    return stats


def gaussian_stats(mean: np.ndarray, log_var: np.ndarray) -> dict:
    """VAE figures: KL to N(0, I) per latent dimension (averaged over images) and active units.

    A latent unit is active when the variance of its mean over the data exceeds 0.01
    (Burda et al. 2016).
    """
    mean, log_var = np.asarray(mean, np.float64), np.asarray(log_var, np.float64)
    kl = 0.5 * (mean**2 + np.exp(log_var) - log_var - 1.0)
    return {"kl_per_dim": kl.mean(axis=0).astype(np.float32),
            "active_units": int((mean.var(axis=0) > 0.01).sum())}


def _active(codes, threshold: float) -> np.ndarray:
    return np.abs(np.asarray(codes, np.float64).reshape(len(codes), -1)) >= threshold  # the complement of near-zero


def l0(codes, threshold: float = NEAR_ZERO) -> float:
    """Active units per image, averaged over images: a unit is active when |a| >= threshold."""
    return float(_active(codes, threshold).sum(axis=1).mean())


def unit_firing_rates(codes, threshold: float = NEAR_ZERO) -> np.ndarray:
    """Per unit (K,): the share of images on which |a| >= threshold."""
    return _active(codes, threshold).mean(axis=0)


def dead_and_always_on(codes, threshold: float = NEAR_ZERO) -> tuple[int, int]:
    """(dead, always_on): units active on no image, and units active on every image."""
    active = _active(codes, threshold)
    return int((~active.any(axis=0)).sum()), int(active.all(axis=0).sum())


def firing_rate_histogram(rates, bins: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """(counts, edges): how many units fall in each of `bins` equal bins over [0, 1] of firing rate
    (the last bin includes 1)."""
    return np.histogram(np.asarray(rates, np.float64), bins=bins, range=(0.0, 1.0))
