"""How much of the swept latent space each class occupies (the seed's question about zero).

Each sweep cell is labelled by a majority vote of the k test codes nearest to it; a class's
area share is the fraction of cells it wins. For the VAE's grid of standard-normal quantiles,
every cell holds the same prior mass, so the share is also a share of the prior.
"""

from __future__ import annotations

import numpy as np

BLOCK = 4_000_000
"""Most distances held at once (32 MB): a large grid against many codes is worked through in blocks."""


def nearest_labels(points: np.ndarray, codes: np.ndarray, labels: np.ndarray, k: int = 5) -> np.ndarray:
    """The majority label among the `k` codes nearest to each point (ties go to the nearest code)."""
    points, codes = np.asarray(points, np.float64), np.asarray(codes, np.float64)
    k = max(1, min(k, len(codes)))
    codes_sq = (codes * codes).sum(axis=1)
    rows = max(1, BLOCK // max(len(codes), 1))  # points at a time: the distances stay within BLOCK entries
    nearest = np.empty((len(points), k), np.int64)
    for start in range(0, len(points), rows):
        block = points[start:start + rows]
        d2 = (block * block).sum(axis=1)[:, None] - 2.0 * block @ codes.T + codes_sq[None, :]
        part = np.argpartition(d2, k - 1, axis=1)[:, :k] if k < len(codes) else np.tile(np.arange(len(codes)),
                                                                                            (len(block), 1))
        order = np.lexsort((part, np.take_along_axis(d2, part, axis=1)), axis=1)  # by distance, then index
        nearest[start:start + rows] = np.take_along_axis(part, order, axis=1)
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
