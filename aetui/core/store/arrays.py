"""A session's arrays checked before any view uses them: a file someone else wrote may hold any
shape, type or value, and a view that trusts it crashes (or draws nonsense). Each check names
the file, the array and what is wrong, in one line (`AetuiError`)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from aetui.core.errors import AetuiError

LARGEST_SIDE = 4096
"""The widest or tallest image a session may describe."""
MOST_CELLS = 100 * 100
"""The most cells a latent sweep may have (a recipe's `[snapshot] sweep` is at most 100 a side)."""
MOST_CLASSES = 65_536
"""Labels are class numbers below this (as `data.MAX_CLASSES`)."""


def _need(arrays: Mapping, key: str, where: str) -> np.ndarray:
    if key not in arrays:
        raise AetuiError(f"{where} has no {key}")
    value = np.asarray(arrays[key])
    if value.dtype == object or value.dtype.kind not in "biuf":
        raise AetuiError(f"{where}: {key} is not numbers")
    return value


def fixed(arrays: Mapping, where: str = "fixed.npz") -> dict:
    """The fixed panel and subset, checked: two positive image sides whose product is the panel's
    width, one label per panel image, whole finite labels for the subset."""
    shape = _need(arrays, "image_shape", where)
    panel = _need(arrays, "panel", where)
    if shape.shape != (2,) or not np.all((shape >= 1) & (shape <= LARGEST_SIDE)) or shape.dtype.kind not in "iu":
        raise AetuiError(f"{where}: image_shape must be two sizes from 1 to {LARGEST_SIDE}, got {shape.tolist()}")
    if panel.ndim != 2 or panel.shape[1] != int(shape[0]) * int(shape[1]) or not len(panel):
        raise AetuiError(f"{where}: panel must hold images of {int(shape[0])}x{int(shape[1])} pixels, "
                         f"got an array of {list(panel.shape)}")
    out = {"image_shape": shape, "panel": panel}
    for key, length in (("panel_labels", len(panel)), ("subset_labels", None), ("subset_index", None),
                        ("panel_index", len(panel))):
        if key not in arrays:
            continue
        values = _need(arrays, key, where)
        if values.ndim != 1 or (length is not None and len(values) != length) or not np.all(np.isfinite(values)) \
                or not np.all(values == np.round(values)) or (len(values) and values.min() < 0) or not len(values):
            raise AetuiError(f"{where}: {key} must be {'one whole number per image' if length else 'whole numbers'}")
        if key.endswith("labels") and values.max() >= MOST_CLASSES:
            raise AetuiError(f"{where}: {key} must be class numbers below {MOST_CLASSES}")
        out[key] = values.astype(np.int64)
    return out


def recon(snapshot: Mapping, panel: np.ndarray, where: str) -> np.ndarray:
    """The reconstructions of the panel: one per panel image, as wide."""
    values = _need(snapshot, "recon", where)
    if values.shape != panel.shape:
        raise AetuiError(f"{where}: recon is {list(values.shape)}, not one image per panel image {list(panel.shape)}")
    return values


def noisy(snapshot: Mapping, panel: np.ndarray, where: str) -> np.ndarray | None:
    """A denoising run's noisy panel (what its encoder saw), one per panel image; None where the
    snapshot has none."""
    if "noisy" not in snapshot:
        return None
    values = _need(snapshot, "noisy", where)
    if values.shape != panel.shape:
        raise AetuiError(f"{where}: noisy is {list(values.shape)}, not one image per panel image {list(panel.shape)}")
    return values


def codes(snapshot: Mapping, count: int, where: str) -> np.ndarray:
    """The subset's codes: a finite row of one or more units per subset image."""
    values = _need(snapshot, "codes", where)
    if values.ndim != 2 or len(values) != count or values.shape[1] < 1:
        raise AetuiError(f"{where}: codes must be a row per labelled image ({count}), got {list(values.shape)}")
    if not np.all(np.isfinite(values.astype(np.float64))):
        raise AetuiError(f"{where}: the codes are not all finite numbers")
    return values.astype(np.float32)


def sweep(snapshot: Mapping, width: int, where: str) -> dict:
    """The decoded sweep: its grid (columns `sweep_xs`, rows `sweep_ys`), an image per cell, and the
    plane it lies in."""
    xs, ys = _need(snapshot, "sweep_xs", where), _need(snapshot, "sweep_ys", where)
    images = _need(snapshot, "sweep", where)
    if xs.ndim != 1 or ys.ndim != 1 or not len(xs) or not len(ys):
        raise AetuiError(f"{where}: sweep_xs and sweep_ys must each list the grid's positions")
    if len(xs) * len(ys) > MOST_CELLS:
        raise AetuiError(f"{where}: the sweep grid has {len(xs) * len(ys):,} cells, over the {MOST_CELLS:,} a "
                         "session may have")
    if not (np.all(np.isfinite(xs)) and np.all(np.isfinite(ys))):
        raise AetuiError(f"{where}: sweep_xs and sweep_ys are not all finite")
    if images.shape != (len(xs) * len(ys), width):
        raise AetuiError(f"{where}: sweep is {list(images.shape)}, not an image per cell of the "
                         f"{len(ys)}x{len(xs)} grid")
    centre, axes = _need(snapshot, "sweep_centre", where), _need(snapshot, "sweep_axes", where)
    if centre.ndim != 1 or axes.shape != (2, len(centre)):
        raise AetuiError(f"{where}: sweep_centre and sweep_axes do not describe a plane")
    return {"xs": xs, "ys": ys, "images": images, "centre": centre, "axes": axes}


def vector(snapshot: Mapping, key: str, where: str) -> np.ndarray | None:
    """An optional per-unit figure (`unit_means`, `kl_per_dim`): finite numbers, or None if absent."""
    if key not in snapshot:
        return None
    values = _need(snapshot, key, where).astype(np.float64).ravel()
    if not np.all(np.isfinite(values)):
        raise AetuiError(f"{where}: {key} is not all finite")
    return values
