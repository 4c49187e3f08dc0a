"""The model zoo: one module per family, each with `build(recipe, input_dim, knobs) -> Built`."""

from __future__ import annotations

import numpy as np

from aetui.core.recipe import Recipe

_MODULES = {"ae": "dense", "sparse": "dense", "nonneg": "dense", "vae": "vae", "aae": "aae"}


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
        module = importlib.import_module(f"aetui.core.families.{_MODULES[recipe.kind]}")
        built = module.build(recipe, input_dim, knobs)
        built.model(np.zeros((1, input_dim), "float32"))  # create the variables, so weights can load
    return built
