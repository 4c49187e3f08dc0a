"""The loss-part model of the dense families and the VAE: its loss a sum of named parts, each
tracked as a figure of its own, in training and in a validation whose figures belong to the whole
test set (`families.validation`)."""

from __future__ import annotations

from typing import Any

import keras

from aetui.core.conventions import EPOCH
from aetui.core.families import validation
from aetui.core.families.base import Knobs, corrupt, replica_count
from aetui.core.recipe import Recipe


class PartsModel(keras.Model):
    """A Keras model whose loss is a sum of named parts, each tracked as its own metric.

    Subclasses implement `loss_parts(x, outputs)`, returning a dict of scalar tensors; Keras's own
    train step calls `compute_loss`, so `fit` logs `loss` and each part per epoch. Validation
    (`test_step`) weighs each batch by its images and computes a part built on a statistic of
    the batch (`whole_set_parts`) once, from the whole test set (`families.validation`); it also
    logs the per-pixel errors every family shares (`val_mse_pixel`, `val_bce_pixel`).
    """

    def __init__(self, encoder: keras.Model, decoder: keras.Model, knobs: Knobs, recipe: Recipe,
                 parts: tuple[str, ...], **kwargs: Any):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.knobs = knobs
        self.recipe = recipe
        self.train_batch_size = recipe.train["batch_size"]
        """The training batch size (the engine sets the run's): a penalty summed over a batch
        is validated as if over batches of this size."""
        self.part_trackers = [keras.metrics.Mean(name=name) for name in parts]
        self.set_parts = self.whole_set_parts()
        self.set_trackers = [validation.SetMean(spec.size, f"{name}_set") for name, spec in self.set_parts.items()]
        self.error_trackers = validation.pixel_error_trackers()
        self.denoising = "noise" in recipe.params
        if self.denoising:
            self.noise_seed = keras.random.SeedGenerator(recipe.train["seed"] + 1)

    def noisy(self, x):
        """The images the encoder sees: with `noise` in the recipe (denoising), `x` plus Gaussian
        noise of the live standard deviation, clipped to [0, 1], in training and validation alike
        (the loss and the errors compare with the clean `x`); else `x` itself."""
        if not self.denoising:
            return x
        return corrupt(x, self.knobs.noise, keras.random.normal(keras.ops.shape(x), seed=self.noise_seed))

    def loss_parts(self, x, outputs) -> dict:
        """The named loss terms for a batch; their sum is the loss."""
        raise NotImplementedError

    def whole_set_parts(self) -> dict[str, validation.SetPart]:
        """The parts validated from a statistic of the whole test set (by part name)."""
        return {}

    def error_reconstruction(self, x, outputs):
        """The reconstruction whose per-pixel errors are recorded (the VAE's: of its posterior mean)."""
        return outputs["recon"]

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        parts = self.loss_parts(x, y_pred)
        for tracker in self.part_trackers:
            tracker.update_state(parts[tracker.name])
        for (name, spec), tracker in zip(self.set_parts.items(), self.set_trackers):
            if training and spec.batch_statistic:  # the same figure validation shows, over the epoch's batches
                tracker.update_state(spec.per_image(x, y_pred))
        total = parts[self.part_trackers[0].name]
        for tracker in self.part_trackers[1:]:
            total = total + parts[tracker.name]
        # Under a strategy with N replicas Keras sums the replicas' gradients and losses, and scales
        # only its own compiled losses by 1/N: do the same here so `loss` reads as with one device.
        return total / replica_count()

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """The training figures of the epoch so far: the mean of each part over its batches, their
        sum, and each batch-statistic part computed from the epoch's mean (`name_epoch`)."""
        out = {tracker.name: tracker.result() for tracker in self.part_trackers}
        out = {"loss": _summed(out.values()), **out}
        for (name, spec), tracker in zip(self.set_parts.items(), self.set_trackers):
            if spec.batch_statistic:
                out[name + EPOCH] = spec.of_mean(tracker.result())
        return out

    def test_step(self, data):
        x = validation.unpacked(data)
        outputs = self(x, training=False)
        images = validation.images_in(x)
        parts = self.loss_parts(x, outputs)
        for tracker in self.part_trackers:
            if tracker.name not in self.set_parts:
                tracker.update_state(parts[tracker.name], sample_weight=images)
        for (name, spec), tracker in zip(self.set_parts.items(), self.set_trackers):
            tracker.update_state(spec.per_image(x, outputs))
        validation.track_pixel_errors(self.error_trackers, x, self.error_reconstruction(x, outputs), images)
        return self.get_metrics_result()

    def get_metrics_result(self):
        """The validation figures of the images seen since the last reset: each part over the whole
        set (a weighted mean, or from the set's statistic), their sum, and the per-pixel errors.
        (Keras reads these at the end of `evaluate`; training's figures are `compute_metrics`'s.)"""
        values = {}
        for tracker in self.part_trackers:
            values[tracker.name] = tracker.result()
        for (name, spec), tracker in zip(self.set_parts.items(), self.set_trackers):
            values[name] = spec.of_mean(tracker.result())
        out = {"loss": _summed(values.values()), **values}
        out.update({tracker.name: tracker.result() for tracker in self.error_trackers})
        return out


def _summed(values):
    values = list(values)
    total = values[0]
    for value in values[1:]:
        total = total + value
    return total
