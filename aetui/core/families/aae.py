"""The adversarial autoencoder (Makhzani et al. 2015), the namesake of the seed notebooks.

A deterministic encoder and a decoder learn to reconstruct; a discriminator learns to tell
codes from samples of the prior (a Gaussian, or a mixture of 10 Gaussians on a circle); the
encoder then learns to fool it. Each batch runs the three phases in turn with their own
optimizers. `loss` is the reconstruction loss; `disc`, `gen` and `disc_acc` are reported beside
it. The training step uses TensorFlow's GradientTape, so it lives in this module alone.
"""

from __future__ import annotations

import math

import keras
from keras import ops

from aetui.core.families import losses, validation
from aetui.core.families.base import Built, Knobs, apply, dense_stack, replica_count
from aetui.core.recipe import Recipe

MIXTURE_RADIUS = 4.0
MIXTURE_STD = 0.5
PARTS = ("recon", "disc", "gen", "disc_acc")


def mixture_centres(k: int = 10):
    """Centres of the mixture prior's components, evenly spaced on a circle."""
    return [[MIXTURE_RADIUS * math.cos(2 * math.pi * i / k), MIXTURE_RADIUS * math.sin(2 * math.pi * i / k)]
            for i in range(k)]


class AdversarialAutoencoder(keras.Model):
    """Encoder, decoder and discriminator trained in alternating phases."""

    def __init__(self, encoder, decoder, discriminator, knobs: Knobs, recipe: Recipe, **kwargs):
        super().__init__(**kwargs)
        self.encoder, self.decoder, self.discriminator = encoder, decoder, discriminator
        self.knobs = knobs
        self.recipe = recipe
        self.seed_generator = keras.random.SeedGenerator(recipe.train["seed"])
        self.trackers = [keras.metrics.Mean(name=name) for name in ("loss", *PARTS)]
        self.error_trackers = validation.pixel_error_trackers()

    @property
    def metrics(self):
        return self.trackers + self.error_trackers

    def call(self, x, training=False):
        return self.decoder(self.encoder(x, training=training), training=training)

    def compile(self, ae_optimizer, disc_optimizer, gen_optimizer, **kwargs):
        """Compile with an optimizer per phase (as Keras's GAN guide does): reconstruction,
        discriminator, generator (the encoder fooling the discriminator)."""
        super().compile(**kwargs)
        self.ae_optimizer, self.disc_optimizer, self.gen_optimizer = ae_optimizer, disc_optimizer, gen_optimizer
        encoder_vars = self.encoder.trainable_variables
        self.ae_optimizer.build(encoder_vars + self.decoder.trainable_variables)
        self.disc_optimizer.build(self.discriminator.trainable_variables)
        self.gen_optimizer.build(encoder_vars)

    def sample_prior(self, n):
        """`n` samples of the prior over codes."""
        dim = self.recipe.net["code"]
        z = keras.random.normal((n, dim), seed=self.seed_generator)
        if self.recipe.loss["prior"] == "gaussian":
            return z
        which = keras.random.randint((n,), 0, 10, seed=self.seed_generator)
        centres = ops.take(ops.convert_to_tensor(mixture_centres(), dtype="float32"), which, axis=0)
        return centres + MIXTURE_STD * z

    def _phases(self, x, train: bool):
        import tensorflow as tf

        replicas = replica_count()  # each replica's gradients are summed: scale each part by 1/N
        ae_vars = self.encoder.trainable_variables + self.decoder.trainable_variables
        with tf.GradientTape() as tape:
            images_out = self(x, training=train)
            recon = losses.reconstruction(x, images_out, self.recipe.loss["reconstruction"],
                                          self.recipe.loss["reduction"])
            scaled = recon / replicas
        if train:
            self.ae_optimizer.apply_gradients(zip(tape.gradient(scaled, ae_vars), ae_vars))
        prior = self.sample_prior(ops.shape(x)[0])
        with tf.GradientTape() as tape:
            real = self.discriminator(prior, training=train)
            fake = self.discriminator(self.encoder(x, training=train), training=train)
            disc = 0.5 * (ops.mean(ops.binary_crossentropy(ops.ones_like(real), real, from_logits=True))
                          + ops.mean(ops.binary_crossentropy(ops.zeros_like(fake), fake, from_logits=True)))
            scaled = disc / replicas
        if train:
            d_vars = self.discriminator.trainable_variables
            self.disc_optimizer.apply_gradients(zip(tape.gradient(scaled, d_vars), d_vars))
        with tf.GradientTape() as tape:
            fooled = self.discriminator(self.encoder(x, training=train), training=False)
            gen = ops.mean(ops.binary_crossentropy(ops.ones_like(fooled), fooled, from_logits=True))
            scaled = gen / replicas
        if train:
            e_vars = self.encoder.trainable_variables
            self.gen_optimizer.apply_gradients(zip(tape.gradient(scaled, e_vars), e_vars))
        acc = 0.5 * (ops.mean(ops.cast(real > 0, "float32")) + ops.mean(ops.cast(fake < 0, "float32")))
        images = None if train else validation.images_in(x)  # (validation: each batch weighs its images)
        for tracker, value in zip(self.trackers, (recon, recon, disc, gen, acc)):
            tracker.update_state(value, sample_weight=images)
        if train:
            return {tracker.name: tracker.result() for tracker in self.trackers}
        validation.track_pixel_errors(self.error_trackers, x, images_out, images)
        return {tracker.name: tracker.result() for tracker in self.metrics}

    def train_step(self, data):
        return self._phases(validation.unpacked(data), train=True)

    def test_step(self, data):
        return self._phases(validation.unpacked(data), train=False)


def build(recipe: Recipe, input_dim: int, knobs: Knobs) -> Built:
    """Build and compile the adversarial autoencoder a recipe describes."""
    net = recipe.net
    x_in = keras.Input((input_dim,), name="image")
    code = keras.layers.Dense(net["code"], activation=net["code_activation"], name="code")(
        apply(dense_stack(net["hidden"], "relu", prefix="enc"), x_in))
    encoder = keras.Model(x_in, code, name="encoder")
    c_in = keras.Input((net["code"],), name="code_in")
    out = keras.layers.Dense(input_dim, activation="sigmoid", name="recon")(
        apply(dense_stack(net["hidden"][::-1], "relu", prefix="dec"), c_in))
    decoder = keras.Model(c_in, out, name="decoder")
    d_in = keras.Input((net["code"],), name="code_or_prior")
    width = net["hidden"][-1] if net["hidden"] else 64
    logit = keras.layers.Dense(1, name="logit")(apply(dense_stack([width, width], "relu", prefix="disc"), d_in))
    discriminator = keras.Model(d_in, logit, name="discriminator")
    model = AdversarialAutoencoder(encoder, decoder, discriminator, knobs, recipe, name="aae")
    kind = recipe.train["optimizer"]
    model.compile(*(knobs.make_optimizer(kind) for _ in range(3)), steps_per_execution=recipe.train["steps_per_execution"],
                  jit_compile=recipe.train["jit_compile"])
    return Built(model, encoder, decoder, knobs, PARTS, prior=recipe.loss["prior"])
