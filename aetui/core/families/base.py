"""What every model family shares: live knobs, the built bundle, and the layers' helpers (the
loss-part model of the dense families and the VAE is `families.parts`).

Live hyperparameters are non-trainable `keras.Variable`s read inside the loss. They live in
`Knobs`, a plain object (not a Layer), so they are not saved with the weights, and assigning
one takes effect at the next batch without retracing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import keras
import numpy as np


class Knobs:
    """The live hyperparameters of one model, plus the optimizers whose learning rate they set."""

    def __init__(self, params: dict[str, float]):
        self._values = {name: float(value) for name, value in params.items()}
        self._vars = {name: keras.Variable(value, trainable=False, dtype="float32", name=name)
                      for name, value in self._values.items() if name != "learning_rate"}
        self.learning_rate = self._values.get("learning_rate", 1e-3)
        self.optimizers: list[keras.optimizers.Optimizer] = []

    def __getattr__(self, name: str):
        try:
            return self.__dict__["_vars"][name]
        except KeyError:
            raise AttributeError(name) from None

    def make_optimizer(self, kind: str) -> keras.optimizers.Optimizer:
        """A new optimizer of `kind` whose learning rate this object controls."""
        cls = {"adam": keras.optimizers.Adam, "rmsprop": keras.optimizers.RMSprop,
               "sgd": keras.optimizers.SGD}[kind]
        optimizer = cls(learning_rate=self.learning_rate)
        self.optimizers.append(optimizer)
        return optimizer

    def step(self) -> int:
        """Batches trained so far, read from the (first) optimizer's step counter."""
        return int(self.optimizers[0].iterations.numpy()) if self.optimizers else 0

    def assign(self, name: str, value: float) -> None:
        """Set a hyperparameter; safe from any thread, effective at the next batch."""
        if name == "learning_rate":
            self.learning_rate = float(value)
            for optimizer in self.optimizers:
                optimizer.learning_rate.assign(value)
        else:
            self._vars[name].assign(float(value))
        self._values[name] = float(value)

    def values(self) -> dict[str, float]:
        """The current value of every knob, exactly as given (the variables hold float32 copies)."""
        return dict(self._values)


PANEL_NOISE_SEED = 20151118
"""The seed of the noise a denoising model's snapshots show on the panel (`Built.noisy_panel`)."""


def corrupt(x, level, normal):
    """A denoising model's input: `x` plus `level` times standard normal noise `normal`, clipped
    to [0, 1] (the Keras blog's denoising autoencoder); training and the snapshots alike."""
    return keras.ops.clip(x + level * normal, 0.0, 1.0)


@dataclass
class Built:
    """A model ready to train, with its encoder and decoder and the names of its loss parts."""

    model: keras.Model
    encoder: keras.Model
    """Images to codes; for the VAE, to `[mean, log_var]`."""
    decoder: keras.Model
    """Codes to images."""
    knobs: Knobs
    parts: tuple[str, ...]
    """Metric names the model logs beside `loss`: loss parts, then other figures."""
    prior: str | None = None
    """`gaussian` if codes are pushed towards N(0, I), `mixture` for the AAE's 10-Gaussian prior."""
    layout: tuple | None = field(default=None, repr=False)
    """Where each variable goes in the `.weights.h5` file (`weights_state`), found once."""

    def load_weights(self, path) -> None:
        """Load weights saved by a session into this (freshly built) model."""
        self.model.load_weights(str(path))

    def weights_state(self):
        """The weights and optimizer state as numpy copies, each under its place in the
        `.weights.h5` file, without making the file (a copy of the variables: about a millisecond
        for these nets); `weights_bytes` makes it later. Where Keras's walk over the model has
        moved, the file itself."""
        try:
            count = _variable_count(self.model)
            if self.layout is None or self.layout[0] != count:  # (walked once; again if variables came)
                self.layout = (count, _bound(self.model, captured_weights(self.model, copy=False)))
            return [(path, metadata, {key: _copied(value) for key, value in values.items()})
                    for path, metadata, values in self.layout[1]]
        except (ImportError, TypeError, AttributeError):  # another Keras layout
            return self.weights_file()

    @staticmethod
    def weights_bytes(state) -> bytes:
        """The `.weights.h5` file of a `weights_state`."""
        if isinstance(state, bytes):
            return state
        import io

        from keras.src.saving.saving_lib import H5IOStore

        buffer = io.BytesIO()
        store = H5IOStore(buffer, mode="w")
        for path, metadata, values in state:
            entry = store.make(path, metadata=metadata)
            for key, value in values.items():
                entry[key] = value
        store.close()
        return buffer.getvalue()

    def weights_file(self) -> bytes:
        """The model's `.weights.h5` file (weights and optimizer state), made in memory.

        Written to disk by plain Python, a full disk is an ordinary `OSError`; HDF5 writing straight
        to a file that cannot grow crashed the process here (signal 11 inside h5py). Keras's own
        store takes a `BytesIO`; its walk over the model is internal, so where it is missing this
        falls back to a file in the temporary folder.
        """
        import io
        import tempfile
        from pathlib import Path

        try:
            buffer = io.BytesIO()
            in_memory_weights(self.model, buffer)
            return buffer.getvalue()
        except (ImportError, TypeError, AttributeError):  # another Keras layout
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "model.weights.h5"
                self.model.save_weights(str(path))
                return path.read_bytes()

    def noisy_panel(self, x: np.ndarray) -> np.ndarray | None:
        """For a denoising model (`noise` in its recipe): `x` as its encoder sees it at the live
        noise level (`corrupt`), with noise of a fixed seed, so each snapshot shows the same
        corruption scaled by the level in force and training's own noise stream is untouched;
        else None."""
        if not getattr(self.model, "denoising", False):
            return None
        normal = np.random.default_rng(PANEL_NOISE_SEED).standard_normal(x.shape).astype(np.float32)
        return keras.ops.convert_to_numpy(corrupt(x, float(self.knobs.values()["noise"]), normal))

    def encode(self, x: np.ndarray, batch_size: int = 1024) -> dict[str, np.ndarray]:
        """Codes of `x` as numpy: `code`, plus `log_var` for the VAE."""
        parts = [self.encoder(x[i:i + batch_size], training=False) for i in range(0, max(len(x), 1), batch_size)]
        if isinstance(parts[0], (list, tuple)):
            return {"code": _joined([p[0] for p in parts]), "log_var": _joined([p[1] for p in parts])}
        return {"code": _joined(parts)}

    def decode(self, codes: np.ndarray, batch_size: int = 1024) -> np.ndarray:
        """Images decoded from `codes`, as numpy."""
        return _joined([self.decoder(codes[i:i + batch_size], training=False)
                        for i in range(0, max(len(codes), 1), batch_size)])


