"""The model zoo: every family declared once in `registry` (what the rest of aetui asks through
`family(kind)`: its checks, live hyperparameters and their help, loss parts, figures, views and
weights), and built by one module each (`dense`: ordinary, sparse and nonnegative; `vae`; `aae`;
`conv`: the convolutional autoencoder and VAE), each with `build(recipe, input_dim, knobs) -> Built`,
on what they share (`base`: layers, live knobs;
`parts`: the model that reports its loss parts; `losses`: each part in its own convention;
`validation`: the figures of a whole test set, whatever its order). Its modules but `registry` import Keras when
imported (the one other is the training engine). A family may import the vocabulary at the top of
`aetui.core` (the recipe, conventions, the backend set-up, errors); it knows no store, nothing of
training, control, the sweeps or analysis: it is given a recipe and its knobs, and builds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aetui.core.families.registry import FAMILIES, KINDS, Family, family

if TYPE_CHECKING:
    from aetui.core.recipe import Recipe

__all__ = ["FAMILIES", "KINDS", "Family", "family", "build", "weight_count", "check_memory"]


GB = 1 << 30


RUNTIME = 512 << 20
"""TensorFlow's own memory, and the data's, roughly (a small net's process holds about this)."""


def memory_needed(recipe: Recipe, input_dim: int, batch_size: int) -> int:
    """Bytes training the recipe takes at its peak, roughly: each weight five times over (the
    weight, its gradient, the optimizer's two moments, the copy saved each epoch); the widest
    layer's activations for a batch several times over (forward, backward, the validation's large
    batches); each epoch's snapshot of the codes (the subset's codes as doubles, and for a code
    wider than two units the principal-component analysis of its code x code covariance, in
    doubles, about four times over with LAPACK's workspace); and `RUNTIME`."""
    return sum(memory_parts(recipe, input_dim, batch_size).values()) + RUNTIME


def memory_parts(recipe: Recipe, input_dim: int, batch_size: int) -> dict[str, int]:
    """`memory_needed` by what takes it: `weights`, `activations`, `snapshot`."""
    code, sizes = recipe.net["code"], [input_dim, *recipe.net["hidden"], recipe.net["code"]]
    pca = 4 * code * code * 8 if code > 2 else 0
    return {"weights": weight_count(recipe, input_dim) * 4 * 5, "activations": max(batch_size, 1024) * max(sizes) * 4 * 8,
            "snapshot": recipe.snapshot["subset"] * code * 8 * 3 + pca}


def available_memory() -> int | None:
    """Bytes of memory this machine has free (Linux's MemAvailable), or None where it cannot tell."""
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def check_memory(recipe: Recipe, input_dim: int, batch_size: int) -> None:
    """An error, with the figures, if training the recipe would take more memory than is free."""
    from aetui.core.errors import AetuiError

    needed, free = memory_needed(recipe, input_dim, batch_size), available_memory()
    if free is not None and needed > free:
        parts = memory_parts(recipe, input_dim, batch_size)
        what = {"weights": "its weights", "activations": f"a batch of {batch_size}",
                "snapshot": f"the analysis of its {recipe.net['code']:,}-unit code each epoch"}[max(parts, key=parts.get)]
        raise AetuiError(f"{recipe.name}: its layers ({input_dim} in, hidden {recipe.net['hidden']}, code "
                         f"{recipe.net['code']}) need about {needed / GB:.1f} GB to train at batch {batch_size}, "
                         f"most of it for {what}, and this machine has {free / GB:.1f} GB free: make them smaller")


def build(recipe: Recipe, input_dim: int, params: dict[str, float] | None = None, strategy=None):
    """Build the model a recipe describes, with `params` overriding the recipe's defaults, under
    a `tf.distribute` strategy if given (call this on the thread that will train).

    Imports Keras (and TensorFlow) on first use; nothing is built at import time.
    """
    import contextlib
    import dataclasses
    import importlib

    from aetui.core import backend

    backend.configure()
    import keras

    from aetui.core.families.base import Knobs

    if strategy is not None and strategy.num_replicas_in_sync > 1:
        # Several steps per execution fail with several replicas in Keras 3.15 (keras#19246).
        recipe = dataclasses.replace(recipe, train={**recipe.train, "steps_per_execution": 1})
    keras.utils.set_random_seed(recipe.train["seed"])
    with strategy.scope() if strategy is not None else contextlib.nullcontext():
        knobs = Knobs({**recipe.params, **(params or {})})
        module = importlib.import_module(f"aetui.core.families.{family(recipe.kind).module}")
        built = module.build(recipe, input_dim, knobs)
        import numpy as np  # (here, not at the top: the workbench paints its first frame without numpy)

        built.model(np.zeros((1, input_dim), "float32"))  # create the variables, so weights can load
    return built


def weight_count(recipe: Recipe, input_dim: int) -> int:
    """The recipe's weights (encoder and decoder, a VAE's log-variance head, an AAE's discriminator)."""
    return family(recipe.kind).weights(recipe.net, input_dim)
