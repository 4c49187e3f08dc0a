"""Image arrays for display: reshape flat vectors, crop the empty border, shrink by area averaging."""

from __future__ import annotations

import numpy as np


def to_u8(images: np.ndarray) -> np.ndarray:
    """Images in [0, 1] as bytes 0..255 (the compact form snapshots keep); bytes stay as they are."""
    images = np.asarray(images)
    if images.dtype == np.uint8:
        return images
    with np.errstate(invalid="ignore"):  # (NaN, from a damaged file, reads as black)
        return np.round(np.nan_to_num(np.clip(images.astype(np.float64), 0.0, 1.0)) * 255).astype(np.uint8)


def as_images(flat: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Flat vectors (N x D, uint8 0..255 or float 0..1) as N x H x W floats in [0, 1]."""
    flat = np.asarray(flat)
    if flat.dtype == np.uint8:
        return flat.reshape(len(flat), *shape).astype(np.float32) / 255.0
    with np.errstate(invalid="ignore"):  # (NaN, from a damaged file, reads as black)
        return np.nan_to_num(np.clip(flat.reshape(len(flat), *shape).astype(np.float32), 0.0, 1.0))


FRAME = 4
"""MNIST digits sit inside a 4-pixel frame (each a 20-pixel box centred by its mass in 28): mostly
empty, though a stroke reaches into it now and then."""
EMPTY = 32
"""A pixel under this (of 255) is empty: a frame is cropped only as far as every pixel in it is."""


def empty_borders(images: np.ndarray) -> np.ndarray:
    """Per image of the N x H x W `images`: how many pixels a side are empty, up to `FRAME` (0 for
    images under 28 pixels, which have no frame)."""
    images = np.asarray(images)
    out = np.zeros(len(images), int)
    if images.ndim < 3 or min(images.shape[1:3]) < 28:
        return out
    ink = to_u8(images) >= EMPTY
    for k in range(1, FRAME + 1):
        frame = ink.copy()
        frame[:, k:-k, k:-k] = False
        out += ~frame.reshape(len(images), -1).any(axis=1)  # (a frame k wide is empty only if k - 1 is)
    return out


def empty_border(images: np.ndarray) -> int:
    """How many pixels a side are empty in every one of the N x H x W `images`: the frame a view
    may crop without cutting a stroke."""
    return int(empty_borders(images).min()) if len(images) else 0


def crop(images: np.ndarray, border: int) -> np.ndarray:
    """Drop `border` pixels on every side."""
    if border <= 0 or 2 * border >= min(images.shape[1:]):
        return images
    return images[:, border:-border, border:-border]


def shrink(images: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize N x H x W images to N x height x width by averaging the source area of each output pixel."""
    _, h, w = images.shape
    if (h, w) == (height, width):
        return images
    rows = _weights(h, height)
    cols = _weights(w, width)
    return np.einsum("ih,nhw,jw->nij", rows, images, cols)


def _weights(source: int, target: int) -> np.ndarray:
    """A target x source matrix whose rows average the overlapping source pixels (area resampling)."""
    edges = np.linspace(0, source, target + 1)
    out = np.zeros((target, source), np.float32)
    for i in range(target):
        lo, hi = edges[i], edges[i + 1]
        for s in range(int(np.floor(lo)), int(np.ceil(hi))):
            out[i, s] = min(hi, s + 1) - max(lo, s)
        out[i] /= out[i].sum()
    return out
