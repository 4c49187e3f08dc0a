"""The variational autoencoder of the seed: the encoder outputs a mean and a log-variance.

Sampling uses `exp(log_var / 2)` as the standard deviation (the seed's fix), and the loss is
the recipe's reconstruction term (by default `sum`: input_dim x mean BCE) plus `beta` times
the KL divergence summed over latent dimensions.
"""

from __future__ import annotations

import keras
from keras import ops

from aetui.core.families import losses
from aetui.core.families.base import Built, Knobs, apply, dense_stack
from aetui.core.families.parts import PartsModel
from aetui.core.recipe import Recipe


@keras.saving.register_keras_serializable(package="aetui")
class Sampling(keras.layers.Layer):
    """Draws `mean + exp(log_var / 2) * eps` with `eps ~ N(0, I)` (the reparameterisation trick)."""

    def __init__(self, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        mean, log_var = inputs
        eps = keras.random.normal(ops.shape(mean), seed=self.seed_generator)
        return mean + ops.exp(0.5 * log_var) * eps

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


class VariationalAutoencoder(PartsModel):
    """Encoder to (mean, log_var), sampling, decoder; loss = reconstruction + beta * KL."""

    def __init__(self, *args, seed: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.sampling = Sampling(seed, name="sampling")

    def call(self, x, training=False):
        mean, log_var = self.encoder(self.noisy(x), training=training)
        z = self.sampling([mean, log_var])
        return {"mean": mean, "log_var": log_var, "recon": self.decoder(z, training=training)}

    def loss_parts(self, x, outputs):
        loss = self.recipe.loss
        return {"recon": losses.reconstruction(x, outputs["recon"], loss["reconstruction"], loss["reduction"]),
                "kl": self.knobs.beta * losses.gaussian_kl(outputs["mean"], outputs["log_var"])}

    def error_reconstruction(self, x, outputs):
        """The per-pixel errors are of the posterior mean's reconstruction, as `aetui eval`'s."""
        return self.decoder(outputs["mean"], training=False)


def build(recipe: Recipe, input_dim: int, knobs: Knobs) -> Built:
    """Build and compile the VAE a recipe describes."""
    net = recipe.net
    x_in = keras.Input((input_dim,), name="image")
    hidden = apply(dense_stack(net["hidden"], "relu", prefix="enc"), x_in)
    mean = keras.layers.Dense(net["code"], name="z_mean")(hidden)
    log_var = keras.layers.Dense(net["code"], name="z_log_var")(hidden)
    encoder = keras.Model(x_in, [mean, log_var], name="encoder")
    z_in = keras.Input((net["code"],), name="z")
    out = keras.layers.Dense(input_dim, activation="sigmoid", name="recon")(
        apply(dense_stack(net["hidden"][::-1], "relu", prefix="dec"), z_in))
    decoder = keras.Model(z_in, out, name="decoder")
    parts = ("recon", "kl")
    model = VariationalAutoencoder(encoder, decoder, knobs, recipe, parts, seed=recipe.train["seed"], name="vae")
    model.compile(optimizer=knobs.make_optimizer(recipe.train["optimizer"]),
                  steps_per_execution=recipe.train["steps_per_execution"],
                  jit_compile=recipe.train["jit_compile"])
    model.optimizer.build(encoder.trainable_variables + decoder.trainable_variables)
    return Built(model, encoder, decoder, knobs, parts, prior="gaussian")
