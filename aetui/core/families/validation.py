"""Figures of a whole set, whatever its order, for the models' validation (and their training epochs).

Keras validates a model batch by batch and averages what each batch reports. That is exact for a
figure that is a mean over images, once each batch is weighted by the images it holds (the last,
partial batch counts for what it holds), and wrong for a penalty built on a statistic of the batch:
the KL sparsity penalty is a convex function of each unit's mean activation, so a mean of
per-batch penalties depends on which images share a batch (on MNIST's test file in its order,
80 times the whole set's penalty). Such a part is computed here once, from its statistic
accumulated over the whole pass (`SetMean`: a sum and a count), and training reports the same
figure over its epoch's batches (`sparsity_epoch`) beside the per-batch penalty it optimises.

Every model also records, at each validation, the reconstruction error in units that do not
depend on its family: squared error and binary cross-entropy per pixel, pixels in [0, 1]
(`PIXEL_ERRORS`; the VAE's through its posterior mean), the figures sessions are ranked by.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import keras
from keras import ops

from aetui.core.families import losses

PIXEL_ERRORS = ("mse_pixel", "bce_pixel")
"""The reconstruction errors every validation records (logged as `val_mse_pixel`, `val_bce_pixel`)."""


class SetMean(keras.metrics.Metric):
    """The mean over every image seen of a per-image vector (a unit's activation, say), kept as a
    sum and a count in float64: one pass, and the same whatever the order of the images."""

    def __init__(self, size: int, name: str):
        super().__init__(name=name)
        self.total = self.add_variable(shape=(size,), initializer="zeros", dtype="float64", name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", dtype="float64", name="count")

    def update_state(self, values):
        """Add a batch of per-image vectors, (N, size)."""
        values = ops.cast(values, "float64")
        self.total.assign_add(ops.sum(values, axis=0))
        self.count.assign_add(ops.cast(ops.shape(values)[0], "float64"))

    def result(self):
        return ops.cast(self.total / ops.maximum(self.count, 1.0), "float32")

    def reset_state(self):
        self.total.assign(ops.zeros_like(self.total))
        self.count.assign(0.0)


@dataclass(frozen=True)
class SetPart:
    """A loss part that is a function of the mean over the images of a per-image vector: computed
    from the whole set's mean at validation."""

    size: int
    """The length of the per-image vector."""
    per_image: Callable
    """(images, the model's outputs) -> the vectors, (N, size)."""
    of_mean: Callable
    """The mean vector over a set -> the part's value (reading the live knobs)."""
    batch_statistic: bool
    """Whether a mean of per-batch values would differ from the whole set's (a nonlinear function
    of the mean, as the KL sparsity): training then also logs `name_epoch`, the part computed
    from the mean over the epoch's batches."""


def pixel_error_trackers() -> list:
    """A weighted mean per `PIXEL_ERRORS` figure."""
    return [keras.metrics.Mean(name=name) for name in PIXEL_ERRORS]


def track_pixel_errors(trackers: list, x, recon, images) -> None:
    """Add a batch's per-pixel errors of `recon` against `x`, weighted by its `images`."""
    for tracker, value in zip(trackers, losses.pixel_errors(x, recon)):
        tracker.update_state(value, sample_weight=images)


def images_in(x):
    """The batch's image count, as a float weight."""
    return ops.cast(ops.shape(x)[0], "float32")


def unpacked(data):
    """The images of a batch Keras hands a step (`(x, y)` or `x`)."""
    return data[0] if isinstance(data, (tuple, list)) else data
