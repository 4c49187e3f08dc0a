"""A saved session as its views need it: curves, reconstructions, codes, projections, sweeps,
latent area shares and sparsity, each at a chosen epoch, from numpy alone (no TensorFlow).

The replay screen, `aetui show` and `aetui export` all read through this one class.
"""

from __future__ import annotations

from functools import cached_property, lru_cache

import numpy as np

from aetui.core.analysis.area import area_shares
from aetui.core.analysis.images import as_images
from aetui.core.analysis.latent import SweepPlane, project
from aetui.core.families.registry import figure_keys
from aetui.core.errors import AetuiError
from aetui.core.events import TrainingStarted
from aetui.core.runstate import RunState
from aetui.core.store import arrays
from aetui.core.store.sessions import Session


def step_epoch(epochs: list[int], current: int, delta: int) -> int:
    """The epoch `delta` places from `current` in `epochs`, clamped to its ends (the last if absent)."""
    index = epochs.index(current) if current in epochs else len(epochs) - 1
    return epochs[max(0, min(len(epochs) - 1, index + delta))]


class Replay:
    """Per-epoch views of one session; arrays are loaded on first use and cached."""

    def __init__(self, session: Session):
        self.session = session
        self.state = RunState.from_events(session.history)
        self.state.status = session.status
        self.epochs = [e.epoch for e in session.epochs]
        self._ended = {e.epoch: e for e in session.epochs}
        self.pictured = [e.epoch for e in session.epochs if e.pictured]
        """Epochs with a snapshot: every one while epochs were slow, a few a second when fast."""
        self._fixed: dict | None = None
        self._snapshot = lru_cache(maxsize=8)(session.snapshot)

    @property
    def last(self) -> int:
        """The last completed epoch (0 if none)."""
        return self.epochs[-1] if self.epochs else 0

    def check_epoch(self, epoch: int) -> int:
        """`epoch` if the session has it, else an error naming the range."""
        if epoch not in self.epochs:
            span = f"1..{self.last}" if self.epochs else "none yet"
            raise AetuiError(f"{self.session.name} has no epoch {epoch} (epochs: {span})")
        return epoch

    @cached_property
    def evaluations(self) -> tuple[dict, list[str]]:
        """`aetui eval`'s stored figures by epoch (`store.evaluations.Evaluation`), and the files that could
        not be read."""
        from aetui.core.store.evaluations import stored

        return stored(self.session)

    def evaluation(self, epoch: int):
        """The stored evaluation of `epoch`, or None."""
        return self.evaluations[0].get(epoch)

    def per_epoch(self, keys: tuple[str, ...]) -> dict[str, list[float]]:
        """Per-epoch figures recorded while training (`keys` among the epochs' stats), NaN where an
        epoch has none; only those some epoch has."""
        out = {}
        for key in keys:
            values = [e.stats.get(key) for e in self.session.epochs]
            if any(isinstance(v, (int, float)) for v in values):
                out[key] = [float(v) if isinstance(v, (int, float)) else float("nan") for v in values]
        return out

    @property
    def start_params(self) -> dict[str, float]:
        """The hyperparameters the run started with (the session's `params` are the last values)."""
        return next((e.params for e in self.session.history if isinstance(e, TrainingStarted)), {})

    @property
    def fixed(self) -> dict:
        """The fixed panel and subset, checked (`arrays.fixed`)."""
        if self._fixed is None:
            self._fixed = arrays.fixed(self.session.fixed(), f"{self.session.name}/fixed.npz")
        return self._fixed

    @property
    def image_shape(self) -> tuple[int, int]:
        return tuple(int(v) for v in self.fixed["image_shape"])

    def pictures_of(self, epoch: int) -> int:
        """The epoch whose snapshot shows `epoch`: itself, or, where epochs came faster than the
        snapshots were taken, the last one before it that has one."""
        self.check_epoch(epoch)
        if self._ended[epoch].pictured:
            return epoch
        earlier = [e for e in self.pictured if e < epoch]
        if not earlier:
            raise AetuiError(f"{self.session.name}: epoch {epoch} and those before it have no snapshot")
        return earlier[-1]

    def label(self, epoch: int) -> str:
        """How a picture of `epoch` is titled: `epoch 37`, or `epoch 37 (pictures of epoch 35)`."""
        shown = self.pictures_of(epoch)
        return f"epoch {epoch}" if shown == epoch else f"epoch {epoch} (pictures of epoch {shown})"

    def snapshot(self, epoch: int) -> dict:
        """The arrays saved at `epoch`, or at the epoch whose pictures show it (`pictures_of`; an
        error if that snapshot is missing or damaged)."""
        return self._snapshot(self.pictures_of(epoch))

    def stats(self, epoch: int) -> dict:
        """The scalar statistics recorded at `epoch`."""
        return self._ended[self.check_epoch(epoch)].stats

    def where(self, epoch: int) -> str:
        """How errors name the snapshot of `epoch`."""
        return f"{self.session.name}/snapshots/epoch-{self.pictures_of(epoch):04d}.npz"

    def reconstructions(self, epoch: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """(originals, reconstructions) as N x H x W in [0, 1], and their labels."""
        shape, panel = self.image_shape, self.fixed["panel"]
        recon = arrays.recon(self.snapshot(epoch), panel, self.where(epoch))
        labels = self.fixed.get("panel_labels", np.zeros(len(panel), np.int64))
        return as_images(panel, shape), as_images(recon, shape), [str(int(v)) for v in labels]

    def noisy(self, epoch: int) -> np.ndarray | None:
        """A denoising run's noisy panel at `epoch` (what its encoder saw, reconstructed in
        `reconstructions`) as N x H x W in [0, 1]; None for other runs."""
        noisy = arrays.noisy(self.snapshot(epoch), self.fixed["panel"], self.where(epoch))
        return None if noisy is None else as_images(noisy, self.image_shape)

    def codes(self, epoch: int) -> tuple[np.ndarray, np.ndarray]:
        """The labelled subset's codes at `epoch`, and the labels."""
        labels = self.fixed.get("subset_labels")
        if labels is None:
            raise AetuiError(f"{self.session.name}/fixed.npz has no subset_labels")
        return arrays.codes(self.snapshot(epoch), len(labels), self.where(epoch)), labels

    def projection(self, epoch: int, method: str = "pca") -> tuple[np.ndarray, str]:
        """2-D positions of the subset's codes and how they were made (always shown with the view).

        `pca` is exact and instant; `tsne` (scikit-learn) is slow and only indirect: distances
        between clusters in a t-SNE map mean little.
        """
        codes, _ = self.codes(epoch)
        if method == "pca" or codes.shape[1] <= 2:
            return project(codes)
        if method == "tsne":
            from sklearn.manifold import TSNE

            points = TSNE(2, init="pca", random_state=0, max_iter=500,
                          perplexity=min(30.0, max(5.0, (len(codes) - 1) / 3))).fit_transform(codes)
            return points, "t-SNE of the code (indirect: only neighbourhoods are meaningful)"
        raise AetuiError(f"unknown projection {method!r} (pca or tsne)")

    def _sweep(self, epoch: int) -> dict:
        return arrays.sweep(self.snapshot(epoch), int(self.fixed["panel"].shape[1]), self.where(epoch))

    def plane(self, epoch: int) -> SweepPlane:
        """The plane the epoch's sweep decoded."""
        found = self._sweep(epoch)
        how = str(self.stats(epoch).get("sweep", ""))
        return SweepPlane(found["centre"], found["axes"], found["xs"], found["ys"], how)

    def sweep(self, epoch: int) -> tuple[np.ndarray, int, str]:
        """The decoded sweep grid as N x H x W images in [0, 1], its number of columns, and its plane."""
        found = self._sweep(epoch)
        return as_images(found["images"], self.image_shape), len(found["xs"]), self.plane(epoch).how

    def area(self, epoch: int, k: int = 5) -> dict:
        """Latent area share per class at `epoch` beside the class's share of the training set.

        Only for 2-D codes (the sweep plane is then the code space itself); an error otherwise.
        """
        codes, labels = self.codes(epoch)
        if codes.shape[1] != 2:
            raise AetuiError("latent area shares need a 2-D code; this model's code has "
                             f"{codes.shape[1]} units (see the scatter's projection instead)")
        counts = self.session.meta.class_counts
        if counts is None or len(counts) <= labels.max():
            counts = np.bincount(labels).tolist()  # (a record without usable counts: the subset's)
        counts = np.asarray(counts, np.float64)
        plane = self.plane(epoch)
        shares, cells = area_shares(plane.points(), codes, labels, len(counts), k)
        return {"area": shares, "train": counts / counts.sum(), "cells": cells.reshape(len(plane.ys), len(plane.xs)),
                "k": k, "plane": plane.how}

    def sparsity_series(self) -> dict[str, list[float]]:
        """Each figure that means something for this model family, over the epochs (missing as NaN)."""
        return self.per_epoch(figure_keys(self.session.meta.kind))
