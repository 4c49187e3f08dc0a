"""How much of the swept latent space each class occupies (the seed's question about zero).

Each sweep cell is labelled by a majority vote of the k test codes nearest to it; a class's
area share is the fraction of cells it wins. For the VAE's grid of standard-normal quantiles,
every cell holds the same prior mass, so the share is also a share of the prior.
"""

from __future__ import annotations

import numpy as np


def nearest_labels(points: np.ndarray, codes: np.ndarray, labels: np.ndarray, k: int = 5) -> np.ndarray:
    """The majority label among the `k` codes nearest to each point (ties go to the nearest code)."""
    points, codes = np.asarray(points, np.float64), np.asarray(codes, np.float64)
    k = max(1, min(k, len(codes)))
    d2 = ((points[:, None, :] - codes[None, :, :]) ** 2).sum(axis=2)
    nearest = np.argsort(d2, axis=1)[:, :k]
    out = np.empty(len(points), np.int64)
    for i, idx in enumerate(nearest):
        votes = np.bincount(labels[idx])
        winners = np.flatnonzero(votes == votes.max())
        out[i] = labels[idx[0]] if labels[idx[0]] in winners else winners[0]
    return out


def area_shares(points: np.ndarray, codes: np.ndarray, labels: np.ndarray, classes: int,
                k: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """(share of the cells per class, summing to 1; the label of each cell)."""
    cells = nearest_labels(points, codes, labels, k)
    return np.bincount(cells, minlength=classes) / len(cells), cells