def _joined(parts: list) -> np.ndarray:
    """Tensors computed a batch at a time, as one numpy array. (The models are called directly:
    `predict` builds a dataset and a loop each call, some 40 ms here, more than these small
    batches take to compute.)"""
    return np.concatenate([keras.ops.convert_to_numpy(p) for p in parts]) if len(parts) > 1 else \
        keras.ops.convert_to_numpy(parts[0])


def _variable_count(model: keras.Model) -> int:
    optimizer = getattr(model, "optimizer", None)
    return len(model.weights) + (len(optimizer.variables) if optimizer is not None else 0)


def _bound(model: keras.Model, parts: list) -> list:
    """The walk's parts with every value a variable, to be read again at each copy: layers hand
    over their variables, optimizers copies of theirs (`variable.numpy()`), which are bound back to
    the optimizer's variables, in order. A TypeError where a part cannot be (the caller then walks
    the model every time)."""
    bound = []
    for path, metadata, values in parts:
        if not all(isinstance(v, keras.Variable) for v in values.values()):
            owner = model
            for name in path.split("/"):
                owner = getattr(owner, name, None)
            variables = list(getattr(owner, "variables", None) or [])
            if sorted(values) != sorted(str(i) for i in range(len(variables))) or any(
                    np.shape(values[str(i)]) != tuple(v.shape) for i, v in enumerate(variables)):
                raise TypeError(f"the weights file's part {path} is not a list of variables")
            values = {str(i): v for i, v in enumerate(variables)}
        bound.append((path, metadata, values))
    return bound


def _copied(value) -> np.ndarray:
    """A numpy copy of a variable's value as it is now (or of an array)."""
    return np.array(keras.ops.convert_to_numpy(value))


def captured_weights(model: keras.Model, copy: bool = True) -> list[tuple[str, dict | None, dict]]:
    """(place, metadata, {name: value}) for every part Keras's `.weights.h5` holds, in its order:
    the walk `save_weights` makes, into memory; the values copied, or (`copy=False`) as given
    (the variables themselves, read again later)."""
    from keras.src.saving.saving_lib import H5IOStore, _save_state

    class Values(dict):
        def __setitem__(self, key, value):
            super().__setitem__(key, _copied(value) if copy else value)

    class Capture(H5IOStore):  # (the walk accepts Keras's stores only)
        def __init__(self):
            self.parts: list = []

        def __bool__(self):
            return True

        def make(self, path, metadata=None):
            values = Values()
            self.parts.append((path, metadata, values))
            return values

    capture = Capture()
    _save_state(model, weights_store=capture, assets_store=None, inner_path="", visited_saveables=set())
    return capture.parts


def in_memory_weights(model: keras.Model, buffer) -> None:
    """Write `model`'s `.weights.h5` into `buffer` with Keras's own store, which is internal
    (`keras.src.saving.saving_lib`): tests/core/test_training.py fails loudly if Keras moves it,
    and `Built.weights_file` falls back to a temporary file meanwhile."""
    from keras.src.saving.saving_lib import H5IOStore, _save_state

    store = H5IOStore(buffer, mode="w")
    _save_state(model, weights_store=store, assets_store=None, inner_path="", visited_saveables=set())
    store.close()


def replica_count() -> int:
    """Replicas training in sync under the current `tf.distribute` strategy (1 without one)."""
    import tensorflow as tf

    return tf.distribute.get_strategy().num_replicas_in_sync


def dense_stack(sizes: list[int], activation: str, constraint=None, prefix: str = "dense") -> list:
    """Dense layers of the given sizes, named `prefix_0`, `prefix_1`, ..."""
    return [keras.layers.Dense(n, activation=activation, kernel_constraint=constraint, name=f"{prefix}_{i}")
            for i, n in enumerate(sizes)]


def apply(layers: list, x):
    """Apply layers in order."""
    for layer in layers:
        x = layer(x)
    return x


def kernels(*models: keras.Model) -> list:
    """The kernel (weight matrix) variables of the Dense layers of `models`."""
    return [layer.kernel for model in models for layer in model.layers if isinstance(layer, keras.layers.Dense)]
