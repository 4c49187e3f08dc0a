"""Convolutional autoencoders: `conv-ae` (the Keras blog's convolutional autoencoder, with a dense
code) and `conv-vae` (the Keras example's VAE: 3x3 convolutions of `[net] hidden` filters with
stride 2, a dense layer of 16, a `code`-unit Gaussian posterior, and the mirror of it to decode).

Images come in flat, as to every family, and are seen as square one-channel images: their side
must be divisible by 2 for each convolution (28 = 4 x 7 for MNIST's two, 8 for the digits').
The losses are the dense autoencoder's and the VAE's (`families.dense`, `families.vae`).
"""

from __future__ import annotations

import math

import keras

from aetui.core.errors import AetuiError
from aetui.core.families.base import Built, Knobs
from aetui.core.families.dense import DenseAutoencoder, part_names
from aetui.core.families.vae import VariationalAutoencoder
from aetui.core.recipe import Recipe

VAE_DENSE = 16
"""The Keras example's dense layer between the convolutions and the posterior."""


def image_side(filters: list[int], input_dim: int) -> int:
    """The side of the square images of `input_dim` pixels, checked against the strides."""
    side = math.isqrt(input_dim)
    step = 2 ** len(filters)
    if side * side != input_dim or side % step:
        raise AetuiError(f"[net] hidden: {len(filters)} stride-2 convolutions need square images whose side "
                         f"divides by {step}, and these have {input_dim} pixels")
    return side


def _encoder_convs(x, filters: list[int]):
    for i, n in enumerate(filters):
        x = keras.layers.Conv2D(n, 3, strides=2, padding="same", activation="relu", name=f"enc_conv_{i}")(x)
    return keras.layers.Flatten(name="flatten")(x)


def _decoder(code: int, filters: list[int], side: int, input_dim: int) -> keras.Model:
    small = side // 2 ** len(filters)
    z_in = keras.Input((code,), name="z")
    x = keras.layers.Dense(small * small * filters[-1], activation="relu", name="dec_dense")(z_in)
    x = keras.layers.Reshape((small, small, filters[-1]), name="unflatten")(x)
    for i, n in enumerate(filters[::-1]):
        x = keras.layers.Conv2DTranspose(n, 3, strides=2, padding="same", activation="relu", name=f"dec_conv_{i}")(x)
    x = keras.layers.Conv2DTranspose(1, 3, padding="same", activation="sigmoid", name="dec_out")(x)
    return keras.Model(z_in, keras.layers.Flatten(name="recon")(x), name="decoder")


def _compiled(model, recipe: Recipe, knobs: Knobs, encoder, decoder) -> None:
    model.compile(optimizer=knobs.make_optimizer(recipe.train["optimizer"]),
                  steps_per_execution=recipe.train["steps_per_execution"], jit_compile=recipe.train["jit_compile"])
    model.optimizer.build(encoder.trainable_variables + decoder.trainable_variables)


def build(recipe: Recipe, input_dim: int, knobs: Knobs) -> Built:
    """Build and compile the convolutional autoencoder or VAE a recipe describes."""
    net, filters = recipe.net, list(recipe.net["hidden"])
    side = image_side(filters, input_dim)
    x_in = keras.Input((input_dim,), name="image")
    flat = _encoder_convs(keras.layers.Reshape((side, side, 1), name="square")(x_in), filters)
    decoder = _decoder(net["code"], filters, side, input_dim)
    if recipe.kind == "conv-vae":
        hidden = keras.layers.Dense(VAE_DENSE, activation="relu", name="enc_dense")(flat)
        mean = keras.layers.Dense(net["code"], name="z_mean")(hidden)
        log_var = keras.layers.Dense(net["code"], name="z_log_var")(hidden)
        encoder = keras.Model(x_in, [mean, log_var], name="encoder")
        parts = ("recon", "kl")
        model = VariationalAutoencoder(encoder, decoder, knobs, recipe, parts, seed=recipe.train["seed"],
                                       name="conv_vae")
        _compiled(model, recipe, knobs, encoder, decoder)
        return Built(model, encoder, decoder, knobs, parts, prior="gaussian")
    code = keras.layers.Dense(net["code"], activation=net["code_activation"], name="code")(flat)
    encoder = keras.Model(x_in, code, name="encoder")
    parts = part_names(recipe)
    model = DenseAutoencoder(encoder, decoder, knobs, recipe, parts, name="conv_ae")
    _compiled(model, recipe, knobs, encoder, decoder)
    return Built(model, encoder, decoder, knobs, parts)
