"""Latent-space geometry in numpy: PCA projections and the plane a sweep decodes over."""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np


def pca(codes: np.ndarray, k: int = 2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Principal directions of `codes` (N x K): (mean, directions k x K, projections N x k).

    Directions come from the K x K covariance, so this is fast for any N; the sign of each
    direction is fixed so that its largest component is positive.
    """
    codes = np.asarray(codes, np.float64)
    mean = codes.mean(axis=0)
    centred = codes - mean
    values, vectors = np.linalg.eigh(centred.T @ centred / max(len(codes) - 1, 1))
    order = np.argsort(values)[::-1][:k]
    directions = vectors[:, order].T
    signs = np.sign(directions[np.arange(len(directions)), np.abs(directions).argmax(axis=1)])
    directions = directions * signs[:, None]
    return mean, directions, centred @ directions.T


def project(codes: np.ndarray) -> tuple[np.ndarray, str]:
    """2-D positions of codes and how they were made: the code itself when it has 1 or 2 units,
    else its two leading principal components."""
    codes = np.asarray(codes, np.float64)
    if codes.shape[1] == 2:
        return codes, "the 2-D code itself"
    if codes.shape[1] == 1:
        return np.hstack([codes, np.zeros_like(codes)]), "the 1-D code"
    return pca(codes, 2)[2], "PCA of the code, components 1 and 2"


@dataclass(frozen=True)
class SweepPlane:
    """A grid over a 2-D plane of code space: `centre + x * axes[0] + y * axes[1]`."""

    centre: np.ndarray
    axes: np.ndarray
    xs: np.ndarray
    ys: np.ndarray
    how: str
    """How the plane was chosen, in words (shown beside the sweep)."""

    def points(self) -> np.ndarray:
        """Codes of the grid, row by row from the top (largest y) down, left to right."""
        grid_x, grid_y = np.meshgrid(self.xs, self.ys[::-1])
        return self.centre + grid_x.reshape(-1, 1) * self.axes[0] + grid_y.reshape(-1, 1) * self.axes[1]


def sweep_plane(codes: np.ndarray, n: int, prior: str | None) -> SweepPlane:
    """The plane to sweep for a model whose test codes are `codes`.

    2-D codes with a Gaussian prior: the seed's grid of standard-normal quantiles 5%..95%.
    Other 2-D codes: each axis from its 1st to its 99th percentile. Wider codes: the two
    leading principal directions, two standard deviations each way from the mean.
    """
    codes = np.asarray(codes, np.float64)
    dim = codes.shape[1]
    if dim <= 2 and prior == "gaussian":
        values = np.array([NormalDist().inv_cdf(q) for q in np.linspace(0.05, 0.95, n)])
        return SweepPlane(np.zeros(dim), np.eye(2, dim), values, values if dim == 2 else np.zeros(1),
                          "standard-normal quantiles 5%..95%")
    if dim <= 2:
        low, high = np.percentile(codes, 1, axis=0), np.percentile(codes, 99, axis=0)
        ys = np.linspace(low[1], high[1], n) if dim == 2 else np.zeros(1)
        return SweepPlane(np.zeros(dim), np.eye(2, dim), np.linspace(low[0], high[0], n), ys,
                          "code units 1 and 2, 1st..99th percentile")
    mean, directions, projected = pca(codes, 2)
    spread = 2.0 * projected.std(axis=0)
    return SweepPlane(mean, directions, np.linspace(-spread[0], spread[0], n),
                      np.linspace(-spread[1], spread[1], n), "principal directions 1 and 2, +-2 sd")
