"""The model zoo: one module per family, each with `build(recipe, input_dim, knobs) -> Built`."""

from __future__ import annotations

import numpy as np

from aetui.core.recipe import Recipe

_MODULES = {"ae": "dense", "sparse": "dense", "nonneg": "dense", "vae": "vae", "aae": "aae"}


def build(recipe: Recipe, input_dim: int, params: dict[str, float] | None = None):
    """Build the model a recipe describes, with `params` overriding the recipe's defaults.

    Imports Keras (and TensorFlow) on first use; nothing is built at import time.
    """
    import importlib

    from aetui.core import backend

    backend.configure()
    import keras

    from aetui.core.families.base import Knobs

    keras.utils.set_random_seed(recipe.train["seed"])
    knobs = Knobs({**recipe.params, **(params or {})})
    module = importlib.import_module(f"aetui.core.families.{_MODULES[recipe.kind]}")
    built = module.build(recipe, input_dim, knobs)
    built.model(np.zeros((1, input_dim), "float32"))  # create the variables, so weights can load
    return built
